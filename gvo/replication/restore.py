"""Rebuilding a school database from a replica: snapshot, then segments, then checks.

Segments are replayed without the key: each page is written at
(pgno-1) * page_size and the file is cut to the commit's database size, one
whole transaction at a time. The key is needed only to check the result
(PRAGMA cipher_integrity_check and PRAGMA integrity_check) and is unwrapped
from the manifest with the master key before anything is written.
"""

import hashlib
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
    try:
        target.get_file(mf.snapshot_key(slug, gen.id), path)
    except NotFoundInTarget:
        raise GvoError("its snapshot is missing") from None
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    size = path.stat().st_size
    if size != gen.snapshot_size or h.hexdigest() != gen.snapshot_sha256:
        raise GvoError("its snapshot fails its checksum")
    return size


def _replay(target: Target, slug: str, built: Built, at: float | None) -> None:
    """Apply the generation's segments in order, whole transactions only."""
    objs = target.list(mf.segments_prefix(slug, built.generation.id))
    prev: segment.Segment | None = None
    expected = 1
    with open(built.path, "r+b") as db:
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
                seg = segment.decode(target.get(obj.key), verify_frames=False)
            except segment.SegmentError as exc:
                built.problems.append(f"segment {seq} is unusable: {exc}")
                return
            except TargetError as exc:
                built.problems.append(f"segment {seq} cannot be read: {exc}")
                return
            built.bytes_read += obj.size
            if prev is not None and seg.nframes and not _follows(prev, seg):
                built.problems.append(f"segment {seq} does not continue segment {seq - 1}")
                return
            hdr = seg.header
            pending: list[tuple[int, bytes]] = []
            commit_times = {off: t for off, _size, t in seg.commits}
            for i, (fh, page) in enumerate(wal.iter_frames(seg.frames, hdr.page_size)):
                pending.append((fh.pgno, page))
                if not fh.is_commit:
                    continue
                when = commit_times.get(i, seg.stamped_at)
                if at is not None and when > at:
                    return
                for pgno, data in pending:
                    db.seek((pgno - 1) * hdr.page_size)
                    db.write(data)
                db.truncate(fh.db_size * hdr.page_size)
                pending = []
                built.commit_at = when
                built.commit_label = f"segment {seq}, WAL frame {seg.first_frame + i}"
            built.segments += 1
            prev = seg
            expected += 1


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
