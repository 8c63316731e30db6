"""Settings from the environment, with safe defaults; unsafe production settings are refused."""

import ipaddress
import os
from pathlib import Path

from gvo.core.errors import GvoError

HEALTH_TOKEN_MIN = 32


def is_loopback(host: str) -> bool:
    """Whether `host` (an IP address, or "localhost") is this machine's loopback."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _int(env: dict, name: str, default: int) -> int:
    value = env.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise GvoError(f"{name} must be a whole number, not {value!r}") from None


def from_environment(env: dict | None = None) -> dict:
    """The app's configuration read from GVO_* environment variables."""
    env = os.environ if env is None else env
    config = {
        "GVO_INSTANCE": Path(env.get("GVO_INSTANCE") or "instances"),
        "GVO_BASE_URL": (env.get("GVO_BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
        # Reverse proxies in front of GVO whose X-Forwarded-* headers are trusted (0 = none).
        "GVO_TRUSTED_PROXIES": _int(env, "GVO_TRUSTED_PROXIES", 0),
        "GVO_IDLE_TIMEOUT": _int(env, "GVO_IDLE_TIMEOUT", 30 * 60),
        "GVO_ABSOLUTE_TIMEOUT": _int(env, "GVO_ABSOLUTE_TIMEOUT", 12 * 3600),
        "MAX_CONTENT_LENGTH": _int(env, "GVO_MAX_UPLOAD_MB", 50) * 1024 * 1024,
        "DEBUG": env.get("GVO_DEBUG") == "1",
        # Bearer token that lets monitoring see /healthz per school (unset: nobody may).
        "GVO_HEALTH_TOKEN": env.get("GVO_HEALTH_TOKEN") or None,
        # gvo serve: SQLite page-cache budget of the whole process, in MiB (one connection's
        # cache is at most this / --threads, and 64 MiB).
        "GVO_CACHE_MB": _int(env, "GVO_CACHE_MB", 512),
        # gvo serve: a school unused this long has its database connections closed.
        "GVO_SCHOOL_IDLE_SECONDS": _int(env, "GVO_SCHOOL_IDLE_SECONDS", 60),
        # gvo serve: replication threads, whatever the number of schools.
        "GVO_REPLICATION_WORKERS": _int(env, "GVO_REPLICATION_WORKERS", 4),
        # LibreOffice's program (a name on PATH or a path), which converts Word, Excel,
        # PowerPoint and OpenDocument papers to PDF for board packs (gvo.library.pdf_copies).
        "GVO_LIBREOFFICE": env.get("GVO_LIBREOFFICE") or "soffice",
        # Mail (gvo.mail.config checks them): the SMTP server's URL and the sender address;
        # unset, the office sends nothing and shows set-up links to copy.
        "GVO_SMTP_URL": env.get("GVO_SMTP_URL") or None,
        "GVO_MAIL_FROM": env.get("GVO_MAIL_FROM") or None,
    }
    for name, least in (("GVO_CACHE_MB", 16), ("GVO_SCHOOL_IDLE_SECONDS", 1),
                        ("GVO_REPLICATION_WORKERS", 1)):
        if config[name] < least:
            raise GvoError(f"{name} must be at least {least}, not {config[name]}")
    if config["GVO_TRUSTED_PROXIES"] < 0:
        raise GvoError("GVO_TRUSTED_PROXIES must be 0 (no proxy) or the number of proxies")
    token = config["GVO_HEALTH_TOKEN"]
    if token is not None and len(token) < HEALTH_TOKEN_MIN:
        raise GvoError(f"GVO_HEALTH_TOKEN must be at least {HEALTH_TOKEN_MIN} characters "
                       "(e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))')")
    if config["DEBUG"] and env.get("GVO_ENV", "production") == "production":
        raise GvoError("GVO_DEBUG=1 is refused in production (set GVO_ENV=development to allow it)")
    return config
