"""An instance directory: the control database, the master key and the school files.

Layout::

    <instance>/control.db            schools and their wrapped data keys
    <instance>/master.key            0600, unless GVO_MASTER_KEY, GVO_MASTER_KEY_FILE or a
                                     systemd credential gives it (keys.master_key_file)
    <instance>/schools/<slug>/school.db (+ -wal, -shm)
    <instance>/replicas/             the default replica target (same disk!)

Every file in it is 0600 and every folder 0700, whatever the umask (gvo/storage/files.py).
A thread keeps its connection to a school until it releases it (gvo/storage/pool.py);
`close_school` drops them all (needed before a rekey or a restore replaces the file).
A long-running server bounds them (`bound_resources`): connections unused for a while
are closed, and SQLite's page caches share one memory budget.
"""

import functools
import os
import re
import shutil
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

from gvo.core import clock, text
from gvo.core.errors import GvoError, InvalidInput, NotFound, SchoolMoved
from gvo.storage import files, keys, sqlcipher
from gvo.storage.pool import ConnectionPool, PoolSettings
from gvo.storage.sqlcipher import Connection, connect, migrate, transaction

SLUG_RULE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
# Top-level paths of the web app that a school's slug must not shadow.
RESERVED_SLUGS = frozenset({"static", "healthz", "admin", "api", "login", "logout", "operator"})
INSTANCE_ENV = "GVO_INSTANCE"
DEFAULT_INSTANCE = "instances"


def default_instance_dir() -> Path:
    """The instance directory from GVO_INSTANCE, else ./instances."""
    return Path(os.environ.get(INSTANCE_ENV) or DEFAULT_INSTANCE)


def check_slug(slug: str) -> str:
    """Return the slug if it is 2-40 lowercase letters, digits or hyphens, else raise."""
    if not (2 <= len(slug) <= 40) or not SLUG_RULE.match(slug) or "--" in slug:
        raise InvalidInput(
            f"invalid school slug {slug!r}: use 2-40 lowercase letters, digits and single "
            "hyphens, starting and ending with a letter or digit"
        )
    if slug in RESERVED_SLUGS:
        raise InvalidInput(f"{slug!r} is reserved by GVO; choose another slug")
    return slug


@dataclass(frozen=True)
class SchoolRecord:
    """A school as the control database knows it."""

    slug: str
    name: str
    key_version: int
    created_at: str
    moved_to: str | None = None  # moved to another server (`gvo school move`): its address


_SCHOOL_ROWS = ("SELECT s.slug, s.name, s.key_version, s.created_at, m.moved_to FROM schools s"
                " LEFT JOIN moved_schools m ON m.slug = s.slug")

_opened: "weakref.WeakValueDictionary[Path, Instance]" = weakref.WeakValueDictionary()
_opened_lock = threading.Lock()


@functools.lru_cache(maxsize=4096)
def _resolved(path: str) -> Path:
    return Path(path).resolve()


def owning(path: Path | str) -> "Instance | None":
    """The open Instance (in this process) whose directory holds `path` (a school's
    database file), or None: for work that has a school's connection and needs a key
    derived from its instance's master key (gvo.mail.volume's unsubscribe links)."""
    path = _resolved(str(path))
    with _opened_lock:
        for root, inst in list(_opened.items()):
            if path.is_relative_to(root):
                return inst
    return None


