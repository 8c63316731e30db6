"""School database connections: lent to a thread until it lets go, kept a while, then closed.

A thread asks for a school's connection (`get`) and keeps the same one until it
calls `release` (the web app does at the end of every response, body included:
gvo.web.ReleaseConnections). A released connection waits in the pool for the
next thread that asks for that school; one unused for `idle_seconds` is closed
by `close_idle` (the server runs it every few seconds), and at most `max_idle`
wait at any time (the least recently used beyond that are closed at once).
So a server holds about one connection per busy request thread plus
`max_idle`, however many schools it serves, and open files stay bounded.
Reopening costs a raw-key open (~0.2 ms, docs/decisions/0002-page-cache.md).

Threads that never release (the CLI, tests, background jobs that hold a
school for their lifetime) keep their connections, as before.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from gvo.core.errors import SchoolUnavailable
from gvo.storage.sqlcipher import Connection

IDLE_SECONDS = 60.0
MAX_IDLE = 16


@dataclass
class PoolSettings:
    """How long and how many released connections are kept."""

    idle_seconds: float = IDLE_SECONDS
    max_idle: int = MAX_IDLE


class ConnectionPool:
    """Connections to school databases, by school, shared between threads over time."""

    def __init__(self, opener: Callable[[str], Connection], settings: PoolSettings | None = None):
        self._open = opener
        self.settings = settings or PoolSettings()
        self._lock = threading.Lock()
        self._held: dict[tuple[str, int], Connection] = {}
        # Released connections, least recently released first: id -> (slug, conn, since).
        self._idle: OrderedDict[int, tuple[str, Connection, float]] = OrderedDict()
        self._used: set[str] = set()
        self._paused: set[str] = set()

    def get(self, slug: str) -> Connection:
        """This thread's connection to the school: the one it holds, a waiting one, or new."""
        key = (slug, threading.get_ident())
        conn = self._held.get(key)
        if conn is not None:
            return conn
        with self._lock:
            self._refuse_paused(slug)
            for ident, (s, waiting, _since) in reversed(self._idle.items()):
                if s == slug:
                    del self._idle[ident]
                    self._held[key] = waiting
                    return waiting
        conn = self._open(slug)
        with self._lock:
            paused = slug in self._paused  # paused while this one opened: not handed out
            if not paused:
                self._held[key] = conn
                self._used.add(slug)
        if paused:
            conn.close()
            self._refuse_paused(slug)
        return conn

    def _refuse_paused(self, slug: str) -> None:
        if slug in self._paused:
            raise SchoolUnavailable(f"school {slug} is closed for a moment (a rekey or a move)")

    def pause(self, slug: str) -> None:
        """Hand out no connection to the school (get raises SchoolUnavailable) until `resume`;
        connections already held stay with their threads until released."""
        with self._lock:
            self._paused.add(slug)

    def resume(self, slug: str) -> None:
        """Hand out the school's connections again."""
        with self._lock:
            self._paused.discard(slug)

    def held_for(self, slug: str) -> int:
        """Connections to the school held by threads right now (requests in flight)."""
        with self._lock:
            return sum(1 for s, _ident in self._held if s == slug)

    def release(self) -> None:
        """Give back every connection this thread holds (an open transaction is rolled back)."""
        ident = threading.get_ident()
        now = time.monotonic()
        with self._lock:
            mine = [k for k in self._held if k[1] == ident]
            back = [(k[0], self._held.pop(k)) for k in mine]
        if not back:
            return
        for _slug, conn in back:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        with self._lock:
            for slug, conn in back:
                self._idle[id(conn)] = (slug, conn, now)
            excess = []
            while len(self._idle) > self.settings.max_idle:
                excess.append(self._idle.popitem(last=False)[1][1])
        _close(excess)

    def close_idle(self, now: float | None = None) -> int:
        """Close the connections released more than idle_seconds ago; returns how many."""
        cutoff = (time.monotonic() if now is None else now) - self.settings.idle_seconds
        with self._lock:
            old = [k for k, (_s, _c, since) in self._idle.items() if since <= cutoff]
            closing = [self._idle.pop(k)[1] for k in old]
        _close(closing)
        return len(closing)

    def close_school(self, slug: str) -> None:
        """Close every connection to one school, held or waiting (before its file changes)."""
        with self._lock:
            closing = [self._held.pop(k) for k in [k for k in self._held if k[0] == slug]]
            closing += [self._idle.pop(k)[1] for k in
                        [k for k, (s, _c, _t) in self._idle.items() if s == slug]]
        _close(closing)

    def close_all(self) -> None:
        """Close every connection."""
        with self._lock:
            closing = list(self._held.values()) + [c for _s, c, _t in self._idle.values()]
            self._held.clear()
            self._idle.clear()
        _close(closing)

    def counts(self) -> dict[str, int]:
        """How many connections are held by threads and how many wait, for health and tests."""
        with self._lock:
            return {"held": len(self._held), "idle": len(self._idle)}

    def open_schools(self) -> set[str]:
        """Schools with a connection open (held or waiting) right now."""
        with self._lock:
            return {k[0] for k in self._held} | {s for s, _c, _t in self._idle.values()}

    def used_schools(self) -> set[str]:
        """Every school a connection was opened to since the pool began (the CLI ships them)."""
        with self._lock:
            return set(self._used)


def _close(conns: list[Connection]) -> None:
    for conn in conns:
        conn.close()
