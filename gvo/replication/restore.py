"""Rebuilding a school database from a replica: snapshot, then segments, then checks.

Segments are replayed without the key: each page is written at
(pgno-1) * page_size and the file is cut to the commit's database size, one
whole transaction at a time. The key is needed only to check the result
(PRAGMA cipher_integrity_check and PRAGMA integrity_check) and is unwrapped
from the manifest with the master key before anything is written.
"""

import collections
import functools
import hashlib
import itertools
import json
import mmap
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from gvo.core.errors import GvoError
from gvo.replication import manifest as mf
from gvo.replication import segment, wal
from gvo.replication.targets import NotFoundInTarget, Target, TargetError, fsync_path
from gvo.storage import files, keys
from gvo.storage.sqlcipher import DatabaseError, connect

COPY_BYTES = 1 << 20


def iso(ts: float | None) -> str:
    """A UTC timestamp with milliseconds, or 'never'."""
    if ts is None:
        return "never"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(text: str) -> float:
    """An ISO-8601 time (naive means UTC) as seconds since the epoch."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise GvoError(f"--at {text!r} is not an ISO-8601 time (e.g. 2026-03-01T14:30:00Z)"
                       ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


@dataclass
class Built:
    """A restored database file, checked, and how far it got."""

    path: Path
    key: bytes
    manifest: mf.Manifest
    generation: mf.Generation
    commit_at: float  # time of the last commit applied (the snapshot's, if none)
    commit_label: str  # which commit: segment and frame
    segments: int = 0
    bytes_read: int = 0
    problems: list[str] = field(default_factory=list)  # why restore stopped early, if it did
    check_seconds: float = 0.0  # of which the integrity checks (and the fsync beside them)


def load_manifest(target: Target, slug: str) -> mf.Manifest:
    """The school's manifest, or one clear error."""
    try:
        m = mf.load(target, slug)
    except mf.ManifestError as exc:
        raise GvoError(f"the replica manifest of {slug} at {target.url} is unusable: {exc}"
                       ) from None
    except TargetError as exc:
        raise GvoError(f"cannot read the replica at {target.url}: {exc}") from None
    if m is None or not m.generations:
        _refuse_deleted(target, slug)
        raise GvoError(f"no replica of school {slug!r} at {target.url}")
    return m


def _refuse_deleted(target: Target, slug: str) -> None:
    """A clear error if `gvo school delete` left its marker for the school in the target."""
    try:
        marker = json.loads(target.get(mf.deleted_key(slug)))
    except (NotFoundInTarget, ValueError, TargetError):
        return
    when = marker.get("deleted_at", "?") if isinstance(marker, dict) else "?"
    raise GvoError(f"school {slug!r} was deleted at {when} (gvo school delete) and its data key "
                   f"destroyed: what remains of its replica at {target.url} cannot be opened")


def restorable_range(target: Target, m: mf.Manifest) -> tuple[float, float]:
    """(earliest, latest) restorable commit times, from the names of the segments."""
    earliest = m.generations[0].started_at
    latest = m.current().started_at
    for obj in target.list(mf.segments_prefix(m.slug, m.current().id)):
        _seq, _t0, t1 = segment.parse_name(obj.key)
        latest = max(latest, t1)
    return earliest, latest


