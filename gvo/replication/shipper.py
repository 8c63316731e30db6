"""One school's replicator: ships committed WAL frames, checkpoints, starts generations.

Continuity rule: a generation may go on only while every change to the
database file since its last segment was made by this replicator. The
database file only changes at checkpoints, and only the replicator
checkpoints (every connection runs with wal_autocheckpoint=0), so the file's
identity (size, mtime, inode) recorded at each checkpoint proves it. A WAL
restart (new salts) is then safe: SQLite restarts the WAL only once every
frame is in the database file, and those frames were shipped before the
replicator's checkpoint. Anything else (the file changed under us, the
position we recorded is gone, a rekey) starts a new generation.
"""

import contextlib
import fcntl
import hashlib
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from gvo.replication import manifest as mf
from gvo.replication import segment, wal
from gvo.replication.targets import Target, TargetError
from gvo.storage import files, live_files
from gvo.storage.sqlcipher import BUSY_TIMEOUT_MS, MIN_CACHE_KIB, OperationalError, connect

log = logging.getLogger("gvo.replication")

CHECKPOINT_WAL_BYTES = 4 * 1024 * 1024  # shipped, not yet copied into the database file
RESTART_WAL_BYTES = 64 * 1024 * 1024  # past this, block writers briefly so the WAL restarts
LOCK_POLL_SECONDS = 0.0002
LOCK_POLL_FOR_SECONDS = 2.0
RETENTION_SECONDS = 30 * 24 * 3600
COMPACT_SHARE = 0.5  # a new snapshot when segments pass half the database size...
COMPACT_MIN_SECONDS = 24 * 3600  # ...at most daily
MANIFEST_EVERY_SECONDS = 1.0
MAX_SEGMENT_BYTES = 8 * 1024 * 1024  # a backlog ships as several segments
CATCH_UP_ROUNDS = 2
PINNED_ROUNDS = 8  # rounds to ship up to a pinned read snapshot before giving up on it
RETENTION_EVERY_SECONDS = 3600.0


class Busy(Exception):
    """Another process replicates this school right now."""


def file_identity(path: Path) -> tuple[int, int, int]:
    """(size, mtime_ns, inode): changes whenever anyone writes or replaces the file."""
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ino)


SERVER_LOCK = "serve.lock"


class Locks:
    """Lock files held together; close() releases them all."""

    def __init__(self, *held):
        self.held = list(held)

    def close(self) -> None:
        """Release every lock (closing a file releases its flock)."""
        while self.held:
            self.held.pop().close()


def _flock(path: Path, how: int):
    f = files.open_private(path, "a+")  # held until the caller closes it
    try:
        fcntl.flock(f, how)
    except BlockingIOError:
        f.close()
        raise
    return f


