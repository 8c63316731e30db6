"""Replication inside `gvo serve`: every school from one coordinator and a few workers.

Also the health and backup-status hooks, the one-shot form (`gvo replicate
--once`, and CLI commands that wrote to a school) and where the replica URL
comes from. docs/decisions/0007-many-schools-one-server.md explains the design.
"""

import contextlib
import heapq
import logging
import os
import random
import select
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gvo.core import dates
from gvo.replication.shipper import (
    MANIFEST_EVERY_SECONDS,
    Busy,
    Options,
    SchoolShipper,
    acquire_server_lock,
)
from gvo.replication.targets import Target, open_target
from gvo.replication.wal import WAL_HEADER_SIZE
from gvo.storage import files

log = logging.getLogger("gvo.replication")

URL_ENV = "GVO_REPLICA_URL"
LAG_DEGRADED_SECONDS = 60.0
SCAN_SECONDS = 2.0  # how often the control database is asked for new schools
WORKERS = 4  # replication threads, whatever the number of schools (GVO_REPLICATION_WORKERS)
IDLE_SECONDS = 60.0  # a school not shipping this long has its connections closed
MAX_OPEN = 16  # schools whose replicator keeps connections open, at most
SWEEP_SECONDS = 5.0  # closed schools' files checked this often (with notifications)
ROUND_GAP_SECONDS = 0.08  # a school's rounds start at least this far apart (batching)
EVENTS_EVERY_SECONDS = 0.01  # notifications are read at most this often (a busy writer
# makes one per write: reading each alone would take the interpreter from the writer)
HOUSEKEEPING_SECONDS = 3600.0  # every school gets a round about this often (retention)
LOCK_RETRY_SECONDS = 1.0
STOP_SECONDS = 30.0  # the last rounds at a stop get this long
DB_NAME = "school.db"
WAL_NAME = "school.db-wal"


def default_url(instance_path: Path) -> str:
    """<instance>/replicas as a file URL: convenient, but on the same disk."""
    return (Path(instance_path).resolve() / "replicas").as_uri()


def _saved_url_file(instance_path: Path) -> Path:
    return Path(instance_path) / "replication" / "target"


def resolve_url(instance_path: Path, url: str | None = None) -> str:
    """The replica URL: given, else $GVO_REPLICA_URL, else the one `gvo serve` last used,
    else <instance>/replicas."""
    if url:
        return url
    if os.environ.get(URL_ENV):
        return os.environ[URL_ENV]
    saved = _saved_url_file(instance_path)
    if saved.exists() and saved.read_text().strip():
        return saved.read_text().strip()
    return default_url(instance_path)


def remember_url(instance_path: Path, url: str) -> None:
    """Record the serving replica URL so CLI writers ship to the same place."""
    saved = _saved_url_file(instance_path)
    files.private_dir(saved.parent)
    tmp = saved.with_suffix(".tmp")
    with files.open_private(tmp, "w") as f:
        f.write(url + "\n")
    os.replace(tmp, saved)


def prepare_target(instance_path: Path, url: str) -> Target:
    """Open the target; a file target's folder is made (0700) on first use if its parent
    exists."""
    target = open_target(url)
    root = target.local_path()
    if root is not None and not root.exists() and root.parent.is_dir():
        files.private_dir(root)
    return target


def same_disk(instance_path: Path, target: Target) -> bool:
    """Whether a file target lives on the instance's own disk (then it is no backup)."""
    root = target.local_path()
    if root is None:
        return False
    try:
        return os.stat(root).st_dev == os.stat(instance_path).st_dev
    except OSError:
        return False


def human_ago(seconds: float) -> str:
    """'3 seconds ago', '5 minutes ago'..."""
    seconds = max(0, int(seconds))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now" if seconds < 2 else f"{seconds} seconds ago"


@dataclass
class BackupStatus:
    """What a Manager sees on the settings page."""

    last_backed_up: str | None
    note: str = ""