def build(target: Target, slug: str, master_key: bytes, workdir: Path,
          at: float | None = None) -> Built:
    """Restore a school's replica into workdir/school.db and check it; raise if impossible."""
    m = load_manifest(target, slug)
    candidates = [g for g in m.generations if at is None or g.started_at <= at]
    if not candidates:
        raise GvoError(f"nothing to restore at {iso(at)}: the replica of {slug} starts at "
                       f"{iso(m.generations[0].started_at)}")
    # Unwrap every key we might need first: a wrong master key fails here, before any write.
    data_keys = {}
    for gen in candidates:
        if gen.key_version not in data_keys:
            wrapped = m.keys.get(gen.key_version)
            if wrapped is None:
                raise GvoError(f"the manifest lacks data key version {gen.key_version}")
            data_keys[gen.key_version] = keys.unwrap_school_key(master_key, m.slug, wrapped)
    problems: list[str] = []
    for gen in reversed(candidates):
        path = workdir / "school.db"
        try:
            n = _fetch_snapshot(target, slug, gen, path)
        except (GvoError, TargetError) as exc:
            problems.append(f"generation {gen.id}: {exc}")
            continue
        built = Built(path, data_keys[gen.key_version], m, gen, gen.started_at,
                      f"snapshot of generation {gen.id}", bytes_read=n, problems=problems)
        _replay(target, slug, built, at)
        t0 = time.perf_counter()
        # Made durable while it is checked (the checks only read it): both must be done
        # before the file is put in place.
        with ThreadPoolExecutor(1, thread_name_prefix="gvo-restore-sync") as pool:
            synced = pool.submit(fsync_path, path)
            _check(built)
            synced.result()
        built.check_seconds = time.perf_counter() - t0
        return built
    raise GvoError("no usable generation: " + "; ".join(problems))


def _fetch_snapshot(target: Target, slug: str, gen: mf.Generation, path: Path) -> int:
    """Copy the snapshot into path, hashing it on the way (one pass, bounded memory)."""
    h = hashlib.sha256()
    size = 0
    try:
        with (target.open_stream(mf.snapshot_key(slug, gen.id)) as src,
              files.open_private(path, "wb") as dst):
            while chunk := src.read(COPY_BYTES):
                h.update(chunk)
                dst.write(chunk)
                size += len(chunk)
    except NotFoundInTarget:
        raise GvoError("its snapshot is missing") from None
    if size != gen.snapshot_size or h.hexdigest() != gen.snapshot_sha256:
        raise GvoError("its snapshot fails its checksum")
    return size


# Segments of a file target are checked (read once, sha256) by this many threads ahead of
# the one being applied; hashlib releases the GIL, so they run side by side.
VERIFY_THREADS = 2
VERIFY_AHEAD = 4
# Where pages' last versions are is remembered for at most this many segments, then written.
PLAN_MAX_SOURCES = 256
# The page cache of the connection running integrity_check: up to the whole file.
CHECK_CACHE_MAX_KIB = 1024 * 1024
_FRAME_BITS = 32


