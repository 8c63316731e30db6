"""Reading a SQLite write-ahead log: header, frames, checksums.

The WAL file format (sqlite.org/fileformat2.html, section 4 "The Write-Ahead
Log"): a 32-byte header, then frames of a 24-byte header and one page each.
Headers are plaintext even under SQLCipher; the pages are ciphertext and the
checksums are computed over those encrypted bytes, so nothing here needs a key.
"""

import struct
from dataclasses import dataclass
from pathlib import Path

# 4.1 WAL file format: the header.
WAL_HEADER_SIZE = 32
WAL_MAGIC_LE = 0x377F0682  # checksum words read little-endian
WAL_MAGIC_BE = 0x377F0683  # checksum words read big-endian
WAL_FORMAT_VERSION = 3007000
# Frame header: page number, "database size" (non-zero on a commit frame),
# salt-1, salt-2, checksum-1, checksum-2.
WAL_FRAME_HEADER_SIZE = 24

_HEADER = struct.Struct(">IIIIIIII")
_FRAME_HEADER = struct.Struct(">IIIIII")


class WalError(Exception):
    """A WAL (or a shipped copy of one) that does not follow the format."""


@dataclass(frozen=True)
class WalHeader:
    """The 32-byte WAL header."""

    magic: int
    format_version: int
    page_size: int
    checkpoint_seq: int
    salt1: int
    salt2: int
    checksum1: int
    checksum2: int
    raw: bytes

    @property
    def big_endian(self) -> bool:
        """Whether checksum words are read big-endian (the magic's low bit)."""
        return self.magic == WAL_MAGIC_BE

    @property
    def salts(self) -> tuple[int, int]:
        """Salt-1 and salt-2: every valid frame of this WAL repeats them."""
        return (self.salt1, self.salt2)

    @property
    def frame_size(self) -> int:
        """Bytes per frame: frame header plus one page."""
        return WAL_FRAME_HEADER_SIZE + self.page_size


@dataclass(frozen=True)
class FrameHeader:
    """The 24-byte header in front of each page in the WAL."""

    pgno: int
    db_size: int  # pages in the database after this commit; 0 if not a commit frame
    salt1: int
    salt2: int
    checksum1: int
    checksum2: int

    @property
    def is_commit(self) -> bool:
        """A commit frame ends a transaction."""
        return self.db_size != 0


def checksum(data: bytes, big_endian: bool, s0: int = 0, s1: int = 0) -> tuple[int, int]:
    """SQLite's WAL checksum over data (a multiple of 8 bytes), continuing from (s0, s1)."""
    if len(data) % 8:
        raise WalError("checksummed data must be a multiple of 8 bytes")
    words = struct.unpack(f"{'>' if big_endian else '<'}{len(data) // 4}I", data)
    mask = 0xFFFFFFFF
    it = iter(words)
    for x0, x1 in zip(it, it, strict=True):
        s0 = (s0 + x0 + s1) & mask
        s1 = (s1 + x1 + s0) & mask
    return s0, s1


def parse_header(raw: bytes) -> WalHeader:
    """Parse and check a WAL header (magic, version, page size, header checksum)."""
    if len(raw) < WAL_HEADER_SIZE:
        raise WalError("WAL header is short")
    raw = bytes(raw[:WAL_HEADER_SIZE])
    hdr = WalHeader(*_HEADER.unpack(raw), raw=raw)
    if hdr.magic not in (WAL_MAGIC_LE, WAL_MAGIC_BE):
        raise WalError(f"bad WAL magic {hdr.magic:#x}")
    if hdr.format_version != WAL_FORMAT_VERSION:
        raise WalError(f"unknown WAL format version {hdr.format_version}")
    if hdr.page_size < 512 or hdr.page_size > 65536 or hdr.page_size & (hdr.page_size - 1):
        raise WalError(f"bad WAL page size {hdr.page_size}")
    if checksum(raw[:24], hdr.big_endian) != (hdr.checksum1, hdr.checksum2):
        raise WalError("WAL header checksum mismatch")
    return hdr


