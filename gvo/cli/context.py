"""What every operator command shares: the instance it works on, sizes and links for people."""

import os
from pathlib import Path

import click

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


def human_size(n: int) -> str:
    """Bytes as a short human-readable size."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def base_url() -> str:
    """The office's address as people reach it ($GVO_BASE_URL), for set-up and sign-in links."""
    return (os.environ.get("GVO_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
