"""Reading a SQLite write-ahead log: header, frames, checksums.

The WAL file format (sqlite.org/fileformat2.html, section 4 "The Write-Ahead
Log"): a 32-byte header, then frames of a 24-byte header and one page each.
Headers are plaintext even under SQLCipher; the pages are ciphertext and the
checksums are computed over those encrypted bytes, so nothing here needs a key.
"""

import functools
import os
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gvo.storage import live_files

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


# Frames are read in pieces of about this many bytes: memory stays bounded
# whatever the size of a transaction.
CHUNK_BYTES = 1 << 20
# A run of committed frames up to this size is read once and kept for shipping.
HOLD_BYTES = 8 << 20
_MASK = 0xFFFFFFFF
_M32 = np.uint64(_MASK)


class WalChanged(WalError):
    """Frames changed between scanning and shipping them (the WAL restarted under us)."""


def _matmul2(a: tuple, b: tuple) -> tuple:
    """Product of two 2x2 matrices (row-major 4-tuples) mod 2**32."""
    return ((a[0] * b[0] + a[1] * b[2]) & _MASK, (a[0] * b[1] + a[1] * b[3]) & _MASK,
            (a[2] * b[0] + a[3] * b[2]) & _MASK, (a[2] * b[1] + a[3] * b[3]) & _MASK)


@functools.lru_cache(maxsize=8)
def _frame_weights(page_size: int) -> tuple[np.ndarray, tuple]:
    """Per-word weights of one frame's checksum contribution, and the frame's state matrix.

    The checksum recurrence over a word pair (a, b) is linear:
    state' = M @ state + (a, a + b) with M = [[1, 1], [1, 2]] (mod 2**32). Over
    the K pairs of a frame (8 header bytes, then the page) that gives
    state_K = M**K @ state_0 + sum_k M**(K-1-k) @ v_k, so a frame's contribution
    is a dot product of its words with fixed weights.
    """
    pairs = 1 + page_size // 8
    powers = [(1, 0, 0, 1)]
    for _ in range(pairs):
        powers.append(_matmul2(powers[-1], (1, 1, 1, 2)))
    w = np.empty((2 * pairs, 2), dtype=np.uint64)
    for k in range(pairs):
        p00, p01, p10, p11 = powers[pairs - 1 - k]
        w[2 * k] = ((p00 + p01) & _MASK, (p10 + p11) & _MASK)
        w[2 * k + 1] = (p01, p11)
    return w, powers[pairs]