class _School:
    """One school's replicator and when its next round is due (guarded by Replicator._lock)."""

    def __init__(self, shipper: SchoolShipper):
        self.shipper = shipper
        self.due: float | None = None  # monotonic time of the next round; None: none planned
        self.running = False  # a worker is on it
        self.changed = False  # its files changed since its last round began
        self.started = False  # its first round (resume, catch up) is done
        self.clean = False  # the last round shipped everything and the target took it
        self.active_at = float("-inf")  # when a round last shipped frames (monotonic)
        self.round_at = float("-inf")  # when its last round began (monotonic)
        self.signature = None  # its files' identity when its connections were closed
        self.backoff = 0.0
        self.evict = False  # close it at its next round (too many schools open)
        self.wd: int | None = None  # its folder's notification watch
        self.future = None  # its round, while one is queued or running
        self.held = False  # no rounds: a live rekey or move has it (Replicator.hold)


def _files_signature(shipper: SchoolShipper) -> tuple:
    """(size, mtime_ns, inode) of the database file and of its WAL; None for a missing
    file, and for a WAL with no frame (opening and closing connections make and delete
    those: they change nothing to replicate)."""
    out = []
    for path in (shipper.db_path, shipper.wal_path):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = None
        if st is None or (path == shipper.wal_path and st.st_size <= WAL_HEADER_SIZE):
            out.append(None)
        else:
            out.append((st.st_size, st.st_mtime_ns, st.st_ino))
    return tuple(out)


class _Notifier:
    """File-system notifications (Linux inotify) for the schools' folders.

    A school is woken when its WAL is written (every commit writes it) or its
    database file appears, disappears or is moved. Not by what opening and
    closing connections do (SQLite makes an empty WAL at the first open and
    deletes it at the last close), nor by checkpoints (they write the
    database file), nor reads, nor the -shm file (a shared memory map): the
    replicator's own work must not wake it again. One file descriptor for
    every school.
    """

    def __init__(self):
        from inotify_simple import INotify, flags

        self._flags = flags
        self._ino = INotify()
        self.mask = (flags.MODIFY | flags.CREATE | flags.DELETE | flags.MOVED_TO
                     | flags.MOVED_FROM)

    def fileno(self) -> int:
        return self._ino.fileno()

    def watch(self, folder: Path) -> int:
        """Watch a school's folder; returns the watch's number."""
        return self._ino.add_watch(str(folder), self.mask)

    def unwatch(self, wd: int) -> None:
        with contextlib.suppress(OSError):
            self._ino.rm_watch(wd)

    def read(self) -> tuple[set[int], bool]:
        """(watches whose school changed, whether events were lost) from what is queued."""
        woke, overflow = set(), False
        f = self._flags
        for ev in self._ino.read(timeout=0):
            if ev.mask & f.Q_OVERFLOW:
                overflow = True
            elif ((ev.name == WAL_NAME and ev.mask & f.MODIFY)
                  or (ev.name == DB_NAME and not ev.mask & f.MODIFY)):
                woke.add(ev.wd)
            elif ev.mask & f.IGNORED:
                woke.add(ev.wd)  # the folder went away: the round finds out
        return woke, overflow

    def close(self) -> None:
        self._ino.close()


def _notifier() -> "_Notifier | None":
    try:
        return _Notifier()
    except (ImportError, OSError) as exc:  # not Linux, or no inotify instances left
        log.warning("replication: no file-system notifications (%s); polling every school", exc)
        return None


