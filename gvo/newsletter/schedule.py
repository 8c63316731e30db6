"""The one scheduler of `gvo serve`: every school's newsletter, digest and timed tasks.

One APScheduler BackgroundScheduler (apscheduler 3.11, one worker thread) runs one
interval job, every TICK_SECONDS and once at start (decision 0009: the only scheduler;
the mail sender only sends). The job visits a school only when its next newsletter,
digest or task (gvo.mail.periodic: meeting reminders, and what later modules register)
may be due, or SWEEP_SECONDS after its last visit (a change made by another process, a
meeting added since; a change of schedule made in this process brings the visit forward at
once): so 500 schools cost one pass over a dictionary a minute, not 500 jobs or 500
database opens. A visit calls `letters.send_due`, which sends what is due once and
records it in the school's database (a restart never sends a period twice; a period missed
while the server was down goes out at start), then runs the periodic tasks, each of which
does its work once whenever it runs.

It starts after the mail sender and stops before it (gvo.cli.serve).
"""

import logging
import threading
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from gvo.core import clock, events
from gvo.mail import periodic
from gvo.newsletter import letters

log = logging.getLogger("gvo.newsletter")

TICK_SECONDS = 60.0
SWEEP_SECONDS = 3600.0
JOB_ID = "gvo-newsletters"


class Scheduler:
    """The running newsletter scheduler of one `gvo serve` (see the module's docstring)."""

    def __init__(self, instance, *, tick: float = TICK_SECONDS, sweep: float = SWEEP_SECONDS):
        self.instance = instance
        self.tick_seconds, self.sweep = tick, sweep
        self._next: dict[str, float] = {}  # school -> when to visit it next (epoch seconds)
        self._lock = threading.Lock()
        self._scheduler = BackgroundScheduler(
            timezone=UTC, executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})

    def start(self) -> "Scheduler":
        """Start: the job runs at once (a period missed while stopped), then every tick."""
        events.subscribe(events.SCHEDULE_CHANGED, self._schedule_changed)
        self._scheduler.add_job(self.tick, "interval", seconds=self.tick_seconds, id=JOB_ID,
                                next_run_time=datetime.now(UTC))
        self._scheduler.start()
        return self

    def stop(self) -> None:
        """Stop after the visit in progress (if any)."""
        events.unsubscribe(events.SCHEDULE_CHANGED, self._schedule_changed)
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    def _schedule_changed(self, _conn, slug: str) -> None:
        self.changed(slug)

    def changed(self, slug: str) -> None:
        """School `slug`'s schedule changed: visit it at the next tick, which comes now."""
        with self._lock:
            self._next.pop(slug, None)
        if self._scheduler.running:
            self._scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC))

    def tick(self) -> int:
        """Visit every school whose newsletter, digest or a periodic task may be due; how
        many were visited."""
        now = clock.now()
        try:
            slugs = [s.slug for s in self.instance.schools()]
        except Exception:
            log.exception("newsletter: cannot list schools")
            return 0
        with self._lock:
            due = [s for s in slugs if self._next.get(s, 0.0) <= now]
            for gone in self._next.keys() - set(slugs):
                del self._next[gone]
        for slug in due:
            nxt = now + self.sweep
            try:
                conn = self.instance.db(slug)
                nxt = min(nxt, letters.send_due(conn, now))
                task_next = periodic.run_all(conn, now, slug)
                if task_next is not None:  # not sooner than the next tick
                    nxt = min(nxt, max(task_next, now + self.tick_seconds / 2))
            except Exception:  # one school's fault must not stop the others'
                log.exception("scheduler: school %s failed; trying again later", slug)
            finally:
                self.instance.release()
            with self._lock:
                self._next[slug] = nxt
        return len(due)


def start(instance) -> Scheduler:
    """Start the scheduler for every school of `instance`."""
    return Scheduler(instance).start()
