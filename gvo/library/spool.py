"""Encrypted spooling for waitress: request and response bodies never hit disk in plaintext.

waitress keeps a request body (and a slow client's pending response) in a
temporary file once it passes about 0.5-1 MB, before the app sees a byte. For
GVO that would be every uploaded board paper, in plaintext, in /tmp. After
`install()` those temporary files hold AES-256-CTR ciphertext under a random
key that lives only in memory for the life of the buffer (CTR keeps random
access: the buffer seeks freely).
"""

import os
import tempfile

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_BLOCK = 16


class EncryptedTempFile:
    """A seekable read/write temporary file whose bytes on disk are AES-CTR ciphertext."""

    def __init__(self, directory: str | None = None):
        self._file = tempfile.TemporaryFile("w+b", dir=directory)  # noqa: SIM115 - lives with self
        self._key = os.urandom(32)
        self._nonce = os.urandom(8)
        self._pos = 0

    def _crypt(self, data: bytes, offset: int) -> bytes:
        block, skip = divmod(offset, _BLOCK)
        counter = self._nonce + block.to_bytes(8, "big")
        ctx = Cipher(algorithms.AES(self._key), modes.CTR(counter)).encryptor()
        if skip:
            ctx.update(b"\x00" * skip)
        return ctx.update(data)

    def write(self, data) -> int:
        """Encrypt and write at the current position."""
        data = bytes(data)
        self._file.seek(self._pos)
        self._file.write(self._crypt(data, self._pos))
        self._pos += len(data)
        return len(data)

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
