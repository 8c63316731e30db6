"""Opening SQLCipher databases with GVO's settings, and running migrations.

Every connection: raw key first (no PBKDF2: ~0.3 ms instead of ~200 ms), then
WAL, foreign keys, a busy timeout, in-memory temp storage (no plaintext temp
files) and no automatic checkpoints (the replicator owns checkpoints).
"""

import contextlib
import functools
import logging
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import sqlcipher3

from gvo.core import text
from gvo.core.errors import GvoError, WrongMasterKey
from gvo.storage import files, live_files

Connection = sqlcipher3.Connection
DatabaseError = sqlcipher3.DatabaseError
IntegrityError = sqlcipher3.IntegrityError
OperationalError = sqlcipher3.OperationalError
Row = sqlcipher3.Row


class _Counted(sqlcipher3.Connection):
    """A connection that tells `live_files` when it is gone, so the descriptors the
    replicator keeps for the database's files close only after the process's last
    connection to it (closing one earlier would drop SQLite's locks: see live_files)."""

    _db_path: str | None = None

    def close(self) -> None:
        """Close the connection (again: nothing)."""
        super().close()
        path, self._db_path = self._db_path, None
        if path is not None:
            live_files.closed(path)

BUSY_TIMEOUT_MS = 10_000
# Compiled statements each connection keeps, by SQL text. sqlcipher3's cache (pysqlite's
# old one) keeps the most used; once full, a statement not in it is compiled, stored in
# the last place and pushed out by the next such statement, so every statement outside
# the first N compiles again at every use (0.05 to 0.7 ms each: the visibility CTE, the
# news). The app runs a few hundred distinct statements, so the cache holds them all; a
# compiled statement takes a few KiB (docs/decisions/0008-fast-pages.md).
CACHED_STATEMENTS = 1024
# Encrypted pages cost a decrypt each time they are read from the OS cache,
# so a larger page cache is what brings encrypted reads near plain SQLite
# (scripts/bench/storage.py measures it). At most 64 MiB per connection, allocated lazily;
# a server shares one budget between all its connections (cache_kib_per_connection,
# limit_memory; docs/decisions/0007-many-schools-one-server.md).
CACHE_KIB = 65_536
MIN_CACHE_KIB = 2_048  # SQLite's stock default: below it, even small schools decrypt often
# SQLite reuses the WAL file from its start after a checkpoint and never
# shrinks it: without a limit, one large upload would leave a WAL that big
# beside the school for good. Past this size it is cut back when it restarts.
WAL_SIZE_LIMIT = 64 * 1024 * 1024

# Cipher settings, applied after the key on every open (SQLCipher cannot read them from an
# encrypted file). 2048-byte pages with HMAC-SHA256 halve the per-commit encryption cost of
# SQLCipher 4's defaults (4096, HMAC-SHA512) for GVO's small transactions; HMAC-SHA256 tags
# still authenticate every page. docs/decisions/0005-cipher-page-size-and-hmac.md has the numbers.
CIPHER_PAGE_SIZE = 2048
CIPHER_HMAC = "HMAC_SHA256"
CIPHER_SETTINGS = (
    f"PRAGMA cipher_page_size = {CIPHER_PAGE_SIZE}",
    f"PRAGMA cipher_hmac_algorithm = {CIPHER_HMAC}",
)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


# SQLite's primary result codes for "another connection holds the lock"
# (sqlite.org/rescode.html); extended codes keep the primary one in their low byte.
SQLITE_BUSY, SQLITE_LOCKED = 5, 6


def is_busy(error: BaseException) -> bool:
    """Whether a database error means the lock stayed held for the whole busy timeout."""
    code = getattr(error, "sqlite_errorcode", None) or 0
    return isinstance(error, OperationalError) and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)


def key_pragma(key: bytes) -> str:
    """The raw-key PRAGMA for a 256-bit key (hex digits only: safe to format)."""
    if len(key) != 32:
        raise ValueError("SQLCipher keys are 32 bytes")
    return f"PRAGMA key = \"x'{key.hex()}'\""


def cache_kib_per_connection(budget_mb: int, threads: int) -> int:
    """One connection's page cache (KiB) when budget_mb is shared by `threads` request
    threads: budget / threads, between 2 MiB and 64 MiB."""
    share = budget_mb * 1024 // max(1, threads)
    return max(MIN_CACHE_KIB, min(CACHE_KIB, share))


def limit_memory(conn: Connection, budget_mb: int) -> None:
    """Set SQLite's soft heap limit for the whole process to budget_mb MiB.

    Once SQLite's memory (page caches, mostly) reaches it, each page cache reuses its
    own least recently used pages instead of growing (sqlite.org/c3ref/hard_heap_limit64.html).
    The limit is process-wide: any connection sets it for all.
    """
    conn.execute(f"PRAGMA soft_heap_limit = {int(budget_mb) * 1024 * 1024}").fetchone()


