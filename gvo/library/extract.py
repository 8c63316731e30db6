"""Text for search, taken from PDFs, Word and OpenDocument text, and plain text files.

Extraction is bounded (file size, pages, characters, decompressed bytes) so a
hostile or huge file costs little; a file whose text cannot be read is still
stored, just not found by its contents.
"""

import logging
import warnings
import zipfile
from xml.etree import ElementTree

from gvo.library import blobs
from gvo.storage.sqlcipher import Connection

MAX_CHARS = 1_000_000
MAX_PDF_BYTES = 50 * 1024 * 1024
MAX_PDF_PAGES = 300
MAX_XML_BYTES = 20 * 1024 * 1024
MAX_TEXT_BYTES = 2 * 1024 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_ODF_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"

log = logging.getLogger(__name__)


def text_of(conn: Connection, blob_id: int, mime: str, size: int) -> str:
    """The searchable text of a stored file ('' when there is none or it cannot be read)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if mime == "application/pdf" and size <= MAX_PDF_BYTES:
                return _pdf(conn, blob_id)
            if mime.endswith("wordprocessingml.document"):
                return _xml_text(conn, blob_id, "word/document.xml", {_W + "t"}, {_W + "p"})
            if mime == "application/vnd.oasis.opendocument.text":
                return _xml_text(conn, blob_id, "content.xml", set(),
                                 {_ODF_TEXT + "p", _ODF_TEXT + "h"}, all_text=True)
            if mime in ("text/plain", "text/csv"):
                return _plain(conn, blob_id)
    except Exception as exc:  # noqa: BLE001 - any parser failure only means "no text"
        log.info("no text extracted from blob %s: %s", blob_id, exc.__class__.__name__)
    return ""


def _pdf(conn, blob_id) -> str:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    with blobs.open_blob(conn, blob_id) as raw:
        reader = PdfReader(raw, strict=False)
        parts, total = [], 0
        for number, page in enumerate(reader.pages):
            if number >= MAX_PDF_PAGES or total >= MAX_CHARS:
                break
            text = page.extract_text() or ""
            parts.append(text)
            total += len(text)
    return "\n".join(parts)[:MAX_CHARS]


def _xml_text(conn, blob_id, member, text_tags, para_tags, all_text=False) -> str:
    with blobs.open_blob(conn, blob_id) as raw, zipfile.ZipFile(raw) as zf:
        if zf.getinfo(member).file_size > MAX_XML_BYTES:
            return ""
        with zf.open(member) as xml:
            # ElementTree fetches no external entities; expat limits entity expansion.
            parts, total = [], 0
            for _event, elem in ElementTree.iterparse(xml, events=("end",)):  # noqa: S314
                if elem.tag in para_tags:
                    text = "".join(elem.itertext()) if all_text else "".join(
                        t.text or "" for t in elem.iter() if t.tag in text_tags)
                    parts.append(text)
                    total += len(text)
                    elem.clear()
                    if total >= MAX_CHARS:
                        break
    return "\n".join(parts)[:MAX_CHARS]


def _plain(conn, blob_id) -> str:
    with blobs.open_blob(conn, blob_id) as raw:
        data = raw.read(MAX_TEXT_BYTES)
    return data.decode("utf-8", "ignore")[:MAX_CHARS]