def frame_checksums(buf, nframes: int, page_size: int, big_endian: bool,
                    prev: tuple[int, int]) -> np.ndarray:
    """Cumulative checksums after each of nframes whole frames in buf, as (nframes, 2) uint64.

    The same values as chaining frame_checksum() frame by frame, computed with
    numpy (vectorised, in C) instead of a Python loop over every word.
    """
    fsize = WAL_FRAME_HEADER_SIZE + page_size
    out = np.empty((nframes + 1, 2), dtype=np.uint64)
    out[0] = prev
    if nframes == 0:
        return out[1:]
    weights, step = _frame_weights(page_size)
    words = np.frombuffer(buf, dtype=">u4" if big_endian else "<u4",
                          count=nframes * fsize // 4).reshape(nframes, fsize // 4)
    contrib = words[:, :2].astype(np.uint64) @ weights[:2]
    contrib += words[:, 6:].astype(np.uint64) @ weights[2:]
    out[1:] = contrib & _M32
    # Chain the frames: s_i = A @ s_(i-1) + c_i, as a log-step prefix scan.
    power, d = step, 1
    while d <= nframes:
        a00, a01, a10, a11 = (np.uint64(x) for x in power)
        old = out[:-d]
        new0 = (old[:, 0] * a00 + old[:, 1] * a01 + out[d:, 0]) & _M32
        new1 = (old[:, 0] * a10 + old[:, 1] * a11 + out[d:, 1]) & _M32
        out[d:, 0] = new0
        out[d:, 1] = new1
        power = _matmul2(power, power)
        d *= 2
    return out[1:]


def header_words(buf, nframes: int, page_size: int) -> np.ndarray:
    """The six big-endian header fields of nframes whole frames in buf, as (nframes, 6)."""
    fsize = WAL_FRAME_HEADER_SIZE + page_size
    words = np.frombuffer(buf, dtype=">u4", count=nframes * fsize // 4)
    return words.reshape(nframes, fsize // 4)[:, :6]


@dataclass
class CommittedRun:
    """Frames of a WAL up to (and including) the last valid commit frame of a scan."""

    header: WalHeader
    first_frame: int  # 1-based index of the first frame of the run
    nframes: int
    end_checksum: tuple[int, int]  # cumulative checksum after the run's last frame
    commits: list[tuple[int, int]]  # (frame offset within run, database size) per commit
    at_end: bool = True  # the scan saw every committed frame (no backlog left behind)
    held: memoryview | None = None  # the frames' bytes, when they fitted the scan buffer
    data: bytes = b""  # the frames themselves, only from read_committed()


@dataclass
class _OpenTxn:
    """How far a scan got into a transaction that has not committed yet."""

    wal_header: bytes
    first_frame: int
    first_frame_header: bytes  # changes if the transaction is rolled back and begun again
    reached: int  # first frame not looked at


def _pread_frames(fd: int, view: memoryview, header: WalHeader, frame: int) -> int:
    """Read whole frames from 1-based index `frame` into view (as many as fit)."""
    fsize = header.frame_size
    want = len(view) // fsize * fsize
    offset = WAL_HEADER_SIZE + (frame - 1) * fsize
    got = 0
    while got < want:
        n = os.preadv(fd, [view[got:want]], offset + got)
        if n == 0:
            break
        got += n
    return got // fsize


@dataclass(frozen=True)
class IndexEnd:
    """The committed end of the WAL according to SQLite's WAL index (the -shm file)."""

    max_frame: int  # last frame of the last committed transaction (0: none)
    salts: tuple[int, int]  # of the WAL those frames belong to


# The WAL-index header (wal.c, WalIndexHdr): 48 bytes in native byte order, stored
# twice at the start of the -shm file; a writer updates the second copy, then the first.
_INDEX_HDR = struct.Struct("=IIIBBHIIIIIIII")
_INDEX_HDR_SIZE = 48


def index_end(shm_path: Path) -> IndexEnd | None:
    """The committed end recorded in the WAL index, or None if it cannot be read
    consistently (no -shm file, or a writer changing it as we read)."""
    try:  # never open()/close(): that would drop this process's SQLite locks on it
        raw = live_files.read(shm_path, 2 * _INDEX_HDR_SIZE)
    except FileNotFoundError:
        return None
    if len(raw) < 2 * _INDEX_HDR_SIZE or raw[:_INDEX_HDR_SIZE] != raw[_INDEX_HDR_SIZE:]:
        return None
    (_version, _unused, _change, is_init, _big_end, _page_size, max_frame, _pages,
     _ck1, _ck2, _s1, _s2, _hck1, _hck2) = _INDEX_HDR.unpack(raw[:_INDEX_HDR_SIZE])
    if not is_init:
        return None
    # The salts are the WAL header's bytes, copied as they are (big-endian).
    return IndexEnd(max_frame, struct.unpack_from(">II", raw, 32))


# Scan buffers belong to the thread that scans, not to a scanner: a server with many
# schools has a scanner per school but only a few replication threads.
_buffers = threading.local()


def _thread_buffer(name: str, size: int) -> bytearray:
    buf = getattr(_buffers, name, None)
    if buf is None or len(buf) != size:
        buf = bytearray(size)
        setattr(_buffers, name, buf)
    return buf


class WalScanner:
    """Finds and checks the committed frames past a position, reading each frame once.

    One per shipper. A run of up to `hold_bytes` is read into a buffer and
    handed back (CommittedRun.held), so shipping it needs no second read; a
    longer transaction is checked in pieces of `chunk_bytes` and read again by
    chunks() when shipped: memory stays bounded whatever its size. The buffers
    are the calling thread's, reused by every scanner it drives (so a held run
    must be shipped before the thread scans again). The scanner also remembers
    how far it got into a transaction still open, so a long one is not re-read
    on every poll.
    """

    def __init__(self, path: Path, chunk_bytes: int = CHUNK_BYTES,
                 hold_bytes: int = HOLD_BYTES):
        self.path = Path(path)
        self.chunk_bytes = chunk_bytes
        self.hold_bytes = hold_bytes
        self._open_txn: _OpenTxn | None = None

    def forget_open_transaction(self) -> None:
        """Look at the next run from its first frame, whatever was seen before."""
        self._open_txn = None

    def _buffer(self, fsize: int) -> bytearray:
        return _thread_buffer("scratch", max(1, self.chunk_bytes // fsize) * fsize)

    def _hold_buffer(self, fsize: int) -> memoryview:
        return memoryview(_thread_buffer("hold", max(1, self.hold_bytes // fsize) * fsize))

    def scan(self, header: WalHeader, next_frame: int, prev_checksum: tuple[int, int],
             max_bytes: int | None = None, *, hold: bool = True) -> CommittedRun:
        """The valid committed frames from `next_frame` on: at least one whole
        transaction, then stopping at the first commit past max_bytes or when the
        hold buffer is full.

        A frame is valid while its salts equal the header's and its cumulative
        checksum follows from the previous one; the first invalid frame ends the
        log (as in SQLite's own recovery). Frames after the last commit frame
        belong to a transaction still open (or rolled back) and are left out.
        With hold=False nothing is kept and the scan goes to the end of the log.
        """
        empty = CommittedRun(header, next_frame, 0, prev_checksum, [])
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return empty
        try:
            return self._scan(fd, header, next_frame, prev_checksum, max_bytes, hold)
        finally:
            os.close(fd)

    def _first_header(self, fd: int, header: WalHeader, frame: int) -> bytes:
        return os.pread(fd, WAL_FRAME_HEADER_SIZE,
                        WAL_HEADER_SIZE + (frame - 1) * header.frame_size)

    def _commit_frame_from(self, fd: int, header: WalHeader, frame: int,
                           scratch: memoryview) -> int | None:
        """None if a frame from `frame` on carries the WAL's salts and a database size
        (a commit, perhaps); else the first frame not looked at. Headers only."""
        while True:
            n = _pread_frames(fd, scratch, header, frame)
            if n == 0:
                return frame
            hw = header_words(scratch, n, header.page_size)
            ours = (hw[:, 2] == header.salt1) & (hw[:, 3] == header.salt2)
            valid = n if ours.all() else int(np.argmin(ours))
            if hw[:valid, 1].any():
                return None
            frame += valid
            if valid < n or n * header.frame_size < len(scratch):
                return frame

    def _scan(self, fd: int, header: WalHeader, next_frame: int,
              prev_checksum: tuple[int, int], max_bytes: int | None, keep: bool
              ) -> CommittedRun:
        fsize, ps = header.frame_size, header.page_size
        frame, s = next_frame, prev_checksum
        known = self._open_txn
        hold = self._hold_buffer(fsize) if keep else None
        scratch = memoryview(self._buffer(fsize))
        if (known and known.wal_header == header.raw and known.first_frame == next_frame
                and self._first_header(fd, header, next_frame) == known.first_frame_header):
            # The transaction was still open last time. Until a commit frame appears past
            # where we looked, only frame headers are read; then the whole run is checked
            # again from its start, because SQLite may rewrite an open transaction's
            # frames in place and recompute their checksums when it commits.
            reached = self._commit_frame_from(fd, header, known.reached, scratch)
            if reached is not None:
                known.reached = reached
                return CommittedRun(header, next_frame, 0, prev_checksum, [])
        per_read = len(scratch) // fsize
        commits: list[tuple[int, int]] = []
        end_ck = prev_checksum
        at_end = True
        while True:
            if hold is not None:
                pos = (frame - next_frame) * fsize
                room = (len(hold) - pos) // fsize
                if room == 0 and commits:
                    at_end = False  # a full buffer: ship this much, then look again
                    break
                if room == 0:
                    hold = None  # one transaction longer than the buffer: check it in pieces
            view = (hold[pos : pos + min(room, per_read) * fsize] if hold is not None
                    else scratch)
            n = _pread_frames(fd, view, header, frame)
            if n == 0:
                break
            data = view[: n * fsize]
            hw = header_words(data, n, ps)
            sums = frame_checksums(data, n, ps, header.big_endian, s)
            ok = ((hw[:, 2] == header.salt1) & (hw[:, 3] == header.salt2)
                  & (hw[:, 4] == sums[:, 0]) & (hw[:, 5] == sums[:, 1]))
            valid = n if ok.all() else int(np.argmin(ok))
            stop = valid < n or n * fsize < len(view)
            for i in np.flatnonzero(hw[:valid, 1]).tolist():
                commits.append((frame + i, int(hw[i, 1])))
                end_ck = (int(sums[i, 0]), int(sums[i, 1]))
                if max_bytes and (frame + i - next_frame + 1) * fsize >= max_bytes:
                    at_end = stop = False
                    break
            else:
                if valid:
                    s = (int(sums[valid - 1, 0]), int(sums[valid - 1, 1]))
                frame += valid
                if not stop:
                    continue
            break
        if not commits:
            self._open_txn = None
            if frame > next_frame:
                self._open_txn = _OpenTxn(header.raw, next_frame,
                                          self._first_header(fd, header, next_frame), frame)
            return CommittedRun(header, next_frame, 0, prev_checksum, [])
        self._open_txn = None
        nframes = commits[-1][0] - next_frame + 1
        rel = [(i - next_frame, size) for i, size in commits]
        held = hold[: nframes * fsize] if hold is not None else None
        return CommittedRun(header, next_frame, nframes, end_ck, rel, at_end, held)

    def chunks(self, header: WalHeader, first_frame: int, nframes: int,
               end_checksum: tuple[int, int]):
        """The bytes of frames [first_frame, first_frame + nframes) in bounded pieces.

        Each piece is a view of a reused buffer (consume it before the next).
        Raises WalChanged if the frames no longer carry the header's salts or
        the run no longer ends with end_checksum: a WAL restart overwrote them.
        """
        fsize = header.frame_size
        buf = memoryview(self._buffer(fsize))
        fd = os.open(self.path, os.O_RDONLY)
        try:
            frame, end = first_frame, first_frame + nframes
            while frame < end:
                n = _pread_frames(fd, buf[: min(len(buf), (end - frame) * fsize)], header,
                                  frame)
                if n == 0:
                    raise WalChanged("the WAL is shorter than the frames scanned")
                hw = header_words(buf, n, header.page_size)
                if not ((hw[:, 2] == header.salt1) & (hw[:, 3] == header.salt2)).all():
                    raise WalChanged("frames changed salts while being shipped")
                if frame + n == end and (int(hw[-1, 4]), int(hw[-1, 5])) != tuple(end_checksum):
                    raise WalChanged("the last frame changed while being shipped")
                yield buf[: n * fsize]
                frame += n
        finally:
            os.close(fd)


def coalesce(frames: memoryview, header: WalHeader) -> tuple[memoryview, int]:
    """The last version of each page of a run of whole transactions, in WAL order.

    This is what a checkpoint of the run would copy into the database, and all a
    restore needs: the replica holds commit times per segment, not per frame,
    so no restorable point falls inside a run. Pages past the last commit's
    database size are dropped; the "database size" field is zeroed on every
    frame but the last (the run's last commit frame, kept as it is), so the
    result reads as one transaction. Frame checksums are left as they were:
    they no longer chain, and the segment's own digest vouches for the bytes.
    Returns (frames, how many); the input itself when no frame is superseded.
    """
    fsize = header.frame_size
    n = len(frames) // fsize
    pg = header_words(frames, n, header.page_size)[:, 0]
    final_pages = int.from_bytes(frames[(n - 1) * fsize + 4 : (n - 1) * fsize + 8], "big")
    _pages, first_from_end = np.unique(pg[::-1], return_index=True)
    keep = np.sort(n - 1 - first_from_end)
    keep = keep[(pg[keep] <= final_pages) | (keep == n - 1)]
    if len(keep) == n:
        return frames, n
    out = np.frombuffer(frames, dtype=np.uint8, count=n * fsize).reshape(n, fsize)[keep]
    out[:-1, 4:8] = 0
    return memoryview(out).cast("B"), len(keep)


def read_committed(
    path: Path, header: WalHeader, next_frame: int, prev_checksum: tuple[int, int],
    max_bytes: int | None = None,
) -> CommittedRun:
    """Like WalScanner.scan, with the frames' bytes in memory (for tests and small runs)."""
    scanner = WalScanner(path)
    run = scanner.scan(header, next_frame, prev_checksum, max_bytes)
    if run.nframes:
        run.data = b"".join(bytes(c) for c in scanner.chunks(header, next_frame, run.nframes,
                                                               run.end_checksum))
    return run


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


def live_lag(db_path, last_commit_at: float, now: float | None = None) -> float:
    """Seconds the replica may be behind: 0 when no commit is newer than the last one
    shipped, else the time since that one.

    Every commit writes the WAL, so the WAL's mtime is the newest commit's time; the
    database file's is not (checkpoints write it, and so does a server's first round
    after a restart: counting it showed the downtime as lag).
    """
    try:
        st = os.stat(str(db_path) + "-wal")
    except FileNotFoundError:
        return 0.0
    if st.st_size <= WAL_HEADER_SIZE or st.st_mtime <= last_commit_at:
        return 0.0  # no frame (opening a database makes an empty WAL), or none newer
    return max(0.0, (time.time() if now is None else now) - last_commit_at)
