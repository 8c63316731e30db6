"""What every operator command shares: the instance it works on, sizes and links for people."""

import os
from pathlib import Path

import click

from gvo.storage import keys
from gvo.storage.instance import Instance


class Context:
    """What every sub-command needs: where the instance is, opened on demand."""

    def __init__(self, path: Path):
        self.path = path
        self._instance: Instance | None = None

    def instance(self) -> Instance:
        """The opened instance (a wrong or missing key fails here, clearly)."""
        if self._instance is None:
            self._instance = Instance.open(self.path)
        return self._instance


pass_ctx = click.make_pass_decorator(Context)


def master_key_note(path: Path) -> str:
    """What `gvo init` and `gvo demo` say of a new instance's master key: the file it is in
    (`keys.master_key_file`), or that it is the one in GVO_MASTER_KEY (no file written)."""
    key_file = keys.master_key_file(path)
    if key_file is None:
        return (f"The master key is the one in {keys.MASTER_KEY_ENV} (no key file written): "
                "keep a copy of it somewhere else; without it no school and no replica can "
                "be opened.")
    said = ("Master key written to" if key_file == path / keys.MASTER_KEY_FILE
            else "The master key is in")
    return (f"{said} {key_file} (mode 0600).\n"
            "Keep a copy of it somewhere else: without it no school and no replica can be opened.")


def human_size(n: int) -> str:
    """Bytes as a short human-readable size."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000


def serving_url(host: str, port: int, *, from_here: bool = True) -> str:
    """The http address of `gvo serve --host HOST --port PORT`; with from_here, as a browser
    on this machine opens it (an unspecified address, 0.0.0.0 or ::, is reached on
    loopback). An IPv6 address is bracketed (RFC 3986)."""
    if from_here and host in ("", "0.0.0.0", "::"):  # noqa: S104 - the unspecified address
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def base_url(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> str:
    """The office's address as people reach it, for set-up and sign-in links: $GVO_BASE_URL
    (its public address behind a proxy), else where `gvo serve --host --port` listens."""
    return (os.environ.get("GVO_BASE_URL") or serving_url(host, port)).rstrip("/")
