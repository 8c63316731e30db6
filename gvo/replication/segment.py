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
import io
import json
import struct
from dataclasses import dataclass

import numpy as np

from gvo.replication import wal

MAGIC = b"GVOSEG01"
_LEN = struct.Struct(">I")
DIGEST_SIZE = 32
MAX_HEAD_BYTES = 16 * 1024 * 1024  # a JSON header is a few hundred bytes per commit


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
    # When the frames are not held in memory (streamed): their length, and where they
    # start in the stored object.
    frame_bytes: int | None = None
    frames_offset: int = 0
    # Frames of the live WAL the segment stands for, when it holds fewer: a
    # coalesced run (wal.coalesce) keeps only each page's last version.
    wal_frames: int | None = None

    @property
    def header(self) -> wal.WalHeader:
        """The WAL header this segment's frames belong to."""
        return wal.parse_header(self.wal_header)

    @property
    def nframes(self) -> int:
        """How many frames the segment holds."""
        return self.frames_length // self.header.frame_size

    @property
    def frames_length(self) -> int:
        """Bytes of frames, whether held in `frames` or streamed."""
        return len(self.frames) if self.frame_bytes is None else self.frame_bytes

    @property
    def next_frame(self) -> int:
        """The WAL frame index right after this segment."""
        return self.first_frame + (self.nframes if self.wal_frames is None else self.wal_frames)

    @property
    def last_wal_frame(self) -> int:
        """The live WAL's index of the segment's last frame (its last commit)."""
        return self.next_frame - 1

    def key_name(self) -> str:
        """The object name: sequence, then first and last commit time (the time index)."""
        times = [c[2] for c in self.commits] or [self.stamped_at]
        return f"{self.seq:010d}-{int(times[0] * 1000):013d}-{int(times[-1] * 1000):013d}.seg"

    def head(self) -> bytes:
        """Magic, header length and JSON header: the bytes in front of the frames."""
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
            "frame_bytes": self.frames_length,
            **({} if self.wal_frames is None else {"wal_frames": self.wal_frames}),
        }, sort_keys=True).encode()
        return MAGIC + _LEN.pack(len(head)) + head

    def encode(self) -> bytes:
        """The bytes to store (frames held in memory: small segments and tests)."""
        body = self.head() + self.frames
        return body + hashlib.sha256(body).digest()

    def write(self, out, chunks) -> int:
        """Stream the segment to out (anything with write()): head, frame chunks, sha256.

        `chunks` yields the frames in pieces; frame_bytes must already say how
        many bytes they add up to. Returns the bytes written.
        """
        h = hashlib.sha256()
        head = self.head()
        h.update(head)
        out.write(head)
        n = 0
        for chunk in chunks:
            h.update(chunk)
            out.write(chunk)
            n += len(chunk)
        if n != self.frames_length:
            raise SegmentError(f"streamed {n} frame bytes, expected {self.frames_length}")
        out.write(h.digest())
        return len(head) + n + DIGEST_SIZE


def parse_name(name: str) -> tuple[int, float, float]:
    """(seq, first commit time, last commit time) from a segment's object name."""
    stem = name.rsplit("/", 1)[-1].removesuffix(".seg")
    seq, first, last = stem.split("-")
    return int(seq), int(first) / 1000, int(last) / 1000


def decode(data: bytes, *, verify_frames: bool = True) -> Segment:
    """Parse a stored segment held in memory, checking its digest, structure and
    (by default) its frame checksums."""
    seg = read_stream(io.BytesIO(data), verify_frames=verify_frames)
    seg.frames = bytes(data[seg.frames_offset : seg.frames_offset + seg.frame_bytes])
    seg.frame_bytes = None
    return seg


