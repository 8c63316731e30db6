"""Reading a live database's own files without dropping SQLite's locks on them.

SQLite's locks are POSIX advisory locks (fcntl), which belong to the process: closing ANY
descriptor of a file drops every lock the process holds on it, the ones SQLite's own
connections hold included ("How To Corrupt An SQLite Database File", sqlite.org/howtocorrupt
.html, section 2.2). The replicator reads the database file (a generation's snapshot) and
the WAL index (the -shm file) while the server's connections use them; an ordinary
open()/close() there drops the server's locks: its pinned read snapshot, its write lock and
the lock that tells another process (`gvo user add` while the server runs) that it is not
the last connection, so that process's close checkpoints and deletes the WAL under the
server, and the database is corrupted.

So the files are read here through one descriptor per file, opened once and closed only
when no connection of this process has the database open any more (`forget`, called by
`gvo.storage.sqlcipher` when its last connection to the database closes). The -wal file
needs none of this: SQLite takes no locks on it.
"""

import os
import threading
from pathlib import Path

_lock = threading.Lock()
_fds: dict[str, int] = {}  # path of a database's file (the db or its -shm) -> descriptor
_users: dict[str, int] = {}  # database path -> connections of this process (and opening)
COPY_CHUNK = 1 << 20


def _key(path: Path | str) -> str:
    return os.path.realpath(path)


def _fd(path: Path | str) -> int:
    """This process's descriptor of `path`, opened on first use (FileNotFoundError if
    missing); never closed while a connection of this process may hold locks on it."""
    key = _key(path)
    with _lock:
        fd = _fds.get(key)
        if fd is None:
            fd = _fds[key] = os.open(key, os.O_RDONLY | os.O_CLOEXEC)
        return fd


def read(path: Path | str, size: int, offset: int = 0) -> bytes:
    """Up to `size` bytes of `path` from byte `offset` (fewer at its end), read without
    closing a descriptor. `path` is a database file or its -shm; FileNotFoundError if it
    is not there."""
    return os.pread(_fd(path), size, offset)


def copy(path: Path | str, dest: Path | str) -> int:
    """Copy the whole of `path` (a live database file) to `dest`; returns the bytes
    copied. The caller keeps writers out meanwhile (the replicator's snapshot)."""
    fd = _fd(path)
    offset = 0
    with open(dest, "wb") as out:
        while chunk := os.pread(fd, COPY_CHUNK, offset):
            out.write(chunk)
            offset += len(chunk)
    return offset


def opening(db_path: Path | str) -> None:
    """Count a connection of this process to `db_path` (call before SQLite opens it)."""
    key = _key(db_path)
    with _lock:
        _users[key] = _users.get(key, 0) + 1


def closed(db_path: Path | str) -> None:
    """Count a connection to `db_path` gone (after SQLite closed it, or failed to open
    it). With the last one, the descriptors kept for the database's files are closed:
    no lock of this process on them is left to drop."""
    key = _key(db_path)
    with _lock:
        left = _users.get(key, 0) - 1
        if left > 0:
            _users[key] = left
            return
        _users.pop(key, None)
        for part in (key, key + "-shm"):
            fd = _fds.pop(part, None)
            if fd is not None:
                os.close(fd)


def open_descriptors() -> int:
    """How many descriptors are kept (for tests and `gvo status`)."""
    with _lock:
        return len(_fds)