class Replicator:
    """The running replication service of one `gvo serve`: every school, a few threads.

    One coordinating thread ("gvo-replication") holds the instance's server
    lock, learns of commits from file-system notifications (or, without them,
    by polling), and hands rounds to a pool of `workers` threads; a school is
    never in two rounds at once. An idle school costs nothing: its round runs
    only when its WAL changes, and after `idle_seconds` without shipping its
    connections are closed (after a complete checkpoint) until the next commit.
    At most `max_open` schools keep connections open; the least recently
    active are closed first. Every few seconds the files of closed schools
    are checked against their identity at closing, a safety net for a lost
    notification; every school also gets a round every hour (retention).
    """

    def __init__(self, instance, target: Target, options: Options | None = None,
                 interval: float = 0.1, *, workers: int = WORKERS,
                 idle_seconds: float = IDLE_SECONDS, max_open: int = MAX_OPEN,
                 notifications: bool = True):
        self.instance = instance
        self.target = target
        self.options = options or Options()
        self.interval = interval
        self.workers = max(1, workers)
        self.idle_seconds = idle_seconds
        self.max_open = max(1, max_open)
        self.schools: dict[str, _School] = {}
        self._by_wd: dict[int, _School] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._seq = 0
        self._open = 0  # schools whose connections are open
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._locks = None  # the server lock, once held
        self._notifier = _notifier() if notifications else None
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="gvo-replicate")
        self._coordinator = threading.Thread(target=self._coordinate, name="gvo-replication",
                                             daemon=True)
        self.same_disk = same_disk(instance.path, target)

    @property
    def notified(self) -> bool:
        """Whether commits are noticed by file-system notifications (else by polling)."""
        return self._notifier is not None

    def start(self) -> "Replicator":
        """Start the coordinator; it takes the server lock and starts every school's first
        round in the background, so a server listens at once whatever their number."""
        self._coordinator.start()
        return self

    # -- scheduling (under self._lock) ------------------------------------------

    def _plan(self, school: _School, when: float | None) -> None:
        """Set a school's next round (the earlier wins while one is planned)."""
        if when is None:
            school.due = None
            return
        if school.due is not None and school.due <= when:
            return
        school.due = when
        self._seq += 1
        heapq.heappush(self._heap, (when, self._seq, school.shipper.slug))

    def _changed(self, school: _School, now: float) -> None:
        """Its WAL was written: a round now, or ROUND_GAP_SECONDS after the last one
        began (a writer that never pauses gets its commits shipped in batches, as each
        round ships whatever is committed by then; the first commit after a pause
        ships at once)."""
        school.changed = True
        if not school.running:
            self._plan(school, max(now, school.round_at + ROUND_GAP_SECONDS))

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, b"x")

    # -- the coordinator -----------------------------------------------------------

    def _coordinate(self) -> None:
        try:
            self._take_server_lock()
            poller = select.poll()
            poller.register(self._wake_r, select.POLLIN)
            if self._notifier is not None:
                poller.register(self._notifier.fileno(), select.POLLIN)
            sweep_every = SWEEP_SECONDS if self._notifier is not None else self.interval
            next_scan = next_sweep = 0.0
            while not self._stop.is_set():
                now = time.monotonic()
                if now >= next_scan:
                    self._scan(now)
                    next_scan = now + SCAN_SECONDS
                if now >= next_sweep:
                    self._sweep(now)
                    next_sweep = now + sweep_every
                first = self._dispatch(now)
                wait = max(0.0, min(next_scan, next_sweep, first) - time.monotonic())
                poller.poll(wait * 1000)
                with contextlib.suppress(BlockingIOError):
                    while os.read(self._wake_r, 4096):
                        pass
                if self._notifier is not None and self._notified(time.monotonic()):
                    self._stop.wait(EVENTS_EVERY_SECONDS)
        except Exception:  # a bug must not stop replication silently
            log.exception("replication: the coordinator failed")

    def _take_server_lock(self) -> None:
        warned = False
        while not self._stop.is_set():
            try:
                self._locks = acquire_server_lock(self.instance.path)
                return
            except Busy:
                if not warned:
                    log.warning("replication: waiting for the instance's replication lock "
                                "(another gvo serve or gvo replicate, or a CLI command)")
                    warned = True
            self._stop.wait(LOCK_RETRY_SECONDS)

    def _scan(self, now: float) -> None:
        """Pick up schools created since the last look (their first round is due now)."""
        try:
            slugs = [s.slug for s in self.instance.schools()]  # not those moved away
        except Exception:
            log.exception("replication: cannot list schools")
            return
        for slug in slugs:
            self._add(slug, now)

    def _add(self, slug: str, now: float, *, held: bool = False) -> _School:
        """The school's replicator, made (its first round due now, unless held) if new."""
        with self._lock:
            if slug in self.schools:
                return self.schools[slug]
            school = self.schools[slug] = _School(
                SchoolShipper(self.instance, slug, self.target, self.options))
            school.held = held
        if self._notifier is not None:
            try:
                wd = self._notifier.watch(self.instance.school_dir(slug))
            except OSError as exc:
                log.warning("replication of %s: no notifications (%s)", slug, exc)
            else:
                with self._lock:
                    school.wd = wd
                    self._by_wd[wd] = school
        with self._lock:
            if not school.held:
                self._plan(school, now)
        return school

    def _sweep(self, now: float) -> None:
        """Wake closed schools whose files changed (a lost notification, or no notifications)
        and, without notifications, poll the open ones."""
        with self._lock:
            schools = [s for s in self.schools.values() if s.started and not s.running]
        for school in schools:
            if school.shipper.is_open:
                if self._notifier is None:
                    with self._lock:
                        self._plan(school, now)
                continue
            if school.signature is not None and _files_signature(school.shipper) != \
                    school.signature:
                with self._lock:
                    self._changed(school, now)

    def _notified(self, now: float) -> bool:
        """Wake the schools whose files changed; whether there was any notification."""
        woke, overflow = self._notifier.read()
        with self._lock:
            targets = (list(self.schools.values()) if overflow
                       else [self._by_wd[wd] for wd in woke if wd in self._by_wd])
            for school in targets:
                self._changed(school, now)
        return bool(woke) or overflow

    def _dispatch(self, now: float) -> float:
        """Start the rounds that are due; returns when the next one is (monotonic)."""
        with self._lock:
            if self._locks is None:
                return now + LOCK_RETRY_SECONDS
            self._evict_if_too_many()
            while self._heap:
                when, _seq, slug = self._heap[0]
                school = self.schools.get(slug)
                if school is None or school.due != when or school.running or school.held:
                    heapq.heappop(self._heap)  # stale: replanned, or running (replanned after)
                    if school is not None and school.held and school.due == when:
                        school.due, school.changed = None, True  # its round comes at release
                    continue
                if when > now:
                    return when
                heapq.heappop(self._heap)
                school.due = None
                school.running = True
                school.changed = False
                school.round_at = now
                school.future = self._pool.submit(self._round, school)
        return now + SCAN_SECONDS

    def _evict_if_too_many(self) -> None:
        """Too many schools open: plan closing rounds for the least recently active."""
        if self._open <= self.max_open:
            return
        open_ = [s for s in self.schools.values() if s.shipper.is_open]
        keep = [s for s in open_ if not s.evict]
        extra = len(keep) - self.max_open  # those already marked are on their way out
        for school in sorted(keep, key=lambda s: s.active_at)[:max(0, extra)]:
            school.evict = True
            if not school.running:
                self._plan(school, time.monotonic())

    # -- one round (a worker thread) -----------------------------------------------

    def _round(self, school: _School) -> None:
        s = school.shipper
        ok, closed, was_open = False, False, s.is_open
        try:
            shipped = s.frames_shipped
            s.open_connections()
            ok = s.step()
            now = time.monotonic()
            if s.frames_shipped != shipped:
                school.active_at = now
            if ok and s._drained and (school.evict
                                      or now - school.active_at >= self.idle_seconds):
                closed = s.settle()
                if closed:
                    school.signature = _files_signature(s)
        except Exception as exc:  # a bug must not kill replication silently
            log.exception("replication of %s: unexpected error", s.slug)
            s._failed(exc)
            ok = False
        now = time.monotonic()
        with self._lock:
            self._open += int(s.is_open) - int(was_open)
            school.running = False
            school.future = None
            school.started = True
            school.clean = ok and s._drained
            school.evict = school.evict and not closed
            if ok:
                school.backoff = 0.0
            else:
                school.backoff = min(max(school.backoff * 2, 0.2), 5.0)
            self._plan(school, None if school.changed else self._next_round(school, ok, now))
            if school.changed:
                self._plan(school, max(now, school.round_at + ROUND_GAP_SECONDS))
        self._wake()

    def _next_round(self, school: _School, ok: bool, now: float) -> float | None:
        s = school.shipper
        if self._stop.is_set():
            return None
        if not ok:
            return now + school.backoff
        if not s._drained:
            return now  # a backlog remains: ship the next piece now
        if not s.is_open:
            return now + HOUSEKEEPING_SECONDS * (0.5 + random.random())  # noqa: S311
        due = [school.active_at + self.idle_seconds]
        if s._manifest_dirty:
            due.append(now + max(0.0, s._manifest_saved_at + MANIFEST_EVERY_SECONDS
                                 - time.time()))
        if self._notifier is None:
            due.append(now + self.interval)
        return max(now, min(due))

    # -- live rekey and move (gvo.replication.live) ---------------------------------

    def hold(self, slug: str, timeout: float = STOP_SECONDS) -> tuple[bool, str]:
        """Stop the school's rounds and give it a last one: everything committed shipped and
        checkpointed, its connections closed. Returns (done, what happened); until
        `release` (or `drop`) no round runs for it. The caller keeps writers out (the
        instance's pause_school), so the last round leaves nothing behind.
        """
        if self._locks is None:
            return False, "this server does not hold the instance's replication lock"
        school = self._add(slug, time.monotonic(), held=True)
        deadline = time.monotonic() + timeout
        with self._lock:
            school.held = True
        while school.running:  # a round queued or under way finishes first
            if time.monotonic() >= deadline:
                return False, "a replication round of the school did not finish"
            time.sleep(0.01)
        s = school.shipper
        was_open = s.is_open
        try:
            s.open_connections()
            ok = s.step(checkpoint=True) and s._drained
        except Exception as exc:  # noqa: BLE001 - reported to the operator who asked
            s._failed(exc)
            ok = False
        finally:
            s.close_connections()
            with self._lock:
                self._open -= int(was_open)
        if not ok:
            return False, f"the last sync to {self.target.url} failed: {s.last_error}"
        gen = s.generation.id if s.generation else "-"
        return True, f"every commit shipped (generation {gen}, segment {s.seq})"

    def release(self, slug: str, *, first_round: bool = False) -> tuple[bool, str]:
        """Let a held school's rounds run again, with a new replicator for it (after a rekey
        its first round starts a new generation under the new key). first_round: run that
        round now, in the caller's thread, and say how it went."""
        with self._lock:
            school = self.schools.get(slug)
        if school is None:
            return True, "not replicated here"
        school.shipper.close()
        school.shipper = SchoolShipper(self.instance, slug, self.target, self.options)
        school.signature, school.started = None, False
        done, message = True, ""
        if first_round:
            s = school.shipper
            try:
                s.open_connections()
                done = s.step(checkpoint=True)
            except Exception as exc:  # noqa: BLE001 - reported to the operator who asked
                s._failed(exc)
                done = False
            finally:
                s.close_connections()
            gen = s.generation.id if s.generation else "-"
            message = (f"replicated as generation {gen}" if done else
                       f"replication failing ({s.last_error}); it goes on trying")
        with self._lock:
            school.held = False
            self._plan(school, time.monotonic())
        self._wake()
        return done, message

    def drop(self, slug: str) -> None:
        """Replicate a held school no more (it moved to another server, which replicates
        it from now on: this server must not write its replica again)."""
        with self._lock:
            school = self.schools.pop(slug, None)
            if school is not None and school.wd is not None:
                self._by_wd.pop(school.wd, None)
        if school is not None:
            if school.wd is not None and self._notifier is not None:
                self._notifier.unwatch(school.wd)
            school.shipper.close()

    # -- stopping ------------------------------------------------------------------

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Ship every committed frame, checkpoint and close, within `timeout` seconds.

        The last round runs for every school whose connections are open, whose
        files changed since they were closed, or whose first round has not run.
        """
        deadline = time.monotonic() + timeout
        self._stop.set()
        self._wake()
        self._coordinator.join(timeout)
        with self._lock:
            schools = list(self.schools.values())
            for sc in schools:
                if sc.future is not None and sc.future.cancel():  # queued, not begun
                    sc.future, sc.running = None, False
        self._pool.shutdown(wait=False)
        while any(sc.running for sc in schools) and time.monotonic() < deadline:
            time.sleep(0.01)  # rounds already running finish
        last = [sc for sc in schools if not sc.running and not sc.held and (
            sc.shipper.is_open or not sc.started or sc.changed
            or (sc.signature is not None and _files_signature(sc.shipper) != sc.signature))]
        if self._locks is not None and last:
            with ThreadPoolExecutor(self.workers, thread_name_prefix="gvo-replicate") as pool:
                futures = [pool.submit(self._last_round, sc) for sc in last]
                for fut in futures:
                    with contextlib.suppress(Exception):
                        fut.result(max(0.0, deadline - time.monotonic()))
                pool.shutdown(wait=False, cancel_futures=True)
        for sc in schools:
            if not sc.running:
                sc.shipper.close()
        if self._locks is not None:
            self._locks.close()
            self._locks = None
        if self._notifier is not None:
            self._notifier.close()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _last_round(self, school: _School) -> None:
        s = school.shipper
        school.running = True
        try:
            s.open_connections()
            if not s.step(checkpoint=True):
                log.warning("replication of %s: last round failed: %s", s.slug, s.last_error)
        except Exception:
            log.exception("replication of %s: final round failed", s.slug)
        finally:
            s.close_connections()
            school.running = False

    # -- status --------------------------------------------------------------

    def open_schools(self) -> list[str]:
        """Schools whose replicator has its connections open right now."""
        with self._lock:
            return sorted(slug for slug, s in self.schools.items() if s.shipper.is_open)

    def school_status(self, slug: str) -> dict:
        """Last shipped commit, lag and target health of one school.

        A school whose last round shipped everything, with no change since, lags 0
        s: every commit writes its WAL, and that wakes its round.
        """
        with self._lock:
            school = self.schools.get(slug)
            quiet = (school is not None and school.clean and not school.changed
                     and not school.running)
        if school is None or not school.started:
            return {"running": False}
        s = school.shipper
        lag = 0.0 if quiet else s.lag()
        return {
            "running": True,
            "last_commit_at": s.last_commit_at,
            "lag_seconds": None if lag == float("inf") else round(lag, 3),
            "target_ok": s.last_error is None,
            "error": s.last_error,
            "generation": s.generation.id if s.generation else None,
        }

    def health(self) -> dict:
        """The /healthz part: degraded when a school lags > 1 minute or its target fails."""
        schools = {}
        degraded = []
        with self._lock:
            slugs = list(self.schools)
        for slug in slugs:
            st = self.school_status(slug)
            if not st["running"]:
                continue  # its first round has not run yet (a server just started)
            schools[slug] = st
            lag = st["lag_seconds"]
            if not st["target_ok"] or lag is None or lag > LAG_DEGRADED_SECONDS:
                degraded.append(slug)
        out = {"replication": {"target": self.target.url, "same_disk": self.same_disk,
                               "schools": schools, "degraded": degraded}}
        if degraded:
            out["status"] = "degraded"
        return out

    def backup_status(self, slug: str) -> BackupStatus:
        """'Last backed up' for a school's Managers."""
        st = self.school_status(slug)
        if not st.get("running"):
            return BackupStatus(None, "continuous backup has not started for this school yet")
        when = None
        if st["lag_seconds"] is not None and st["target_ok"]:
            when = human_ago(st["lag_seconds"])
        elif st["last_commit_at"]:
            when = (f"{human_ago(time.time() - st['last_commit_at'])} "
                    f"({dates.moment(datetime.fromtimestamp(st['last_commit_at'], UTC))})")
        note = ""
        if not st["target_ok"]:
            note = "the backup target is unreachable; your server operator has been alerted"
        elif self.same_disk:
            note = "backups are on the server's own disk: ask your operator for an off-site copy"
        return BackupStatus(when, note)