def connect(path: Path | str, key: bytes, *, create: bool = False,
            cache_kib: int = CACHE_KIB) -> Connection:
    """Open (or, with create=True, make) an encrypted database with GVO's settings.

    A key that does not open the file raises WrongMasterKey; the file is not changed.
    The file, its -wal and its -shm are readable by their owner only (0600): a new
    database is made 0600 before SQLite opens it (SQLite gives -wal and -shm the mode
    of the database), and older ones are tightened.
    """
    path = Path(path)
    if not create and not path.exists():
        raise GvoError(f"database not found: {path}")
    if create:
        files.create_file(path)  # SQLite takes an empty file as a new database
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        files.tighten(part, files.FILE_MODE)
    live_files.opening(path)
    try:
        conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False,
                                  factory=_Counted, cached_statements=CACHED_STATEMENTS)
    except BaseException:
        live_files.closed(path)
        raise
    conn._db_path = str(path)
    try:
        # SQLCipher logs decryption failures to stderr; GVO reports them itself, once.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(key_pragma(key))
        for setting in CIPHER_SETTINGS:
            conn.execute(setting)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError:
            raise WrongMasterKey(
                f"the key does not open {path.name} (wrong master key, or not a GVO database)"
            ) from None
        apply_settings(conn, cache_kib)
    except BaseException:
        conn.close()
        raise
    conn.row_factory = sqlcipher3.Row
    return conn


def apply_settings(conn: Connection, cache_kib: int = CACHE_KIB) -> None:
    """GVO's per-connection settings (after the key); cache_kib is the page cache's size."""
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA cache_size = -{int(cache_kib)}")


_AFTER_COMMIT = "_gvo_after_commit"


def database_path(conn: Connection) -> str | None:
    """The file a connection opened with `connect` is to (None once it is closed)."""
    return getattr(conn, "_db_path", None)


def after_commit(conn: Connection, hook) -> None:
    """Call `hook()` once the write transaction `conn` is in commits (at once if it is in
    none, or if `conn` was not opened by `connect`); forgotten if it rolls back. For hints
    to other threads that something committed (the mail sender is woken so), never for
    work that must happen: a crash between the commit and the call loses the call."""
    hooks = getattr(conn, "__dict__", None)
    if not conn.in_transaction or hooks is None:
        hook()
        return
    hooks.setdefault(_AFTER_COMMIT, []).append(hook)


def _take_hooks(conn: Connection) -> list:
    """The hooks given to `after_commit` in the transaction that just ended (forgotten)."""
    return getattr(conn, "__dict__", {}).pop(_AFTER_COMMIT, [])


@contextlib.contextmanager
def transaction(conn: Connection) -> Iterator[Connection]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception; after the COMMIT the hooks
    given to `after_commit` inside it run."""
    conn.execute("BEGIN IMMEDIATE")
    _take_hooks(conn)
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        _take_hooks(conn)
        raise
    conn.execute("COMMIT")
    for hook in _take_hooks(conn):
        try:
            hook()
        except Exception:  # committed: a hint that fails must not look like a failed write
            logging.getLogger("gvo.storage").exception("after-commit hook failed")


@functools.cache
def migrations(kind: str) -> list[tuple[int, str, str]]:
    """The numbered migrations for a database kind ('control' or 'school'), in order
    (read once per process: they ship with the code)."""
    folder = resources.files("gvo.storage") / "migrations" / kind
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text()))
    found.sort()
    numbers = [n for n, _, _ in found]
    # Numbers may skip (work on separate branches reserves them) but never repeat.
    if len(set(numbers)) != len(numbers) or (numbers and numbers[0] != 1):
        raise GvoError(f"{kind} migrations must start at 1 and not repeat: {numbers}")
    return found


def _migration_functions(conn: Connection) -> None:
    """SQL functions migrations may call: gvo.core.text's rules, so data already stored is
    brought to them the same way as new data (deterministic: safe in any statement)."""
    conn.create_function("gvo_folded_words", 1, text.folded_words, deterministic=True)
    conn.create_function("gvo_safe_filename", 1, text.safe_filename, deterministic=True)


def migrate(conn: Connection, kind: str) -> int:
    """Apply the migrations newer than the database's user_version; returns the new version."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    pending = [m for m in migrations(kind) if m[0] > current]
    if not pending:
        return current
    _migration_functions(conn)
    with transaction(conn):
        # Another process may have migrated while we waited for the write lock.
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        for number, _name, sql in pending:
            if number <= current:
                continue
            for statement in _split_sql(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(number)}")
            current = number
    return current


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlcipher3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not buffer.strip().startswith("--"):
        statements.append(buffer.strip())
    return statements