def acquire_lock(instance_path: Path, slug: str, *, wait: bool = False) -> Locks:
    """The school's replication lock, for a one-off replicator (a CLI command).

    Two locks: the instance's server lock, shared (so no `gvo serve` replicates
    the instance meanwhile), then the school's own, exclusive (one CLI replicator
    per school). Returns them held; closing the result releases both. Raises
    Busy if a running server replicates the instance, or (unless wait) another
    process this school.
    """
    lock_dir = files.private_dir(Path(instance_path) / "replication")
    try:
        server = _flock(lock_dir / SERVER_LOCK, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        raise Busy(f"school {slug} is replicated by the running server") from None
    try:
        school = _flock(lock_dir / f"{slug}.lock",
                        fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        server.close()
        raise Busy(f"school {slug} is being replicated by another process") from None
    return Locks(server, school)


def acquire_server_lock(instance_path: Path) -> Locks:
    """The instance's server lock, exclusive: this process replicates every school.

    One open file whatever the number of schools. Raises Busy while another
    server replicates the instance or a CLI command ships a school.
    """
    lock_dir = files.private_dir(Path(instance_path) / "replication")
    try:
        return Locks(_flock(lock_dir / SERVER_LOCK, fcntl.LOCK_EX | fcntl.LOCK_NB))
    except BlockingIOError:
        raise Busy("another process replicates this instance") from None


def server_running(instance_path: Path) -> bool:
    """Whether a `gvo serve` (or `gvo replicate`) replicates the instance right now."""
    path = Path(instance_path) / "replication" / SERVER_LOCK
    if not path.exists():
        return False
    try:
        _flock(path, fcntl.LOCK_SH | fcntl.LOCK_NB).close()
    except BlockingIOError:
        return True
    return False


@dataclass
class Position:
    """Where shipping stands in the live WAL."""

    wal_header: bytes | None  # header of the WAL the position is in (None: no WAL yet)
    next_frame: int
    checksum: tuple[int, int]
    db_stat: tuple[int, int, int]


@dataclass
class Options:
    """Tunables (tests and the benchmark shrink them)."""

    checkpoint_wal_bytes: int = CHECKPOINT_WAL_BYTES
    restart_wal_bytes: int = RESTART_WAL_BYTES
    retention_seconds: float = RETENTION_SECONDS
    compact_share: float = COMPACT_SHARE
    compact_min_seconds: float = COMPACT_MIN_SECONDS


class SchoolShipper:
    """Replicates one school's database to a target. Not thread-safe: one thread drives it."""

    def __init__(self, instance, slug: str, target: Target, options: Options | None = None):
        self.instance = instance
        self.slug = slug
        self.target = target
        self.options = options or Options()
        self.db_path: Path = instance.school_path(slug)
        self.wal_path = Path(str(self.db_path) + "-wal")
        self.shm_path = Path(str(self.db_path) + "-shm")
        self.scanner = wal.WalScanner(self.wal_path)
        self.manifest: mf.Manifest | None = None
        self.generation: mf.Generation | None = None
        self.seq = 0
        self.pos: Position | None = None
        self.segment_bytes = 0
        self.need_generation: str | None = "first start"
        self.last_commit_at: float | None = None
        self.caught_up_at: float | None = None
        self.last_error: str | None = None
        self.failing_since: float | None = None
        self._manifest_dirty = False
        self._manifest_saved_at = 0.0
        self._retention_at = 0.0
        self._conn = None  # keeps the WAL from being checkpointed away by a last close
        self._ckpt_conn = None
        self._lock_file = None
        self._drained = False  # the last _ship() saw the end of the committed frames
        self._checkpointed: tuple[bytes, int] | None = None  # (WAL header, next frame)
        self.checkpoint_complete = False  # the last checkpoint copied the whole WAL
        self.frames_shipped = 0  # WAL frames shipped since this shipper began

    # -- lifecycle ---------------------------------------------------------

    def open(self, *, wait: bool = False, lock: bool = True) -> None:
        """Take the school's replication lock and open the replicator's connections.

        lock=False: the caller holds the instance's server lock (acquire_server_lock).
        """
        if lock:
            self._lock_file = acquire_lock(self.instance.path, self.slug, wait=wait)
        try:
            self.open_connections()
        except BaseException:
            self.close()
            raise

    @property
    def is_open(self) -> bool:
        """Whether the replicator's connections are open."""
        return self._conn is not None

    def open_connections(self) -> None:
        """Open the two connections (a small page cache: they read little through it)."""
        if self._conn is not None:
            return
        key = self.instance.school_key(self.slug)
        self._conn = connect(self.db_path, key, cache_kib=MIN_CACHE_KIB)
        try:
            self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            self._ckpt_conn = connect(self.db_path, key, cache_kib=MIN_CACHE_KIB)
        except BaseException:
            self.close_connections()
            raise

    def close_connections(self) -> None:
        """Close the connections; the position and the manifest stay in memory."""
        for conn in (self._conn, self._ckpt_conn):
            if conn is not None:
                conn.close()
        self._conn = self._ckpt_conn = None

    def settle(self) -> bool:
        """Ship everything, checkpoint the whole WAL and close the connections (an idle
        school). Returns False, leaving them open, if that could not be done now.

        Only after a complete checkpoint: the last connection to close may
        checkpoint (SQLite does, on close), and with every frame already copied
        it copies nothing, so the database file stays as the replicator left it.
        """
        if not self.step(checkpoint=True) or not (self._drained and self.checkpoint_complete):
            return False
        self.close_connections()
        return True

    def close(self) -> None:
        """Close connections and release the lock."""
        self.close_connections()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    # -- status --------------------------------------------------------------

    def lag(self, now: float | None = None) -> float:
        """Seconds since the replica last held every committed transaction."""
        now = time.time() if now is None else now
        if self.caught_up_at is None:
            return float("inf")
        return max(0.0, now - self.caught_up_at)

    def _ok(self) -> None:
        if self.last_error is not None:
            log.info("replication of %s to %s recovered", self.slug, self.target.url)
        self.last_error = None
        self.failing_since = None

    def _failed(self, exc: Exception) -> None:
        message = str(exc)
        if self.last_error is None:
            log.warning("replication of %s to %s failing: %s", self.slug, self.target.url,
                        message)
            self.failing_since = time.time()
        elif message != self.last_error:
            log.warning("replication of %s: %s", self.slug, message)
        self.last_error = message

    # -- one round -------------------------------------------------------------

    def step(self, *, checkpoint: bool = False) -> bool:
        """Ship what is committed; start a generation or checkpoint when due.

        Returns True when the round succeeded (the target took everything due).
        Target errors are recorded, never raised: the office keeps serving.
        """
        try:
            if self.manifest is None:
                self._resume()
            if self.need_generation:
                self._new_generation(self.need_generation)
            else:
                self._check_continuity()
                if self.need_generation:
                    self._new_generation(self.need_generation)
            self._ship()
            due = self._wal_bytes(since_checkpoint=True) > self.options.checkpoint_wal_bytes
            if checkpoint or due:
                self._checkpoint(restart=checkpoint)
            now = time.time()
            if self._compaction_due(now):
                self._new_generation("compaction")
            if now - self._retention_at > RETENTION_EVERY_SECONDS:
                self._apply_retention(now)
            if self._manifest_dirty and (checkpoint or now - self._manifest_saved_at
                                         >= MANIFEST_EVERY_SECONDS):
                self._save_manifest()
        except (TargetError, mf.ManifestError, wal.WalError, OSError) as exc:
            self._failed(exc)
            return False
        self._ok()
        return True

    # -- continuity --------------------------------------------------------------

    def _resume(self) -> None:
        """Load the manifest and the last segment; decide whether the generation goes on."""
        rec = self.instance.school(self.slug)
        m = mf.load(self.target, self.slug) or mf.Manifest(self.slug)
        if m.set_name(self.instance.master_key, rec.name) and m.generations:
            self._manifest_dirty = True  # renamed, or a format 1 manifest: saved sealed soon
        self.manifest = m
        gen = m.current()
        if gen is None:
            self.need_generation = "first start"
            return
        if gen.key_version != rec.key_version:
            self.need_generation = f"data key changed (version {rec.key_version})"
            return
        segs = self.target.list(mf.segments_prefix(self.slug, gen.id))
        if not segs:
            self.need_generation = "the last generation has no segments"
            return
        try:
            with self.target.open_stream(segs[-1].key) as src:
                last = segment.read_stream(src)
        except segment.SegmentError as exc:
            self.need_generation = f"the last segment is unreadable ({exc})"
            return
        self.generation = gen
        self.seq = last.seq
        self.segment_bytes = sum(o.size for o in segs)
        self.pos = Position(last.wal_header, last.next_frame, tuple(last.end_checksum),
                            tuple(last.db_stat))
        self.last_commit_at = m.shipped.get("last_commit_at")
        self.need_generation = None
        self._check_continuity()

    def _check_continuity(self) -> None:
        """Set need_generation when the live files no longer follow from our position."""
        pos = self.pos
        try:
            ident = file_identity(self.db_path)
        except FileNotFoundError:
            self.need_generation = "the database file is gone"
            return
        if ident != pos.db_stat:
            self.need_generation = "the database file changed outside the replicator"
            return
        hdr = wal.read_header(self.wal_path)
        if hdr is None or pos.wal_header is None or hdr.raw != pos.wal_header:
            return  # a restarted or new WAL: safe while the database file is unchanged
        if pos.next_frame > 1:
            # The last frame we shipped must still be there, unchanged.
            offset = wal.WAL_HEADER_SIZE + (pos.next_frame - 2) * hdr.frame_size
            try:
                with open(self.wal_path, "rb") as f:
                    f.seek(offset)
                    fh = wal.parse_frame_header(f.read(wal.WAL_FRAME_HEADER_SIZE))
            except Exception:  # short read, or an unreadable WAL: the position is lost
                fh = None
            if fh is None or (fh.checksum1, fh.checksum2) != tuple(pos.checksum):
                self.need_generation = "the shipped position is no longer in the WAL"

    # -- shipping ------------------------------------------------------------------

    def _covers(self, committed: "wal.IndexEnd | None") -> bool:
        """Whether every frame SQLite counts as committed (per its WAL index) is shipped."""
        if committed is None:
            return False
        pos = self.pos
        if committed.max_frame == 0:
            return True
        if pos.wal_header is None:
            return False
        hdr = wal.parse_header(pos.wal_header)
        return hdr.salts == committed.salts and pos.next_frame - 1 >= committed.max_frame

    def _wal_bytes(self, *, since_checkpoint: bool = False) -> int:
        """Bytes of frames in the current WAL up to the shipped position (or only those
        shipped since the last checkpoint: the WAL file's size says nothing, as SQLite
        reuses it from the start after a checkpoint without shrinking it)."""
        pos = self.pos
        if pos is None or pos.wal_header is None:
            return 0
        done = self._checkpointed
        first = (done[1] if since_checkpoint and done is not None and done[0] == pos.wal_header
                 else 1)
        return max(0, pos.next_frame - first) * wal.parse_header(pos.wal_header).frame_size

    def _ship(self) -> int:
        """Ship committed frames past the position as one segment; returns WAL frames shipped.

        A run read whole by the scan ships from memory, coalesced to each page's
        last version (wal.coalesce); a longer one is streamed from the WAL as it is.
        caught_up_at moves only when the scan reached the end of the committed
        frames: while a backlog remains, the lag keeps growing.
        """
        pos = self.pos
        self._drained = False
        scan_at = time.time()
        hdr = wal.read_header(self.wal_path)
        if hdr is None:
            self.caught_up_at = scan_at
            self._drained = True
            return 0
        if pos.wal_header != hdr.raw:
            start, prev = 1, (hdr.checksum1, hdr.checksum2)
        else:
            start, prev = pos.next_frame, pos.checksum
        run = self.scanner.scan(hdr, start, prev, MAX_SEGMENT_BYTES)
        read_at = time.time()
        if run.nframes == 0:
            self.caught_up_at = scan_at
            self._drained = True
            return 0
        commits = [(off, size, read_at) for off, size in run.commits]
        wal_frames = None
        if run.held is not None:
            frames, kept = wal.coalesce(run.held, hdr)
            if kept < run.nframes:
                wal_frames = run.nframes
                commits = [(kept - 1, run.commits[-1][1], read_at)]
            chunks = (frames,)
        else:
            kept = run.nframes
            chunks = self.scanner.chunks(hdr, start, run.nframes, run.end_checksum)
        seg = segment.Segment(self.generation.id, self.seq + 1, hdr.raw, start, prev,
                              run.end_checksum, commits, pos.db_stat, stamped_at=read_at,
                              frame_bytes=kept * hdr.frame_size, wal_frames=wal_frames)
        try:
            with self.target.writer(mf.segments_prefix(self.slug, self.generation.id)
                                    + seg.key_name()) as out:
                size = seg.write(out, chunks)
        except wal.WalChanged as exc:
            log.info("replication of %s: %s; shipping again", self.slug, exc)
            return 0
        self.seq += 1
        self.segment_bytes += size
        self.frames_shipped += run.nframes
        self.pos = Position(hdr.raw, start + run.nframes, run.end_checksum, pos.db_stat)
        self.last_commit_at = read_at
        if run.at_end:
            self.caught_up_at = scan_at
        self._manifest_dirty = True
        self._drained = run.at_end
        return run.nframes

    def _put_marker(self) -> None:
        """A frameless segment recording the position and the database file's identity."""
        pos = self.pos
        hdr_raw = pos.wal_header
        if hdr_raw is None:
            hdr_raw = _placeholder_header()
        now = time.time()
        seg = segment.Segment(self.generation.id, self.seq + 1, hdr_raw, pos.next_frame,
                              tuple(pos.checksum), tuple(pos.checksum), [], pos.db_stat,
                              b"", stamped_at=now)
        self.target.put(mf.segments_prefix(self.slug, self.generation.id) + seg.key_name(),
                        seg.encode())
        self.seq += 1

    @contextlib.contextmanager
    def _writers_blocked(self):
        """Hold the write lock: no transaction can commit until we let go."""
        self._begin_immediate()
        try:
            yield
        finally:
            self._conn.execute("ROLLBACK")

    def _begin_immediate(self) -> None:
        """Take the write lock, even from a writer that never pauses.

        SQLite's busy handler sleeps ever longer between tries (up to 100 ms),
        and a steady stream of short transactions wins nearly every race
        against it; trying every LOCK_POLL_SECONDS gets in between two of them.
        """
        conn = self._conn
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            deadline = time.monotonic() + LOCK_POLL_FOR_SECONDS
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    return
                except OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > deadline:
                        break
                time.sleep(LOCK_POLL_SECONDS)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("BEGIN IMMEDIATE")  # then wait the usual way

    @contextlib.contextmanager
    def _snapshot_pinned(self):
        """Hold a read transaction: its snapshot's end is the furthest a checkpoint copies.

        SQLite's checkpoint never copies a frame past the oldest WAL snapshot in
        use (a reader still needs the older pages in the database file), and no
        writer restarts the WAL while such a reader exists. A reader that began
        with the WAL wholly copied (read-lock 0) reads the database file alone:
        then a checkpoint copies nothing at all while it is held, which is
        also safe (sqlite.org/wal.html; walCheckpoint in SQLite's wal.c).
        """
        self._conn.execute("BEGIN")
        try:
            self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            yield
        finally:
            self._conn.execute("ROLLBACK")

    def _checkpoint(self, *, restart: bool = False) -> None:
        """Copy shipped frames into the database file; record the file's new identity.

        Writers go on meanwhile: a snapshot is pinned, everything up to it is
        shipped, and a PASSIVE checkpoint copies frames up to the pinned
        snapshot and no further, so only shipped frames reach the database
        file. A steady writer leaves frames past the pin, and SQLite starts the
        WAL again from its beginning only once every frame is copied: when the
        WAL has grown past restart_wal_bytes (or `restart` is asked, as when the
        server stops) writers are blocked briefly to ship and copy the last few.
        """
        # Catch up first; a bounded number of rounds, or a writer faster than
        # shipping would keep this loop busy forever. The scan starts each run afresh.
        self.scanner.forget_open_transaction()
        for _ in range(CATCH_UP_ROUNDS):
            if not self._ship():
                break
        complete = False
        # Twice: the second pass leaves only what was committed during the first.
        for _ in range(2):
            with self._snapshot_pinned():
                # SQLite's own record of the committed end (read after the pin, so at
                # least as far as the pinned snapshot): the checkpoint runs only once
                # the shipped position has reached it, whatever the scan concluded.
                committed = wal.index_end(self.shm_path)
                for _ in range(PINNED_ROUNDS):
                    self._ship()
                    if self._drained and self._covers(committed):
                        res = self._ckpt_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                        complete = res[0] == 0 and res[1] == res[2]
                        break
            if complete:
                break
        if not complete and (restart or self._wal_bytes() > self.options.restart_wal_bytes):
            with self._writers_blocked():
                while self._ship():
                    pass
                if self._covers(wal.index_end(self.shm_path)):
                    res = self._ckpt_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    complete = res[0] == 0 and res[1] == res[2]
        self.checkpoint_complete = complete
        new_stat = file_identity(self.db_path)  # only this replicator writes the file
        self._checkpointed = (self.pos.wal_header, self.pos.next_frame)
        if new_stat != self.pos.db_stat:
            self.pos.db_stat = new_stat
            self._put_marker()

    # -- generations -------------------------------------------------------------

    def _new_generation(self, reason: str) -> None:
        """Snapshot the encrypted file (raw bytes, writers blocked) and start a generation."""
        rec = self.instance.school(self.slug)
        wrapped, key_version = self.instance.wrapped_school_key(self.slug)
        tmp_dir = files.private_dir(self.instance.path / "replication" / "tmp")
        fd, tmp_name = tempfile.mkstemp(prefix=f"{self.slug}-", suffix=".db", dir=tmp_dir)
        os.close(fd)
        tmp = Path(tmp_name)
        started = time.time()
        try:
            # Copy most frames without blocking writers; the one under the lock is then short.
            self._ckpt_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            with self._writers_blocked():
                res = self._ckpt_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                complete = res[0] == 0 and res[1] == res[2]
                live_files.copy(self.db_path, tmp)  # keeps SQLite's locks
                db_stat = file_identity(self.db_path)
                hdr = wal.read_header(self.wal_path)
                run = None
                if hdr is not None:
                    run = self.scanner.scan(hdr, 1, (hdr.checksum1, hdr.checksum2), hold=False)
                started = time.time()
            digest = _sha256_file(tmp)
            gen = mf.Generation(mf.new_generation_id(started), started, key_version,
                                tmp.stat().st_size, digest, reason)
            self.target.put_file(mf.snapshot_key(self.slug, gen.id), tmp)
            nframes = 0
            if hdr is None:
                pos = Position(None, 1, (0, 0), db_stat)
                commits, first_ck = [], (0, 0)
            else:
                first_ck = (hdr.checksum1, hdr.checksum2)
                pos = Position(hdr.raw, 1 + run.nframes, run.end_checksum, db_stat)
                # Frames the checkpoint already copied need not ship again.
                nframes = 0 if complete else run.nframes
                commits = [] if complete else [(o, s, started) for o, s in run.commits]
                if complete:
                    first_ck = run.end_checksum
            first_frame = pos.next_frame if not nframes else 1
            seg = segment.Segment(gen.id, 1, hdr.raw if hdr else _placeholder_header(),
                                  first_frame, first_ck, pos.checksum, commits, db_stat,
                                  stamped_at=started,
                                  frame_bytes=nframes * (hdr.frame_size if hdr else 0))
            chunks = self.scanner.chunks(hdr, 1, nframes, pos.checksum) if nframes else ()
            with self.target.writer(mf.segments_prefix(self.slug, gen.id)
                                    + seg.key_name()) as out:
                seg_size = seg.write(out, chunks)
        finally:
            tmp.unlink(missing_ok=True)
        m = self.manifest
        m.set_name(self.instance.master_key, rec.name)
        m.keys[key_version] = wrapped
        m.generations.append(gen)
        m.shipped = {"generation": gen.id, "seq": 1, "last_commit_at": started,
                     "updated_at": time.time()}
        mf.save(self.target, m)
        self._manifest_saved_at = time.time()
        self._manifest_dirty = False
        log.info("replication of %s: new generation %s (%s)", self.slug, gen.id, reason)
        self.generation = gen
        self.seq = 1
        self.segment_bytes = seg_size
        self.pos = pos
        if complete:
            self._checkpointed = (pos.wal_header, pos.next_frame)
        self.checkpoint_complete = complete
        self.last_commit_at = started
        self.caught_up_at = started
        self.need_generation = None
        self._apply_retention(time.time())

    def _compaction_due(self, now: float) -> bool:
        gen = self.generation
        if gen is None or now - gen.started_at < self.options.compact_min_seconds:
            return False
        try:
            size = self.db_path.stat().st_size
        except FileNotFoundError:
            return False
        return self.segment_bytes > self.options.compact_share * max(size, 1)

    def _apply_retention(self, now: float) -> None:
        """Delete generations whose whole span ended before the retention window."""
        self._retention_at = now
        m = self.manifest
        cutoff = now - self.options.retention_seconds
        keep = list(m.generations)
        drop = []
        while len(keep) > 1 and keep[1].started_at < cutoff:
            drop.append(keep.pop(0))
        if not drop:
            return
        m.generations = keep
        mf.save(self.target, m)
        for gen in drop:
            for obj in self.target.list(mf.generation_prefix(self.slug, gen.id)):
                self.target.delete(obj.key)
            log.info("replication of %s: generation %s past retention, deleted", self.slug,
                     gen.id)

    def _save_manifest(self) -> None:
        m = self.manifest
        m.shipped = {"generation": self.generation.id, "seq": self.seq,
                     "last_commit_at": self.last_commit_at, "updated_at": time.time()}
        mf.save(self.target, m)
        self._manifest_saved_at = time.time()
        self._manifest_dirty = False


def _placeholder_header() -> bytes:
    """A valid WAL header for positions in a database that has no WAL yet."""
    import struct

    raw = struct.pack(">IIIIII", wal.WAL_MAGIC_BE, wal.WAL_FORMAT_VERSION, 4096, 0, 0, 0)
    s = wal.checksum(raw, True)
    return raw + struct.pack(">II", *s)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
