"""Reads done once per request: a request-scoped memo for pure reads of a school database.

A page is built by services that each load what they need by id: the meeting page reads
the meeting in its view, for the agenda, the register, the guests, the quorum, the
minutes and their comments; the body, its members and the governor records for the
register and again for the quorum. Each of those reads is a fact that cannot change
while the request does not write. `@once` on a read service makes the second and later
calls with the same connection and arguments, in the same request, answer from memory.

The rules (decision note 0010):

- Only inside `scope()` (the web app opens one per request, `gvo.web.app`). Outside a
  scope (the CLI, the scheduler, a test calling a service) every call reads, as before.
- An answer is kept for the connection it was read on, and only while that connection
  has changed nothing: any INSERT, UPDATE or DELETE on it (committed or rolled back)
  moves SQLite's `total_changes()`, and every kept answer read before is then read again.
  A request that writes and reads back sees its write.
- Commits by other connections during the request (another thread, another process) are
  not seen by a repeated read: within one request a fact reads the same each time, as
  in one read transaction.
- The memo hands out a copy of a list, dict or set answer, two levels deep (a list of
  dicts, a dict of dicts: the shapes services return), so a caller that changes what it
  was given does not change the next caller's; rows (sqlite3.Row) and tuples are
  immutable. A service whose answer nests deeper (a parsed JSON snapshot) must not be
  decorated as it is: decorate the read beneath it (the stored text).
- Arguments must be hashable (ints, strings, dates, Identity); a call with an unhashable
  argument simply reads. Exceptions (NotFound) are not kept.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

_memo: ContextVar[dict | None] = ContextVar("gvo_reads_memo", default=None)

F = TypeVar("F", bound=Callable)


@contextmanager
def scope() -> Iterator[None]:
    """Keep `@once` reads for the duration of the block (one request). Nested scopes share
    the outer one's memory."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def active() -> bool:
    """Whether a scope is open in this context (a request is being served)."""
    return _memo.get() is not None


def once(fn: F) -> F:
    """Decorate a pure read `fn(conn, *args, **kwargs)`: inside a `scope()`, a repeated call
    with the same connection and arguments answers from memory while the connection has
    changed nothing since (see the module's rules). Outside a scope it just reads."""

    @functools.wraps(fn)
    def read(conn, *args, **kwargs):
        memo = _memo.get()
        if memo is None:
            return fn(conn, *args, **kwargs)
        key = (fn, id(conn), args, tuple(sorted(kwargs.items())) if kwargs else ())
        try:
            kept = memo.get(key)
        except TypeError:  # an unhashable argument: no memory for this call
            return fn(conn, *args, **kwargs)
        changes = conn.total_changes
        if kept is not None and kept[0] is conn and kept[1] == changes:
            return _copy(kept[2])
        value = fn(conn, *args, **kwargs)
        memo[key] = (conn, changes, value)
        return _copy(value)

    read.uncached = fn  # type: ignore[attr-defined]
    return read  # type: ignore[return-value]


def _copy(value):
    """A copy of a list, dict or set answer and of the lists, dicts and sets directly in it;
    anything else as it is."""
    if isinstance(value, list):
        return [_shallow(v) for v in value]
    if isinstance(value, dict):
        return {k: _shallow(v) for k, v in value.items()}
    if isinstance(value, set):
        return set(value)
    return value


def _shallow(value):
    return value.copy() if isinstance(value, (list, dict, set)) else value
