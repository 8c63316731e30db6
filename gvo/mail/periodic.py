"""Work done for every school from time to time by `gvo serve` (reminders that fall due).

A feature registers `task(conn, now)` (now: epoch seconds, UTC) with `register`; the mail
sender (`gvo.mail.sender`) runs every task for every school on each of its sweeps (every
SWEEP_SECONDS, and once when it starts). A task must be idempotent: it may run many times
for the same moment (sweeps, restarts) and must do its work once. This hook stands in until
the office has a scheduler; the scheduler will call the same functions.
"""

import logging
from collections.abc import Callable

from gvo.storage.sqlcipher import Connection

log = logging.getLogger("gvo.mail")

_TASKS: dict[str, Callable[[Connection, float], object]] = {}


def register(name: str, task: Callable[[Connection, float], object]) -> None:
    """Run `task(conn, now)` for every school on each sweep (`name` for the log)."""
    _TASKS[name] = task


def run_all(conn: Connection, now: float, slug: str = "") -> None:
    """Run every registered task for one school; a task that fails is logged, and the
    others still run."""
    for name, task in list(_TASKS.items()):
        try:
            task(conn, now)
        except Exception:
            log.exception("periodic task %s failed for %s", name, slug)
