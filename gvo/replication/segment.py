"""The segment file: a run of WAL frames (ciphertext, unchanged) and what they continue.

Layout (all in one object, so a segment proves its own integrity)::

    b"GVOSEG01"                 magic
    u32 big-endian              length of the JSON header
    JSON header                 generation, seq, WAL header, first frame, checksums,
                                commit times, database file identity (no secrets)
    frames                      whole WAL frames exactly as SQLite wrote them
    sha256                      32 bytes over everything above

A segment with no frames records a checkpoint (the database file's new
identity) so a later replicator can prove it may continue the generation.
"""

import hashlib
import json
import struct
from dataclasses import dataclass, field

from gvo.replication import wal

MAGIC = b"GVOSEG01"
_LEN = struct.Struct(">I")
DIGEST_SIZE = 32


class SegmentError(Exception):
    """A segment that is truncated, corrupted or inconsistent."""


@dataclass
class Segment:
    """One shipped run of frames, with the position it starts from and ends at."""

    generation: str
    seq: int
    wal_header: bytes  # the 32-byte WAL header the frames belong to
    first_frame: int
    prev_checksum: tuple[int, int]
    end_checksum: tuple[int, int]
    commits: list[tuple[int, int, float]]  # (frame offset, database pages, commit time)
    db_stat: tuple[int, int, int]  # (size, mtime_ns, inode) of the database file when shipped
    frames: bytes = b""
    stamped_at: float = 0.0
    meta: dict = field(default_factory=dict)

    @property
    def header(self) -> wal.WalHeader:
        """The WAL header this segment's frames belong to."""
        return wal.parse_header(self.wal_header)

    @property
    def nframes(self) -> int:
        """How many frames the segment holds."""
        return len(self.frames) // self.header.frame_size

    @property
    def next_frame(self) -> int:
        """The WAL frame index right after this segment."""
        return self.first_frame + self.nframes

    def key_name(self) -> str:
        """The object name: sequence, then first and last commit time (the time index)."""
        times = [c[2] for c in self.commits] or [self.stamped_at]
        return f"{self.seq:010d}-{int(times[0] * 1000):013d}-{int(times[-1] * 1000):013d}.seg"

    def encode(self) -> bytes:
        """The bytes to store."""
        head = json.dumps({
            "generation": self.generation,
            "seq": self.seq,
            "wal_header": self.wal_header.hex(),
            "first_frame": self.first_frame,
            "prev_checksum": list(self.prev_checksum),
            "end_checksum": list(self.end_checksum),
            "commits": [list(c) for c in self.commits],
            "db_stat": list(self.db_stat),
            "stamped_at": self.stamped_at,
            "frame_bytes": len(self.frames),
            **self.meta,
        }, sort_keys=True).encode()
        body = MAGIC + _LEN.pack(len(head)) + head + self.frames
        return body + hashlib.sha256(body).digest()


def parse_name(name: str) -> tuple[int, float, float]:
    """(seq, first commit time, last commit time) from a segment's object name."""
    stem = name.rsplit("/", 1)[-1].removesuffix(".seg")
    seq, first, last = stem.split("-")
    return int(seq), int(first) / 1000, int(last) / 1000


def decode(data: bytes, *, verify_frames: bool = True) -> Segment:
    """Parse a stored segment, checking its digest and (by default) its frame checksums."""
    if len(data) < len(MAGIC) + _LEN.size + DIGEST_SIZE or not data.startswith(MAGIC):
        raise SegmentError("not a segment (bad magic or truncated)")
    body, digest = data[:-DIGEST_SIZE], data[-DIGEST_SIZE:]
    if hashlib.sha256(body).digest() != digest:
        raise SegmentError("sha256 mismatch (truncated or corrupted)")
    (hlen,) = _LEN.unpack_from(body, len(MAGIC))
    start = len(MAGIC) + _LEN.size
    try:
        head = json.loads(body[start : start + hlen])
    except ValueError as exc:
        raise SegmentError("unreadable segment header") from exc
    frames = body[start + hlen :]
    if len(frames) != head["frame_bytes"]:
        raise SegmentError("frame bytes do not match the header")
    seg = Segment(
        generation=head["generation"],
        seq=head["seq"],
        wal_header=bytes.fromhex(head["wal_header"]),
        first_frame=head["first_frame"],
        prev_checksum=tuple(head["prev_checksum"]),
        end_checksum=tuple(head["end_checksum"]),
        commits=[tuple(c) for c in head["commits"]],
        db_stat=tuple(head["db_stat"]),
        frames=frames,
        stamped_at=head.get("stamped_at", 0.0),
    )
    try:
        hdr = seg.header
    except wal.WalError as exc:
        raise SegmentError(f"bad WAL header: {exc}") from exc
    if len(frames) % hdr.frame_size:
        raise SegmentError("frames are not whole")
    if verify_frames:
        check_frames(seg)
    else:
        check_structure(seg)
    return seg


def check_structure(seg: Segment) -> None:
    """Cheap checks when the sha256 already vouches for the bytes: salts, last frame commits."""
    hdr = seg.header
    frames = list(wal.iter_frames(seg.frames, hdr.page_size))
    for i, (fh, _page) in enumerate(frames):
        if (fh.salt1, fh.salt2) != hdr.salts:
            raise SegmentError(f"frame {seg.first_frame + i} has foreign salts")
    if frames and not frames[-1][0].is_commit:
        raise SegmentError("segment does not end on a commit frame")
    if frames and (frames[-1][0].checksum1, frames[-1][0].checksum2) != tuple(seg.end_checksum):
        raise SegmentError("segment end checksum mismatch")


def check_frames(seg: Segment) -> None:
    """Recompute the frames' salts and cumulative checksums from the segment's start."""
    hdr = seg.header
    s = seg.prev_checksum
    for i, (fh, _page) in enumerate(wal.iter_frames(seg.frames, hdr.page_size)):
        pos = i * hdr.frame_size
        frame = seg.frames[pos : pos + hdr.frame_size]
        if (fh.salt1, fh.salt2) != hdr.salts:
            raise SegmentError(f"frame {seg.first_frame + i} has foreign salts")
        s = wal.frame_checksum(frame, hdr.big_endian, s)
        if s != (fh.checksum1, fh.checksum2):
            raise SegmentError(f"frame {seg.first_frame + i} fails its checksum")
    if s != seg.end_checksum:
        raise SegmentError("segment end checksum mismatch")
    if seg.nframes:
        last, _ = next(iter(wal.iter_frames(seg.frames[-hdr.frame_size :], hdr.page_size)))
        if not last.is_commit:
            raise SegmentError("segment does not end on a commit frame")