def _read_exact(src, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        chunk = src.read(n - len(out))
        if not chunk:
            break
        out += chunk
    return bytes(out)


def read_stream(src, *, sink=None, verify_frames: bool = False,
                chunk_bytes: int = wal.CHUNK_BYTES, frame_headers: list | None = None
                ) -> Segment:
    """Read a stored segment from a binary stream in bounded pieces and check it whole.

    Checks the sha256 over everything, the header, that the frames are whole,
    carry the WAL header's salts, have commit frames exactly where the header
    lists its commits, end on a commit frame with the recorded end checksum,
    and (verify_frames) their cumulative checksums. Every byte read is also
    written to sink, if given (a local copy of a remote segment). Returns the
    segment without its frames (frame_bytes and frames_offset say where they are).
    With frame_headers (a list), each piece's page numbers and "database size"
    fields are appended to it as a (frames, 2) uint32 array: what a restore
    needs to know where every page's last version is, without reading it again.
    """
    h = hashlib.sha256()

    def take(n: int) -> bytes:
        data = _read_exact(src, n)
        h.update(data)
        if sink is not None:
            sink.write(data)
        return data

    start = take(len(MAGIC) + _LEN.size)
    if len(start) < len(MAGIC) + _LEN.size or not start.startswith(MAGIC):
        raise SegmentError("not a segment (bad magic or truncated)")
    (hlen,) = _LEN.unpack_from(start, len(MAGIC))
    if hlen > MAX_HEAD_BYTES:
        raise SegmentError("segment header is too long (corrupted)")
    raw_head = take(hlen)
    if len(raw_head) < hlen:
        raise SegmentError("not a segment (truncated)")
    try:
        head = json.loads(raw_head)
        seg = Segment(
            generation=head["generation"],
            seq=head["seq"],
            wal_header=bytes.fromhex(head["wal_header"]),
            first_frame=head["first_frame"],
            prev_checksum=tuple(head["prev_checksum"]),
            end_checksum=tuple(head["end_checksum"]),
            commits=[tuple(c) for c in head["commits"]],
            db_stat=tuple(head["db_stat"]),
            stamped_at=head.get("stamped_at", 0.0),
            frame_bytes=int(head["frame_bytes"]),
            frames_offset=len(MAGIC) + _LEN.size + hlen,
            wal_frames=None if head.get("wal_frames") is None else int(head["wal_frames"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise SegmentError("unreadable segment header (corrupted)") from exc
    try:
        hdr = seg.header
    except wal.WalError as exc:
        raise SegmentError(f"bad WAL header: {exc}") from exc
    fsize = hdr.frame_size
    if seg.frame_bytes < 0 or seg.frame_bytes % fsize:
        raise SegmentError("frames are not whole")
    if seg.wal_frames is not None and seg.wal_frames < seg.frame_bytes // fsize:
        raise SegmentError("a coalesced segment holds more frames than it stands for")
    # Coalesced frames are checked by the digest only: their checksums no longer chain.
    verify_frames = verify_frames and seg.wal_frames is None
    per = max(1, chunk_bytes // fsize)
    left = seg.frame_bytes // fsize
    buf = bytearray(min(per, left) * fsize)
    view = memoryview(buf)

    def take_frames(n: int) -> memoryview:
        """n frames into the reused buffer (one copy, no joining)."""
        want = n * fsize
        got = 0
        while got < want:
            k = src.readinto(view[got:want])
            if not k:
                break
            got += k
        data = view[:got]
        h.update(data)
        if sink is not None:
            sink.write(data)
        return data
    index = 0
    commits: list[tuple[int, int]] = []
    s = tuple(seg.prev_checksum)
    last = None  # header words of the last frame
    bad = None
    while left:
        n = min(per, left)
        data = take_frames(n)
        if len(data) < n * fsize:
            raise SegmentError("sha256 mismatch (truncated or corrupted)")
        hw = wal.header_words(data, n, hdr.page_size)
        if frame_headers is not None:
            frame_headers.append(hw[:, :2].astype(np.uint32))
        if bad is None:
            foreign = (hw[:, 2] != hdr.salt1) | (hw[:, 3] != hdr.salt2)
            if foreign.any():
                bad = (f"frame {seg.first_frame + index + int(np.argmax(foreign))} "
                       "has foreign salts")
            elif verify_frames:
                sums = wal.frame_checksums(data, n, hdr.page_size, hdr.big_endian, s)
                wrong = (hw[:, 4] != sums[:, 0]) | (hw[:, 5] != sums[:, 1])
                if wrong.any():
                    bad = (f"frame {seg.first_frame + index + int(np.argmax(wrong))} "
                       "fails its checksum")
                s = (int(sums[-1, 0]), int(sums[-1, 1]))
        for i in np.flatnonzero(hw[:, 1]).tolist():
            commits.append((index + i, int(hw[i, 1])))
        last = (int(hw[-1, 1]), int(hw[-1, 4]), int(hw[-1, 5]))
        index += n
        left -= n
    expected = h.digest()
    digest = take(DIGEST_SIZE)
    if digest != expected:
        raise SegmentError("sha256 mismatch (truncated or corrupted)")
    if _read_exact(src, 1):
        raise SegmentError("sha256 mismatch (trailing bytes, corrupted)")
    if bad:
        raise SegmentError(bad)
    if last is not None:
        if last[0] == 0:
            raise SegmentError("segment does not end on a commit frame")
        if (last[1], last[2]) != tuple(seg.end_checksum):
            raise SegmentError("segment end checksum mismatch")
    if verify_frames and s != tuple(seg.end_checksum) and last is not None:
        raise SegmentError("segment end checksum mismatch")
    if commits != [(c[0], c[1]) for c in seg.commits]:
        raise SegmentError("commit frames do not match the segment header")
    return seg


