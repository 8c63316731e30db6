"""Uploaded files, read and checked before anything is written.

Each file of an upload is read once, as it arrives, into an encrypted temporary
file (`spool.EncryptedTempFile`: ciphertext on disk, its key only in memory) while
its size is held to the school's limit; then its type is decided from its bytes
(`sniff`, which also holds a ZIP-based file to caps on its entries and expanded
size). All of it happens with no transaction open: a slow, large or hostile file
never holds the school's write lock, and the whole request body has been read
(so an upload that breaks after its files is refused) before the caller begins
the transaction that only copies the checked bytes into the database.

Text is stored as UTF-8: a text or CSV file in UTF-8 byte for byte as it came, one in
another encoding the library reads (UTF-16, Windows-1252; see `sniff.TextSniffer`)
converted, characters unchanged, to UTF-8 with a byte order mark, which Excel, phones and
the library's search all read the same way.
"""

import codecs
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from gvo.core import text
from gvo.core.errors import GvoError, InvalidInput
from gvo.library import sniff
from gvo.library.blobs import SizedReader
from gvo.library.spool import EncryptedTempFile

HEAD_SIZE = 64 * 1024      # the first bytes, kept in memory for the sniffer
READ_SIZE = 1024 * 1024    # pieces in which a checked file is read back
TEXT_TYPES = ("text/plain", "text/csv")
TEXT_NAMES = (".txt", ".csv", ".tsv", ".text")
TEXT_ENCODINGS = "it reads UTF-8, UTF-16 with a byte order mark and Windows-1252 or Latin-1"


class TooLarge(GvoError):
    """A file is over the school's upload limit."""

    def __init__(self, filename: str, limit: int):
        super().__init__(f"“{filename}” is larger than this school's limit of "
                         f"{limit // (1024 * 1024)} MB per file. Nothing was uploaded.")
        self.filename = filename
        self.limit = limit


class RefusedType(InvalidInput):
    """A file whose content is not on the allow-list (the message says so differently for a
    file named as text whose bytes are not text the library reads)."""

    def __init__(self, filename: str):
        if filename.lower().endswith(TEXT_NAMES):
            message = (f"“{filename}” is named as a text or CSV file, but its content is not "
                       f"text the library can read ({TEXT_ENCODINGS}). Save it again as "
                       "“CSV UTF-8” or as plain text and upload that. Nothing was uploaded.")
        else:
            message = (f"“{filename}” is not a file type the library accepts (it takes "
                       f"{sniff.ALLOWED_TEXT}). Nothing was uploaded.")
        super().__init__(message)
        self.filename = filename


class EmptyFile(InvalidInput):
    """A file of 0 bytes (often a file the browser could not read, or a failed download)."""

    def __init__(self, filename: str):
        super().__init__(f"“{filename}” is empty (0 bytes): choose the file again, or check "
                         "that it opens on your device. Nothing was uploaded.")
        self.filename = filename


class UnsafeArchive(InvalidInput):
    """A Word, Excel, PowerPoint or OpenDocument file (a ZIP) over a cap on its parts or on
    what it unpacks to (`sniff.UnsafeArchive`)."""

    def __init__(self, filename: str, reason: str):
        super().__init__(f"“{filename}” {reason}. Save it again from its program (or as PDF) "
                         "and upload that. Nothing was uploaded.")
        self.filename = filename


class UploadPart(Protocol):
    """A file as it arrives: its name and its bytes, piece by piece."""

    filename: str

    def chunks(self) -> Iterator[bytes]:
        """The file's bytes in pieces."""
        ...


@dataclass
class Checked:
    """One received file whose size and type passed: its name as it will be stored
    (`text.safe_filename`, with an extension of its type), its type and size in bytes."""

    filename: str
    mime: str
    size: int
    _spool: EncryptedTempFile = field(repr=False)

    def chunks(self) -> Iterator[bytes]:
        """The file's bytes, from the start, in pieces of at most READ_SIZE."""
        self._spool.seek(0)
        while piece := self._spool.read(READ_SIZE):
            yield piece

    def close(self) -> None:
        """Delete the temporary file."""
        self._spool.close()


class Received(list[Checked]):
    """The checked files of one upload, in order; as a context manager, their temporary
    files are deleted at its end."""

    def __enter__(self) -> "Received":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Delete every file's temporary copy."""
        for checked in self:
            checked.close()


def receive(parts: Iterable[UploadPart], *, limit: int, max_files: int,
            first_only: bool = False) -> Received:
    """Read and check every file of an upload; call it with no transaction open.

    `limit` is the per-file limit in bytes; more than `max_files` files is InvalidInput.
    With `first_only`, files after the first are read past and not kept. Raises TooLarge,
    EmptyFile, RefusedType, UnsafeArchive or InvalidInput; then nothing is kept.
    """
    received = Received()
    try:
        for part in parts:
            if first_only and received:
                continue  # the upload's reader skips what is not read
            if len(received) >= max_files:
                raise InvalidInput(f"At most {max_files} files at a time.")
            received.append(_check(part, limit))
    except BaseException:
        received.close()
        raise
    return received


def _check(part: UploadPart, limit: int) -> Checked:
    name = text.safe_filename(part.filename)
    spool = EncryptedTempFile()
    try:
        size, head = 0, bytearray()
        sniffer = sniff.TextSniffer()
        for chunk in part.chunks():
            size += len(chunk)
            if size > limit:
                raise TooLarge(name, limit)
            if len(head) < HEAD_SIZE:
                head += chunk[: HEAD_SIZE - len(head)]
            sniffer.feed(chunk)
            spool.write(chunk)
        if size == 0:
            raise EmptyFile(name)
        encoding = sniffer.finish()
        try:
            mime = sniff.sniff(bytes(head), name, is_text=encoding is not None,
                               open_file=lambda: io.BufferedReader(_SpoolView(spool, size)))
        except sniff.UnsafeArchive as exc:
            raise UnsafeArchive(name, str(exc)) from None
        if mime is None:
            raise RefusedType(name)
        if mime in TEXT_TYPES and encoding != "utf-8":
            spool = _to_utf8(spool, encoding)
            size = spool.tell()
        return Checked(sniff.fit_extension(name, mime), mime, size, spool)
    except BaseException:
        spool.close()
        raise


def _to_utf8(spool: EncryptedTempFile, encoding: str) -> EncryptedTempFile:
    """The text in `spool` (in `encoding`, checked by sniff.TextSniffer) as UTF-8 with a byte
    order mark, in a new temporary file (its position at its end), piece by piece; `spool`
    is closed. The limit on a file's size is held to the file as uploaded."""
    utf8 = EncryptedTempFile()
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
        utf8.write(codecs.BOM_UTF8)
        spool.seek(0)
        while piece := spool.read(READ_SIZE):
            utf8.write(decoder.decode(piece).encode("utf-8"))
        utf8.write(decoder.decode(b"", final=True).encode("utf-8"))
    except BaseException:
        utf8.close()
        raise
    finally:
        spool.close()
    return utf8


class _SpoolView(SizedReader):
    """A seekable, read-only view of a spooled file (closing it leaves the file open)."""

    def __init__(self, spool: EncryptedTempFile, size: int):
        super().__init__(size)
        self.spool = spool

    def readinto(self, buffer) -> int:
        """Read into a buffer from the current position."""
        self.spool.seek(self.pos)
        piece = self.spool.read(min(len(buffer), max(0, self.size - self.pos)))
        buffer[: len(piece)] = piece
        self.pos += len(piece)
        return len(piece)