class Instance:
    """One instance directory, opened with its master key."""

    def __init__(self, path: Path | str, master_key: bytes):
        self.path = Path(path)
        self._master = master_key
        self._lock = threading.RLock()
        self._control: dict[int, Connection] = {}
        self._pool = ConnectionPool(self._open_school)
        self._cache_kib = sqlcipher.CACHE_KIB
        self._migrated: set[str] = set()
        self._closer: threading.Thread | None = None
        self._closing = threading.Event()
        self._school_keys: dict[str, bytes] = {}
        self._write_gates: dict[str, threading.Lock] = {}
        self._schools_seen = threading.local()  # `school`: this thread's records, their version
        self._schools_changed = 0
        self.control()  # fail early, and clearly, on a wrong key
        self._tighten_folders()
        with _opened_lock:
            _opened[self.path.resolve()] = self

    def _tighten_folders(self) -> None:
        """Folders of instances made before GVO set modes itself become 0700."""
        files.tighten(self.path, files.DIR_MODE)
        for folder in (self.path / "schools", self.path / "replication"):
            files.tighten(folder, files.DIR_MODE)
            if folder.is_dir():
                for child in folder.iterdir():
                    if child.is_dir():
                        files.tighten(child, files.DIR_MODE)

    # -- creation and opening ------------------------------------------------

    @classmethod
    def init(cls, path: Path | str, environ: dict | None = None) -> "Instance":
        """Make a new instance directory; refuse if one is already there."""
        path = Path(path)
        env = os.environ if environ is None else environ
        if (path / "control.db").exists():
            raise GvoError(f"an instance already exists at {path}; refusing to overwrite it")
        master, key_file = keys.master_key_for_init(path, env)
        files.private_dir(path)
        files.private_dir(path / "schools")
        if key_file is not None:
            keys.write_master_key_file(key_file, master)
        conn = connect(path / "control.db", keys.control_key(master), create=True)
        try:
            migrate(conn, "control")
            with transaction(conn):
                conn.execute(
                    "INSERT INTO instance_info(key, value) VALUES ('created_at', ?)", (clock.iso(),)
                )
        finally:
            conn.close()
        return cls(path, master)

    @classmethod
    def open(cls, path: Path | str | None = None, environ: dict | None = None) -> "Instance":
        """Open an existing instance with the master key from the environment or key file."""
        path = Path(path) if path else default_instance_dir()
        if not (path / "control.db").exists():
            raise GvoError(f"no instance at {path} (run: gvo --instance {path} init)")
        return cls(path, keys.load_master_key(path, environ))

    @property
    def master_key(self) -> bytes:
        """The master key (for the replicator's manifest and restores; never stored)."""
        return self._master

    # -- the control database ----------------------------------------------

    def control(self) -> Connection:
        """This thread's connection to the control database."""
        ident = threading.get_ident()
        conn = self._control.get(ident)
        if conn is None:
            conn = connect(self.path / "control.db", keys.control_key(self._master))
            migrate(conn, "control")
            with self._lock:
                self._control[ident] = conn
        return conn

    def schools(self, *, moved: bool = False) -> list[SchoolRecord]:
        """Every school this instance serves, by slug; with moved=True also those that moved
        to another server (`gvo school move`: their records and files stay here, but they
        are opened, replicated and mailed from their new server only)."""
        rows = self.control().execute(_SCHOOL_ROWS + " ORDER BY s.slug").fetchall()
        return [SchoolRecord(**dict(r)) for r in rows if moved or r["moved_to"] is None]

    def school(self, slug: str) -> SchoolRecord:
        """One school's record; NotFound if there is none.

        Every request looks its school up (its session, then its URL), so the records
        read are kept per thread, and trusted only while the control database is
        unchanged: SQLite's `PRAGMA data_version` on the thread's connection moves when
        any other connection, in this process or another (`gvo school create`, `gvo
        restore`), commits to it, and `_schools_changed` is bumped by this process's own
        writes (which do not move the writing connection's own data_version). So a
        school created, restored, renamed or removed is seen by the next request, and an
        unchanged control database costs one PRAGMA instead of a query per look-up.
        Slugs that are not schools are not kept (the cache holds only schools).
        """
        conn = self.control()
        version = (conn.execute("PRAGMA data_version").fetchone()[0], self._schools_changed)
        seen = self._schools_seen.__dict__
        if seen.get("version") != version:
            seen["version"], seen["records"] = version, {}
        record = seen["records"].get(slug)
        if record is None:
            row = conn.execute(_SCHOOL_ROWS + " WHERE s.slug = ?", (slug,)).fetchone()
            if row is None:
                raise NotFound(f"no school {slug!r} in this instance")
            record = seen["records"][slug] = SchoolRecord(**dict(row))
        return record

    def has_school(self, slug: str) -> bool:
        """Whether a school with this slug exists (as `school`, from the same records)."""
        try:
            self.school(slug)
        except NotFound:
            return False
        return True

    def _forget_schools(self) -> None:
        """The control database's schools changed in this process: every thread reads
        them again (see `school`)."""
        with self._lock:
            self._schools_changed += 1

    # -- school databases --------------------------------------------------

    def school_dir(self, slug: str) -> Path:
        """The folder holding a school's database files."""
        return self.path / "schools" / check_slug(slug)

    def school_path(self, slug: str) -> Path:
        """The school's database file."""
        return self.school_dir(slug) / "school.db"

    def school_key(self, slug: str) -> bytes:
        """The school's data key, unwrapped with the master key (cached)."""
        with self._lock:
            if slug in self._school_keys:
                return self._school_keys[slug]
        row = self.control().execute(
            "SELECT wrapped_key FROM schools WHERE slug = ?", (slug,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no school {slug!r} in this instance")
        key = keys.unwrap_school_key(self._master, slug, row["wrapped_key"])
        with self._lock:
            self._school_keys[slug] = key
        return key

    def wrapped_school_key(self, slug: str) -> tuple[bytes, int]:
        """The school's wrapped data key and its version, as stored in the control DB."""
        row = self.control().execute(
            "SELECT wrapped_key, key_version FROM schools WHERE slug = ?", (slug,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no school {slug!r} in this instance")
        return bytes(row["wrapped_key"]), row["key_version"]

    def db(self, slug: str) -> Connection:
        """This thread's connection to a school's database (opened and migrated on first use).

        The thread keeps the same connection until it calls `release`.
        """
        return self._pool.get(slug)

    def _open_school(self, slug: str) -> Connection:
        moved_to = self.school(slug).moved_to
        if moved_to:
            raise SchoolMoved(slug, moved_to)
        conn = connect(self.school_path(slug), self.school_key(slug), cache_kib=self._cache_kib)
        if slug not in self._migrated:
            try:
                migrate(conn, "school")
            except BaseException:
                conn.close()
                raise
            self._migrated.add(slug)
        return conn

    def release(self) -> None:
        """Give this thread's school connections back to the pool (end of a request)."""
        self._pool.release()

    def bound_resources(self, *, cache_mb: int, threads: int, idle_seconds: float,
                        max_idle: int | None = None) -> None:
        """Settings for a long-running server with any number of schools.

        cache_mb: the page-cache budget of the whole process (MiB). SQLite's soft heap
        limit is set to it, so caches stop growing once SQLite's memory reaches it, and
        one connection's cache is at most cache_mb / threads (and 64 MiB).
        idle_seconds: a released connection unused this long is closed (a thread closes
        them every few seconds). max_idle: released connections kept at most
        (default 2 x threads, at least 16).
        """
        self._cache_kib = sqlcipher.cache_kib_per_connection(cache_mb, threads)
        sqlcipher.limit_memory(self.control(), cache_mb)
        self._pool.settings = PoolSettings(idle_seconds, max_idle or max(16, 2 * threads))
        if self._closer is None:
            self._closer = threading.Thread(target=self._close_idle_loop, daemon=True,
                                            name="gvo-idle-connections")
            self._closer.start()

    def _close_idle_loop(self) -> None:
        while not self._closing.wait(min(5.0, max(0.05, self._pool.settings.idle_seconds / 4))):
            self._pool.close_idle()

    def connection_counts(self) -> dict[str, int]:
        """School connections held by threads and waiting in the pool."""
        return self._pool.counts()

    def open_schools(self) -> set[str]:
        """Schools this process has a connection to right now."""
        return self._pool.open_schools()

    def used_schools(self) -> set[str]:
        """Schools this process opened a connection to (the CLI ships them afterwards)."""
        return self._pool.used_schools()

    def write_gate(self, slug: str) -> threading.Lock:
        """A lock the replicator holds while it snapshots; writers in this process may take it."""
        with self._lock:
            return self._write_gates.setdefault(slug, threading.Lock())

    def close_school(self, slug: str) -> None:
        """Close every pooled connection to a school (before a rekey or a file swap)."""
        self._pool.close_school(slug)
        with self._lock:
            self._school_keys.pop(slug, None)
            self._migrated.discard(slug)

    def pause_school(self, slug: str) -> None:
        """Hand out no connection to the school in this process (SchoolUnavailable) until
        `resume_school`: the start of a live rekey or move (gvo.replication.live)."""
        self._pool.pause(slug)

    def resume_school(self, slug: str) -> None:
        """Hand out the school's connections again (after `pause_school`)."""
        self._pool.resume(slug)

    def wait_released(self, slug: str, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the threads of this process to release the
        school's connections (the requests in flight to finish); whether they all did."""
        deadline = time.monotonic() + timeout
        while self._pool.held_for(slug):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def mark_moved(self, slug: str, moved_to: str, also=None) -> None:
        """Record that the school is now served at `moved_to`: this instance opens it no more
        (SchoolMoved), and replicates it no more (its replica is the new server's now).
        `also(control)` runs in the same transaction (the operator log's entry)."""
        self.school(slug)
        with transaction(self.control()) as control:
            control.execute("INSERT OR REPLACE INTO moved_schools(slug, moved_to, moved_at)"
                            " VALUES (?, ?, ?)", (slug, moved_to, clock.iso()))
            if also is not None:
                also(control)
        self._forget_schools()
        self.close_school(slug)

    def close(self) -> None:
        """Close every pooled connection (and stop closing idle ones)."""
        self._closing.set()
        if self._closer is not None and self._closer is not threading.current_thread():
            self._closer.join()
        self._closer = None
        self._closing.clear()
        self._pool.close_all()
        with self._lock:
            for conn in self._control.values():
                conn.close()
            self._control.clear()
            # The records were checked against connections now closed (a new connection's
            # data_version starts afresh): read them again.
            self._schools_seen = threading.local()

    def create_school(self, slug: str, name: str) -> SchoolRecord:
        """A new school database with a random data key, stored only wrapped."""
        check_slug(slug)
        name = text.one_line(name)
        if not name or len(name) > 120:
            raise InvalidInput("a school needs a name of 1-120 characters")
        if self.has_school(slug):
            raise InvalidInput(f"a school with slug {slug!r} already exists")
        folder = self.school_dir(slug)
        if folder.exists() and any(folder.iterdir()):
            raise InvalidInput(f"{folder} already holds files; refusing to overwrite them")
        data_key = keys.new_key()
        wrapped = keys.wrap_school_key(self._master, slug, data_key)
        files.private_dir(folder)
        try:
            conn = connect(folder / "school.db", data_key, create=True)
            try:
                migrate(conn, "school")
                with transaction(conn):
                    conn.executemany(
                        "INSERT INTO settings(key, value) VALUES (?, ?)",
                        [("name", name), ("slug", slug), ("mfa_policy", "required")],
                    )
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
            with transaction(self.control()) as control:
                control.execute(
                    "INSERT INTO schools(slug, name, wrapped_key, key_version, created_at)"
                    " VALUES (?, ?, ?, 1, ?)",
                    (slug, name, wrapped, clock.iso()),
                )
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            self._forget_schools()
        return self.school(slug)

    def register_school(self, slug: str, name: str, wrapped_key: bytes, key_version: int,
                        also=None) -> None:
        """Record a school whose files are already in place (a restore), or replace its key;
        a school that had moved away is served here again. `also(control)` runs in the same
        transaction (the operator log's entry)."""
        check_slug(slug)
        with transaction(self.control()) as control:
            updated = control.execute(
                "UPDATE schools SET name = ?, wrapped_key = ?, key_version = ? WHERE slug = ?",
                (name, wrapped_key, key_version, slug),
            ).rowcount
            if not updated:
                control.execute(
                    "INSERT INTO schools(slug, name, wrapped_key, key_version, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (slug, name, wrapped_key, key_version, clock.iso()),
                )
            # A school restored here is served here (a school moved back, say).
            control.execute("DELETE FROM moved_schools WHERE slug = ?", (slug,))
            if also is not None:
                also(control)
        self._forget_schools()
        with self._lock:
            self._school_keys.pop(slug, None)

    def unregister_school(self, slug: str, also=None) -> None:
        """Remove a school's row, its wrapped data key with it, from the control database
        for good (gvo.lifecycle.delete): SQLite's secure_delete overwrites the freed bytes,
        and the WAL, which may still hold the old page, is checkpointed and cut to nothing.
        `also(control)` runs in the same transaction (the operator log's entry). Its files
        are not touched."""
        check_slug(slug)
        self.close_school(slug)
        control = self.control()
        control.execute("PRAGMA secure_delete = ON")
        try:
            with transaction(control):
                control.execute("DELETE FROM schools WHERE slug = ?", (slug,))
                if also is not None:
                    also(control)
        finally:
            control.execute("PRAGMA secure_delete = OFF")
            self._forget_schools()
        control.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()

    def school_size(self, slug: str) -> int:
        """Bytes on disk of the school's database files."""
        folder = self.school_dir(slug)
        return sum(p.stat().st_size for p in folder.glob("school.db*") if p.is_file())
