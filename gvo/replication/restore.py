"""Rebuilding a school database from a replica: snapshot, then segments, then checks.

Segments are replayed without the key: each page is written at
(pgno-1) * page_size and the file is cut to the commit's database size, one
whole transaction at a time. The key is needed only to check the result
(PRAGMA cipher_integrity_check and PRAGMA integrity_check) and is unwrapped
from the manifest with the master key before anything is written.
"""

import contextlib
import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from gvo.errors import GvoError
from gvo.replication import manifest as mf
from gvo.replication import segment, wal
from gvo.replication.targets import NotFoundInTarget, Target, TargetError
from gvo.storage import keys
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
        raise GvoError(f"no replica of school {slug!r} at {target.url}")
    return m


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
        _check(built)
        return built
    raise GvoError("no usable generation: " + "; ".join(problems))


def _fetch_snapshot(target: Target, slug: str, gen: mf.Generation, path: Path) -> int:
    """Copy the snapshot into path, hashing it on the way (one pass, bounded memory)."""
    h = hashlib.sha256()
    size = 0
    try:
        with target.open_stream(mf.snapshot_key(slug, gen.id)) as src, open(path, "wb") as dst:
            while chunk := src.read(COPY_BYTES):
                h.update(chunk)
                dst.write(chunk)
                size += len(chunk)
    except NotFoundInTarget:
        raise GvoError("its snapshot is missing") from None
    if size != gen.snapshot_size or h.hexdigest() != gen.snapshot_sha256:
        raise GvoError("its snapshot fails its checksum")
    return size


@contextlib.contextmanager
def _verified_segment(target: Target, key: str, spool: Path):
    """(segment without frames, local file holding its bytes), checked whole first.

    A file target's segment is read in place; a remote one is streamed into
    the spool file while it is checked. Either way nothing is applied before
    the sha256 over the whole segment has been checked.
    """
    root = target.local_path()
    if root is not None:
        with target.open_stream(key) as src:
            seg = segment.read_stream(src)
            yield seg, src
        return
    with open(spool, "w+b") as local:
        with target.open_stream(key) as src:
            seg = segment.read_stream(src, sink=local)
        yield seg, local


def _apply(src, seg: segment.Segment, fd: int, stop_after: int, size: int) -> int:
    """Write the pages of frames [0, stop_after] of seg (read from src) into the database fd.

    Consecutive page numbers become one pwritev; at each commit frame the file
    is cut to the commit's size. Returns the file's size afterwards.
    """
    hdr = seg.header
    ps, fsize = hdr.page_size, hdr.frame_size
    per = max(1, wal.CHUNK_BYTES // fsize)
    buf = bytearray(per * fsize)
    view = memoryview(buf)
    src.seek(seg.frames_offset)
    index = 0
    total = stop_after + 1
    while index < total:
        n = min(per, total - index)
        got = src.readinto(view[: n * fsize])
        if got != n * fsize:
            raise segment.SegmentError("segment changed while being applied")
        hw = wal.header_words(buf, n, ps)
        pgnos = hw[:, 0].tolist()
        sizes = hw[:, 1].tolist()
        i = 0
        while i < n:
            j = i + 1
            while j < n and pgnos[j] == pgnos[j - 1] + 1 and not sizes[j - 1]:
                j += 1
            base = i * fsize + wal.WAL_FRAME_HEADER_SIZE
            pages = [view[base + k * fsize : base + k * fsize + ps] for k in range(j - i)]
            os.pwritev(fd, pages, (pgnos[i] - 1) * ps)
            size = max(size, pgnos[j - 1] * ps)
            if sizes[j - 1] and sizes[j - 1] * ps != size:
                size = sizes[j - 1] * ps
                os.ftruncate(fd, size)
            i = j
        index += n
    return size


def _replay(target: Target, slug: str, built: Built, at: float | None) -> None:
    """Apply the generation's segments in order, whole transactions only.

    Each segment is read in bounded pieces twice: once to check it whole
    (sha256, structure), then to write its pages, in place with pwrite into
    the database file opened once.
    """
    objs = target.list(mf.segments_prefix(slug, built.generation.id))
    prev: segment.Segment | None = None
    expected = 1
    spool = built.path.with_name(".segment")
    fd = os.open(built.path, os.O_RDWR)
    try:
        size = os.fstat(fd).st_size
        for obj in objs:
            seq, t0, _t1 = segment.parse_name(obj.key)
            if at is not None and t0 > at:
                break
            if seq != expected:
                built.problems.append(f"segment {expected} is missing")
                return
            try:
                # The sha256 vouches for the bytes; SQLite's frame checksums were
                # checked when the frames were read from the WAL.
                with _verified_segment(target, obj.key, spool) as (seg, src):
                    built.bytes_read += obj.size
                    if prev is not None and seg.nframes and not _follows(prev, seg):
                        built.problems.append(
                            f"segment {seq} does not continue segment {seq - 1}")
                        return
                    # Whole transactions up to the point in time: the header lists them.
                    usable = [c for c in seg.commits if at is None or c[2] <= at]
                    if usable:
                        size = _apply(src, seg, fd, usable[-1][0], size)
                        off, _pages, when = usable[-1]
                        built.commit_at = when
                        built.commit_label = f"segment {seq}, WAL frame {seg.first_frame + off}"
                    if len(usable) < len(seg.commits):
                        return
            except segment.SegmentError as exc:
                built.problems.append(f"segment {seq} is unusable: {exc}")
                return
            except TargetError as exc:
                built.problems.append(f"segment {seq} cannot be read: {exc}")
                return
            built.segments += 1
            prev = seg
            expected += 1
    finally:
        os.close(fd)
        spool.unlink(missing_ok=True)


def _follows(prev: segment.Segment, seg: segment.Segment) -> bool:
    if seg.wal_header == prev.wal_header:
        return seg.first_frame == prev.next_frame and tuple(seg.prev_checksum) == tuple(
            prev.end_checksum)
    hdr = seg.header
    return seg.first_frame == 1 and tuple(seg.prev_checksum) == (hdr.checksum1, hdr.checksum2)


def _check(built: Built) -> None:
    """Both integrity checks, with the school's key; raise if either fails."""
    try:
        conn = connect(built.path, built.key)
    except GvoError as exc:
        raise GvoError(f"the restored database does not open: {exc}") from None
    try:
        bad = conn.execute("PRAGMA cipher_integrity_check").fetchall()
        if bad:
            raise GvoError(f"restored database fails cipher_integrity_check: {bad[0][0]}")
        result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        if result != ["ok"]:
            raise GvoError(f"restored database fails integrity_check: {result[0]}")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except DatabaseError as exc:
        raise GvoError(f"restored database is damaged: {exc}") from None
    finally:
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
    schools_dir = instance.path / "schools"
    schools_dir.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".restore-{new_slug}-", dir=schools_dir))
    replaced = None
    try:
        built = build(target, slug, instance.master_key, staging, at)
        if lock is not None:
            lock.close()
            lock = None
        m = built.manifest
        wrapped = m.keys[built.generation.key_version]
        if new_slug != m.slug:
            wrapped = keys.wrap_school_key(instance.master_key, new_slug, built.key)
        dest = instance.school_dir(new_slug)
        instance.close_school(new_slug)
        if dest.exists():
            replaced = schools_dir / f".replaced-{new_slug}-{time.strftime('%Y%m%dT%H%M%S')}"
            dest.rename(replaced)
        staging.rename(dest)
        instance.register_school(new_slug, m.name, wrapped, built.generation.key_version)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if lock is not None:
            lock.close()
    return Restored(new_slug, built, replaced, time.time() - started)