def start(app, instance, url: str | None = None, *, options: Options | None = None,
          interval: float = 0.1, workers: int = WORKERS, idle_seconds: float = IDLE_SECONDS,
          max_open: int = MAX_OPEN, notifications: bool = True) -> Replicator:
    """Start replication for every school of the instance; register the app's hooks.

    interval: seconds between polls of an open school when file-system notifications
    are unavailable (or notifications=False). workers: replication threads.
    idle_seconds, max_open: see Replicator. Returns at once: the schools' first
    rounds run in the background.
    """
    url = resolve_url(instance.path, url)
    target = prepare_target(instance.path, url)
    remember_url(instance.path, url)
    rep = Replicator(instance, target, options, interval, workers=workers,
                     idle_seconds=idle_seconds, max_open=max_open,
                     notifications=notifications).start()
    if app is not None:
        app.extensions.setdefault("gvo_health", []).append(rep.health)
        app.extensions["gvo_backup_status"] = rep.backup_status
        app.extensions["gvo_replicator"] = rep
    log.info("replicating to %s", target.url)
    return rep


def replicate_once(instance, target: Target, slug: str,
                   options: Options | None = None) -> tuple[bool, str]:
    """Ship one school now and checkpoint; (done, message). Skips a school the server ships,
    and one that moved to another server."""
    moved_to = instance.school(slug).moved_to
    if moved_to:  # its replica is its new server's now: never written from here again
        return False, f"{slug}: moved to {moved_to}; its new server replicates it"
    shipper = SchoolShipper(instance, slug, target, options)
    try:
        shipper.open()
    except Busy:
        return False, f"{slug}: replicated by the running server"
    try:
        ok = shipper.step(checkpoint=True)
        if not ok:
            return False, f"{slug}: {shipper.last_error}"
        return True, (f"{slug}: shipped through generation {shipper.generation.id}, "
                      f"segment {shipper.seq}")
    finally:
        shipper.close()
