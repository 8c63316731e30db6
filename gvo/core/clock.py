"""The one clock the application reads, so tests can move time."""

import time
from collections.abc import Callable
from datetime import UTC, datetime

_clock: Callable[[], float] = time.time


def now() -> float:
    """Seconds since the epoch, from the injectable clock."""
    return _clock()


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.fromtimestamp(_clock(), UTC)


def iso(ts: float | None = None) -> str:
    """An ISO-8601 UTC timestamp (seconds precision) for storage and display."""
    value = now() if ts is None else ts
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def set_clock(fn: Callable[[], float] | None) -> None:
    """Replace the clock (tests); None restores the real one."""
    global _clock
    _clock = fn or time.time
