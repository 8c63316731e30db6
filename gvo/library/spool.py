"""Encrypted spooling for waitress: request and response bodies never hit disk in plaintext.

waitress keeps a request body (and a slow client's pending response) in a
temporary file once it passes about 0.5-1 MB, before the app sees a byte. For
GVO that would be every uploaded board paper, in plaintext, in /tmp. After
`install()` those temporary files hold AES-256-CTR ciphertext under a random
key that lives only in memory for the life of the buffer (CTR keeps random
access: the buffer seeks freely).

waitress writes a body in small pieces (one per recv) and reads it back in
order, so the cipher context is kept while reads and writes are contiguous
and only rebuilt after a seek elsewhere: one AES key setup per buffer, not
one per 8 KiB.
"""

import os
import tempfile

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_BLOCK = 16
_KEPT_STREAMS = 2


class EncryptedTempFile:
    """A seekable read/write temporary file whose bytes on disk are AES-CTR ciphertext."""

    def __init__(self, directory: str | None = None):
        self._file = tempfile.TemporaryFile("w+b", dir=directory)  # noqa: SIM115 - lives with self
        self._key = os.urandom(32)
        self._nonce = os.urandom(8)
        self._pos = 0
        # CTR keystreams by the offset each is positioned at: one where writes append,
        # one where reads go on (waitress appends at the end and reads from the front).
        self._ctxs: dict[int, object] = {}

    def _crypt(self, data, offset: int) -> bytes:
        # CTR: encrypting and decrypting are the same XOR with the keystream at `offset`.
        ctx = self._ctxs.pop(offset, None)
        if ctx is None:
            block, skip = divmod(offset, _BLOCK)
            counter = self._nonce + block.to_bytes(8, "big")
            ctx = Cipher(algorithms.AES(self._key), modes.CTR(counter)).encryptor()
            if skip:
                ctx.update(b"\x00" * skip)
        out = ctx.update(data)
        self._ctxs[offset + len(out)] = ctx
        while len(self._ctxs) > _KEPT_STREAMS:
            del self._ctxs[next(iter(self._ctxs))]
        return out

    def write(self, data) -> int:
        """Encrypt and write at the current position."""
        size = memoryview(data).nbytes
        self._file.seek(self._pos)
        self._file.write(self._crypt(data, self._pos))
        self._pos += size
        return size

    def read(self, size: int = -1) -> bytes:
        """Read and decrypt from the current position."""
        self._file.seek(self._pos)
        data = self._file.read(size) if size is not None and size >= 0 else self._file.read()
        plain = self._crypt(data, self._pos)
        self._pos += len(data)
        return plain

    def readline(self, size: int = -1) -> bytes:
        """One line (for WSGI input compatibility)."""
        start = self._pos
        chunk = self.read(8192 if size is None or size < 0 else size)
        cut = chunk.find(b"\n")
        if cut >= 0:
            chunk = chunk[: cut + 1]
        self._pos = start + len(chunk)
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move the position, as for a file."""
        if whence == 0:
            self._pos = offset
        elif whence == 1:
            self._pos += offset
        else:
            self._file.seek(0, 2)
            self._pos = self._file.tell() + offset
        return self._pos

    def tell(self) -> int:
        """The current position."""
        return self._pos

    def flush(self) -> None:
        """Nothing is buffered here."""

    def fileno(self) -> int:
        """The descriptor of the (ciphertext) file."""
        return self._file.fileno()

    def close(self) -> None:
        """Close and so delete the file; forget the key."""
        self._file.close()
        self._key = b""
        self._ctxs.clear()

    def __del__(self):
        # waitress drops a buffer's old file when it prunes; close it here, not in the GC.
        if not self._file.closed:
            self._file.close()

    @property
    def closed(self) -> bool:
        """Whether the file is closed."""
        return self._file.closed


def install() -> None:
    """Make waitress spool request and response bodies to encrypted temporary files."""
    from waitress import buffers

    if getattr(buffers.TempfileBasedBuffer, "gvo_encrypted", False):
        return

    class EncryptedTempfileBuffer(buffers.TempfileBasedBuffer):
        gvo_encrypted = True

        def newfile(self):
            return EncryptedTempFile()

    buffers.TempfileBasedBuffer = EncryptedTempfileBuffer
