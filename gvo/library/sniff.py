"""What a file really is, from its bytes: the allow-list and a small magic-bytes sniffer.

The name's extension never decides the type. It only picks between types the
content cannot tell apart by itself (plain text or CSV). Text is read in the
encodings people's programs write (`TextSniffer`): UTF-8, UTF-16 with a byte
order mark (Excel's "Unicode text"), and Windows-1252 (Excel's usual CSV in the
UK; Latin-1 text is part of it), judged over the whole file. ZIP-based formats are
told apart by their parts: OOXML by `[Content_Types].xml` and its main part,
OpenDocument by its `mimetype` entry (ODF 1.2, part 3, section 3.3). Old
Office files are OLE2 compound files (MS-CFB), told apart by the streams in
their first directory sector.

A ZIP's index (its central directory) is checked before it is read, from its end
records alone (PKWARE APPNOTE.TXT 6.3, sections 4.3.14-4.3.16): an archive of more
entries, or a bigger index, than any office document has is refused unread. Then
its entries are held to caps on their expanded size and on how far each is
compressed (Apache POI's ZipSecureFile defaults: 1% at least, past 100 KiB),
and no two may share a name. zipfile never expands an entry past the size the
index declares for it, so the declared sizes are what any reader gets.
"""

import codecs
import re
import struct
import zipfile
from collections.abc import Callable
from typing import IO

from gvo.core.errors import GvoError

ALLOWED = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "application/msword": "Word 97-2003",
    "application/vnd.ms-excel": "Excel 97-2003",
    "application/vnd.ms-powerpoint": "PowerPoint 97-2003",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument presentation",
    "text/plain": "Text",
    "text/csv": "CSV",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
}
# The extensions a stored file's name may end in, by type; the first is added to a name that
# ends otherwise, so the name never promises another kind of file than its bytes are (a text
# file called "notes.html" or "run.bat" is kept and sent as "notes.html.txt").
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "application/msword": (".doc",),
    "application/vnd.ms-excel": (".xls",),
    "application/vnd.ms-powerpoint": (".ppt",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "application/vnd.oasis.opendocument.presentation": (".odp",),
    "text/plain": (".txt",),
    "text/csv": (".csv",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
}
# Shown in the browser on request; everything else is always an attachment.
INLINE = {"application/pdf", "image/png", "image/jpeg"}
ALLOWED_TEXT = ("PDF, Word, Excel, PowerPoint, OpenDocument, text, CSV, PNG and JPEG files")

PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# ZIP archives (APPNOTE.TXT 4.3.16, 4.3.15, 4.3.14): the records at the end of the file.
EOCD_SIGNATURE = b"PK\x05\x06"
EOCD_SIZE = 22                      # without its comment
EOCD_MAX_COMMENT = 0xFFFF
ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
ZIP64_LOCATOR_SIZE = 20
ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
ZIP64_EOCD_SIZE = 56
# Caps on what an uploaded ZIP-based file may hold. A long PowerPoint deck has a few
# thousand entries (each slide is two or three, each picture one); its index ~100 bytes each.
MAX_ZIP_ENTRIES = 10_000
MAX_ZIP_INDEX_BYTES = 4 * 1024 * 1024
MAX_ZIP_EXPANDED_BYTES = 1024 * 1024 * 1024
MAX_ZIP_RATIO = 100                 # expanded / compressed size of one entry
ZIP_RATIO_GRACE_BYTES = 100 * 1024  # smaller entries may be compressed any amount

_OOXML_MAIN = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/presentation.xml":
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_ODF = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}
_OLE2_STREAMS = {
    "WordDocument": "application/msword",
    "Workbook": "application/vnd.ms-excel",
    "Book": "application/vnd.ms-excel",
    "PowerPoint Document": "application/vnd.ms-powerpoint",
}


# Text. In Windows-1252 five bytes mean nothing (0x81, 0x8D, 0x8F, 0x90, 0x9D; WHATWG
# Encoding, index-windows-1252), and text holds no control character but tab, line feed,
# form feed and carriage return: a file with one of these bytes is not text in it.
_NOT_TEXT_1252 = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f\x81\x8d\x8f\x90\x9d]")
# Decoded UTF-16 text holds no other control character either, nor a noncharacter.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufffe\uffff]")
_BOM_LENGTH = len(codecs.BOM_UTF8)


