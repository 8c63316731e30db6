"""What a file really is, from its bytes: the allow-list and a small magic-bytes sniffer.

The name's extension never decides the type. It only picks between types the
content cannot tell apart by itself (plain text or CSV). ZIP-based formats are
told apart by their parts: OOXML by `[Content_Types].xml` and its main part,
OpenDocument by its `mimetype` entry (ODF 1.2, part 3, section 3.3). Old
Office files are OLE2 compound files (MS-CFB), told apart by the streams in
their first directory sector.
"""

import struct
import zipfile
from collections.abc import Callable
from typing import IO

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


def sniff(head: bytes, filename: str, *, is_text: bool,
          open_file: Callable[[], IO[bytes]]) -> str | None:
    """The allowed MIME type of a file, or None if it is not one GVO accepts.

    `head` is the file's first bytes; `is_text` says whether the whole file is UTF-8
    without NULs; `open_file` gives a seekable reader for formats that need more.
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
        with open_file() as raw, zipfile.ZipFile(raw) as zf:
            names = set(zf.namelist())
            if "mimetype" in names:
                info = zf.getinfo("mimetype")
                if info.file_size <= 100:
                    kind = zf.read("mimetype").decode("ascii", "replace").strip()
                    return kind if kind in _ODF else None
            if "[Content_Types].xml" in names:
                for part, kind in _OOXML_MAIN.items():
                    if part in names:
                        return kind
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return None
    return None


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
