"""File contents as chunked BLOBs inside the school database.

A file is written chunk by chunk (1 MiB rows in `blob_chunks`) from its
checked, encrypted temporary copy (`gvo.library.intake`), and read back the
same way, so neither direction ever holds a whole file in memory and the bytes
are never on disk in plaintext. While a blob streams, the connection's page
cache is made small: otherwise every page of a large file passes through (and
stays in) a 64 MiB cache.
"""

import contextlib
import hashlib
import io
from collections.abc import Iterator

from gvo.core import clock
from gvo.storage.sqlcipher import Connection

CHUNK_SIZE = 1024 * 1024
STREAM_CACHE_KIB = 2048        # page cache while a blob streams in or out


@contextlib.contextmanager
def small_cache(conn: Connection) -> Iterator[None]:
    """Use a small page cache for the duration (large files must not fill memory)."""
    before = conn.execute("PRAGMA cache_size").fetchone()[0]  # the server's share of its budget
    conn.execute(f"PRAGMA cache_size = -{STREAM_CACHE_KIB}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {int(before)}")


class BlobWriter:
    """Writes one blob inside the caller's transaction; `close()` returns its id.

    The bytes are ones already checked (`gvo.library.intake`): the writer only stores them.
    """

    def __init__(self, conn: Connection):
        self.conn = conn
        self.size = 0
        self._hash = hashlib.sha256()
        self._buf = bytearray()
        self._seq = 0
        self.id = conn.execute(
            "INSERT INTO blobs(size, sha256, chunk_size, created_at) VALUES (0, '', ?, ?)",
            (CHUNK_SIZE, clock.iso()),
        ).lastrowid

    def write(self, data: bytes) -> None:
        """Append bytes."""
        if not data:
            return
        self.size += len(data)
        self._hash.update(data)
        view = memoryview(data)
        if self._buf:  # top up the partial chunk first
            take = CHUNK_SIZE - len(self._buf)
            self._buf += view[:take]
            view = view[take:]
            if len(self._buf) < CHUNK_SIZE:
                return
            self._put(self._buf)
            self._buf = bytearray()
        # Whole chunks straight from the caller's bytes (no copy); keep the rest.
        while len(view) >= CHUNK_SIZE:
            self._put(view[:CHUNK_SIZE])
            view = view[CHUNK_SIZE:]
        self._buf += view

    def _put(self, chunk) -> None:
        self.conn.execute("INSERT INTO blob_chunks(blob_id, seq, data) VALUES (?, ?, ?)",
                          (self.id, self._seq, chunk))
        self._seq += 1

    def close(self) -> int:
        """Write the last chunk and the blob's size and hash."""
        if self._buf:
            self._put(self._buf)
            self._buf = bytearray()
        self.conn.execute("UPDATE blobs SET size = ?, sha256 = ? WHERE id = ?",
                          (self.size, self._hash.hexdigest(), self.id))
        return self.id


def stream(conn: Connection, blob_id: int) -> Iterator[bytes]:
    """The blob's bytes, one chunk at a time (one short read per chunk, no long transaction)."""
    with small_cache(conn):
        seq = 0
        while True:
            row = conn.execute("SELECT data FROM blob_chunks WHERE blob_id = ? AND seq = ?",
                               (blob_id, seq)).fetchone()
            if row is None:
                return
            yield bytes(row[0])
            seq += 1


class SizedReader(io.RawIOBase):
    """A seekable, read-only file of `size` bytes (for zipfile and pypdf); a subclass reads
    the bytes at `pos` in `readinto`."""

    def __init__(self, size: int):
        self.size, self.pos = size, 0

    def readable(self) -> bool:
        """Always readable."""
        return True

    def seekable(self) -> bool:
        """Always seekable."""
        return True

    def tell(self) -> int:
        """The current position."""
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move the position, as for a file."""
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos


class BlobReader(SizedReader):
    """A seekable, read-only file over a blob."""

    def __init__(self, conn: Connection, blob_id: int):
        row = conn.execute("SELECT size, chunk_size FROM blobs WHERE id = ?",
                           (blob_id,)).fetchone()
        super().__init__(row["size"])
        self.conn, self.blob_id = conn, blob_id
        self.chunk_size = row["chunk_size"]
        self._seq, self._chunk = -1, b""

    def readinto(self, buffer) -> int:
        """Read into a buffer from the current position."""
        if self.pos >= self.size:
            return 0
        seq, offset = divmod(self.pos, self.chunk_size)
        if seq != self._seq:
            row = self.conn.execute(
                "SELECT data FROM blob_chunks WHERE blob_id = ? AND seq = ?",
                (self.blob_id, seq)).fetchone()
            self._seq, self._chunk = seq, bytes(row[0])
        piece = self._chunk[offset: offset + len(buffer)]
        buffer[: len(piece)] = piece
        self.pos += len(piece)
        return len(piece)


def open_blob(conn: Connection, blob_id: int) -> io.BufferedReader:
    """A buffered, seekable reader over a blob."""
    return io.BufferedReader(BlobReader(conn, blob_id), buffer_size=64 * 1024)


def read_all(conn: Connection, blob_id: int) -> bytes:
    """The whole blob in memory (tests and small files only)."""
    return b"".join(stream(conn, blob_id))


def delete_unused(conn: Connection) -> int:
    """Remove blobs no version refers to, with their PDF copies (`pdf_copies`); returns how
    many (call inside a transaction)."""
    ids = [r[0] for r in conn.execute(
        "SELECT b.id FROM blobs b WHERE NOT EXISTS"
        " (SELECT 1 FROM document_versions v WHERE v.blob_id = b.id) AND NOT EXISTS"
        " (SELECT 1 FROM document_pdfs p JOIN document_versions v ON v.blob_id = p.blob_id"
        "  WHERE p.pdf_blob_id = b.id)")]
    for blob_id in ids:
        conn.execute("DELETE FROM document_pdfs WHERE blob_id = ? OR pdf_blob_id = ?",
                     (blob_id, blob_id))
        conn.execute("DELETE FROM blob_chunks WHERE blob_id = ?", (blob_id,))
        conn.execute("DELETE FROM blobs WHERE id = ?", (blob_id,))
    return len(ids)
