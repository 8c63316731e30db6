"""Work done for every school from time to time by `gvo serve` (reminders that fall due).

A feature registers `task(conn, now)` (now: epoch seconds, UTC) with `register`, and
optionally `next_due(conn, now)`: when the task next has work in that school (epoch
seconds), or None for "nothing planned". The one scheduler of `gvo serve`
(gvo.newsletter.schedule, APScheduler; decision 0009) runs every task for a school each
time it visits it: at least every schedule.SWEEP_SECONDS, and sooner when a task's
`next_due`, the newsletter or the digest says so. A task must be idempotent: it may run
many times for the same moment (visits, restarts, several processes) and must do its work
once.
"""

import logging
from collections.abc import Callable

from gvo.storage.sqlcipher import Connection

log = logging.getLogger("gvo.mail")

Task = Callable[[Connection, float], object]
NextDue = Callable[[Connection, float], float | None]
_TASKS: dict[str, tuple[Task, NextDue | None]] = {}


def register(name: str, task: Task, next_due: NextDue | None = None) -> None:
    """Run `task(conn, now)` for every school when the scheduler visits it (`name` for the
    log); `next_due(conn, now)` says when it next has work there (see the module)."""
    _TASKS[name] = (task, next_due)


def run_all(conn: Connection, now: float, slug: str = "") -> float | None:
    """Run every registered task for one school; a task that fails is logged, and the
    others still run. Returns the earliest time a task said it next has work (epoch
    seconds), or None."""
    soonest = None
    for name, (task, next_due) in list(_TASKS.items()):
        try:
            task(conn, now)
            at = next_due(conn, now) if next_due is not None else None
        except Exception:
            log.exception("periodic task %s failed for %s", name, slug)
            continue
        if at is not None:
            soonest = at if soonest is None else min(soonest, at)
    return soonest
