"""The one clock the application reads, so tests can move time."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from gvo.core.errors import InvalidInput

# The years a person may enter (a meeting, a due date, a report's period): a year typed
# 0226 or 9999 is a slip, and dates outside this range break sorting as text (a stored
# "226-..." sorts after "2026-...") and date arithmetic at year 9999.
FIRST_YEAR, LAST_YEAR = 1900, 2199
YEAR_RANGE = f"Give a year between {FIRST_YEAR} and {LAST_YEAR}."

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


@contextmanager
def frozen_at(ts: float) -> Iterator[None]:
    """Run the block with the clock standing at `ts` (seconds since the epoch), then put
    back the clock that was there (for the demo's history, written as of its past days)."""
    global _clock
    before = _clock
    _clock = lambda: ts  # noqa: E731 - a clock is a function
    try:
        yield
    finally:
        _clock = before


def check_year(value: date | None, what: str = "The date") -> None:
    """Raise InvalidInput (naming `what`) if `value` is not in FIRST_YEAR..LAST_YEAR."""
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise InvalidInput(f"{what}: {YEAR_RANGE[0].lower()}{YEAR_RANGE[1:]}")
