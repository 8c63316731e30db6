"""The operator's mail settings: GVO_SMTP_URL, GVO_MAIL_FROM and the office's address.

    GVO_SMTP_URL=smtp://user:pass@host:587      STARTTLS, required (port 587 by default)
    GVO_SMTP_URL=smtps://user:pass@host:465     TLS from the first byte (port 465 by default)
    GVO_SMTP_URL=smtp://127.0.0.1:2525?starttls=off   plain, only to a loopback address
    GVO_MAIL_FROM="School office <office@example.org>"

A user name or password holding `@`, `:` or `/` is percent-encoded in the URL. TLS
certificates are checked against the system's trust store (ssl.create_default_context).
Without GVO_SMTP_URL the office sends nothing and shows set-up links as before.

The web app and the CLI `configure` the process once (create_app, the CLI context);
services read `current()`.
"""

import threading
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.utils import parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from gvo.core import addresses
from gvo.core.config import is_loopback
from gvo.core.errors import GvoError, InvalidInput

SMTP_ENV, FROM_ENV = "GVO_SMTP_URL", "GVO_MAIL_FROM"
DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
TIMEOUT_SECONDS = 30.0  # one SMTP conversation step (connect, a command) at most


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how mail is handed over: host, port, TLS mode ("starttls", "tls" from
    the start, or "none" on loopback only), optional login."""

    host: str
    port: int
    security: str
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = TIMEOUT_SECONDS

    def describe(self) -> str:
        """The server without its password, for messages and `gvo status`."""
        user = f"{self.username}@" if self.username else ""
        return f"{user}{self.host}:{self.port} ({self.security})"


def parse_smtp_url(url: str) -> SmtpSettings:
    """GVO_SMTP_URL read into SmtpSettings; GvoError saying what is wrong otherwise.

    STARTTLS is required for smtp:// unless `?starttls=off`, which only a loopback host
    may have (a relay on the same machine): credentials and mail never cross a network in
    clear text.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise GvoError(f"{SMTP_ENV} is not a URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise GvoError(f"{SMTP_ENV} must start with smtp:// or smtps://, not {url[:12]!r}")
    host = parts.hostname or ""
    if not host:
        raise GvoError(f"{SMTP_ENV} names no host")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(query) - {"starttls"}
    if unknown:
        raise GvoError(f"{SMTP_ENV}: unknown option {sorted(unknown)[0]!r} (only starttls=off)")
    security = "tls" if scheme == "smtps" else "starttls"
    if "starttls" in query:
        value = query["starttls"][-1].lower()
        if scheme != "smtp" or value not in ("off", "on"):
            raise GvoError(f"{SMTP_ENV}: starttls=off is the only option, and only for smtp://")
        if value == "off":
            if not is_loopback(host):
                raise GvoError(f"{SMTP_ENV}: starttls=off is allowed only to a loopback "
                               f"address (127.0.0.1, ::1, localhost), not {host}")
            security = "none"
    return SmtpSettings(host, port or DEFAULT_PORTS[scheme], security,
                        unquote(parts.username or ""), unquote(parts.password or ""))


def parse_from(value: str) -> Address:
    """GVO_MAIL_FROM ("Name <addr>" or "addr") as an Address; GvoError if not an address."""
    name, addr = parseaddr(value)
    try:
        addr = addresses.check(addr)
    except InvalidInput as exc:
        raise GvoError(f"{FROM_ENV} must be an e-mail address such as "
                       f"'School office <office@example.org>', not {value!r} ({exc})") from None
    user, _, domain = addr.rpartition("@")
    return Address(display_name=name, username=user, domain=domain)


@dataclass(frozen=True)
class MailSettings:
    """What the office needs to send: the SMTP server (None: mail is off), the sender
    address, and the office's own address (GVO_BASE_URL) that links lead to."""

    smtp: SmtpSettings | None
    sender: Address | None
    base_url: str

    @property
    def enabled(self) -> bool:
        """Whether mail is sent at all (an SMTP server and a sender are set)."""
        return self.smtp is not None and self.sender is not None


def from_mapping(values) -> MailSettings:
    """MailSettings from GVO_* settings (the environment, or the app's config); GvoError
    for a bad URL or address, or a server without a sender address."""
    url = values.get(SMTP_ENV) or ""
    sender = values.get(FROM_ENV) or ""
    smtp = parse_smtp_url(url) if url else None
    address = parse_from(sender) if sender else None
    if smtp is not None and address is None:
        raise GvoError(f"{SMTP_ENV} is set but {FROM_ENV} is not: set the address mail comes "
                       "from (e.g. 'School office <office@example.org>')")
    base = (values.get("GVO_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
    return MailSettings(smtp, address, base)


_lock = threading.Lock()
_current: MailSettings | None = None


def configure(settings: MailSettings | None) -> None:
    """Set the process's mail settings (None: read the environment again at next use)."""
    global _current
    with _lock:
        _current = settings


def current() -> MailSettings:
    """The process's mail settings: as configured, else from the environment."""
    global _current
    with _lock:
        if _current is None:
            import os

            _current = from_mapping(os.environ)
        return _current