class TextSniffer:
    """Whether a file is text the library reads, and in which encoding, from all its bytes
    fed in pieces as they arrive (`feed`, then `finish`).

    In order: UTF-8 (with or without a byte order mark) without NUL bytes, as before; UTF-16
    starting with a byte order mark (the Unicode Standard, 23.8), without unpaired surrogates
    or control characters other than tab, line breaks and form feed; Windows-1252 when no
    byte is one it leaves undefined or such a control character (ISO 8859-1 text is
    Windows-1252 text, as WHATWG Encoding reads the "latin1" label). A file that starts with
    a byte order mark is only read in its encoding.
    """

    def __init__(self) -> None:
        self._start: bytes | None = b""     # the first bytes, until the mark is known
        self._utf8 = codecs.getincrementaldecoder("utf-8-sig")()
        self._utf16 = codecs.getincrementaldecoder("utf-16")()
        self._alive = {"utf-8", "utf-16", "cp1252"}

    def feed(self, data: bytes) -> None:
        """Look at the next piece of the file."""
        if self._start is not None:
            self._start += data
            if len(self._start) < _BOM_LENGTH:
                return
            data, self._start = self._start, None
            self._begin(data)
        self._take(data, final=False)

    def finish(self, *, complete: bool = True) -> str | None:
        """The file's encoding ('utf-8', 'utf-16' or 'cp1252', Python's codec names), or None
        if it is not text. complete=False: what was fed is the file's start only (a piece cut
        short at its end is not held against it)."""
        data = b""
        if self._start is not None:
            data, self._start = self._start, None
            self._begin(data)
        self._take(data, final=complete)
        return next((e for e in ("utf-8", "utf-16", "cp1252") if e in self._alive), None)

    def _begin(self, start: bytes) -> None:
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            self._alive &= {"utf-16"}
        else:
            self._alive.discard("utf-16")
            if start.startswith(codecs.BOM_UTF8):
                self._alive &= {"utf-8"}

    def _take(self, data: bytes, *, final: bool) -> None:
        if "utf-8" in self._alive:
            try:
                self._utf8.decode(data, final=final)
                if b"\x00" in data:
                    raise ValueError
            except ValueError:      # UnicodeDecodeError is one
                self._alive.discard("utf-8")
        if "utf-16" in self._alive:
            try:
                if _NOT_TEXT.search(self._utf16.decode(data, final=final)):
                    raise ValueError
            except ValueError:
                self._alive.discard("utf-16")
        if "cp1252" in self._alive and _NOT_TEXT_1252.search(data):
            self._alive.discard("cp1252")


def text_encoding(data: bytes, *, complete: bool = True) -> str | None:
    """The encoding of text held whole in memory (see `TextSniffer`), or None."""
    sniffer = TextSniffer()
    sniffer.feed(data)
    return sniffer.finish(complete=complete)


class UnsafeArchive(GvoError):
    """A ZIP-based file over a cap (entries, index, unpacked size, packing ratio) or with two
    entries of one name; the message says which (to follow "“name” ")."""


def sniff(head: bytes, filename: str, *, is_text: bool,
          open_file: Callable[[], IO[bytes]]) -> str | None:
    """The allowed MIME type of a file, or None if it is not one GVO accepts.

    `head` is the file's first bytes; `is_text` says whether the whole file is text in an
    encoding the library reads (`TextSniffer`); `open_file` gives a seekable reader for
    formats that need more.
    Raises UnsafeArchive for a ZIP over a cap (see the module docstring).
    """
    if head.startswith(PDF_MAGIC):
        return "application/pdf"
    if head.startswith(PNG_MAGIC):
        return "image/png"
    if head.startswith(JPEG_MAGIC):
        return "image/jpeg"
    if head.startswith(ZIP_MAGIC):
        return _zip_type(open_file)
    if head.startswith(OLE2_MAGIC):
        return _ole2_type(open_file)
    if is_text:
        return "text/csv" if filename.lower().endswith(".csv") else "text/plain"
    return None


def _zip_type(open_file) -> str | None:
    try:
        with open_file() as raw:
            entries, index_size = _zip_index_size(raw)
            if entries > MAX_ZIP_ENTRIES:
                raise UnsafeArchive(f"is made of {entries:,} parts; the library takes files "
                                    f"of at most {MAX_ZIP_ENTRIES:,}")
            if index_size > MAX_ZIP_INDEX_BYTES:
                raise UnsafeArchive(f"lists its parts in {_size_text(index_size)}; the library "
                                    f"takes at most {_size_text(MAX_ZIP_INDEX_BYTES)}")
            with zipfile.ZipFile(raw) as zf:
                infos = zf.infolist()
                _check_entries(infos)
                names = {info.filename for info in infos}
                if "mimetype" in names:
                    info = zf.getinfo("mimetype")
                    if info.file_size <= 100:
                        kind = zf.read("mimetype").decode("ascii", "replace").strip()
                        return kind if kind in _ODF else None
                if "[Content_Types].xml" in names:
                    for part, kind in _OOXML_MAIN.items():
                        if part in names:
                            return kind
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, struct.error):
        return None
    return None


