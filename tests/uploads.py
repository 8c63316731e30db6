"""Shared by the upload tests of the library and the meetings: an in-memory upload part,
Office documents (ZIPs) of a chosen shape, and the school's write lock held by another
connection."""

import io
import struct
import warnings
import zipfile
from contextlib import contextmanager

from gvo.storage import sqlcipher


class Part:
    """An in-memory upload part for the services."""

    def __init__(self, filename: str, body: bytes, piece: int = 100_000):
        self.filename, self.body, self.piece = filename, body, piece

    def chunks(self):
        """The body in pieces."""
        for i in range(0, len(self.body), self.piece):
            yield self.body[i: i + self.piece]


CONTENT_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/content-types"/>')
DOCUMENT = ('<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{}</w:t></w:r></w:p>'
            '</w:body></w:document>')


def word(extra=(), *, text="Minutes") -> bytes:
    """A Word document with `extra` (name, bytes, compression) entries after its two parts."""
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of a duplicate name; one is wanted
        with zipfile.ZipFile(out, "w") as zf:
            zf.writestr("[Content_Types].xml", CONTENT_TYPES)
            zf.writestr("word/document.xml", DOCUMENT.format(text))
            for name, data, method in extra:
                zf.writestr(name, data, compress_type=method)
    return out.getvalue()


def many_parts(count: int) -> bytes:
    """A Word document of `count` parts (empty pictures after its two parts)."""
    return word((f"word/media/p{n}.png", b"", zipfile.ZIP_STORED) for n in range(count - 2))


def claims(data: bytes, name: str, *, packed: int, unpacked: int) -> bytes:
    """`data` (a ZIP) whose index says entry `name` packs to `packed` bytes and unpacks to
    `unpacked` (APPNOTE.TXT 4.3.12: the sizes at offsets 20 and 24 of its directory header,
    whose name starts at offset 46)."""
    at = data.index(b"PK\x01\x02")
    while data[at + 46: at + 46 + len(name)] != name.encode():
        at = data.index(b"PK\x01\x02", at + 1)
    return data[:at + 20] + struct.pack("<2L", packed, unpacked) + data[at + 28:]


def zip_bomb() -> bytes:
    """A Word document one of whose parts is 20 MB of spaces packed into a few KB."""
    return word([("word/media/blank.xml", b" " * (20 * 1024 * 1024), zipfile.ZIP_DEFLATED)])


@contextmanager
def write_lock_held(instance, conn, slug: str = "alpha"):
    """Another connection holds the school's write lock; `conn` (the requests' connection)
    waits for it at most 50 ms, then answers 503 ("The office is busy")."""
    blocker = sqlcipher.connect(instance.school_path(slug), instance.school_key(slug))
    conn.execute("PRAGMA busy_timeout = 50")
    blocker.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        conn.execute(f"PRAGMA busy_timeout = {sqlcipher.BUSY_TIMEOUT_MS}")
