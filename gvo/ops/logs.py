"""Structured logs: with GVO_LOG_FORMAT=json every log line is one JSON object.

Each object has `time` (UTC, ISO 8601 with milliseconds and "Z"), `level`, `logger` and
`message`, plus, for the request log (logger "gvo.request", one line per answered request),
`request_id`, `method`, `route` (the endpoint name, never the path), `status`,
`duration_ms` and `school` (its slug). An exception adds `exception` (its traceback).

No personal data and no secrets (UK GDPR Art. 5(1)(c), data minimisation): the request
log never holds the client's address (an IP address is personal data: ICO guidance on
online identifiers; it is left out, not hashed, since a hash of an IPv4 address is
reversed by trying them all), the path or query string (they may carry set-up, reset or
unsubscribe tokens), cookies, headers or who is signed in. Other loggers' messages and
tracebacks pass through `redact`, which replaces e-mail addresses, IP addresses and
token-like strings, in case a message names one.

GVO_LOG_FORMAT unset or "text" leaves Python's logging as it was (warnings and errors on
standard error, no request log).
"""

import json
import logging
import re
import sys
from datetime import UTC, datetime

from gvo.core.errors import GvoError

FORMAT_ENV = "GVO_LOG_FORMAT"
FORMATS = ("text", "json")
REQUEST_LOGGER = "gvo.request"

_EMAIL = re.compile(r"[^\s@<>()\"',;:]+@[^\s@<>()\"',;:]+\.[A-Za-z0-9-]+")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_IPV6 = re.compile(r"(?<![\w:])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
                   r"|(?:[0-9A-Fa-f]{1,4}:)*[0-9A-Fa-f]{0,4}::(?:[0-9A-Fa-f]{1,4}:)*[0-9A-Fa-f]{0,4})"
                   r"(?![\w:])")
# Tokens, keys, session ids, hashes: a run of 20+ URL-safe characters holding a digit, or
# of 32+ holding capitals and small letters; plain words and dotted names do not qualify.
_TOKEN = re.compile(r"(?<![\w-])(?:(?=[\w-]*\d)[\w-]{20,}|(?=[\w-]*[A-Z])(?=[\w-]*[a-z])"
                    r"[\w-]{32,})(?![\w-])")
REDACTED = "[redacted]"
# More scrubbers, applied first (the web layer adds one replacing the request's path by
# its route: gvo.web.observe).
SCRUBBERS: list = []


def redact(text: str) -> str:
    """`text` with e-mail addresses, IPv4/IPv6 addresses and token-like strings replaced by
    "[redacted]" (a safety net for free-text messages; structured fields are chosen),
    after each of SCRUBBERS."""
    for scrub in SCRUBBERS:
        text = scrub(text)
    for pattern in (_EMAIL, _TOKEN, _IPV4, _IPV6):
        text = pattern.sub(REDACTED, text)
    return text


def add_scrubber(scrub) -> None:
    """Apply `scrub(text) -> text` to every JSON log line's message and traceback."""
    if scrub not in SCRUBBERS:
        SCRUBBERS.append(scrub)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (see the module's docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        moment = datetime.fromtimestamp(record.created, UTC)
        line = {
            "time": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        line.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


class _Handler(logging.StreamHandler):
    """GVO's own handler, so configuring again replaces it instead of adding another."""


def configure(env: dict) -> str:
    """Set up logging as GVO_LOG_FORMAT in `env` says; returns the format in use.

    "json": the root logger writes JSON lines to standard error at INFO and above.
    "text" (or unset): logging is left as Python has it. Raises GvoError for another value.
    """
    wanted = (env.get(FORMAT_ENV) or "text").strip().lower()
    if wanted not in FORMATS:
        raise GvoError(f"{FORMAT_ENV} must be one of {', '.join(FORMATS)}, not {wanted!r}")
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    if wanted == "json":
        handler = _Handler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    return wanted


def log_request(fields: dict) -> None:
    """Write the request log's line: `fields` are request_id, method, route, status,
    duration_ms and school (see the module's docstring for what never goes in)."""
    logger = logging.getLogger(REQUEST_LOGGER)
    if logger.isEnabledFor(logging.INFO):
        logger.info("%s %s %s", fields.get("method"), fields.get("route"), fields.get("status"),
                    extra={"fields": fields})