def _zip_index_size(raw: IO[bytes]) -> tuple[int, int]:
    """(entries, central directory bytes) from a ZIP's end records, found as zipfile finds
    them (the last signature in the file's last 64 KiB); ValueError if there are none."""
    size = raw.seek(0, 2)
    raw.seek(max(0, size - EOCD_SIZE))
    tail = raw.read(EOCD_SIZE)
    at = 0
    if not (tail.startswith(EOCD_SIGNATURE) and tail[-2:] == b"\0\0"):  # a comment follows
        start = max(0, size - EOCD_SIZE - EOCD_MAX_COMMENT)
        raw.seek(start)
        tail = raw.read()
        at = tail.rfind(EOCD_SIGNATURE)
        if at < 0 or len(tail) - at < EOCD_SIZE:
            raise ValueError("no end of central directory record")
    eocd_at = size - len(tail) + at
    # 4.3.16: signature, disk, disk of the directory, entries here, entries, size, offset.
    _sig, _disk, _cd_disk, _here, entries, index_size, offset = struct.unpack_from(
        "<4s4H2L", tail, at)
    if entries == 0xFFFF or 0xFFFFFFFF in (index_size, offset):
        # 4.3.15 locator just before it, pointing at the 4.3.14 Zip64 record.
        raw.seek(eocd_at - ZIP64_LOCATOR_SIZE)
        locator = raw.read(ZIP64_LOCATOR_SIZE)
        if not locator.startswith(ZIP64_LOCATOR_SIGNATURE):
            return entries, index_size
        _sig, _disk, record_at, _disks = struct.unpack("<4sLQL", locator)
        raw.seek(record_at)
        record = raw.read(ZIP64_EOCD_SIZE)
        if not record.startswith(ZIP64_EOCD_SIGNATURE):
            raise ValueError("no Zip64 end of central directory record")
        entries, index_size = struct.unpack_from("<2Q", record, 32)
    return entries, index_size


def _check_entries(infos: list[zipfile.ZipInfo]) -> None:
    """UnsafeArchive if the archive's entries break a cap or two share a name (compared as
    OOXML compares part names: ignoring ASCII case, ECMA-376 part 2, 6.3.5)."""
    if len(infos) > MAX_ZIP_ENTRIES:
        raise UnsafeArchive(f"is made of {len(infos):,} parts; the library takes files of at "
                            f"most {MAX_ZIP_ENTRIES:,}")
    expanded, seen = 0, set()
    for info in infos:
        key = info.filename.lower()
        if key in seen:
            raise UnsafeArchive(f"holds two parts named “{info.filename[:100]}”, so programs "
                                "could read different documents from it")
        seen.add(key)
        expanded += info.file_size
        if (info.file_size > ZIP_RATIO_GRACE_BYTES
                and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1)):
            times = info.file_size // max(info.compress_size, 1)
            raise UnsafeArchive(f"has a part that unpacks to {times:,} times its packed size "
                                f"(the mark of a “zip bomb”); the library takes at most "
                                f"{MAX_ZIP_RATIO} times")
    if expanded > MAX_ZIP_EXPANDED_BYTES:
        raise UnsafeArchive(f"unpacks to {_size_text(expanded)}; the library takes files that "
                            f"unpack to at most {_size_text(MAX_ZIP_EXPANDED_BYTES)}")


def _size_text(size: int) -> str:
    if size >= 1024 ** 3:
        return f"{size / 1024 ** 3:,.1f} GB"
    return f"{size / 1024 ** 2:,.1f} MB"


def _ole2_type(open_file) -> str | None:
    # MS-CFB 2.2: header fields; 2.6: 128-byte directory entries, UTF-16LE names.
    try:
        with open_file() as raw:
            header = raw.read(512)
            sector_shift = struct.unpack_from("<H", header, 0x1E)[0]
            first_dir = struct.unpack_from("<I", header, 0x30)[0]
            if not 7 <= sector_shift <= 12:
                return None
            size = 1 << sector_shift
            raw.seek((first_dir + 1) * size)
            directory = raw.read(size)
    except (OSError, struct.error, ValueError):
        return None
    for offset in range(0, len(directory) - 127, 128):
        name_len = struct.unpack_from("<H", directory, offset + 64)[0]
        if not 2 <= name_len <= 64:
            continue
        name = directory[offset: offset + name_len - 2].decode("utf-16-le", "replace")
        if name in _OLE2_STREAMS:
            return _OLE2_STREAMS[name]
    return None


def fit_extension(filename: str, mime: str) -> str:
    """`filename` ending in an extension of its type `mime` (one is added if it does not)."""
    allowed = EXTENSIONS.get(mime)
    if not allowed or filename.lower().endswith(allowed):
        return filename
    return filename + allowed[0]


def label(mime: str) -> str:
    """A name people know for a stored type."""
    return ALLOWED.get(mime, mime)