def parse_frame_header(raw: bytes) -> FrameHeader:
    """Parse a 24-byte frame header."""
    return FrameHeader(*_FRAME_HEADER.unpack(raw[:WAL_FRAME_HEADER_SIZE]))


def frame_checksum(frame: bytes, big_endian: bool, prev: tuple[int, int]) -> tuple[int, int]:
    """The cumulative checksum of a frame: its first 8 header bytes and its page."""
    s = checksum(frame[:8], big_endian, *prev)
    return checksum(frame[WAL_FRAME_HEADER_SIZE:], big_endian, *s)


@dataclass
class CommittedRun:
    """Frames read from a WAL up to (and including) the last valid commit frame."""

    header: WalHeader
    first_frame: int  # 1-based index of the first frame in `data`
    data: bytes  # whole frames, ready to ship
    nframes: int
    end_checksum: tuple[int, int]  # cumulative checksum after the last frame in `data`
    commits: list[tuple[int, int]]  # (frame offset within run, database size) per commit


def read_committed(
    path: Path, header: WalHeader, next_frame: int, prev_checksum: tuple[int, int],
    max_bytes: int | None = None,
) -> CommittedRun:
    """Read valid frames from frame `next_frame` on; keep only those up to the last commit.

    A frame is valid while its salts equal the header's and its cumulative
    checksum follows from the previous one; the first invalid frame ends the
    log (as in SQLite's own recovery). Frames after the last commit frame
    belong to a transaction still open (or rolled back) and are not returned.
    """
    fsize = header.frame_size
    offset = WAL_HEADER_SIZE + (next_frame - 1) * fsize
    buf = bytearray()
    commits: list[tuple[int, int]] = []
    s = prev_checksum
    good_len, good_cksum, n = 0, prev_checksum, 0
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, read in chunks
    except FileNotFoundError:
        return CommittedRun(header, next_frame, b"", 0, prev_checksum, [])
    with f:
        f.seek(offset)
        while True:
            chunk = f.read(fsize * 64)
            if not chunk:
                break
            pos = 0
            stop = False
            while pos + fsize <= len(chunk):
                frame = chunk[pos : pos + fsize]
                fh = parse_frame_header(frame)
                if (fh.salt1, fh.salt2) != header.salts:
                    stop = True
                    break
                s = frame_checksum(frame, header.big_endian, s)
                if s != (fh.checksum1, fh.checksum2):
                    stop = True
                    break
                buf += frame
                n += 1
                if fh.is_commit:
                    commits.append((n - 1, fh.db_size))
                    good_len, good_cksum = len(buf), s
                pos += fsize
            if stop or pos < len(chunk) or (max_bytes and good_len >= max_bytes):
                break
    nframes = good_len // fsize
    return CommittedRun(header, next_frame, bytes(buf[:good_len]), nframes, good_cksum,
                        [c for c in commits if c[0] < nframes])


def read_header(path: Path) -> WalHeader | None:
    """The WAL's header, or None when there is no WAL or it is empty (or not yet valid)."""
    try:
        with open(path, "rb") as f:
            raw = f.read(WAL_HEADER_SIZE)
    except FileNotFoundError:
        return None
    if len(raw) < WAL_HEADER_SIZE:
        return None
    try:
        return parse_header(raw)
    except WalError:
        return None


def iter_frames(data: bytes, page_size: int):
    """(FrameHeader, page bytes) for each whole frame in data."""
    fsize = WAL_FRAME_HEADER_SIZE + page_size
    for pos in range(0, len(data) - fsize + 1, fsize):
        yield parse_frame_header(data[pos : pos + WAL_FRAME_HEADER_SIZE]), data[
            pos + WAL_FRAME_HEADER_SIZE : pos + fsize
        ]
