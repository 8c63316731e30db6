"""All or nothing across services: a service's transaction nests in its caller's.

`gvo.storage.sqlcipher.transaction` begins a write transaction (BEGIN IMMEDIATE) and
fails inside another one. Services use this `transaction` instead: at the top it is
exactly that one, and inside a transaction it is a savepoint of it (SQLite's SAVEPOINT,
https://sqlite.org/lang_savepoint.html). So a service that calls others (a paper upload
makes the meeting's folder, stores the files, names one and attaches them) commits all
their writes or none: a refusal from its last step leaves nothing of its first behind.
"""

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

from gvo.storage.sqlcipher import Connection
from gvo.storage.sqlcipher import transaction as _begin

_names = itertools.count()


@contextmanager
def transaction(conn: Connection) -> Iterator[Connection]:
    """A write transaction, or (inside one) a savepoint of it; rolled back on any exception,
    which is raised again (so the caller's transaction decides about the rest)."""
    if not conn.in_transaction:
        with _begin(conn):
            yield conn
        return
    name = f"gvo_step_{next(_names)}"
    conn.execute(f"SAVEPOINT {name}")
    try:
        yield conn
    except BaseException:
        conn.execute(f"ROLLBACK TO {name}")
        conn.execute(f"RELEASE {name}")
        raise
    conn.execute(f"RELEASE {name}")