class _Plan:
    """Where each page's last version is, across a run of checked, whole transactions.

    Replaying frames one by one writes every version of a page; only the last
    one survives. So a restore remembers, per page, which frame of which
    segment wrote it last (or that a later, smaller commit cut it off), and
    writes each page once, then cuts the file to the last commit's size: the
    same bytes as replaying in order (truncations included, as in SQLite's own
    checkpoint, which also copies only the last version of a page).
    """

    def __init__(self, fd: int):
        self.fd = fd
        self.size = os.fstat(fd).st_size  # bytes, as an in-order replay would have it now
        self.on_disk = self.size  # bytes the file really has
        self.page_size = 0
        self.latest = np.full(0, -1, dtype=np.int64)  # (source << 32 | frame) per page, or -1
        self.floor: int | None = None  # smallest size a commit cut the file to since the flush
        self.sources: list[tuple[Path, int, int]] = []  # (file, frames offset, frame size)

    def add(self, path: Path, seg: segment.Segment, hw: np.ndarray) -> None:
        """The frames of seg whose (page number, database size) words are hw, ending on a commit."""
        hdr = seg.header
        if self.page_size and hdr.page_size != self.page_size:
            self.flush()
        self.page_size = ps = hdr.page_size
        n = len(hw)
        pg = hw[:, 0].astype(np.int64)
        sizes = hw[:, 1].astype(np.int64) * ps
        sid = len(self.sources)
        self.sources.append((path, seg.frames_offset, hdr.frame_size))
        codes = (np.int64(sid) << _FRAME_BITS) | np.arange(n, dtype=np.int64)
        top = int(pg.max())
        if top > len(self.latest):
            grown = np.full(max(top, 2 * len(self.latest)), -1, dtype=np.int64)
            grown[: len(self.latest)] = self.latest
            self.latest = grown
        ends = np.flatnonzero(sizes)
        if len(ends) == 0 or ends[-1] != n - 1:
            raise segment.SegmentError("frames do not end on a commit frame")
        starts = np.concatenate(([0], ends[:-1] + 1))
        written = np.maximum.reduceat(pg, starts) * ps  # file end after each transaction's writes
        commit_sizes = sizes[ends]
        before = np.concatenate(([self.size], commit_sizes[:-1]))
        cuts = commit_sizes < np.maximum(before, written)
        if not cuts.any():
            np.maximum.at(self.latest, pg - 1, codes)
        else:
            for k in range(len(ends)):
                lo, hi = int(starts[k]), int(ends[k]) + 1
                np.maximum.at(self.latest, pg[lo:hi] - 1, codes[lo:hi])
                if cuts[k]:
                    cut = int(commit_sizes[k])
                    self.latest[cut // ps:] = -1
                    self.floor = cut if self.floor is None else min(self.floor, cut)
        self.size = int(commit_sizes[-1])

    def flush(self) -> None:
        """Write every remembered page once, then give the file its last commit's size."""
        fd, ps = self.fd, self.page_size
        if self.floor is not None and self.floor < self.on_disk:
            os.ftruncate(fd, self.floor)
        pages = np.flatnonzero(self.latest >= 0)
        if len(pages):
            codes = self.latest[pages]
            sids = codes >> _FRAME_BITS
            frames = codes & ((1 << _FRAME_BITS) - 1)
            for sid in np.unique(sids).tolist():
                sel = sids == sid
                _write_pages(fd, ps, self.sources[sid], pages[sel], frames[sel])
        if os.fstat(fd).st_size != self.size:
            os.ftruncate(fd, self.size)
        self.on_disk = self.size
        self.latest[:] = -1
        self.floor = None
        self.sources = []


def _write_pages(fd: int, ps: int, source: tuple[Path, int, int], pages: np.ndarray,
                 frames: np.ndarray) -> None:
    """Copy the pages held by the given frames of one segment file to (page index) * ps."""
    path, frames_offset, fsize = source
    offsets = (frames_offset + frames * fsize + wal.WAL_FRAME_HEADER_SIZE).tolist()
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size < max(offsets) + ps:
            raise GvoError(f"{path.name} changed while being restored")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            _pwrite_runs(fd, ps, memoryview(mm), pages, offsets)


def _pwrite_runs(fd: int, ps: int, mv: memoryview, pages: np.ndarray, offsets: list[int]
                 ) -> None:
    """One pwritev per run of consecutive pages (at most IOV_MAX pieces each)."""
    try:
        breaks = (np.flatnonzero(np.diff(pages) != 1) + 1).tolist()
        page_list = pages.tolist()
        lo = 0
        for hi in [*breaks, len(page_list)]:
            for a in range(lo, hi, _IOV_MAX):
                b = min(hi, a + _IOV_MAX)
                iov = [mv[o : o + ps] for o in offsets[a:b]]
                os.pwritev(fd, iov, page_list[a] * ps)
                for v in iov:
                    v.release()
            lo = hi
    finally:
        mv.release()


_IOV_MAX = min(os.sysconf("SC_IOV_MAX") if hasattr(os, "sysconf") else 1024, 1024)


def _read_segment(target: Target, key: str, spool: Path):
    """(segment without frames, (frames, 2) page numbers and sizes, the file holding it).

    The segment is read once, in bounded pieces, and checked whole (sha256,
    structure) before anything of it is used: a file target's segment in
    place, a remote one into the spool file on the way.
    """
    headers: list[np.ndarray] = []
    local = target.local_path()
    if local is not None:
        with target.open_stream(key) as src:
            seg = segment.read_stream(src, frame_headers=headers)
        path = target.file_path(key)
    else:
        with files.open_private(spool, "w+b") as out, target.open_stream(key) as src:
            seg = segment.read_stream(src, sink=out, frame_headers=headers)
        path = spool
    hw = np.concatenate(headers) if headers else np.zeros((0, 2), dtype=np.uint32)
    return seg, hw, path


def _read_ahead(target: Target, objs: list, spool: Path):
    """(object, a function giving _read_segment's result) for each object, in order.

    A file target's segments are read by threads a few segments ahead; a remote
    one's one at a time (they share the spool file, written just before use).
    """
    if target.local_path() is None:
        for obj in objs:
            yield obj, functools.partial(_read_segment, target, obj.key, spool)
        return
    with ThreadPoolExecutor(VERIFY_THREADS, thread_name_prefix="gvo-restore") as pool:
        pending: collections.deque = collections.deque()
        todo = iter(objs)
        try:
            for obj in itertools.islice(todo, VERIFY_AHEAD):
                pending.append((obj, pool.submit(_read_segment, target, obj.key, spool)))
            while pending:
                obj, fut = pending.popleft()
                nxt = next(todo, None)
                if nxt is not None:
                    pending.append((nxt, pool.submit(_read_segment, target, nxt.key, spool)))
                yield obj, fut.result
        finally:
            for _obj, fut in pending:
                fut.cancel()


def _replay(target: Target, slug: str, built: Built, at: float | None) -> None:
    """Apply the generation's segments in order, whole transactions only.

    Each segment is read once in bounded pieces and checked whole (sha256,
    structure, continuity) before any of it counts; then only the last
    version of each page is written, in place, into the database file opened
    once (after every PLAN_MAX_SOURCES segments, and after each segment of a
    remote target, whose spool file is reused).
    """
    objs = target.list(mf.segments_prefix(slug, built.generation.id))
    todo, gap = [], None
    for obj in objs:
        seq, t0, _t1 = segment.parse_name(obj.key)
        if at is not None and t0 > at:
            break
        if seq != len(todo) + 1:
            gap = f"segment {len(todo) + 1} is missing"
            break
        todo.append(obj)
    spool = built.path.with_name(".segment")
    remote = target.local_path() is None
    fd = os.open(built.path, os.O_RDWR)
    try:
        plan = _Plan(fd)
        if _replay_into(plan, target, todo, spool, built, at, remote) and gap:
            built.problems.append(gap)
        plan.flush()
    finally:
        os.close(fd)
        spool.unlink(missing_ok=True)


def _replay_into(plan: _Plan, target: Target, todo: list, spool: Path, built: Built,
                 at: float | None, remote: bool) -> bool:
    """Plan the segments' pages; False when it stopped early (problem or point in time)."""
    prev: segment.Segment | None = None
    for obj, read in _read_ahead(target, todo, spool):
        seq = segment.parse_name(obj.key)[0]
        try:
            # The sha256 vouches for the bytes; SQLite's frame checksums were
            # checked when the frames were read from the WAL.
            seg, hw, path = read()
            built.bytes_read += obj.size
            if prev is not None and seg.nframes and not _follows(prev, seg):
                built.problems.append(f"segment {seq} does not continue segment {seq - 1}")
                return False
            # Whole transactions up to the point in time: the header lists them.
            usable = [c for c in seg.commits if at is None or c[2] <= at]
            if usable:
                off, _pages, when = usable[-1]
                plan.add(path, seg, hw[: off + 1])
                if remote:
                    plan.flush()
                built.commit_at = when
                frame_no = (seg.first_frame + off if seg.wal_frames is None
                            else seg.last_wal_frame)
                built.commit_label = f"segment {seq}, WAL frame {frame_no}"
            if len(usable) < len(seg.commits):
                return False
        except segment.SegmentError as exc:
            built.problems.append(f"segment {seq} is unusable: {exc}")
            return False
        except TargetError as exc:
            built.problems.append(f"segment {seq} cannot be read: {exc}")
            return False
        built.segments += 1
        prev = seg
        if len(plan.sources) >= PLAN_MAX_SOURCES:
            plan.flush()
    return True


def _follows(prev: segment.Segment, seg: segment.Segment) -> bool:
    if seg.wal_header == prev.wal_header:
        return seg.first_frame == prev.next_frame and tuple(seg.prev_checksum) == tuple(
            prev.end_checksum)
    hdr = seg.header
    return seg.first_frame == 1 and tuple(seg.prev_checksum) == (hdr.checksum1, hdr.checksum2)


def _check(built: Built) -> None:
    """Both integrity checks, with the school's key; raise if either fails.

    They run side by side on two connections (SQLite releases the GIL while it
    works): cipher_integrity_check checks every page's HMAC, integrity_check
    decrypts every page and checks the b-trees.
    """
    conns = []
    try:
        for _ in range(2):
            conns.append(connect(built.path, built.key))
    except GvoError as exc:
        for conn in conns:
            conn.close()
        raise GvoError(f"the restored database does not open: {exc}") from None
    try:
        # integrity_check looks every row up in every index: with the whole file in
        # its page cache it decrypts each page once (a fifth faster at 100 MB).
        size_kib = built.path.stat().st_size // 1024 + 1024
        conns[0].execute(f"PRAGMA cache_size = -{min(size_kib, CHECK_CACHE_MAX_KIB)}")
        with ThreadPoolExecutor(1, thread_name_prefix="gvo-restore-check") as pool:
            cipher = pool.submit(
                lambda: conns[1].execute("PRAGMA cipher_integrity_check").fetchall())
            result = [r[0] for r in conns[0].execute("PRAGMA integrity_check").fetchall()]
            bad = cipher.result()
        if bad:
            raise GvoError(f"restored database fails cipher_integrity_check: {bad[0][0]}")
        if result != ["ok"]:
            raise GvoError(f"restored database fails integrity_check: {result[0]}")
        conns[1].close()
        conns[0].execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except DatabaseError as exc:
        raise GvoError(f"restored database is damaged: {exc}") from None
    finally:
        for conn in conns:
            conn.close()


@dataclass
class Restored:
    """What `gvo restore` did."""

    slug: str
    built: Built
    replaced: Path | None
    seconds: float


def restore(instance, target: Target, slug: str, *, at: float | None = None,
            as_slug: str | None = None, force: bool = False) -> Restored:
    """Restore a school from the replica into the instance, checked, then put in place."""
    from gvo.replication.shipper import Busy, acquire_lock
    from gvo.storage.instance import check_slug

    started = time.time()
    new_slug = check_slug(as_slug or slug)
    exists = instance.has_school(new_slug)
    if exists and not force:
        raise GvoError(f"school {new_slug!r} exists in this instance; add --force to replace "
                       "it (its files are kept aside), or --as NEWSLUG")
    lock = None
    if exists:
        try:
            lock = acquire_lock(instance.path, new_slug)
        except Busy:
            raise GvoError(f"school {new_slug!r} is live in a running `gvo serve`; stop the "
                           "server before replacing it") from None
    schools_dir = files.private_dir(instance.path / "schools")
    staging = Path(tempfile.mkdtemp(prefix=f".restore-{new_slug}-", dir=schools_dir))
    replaced = None
    try:
        built = build(target, slug, instance.master_key, staging, at)
        if lock is not None:
            lock.close()
            lock = None
        m = built.manifest
        name = m.school_name(instance.master_key)  # before anything is moved
        wrapped = m.keys[built.generation.key_version]
        if new_slug != m.slug:
            wrapped = keys.wrap_school_key(instance.master_key, new_slug, built.key)
        dest = instance.school_dir(new_slug)
        instance.close_school(new_slug)
        if dest.exists():
            replaced = schools_dir / f".replaced-{new_slug}-{time.strftime('%Y%m%dT%H%M%S')}"
            dest.rename(replaced)
        staging.rename(dest)
        fsync_path(schools_dir)
        instance.register_school(new_slug, name, wrapped, built.generation.key_version)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if lock is not None:
            lock.close()
    return Restored(new_slug, built, replaced, time.time() - started)
