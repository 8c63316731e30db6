"""Issue 9 (attack review): every check of an uploaded file's content runs before the upload's
write transaction opens, and a ZIP-based file (Word, Excel, PowerPoint, OpenDocument) is held
to caps on its parts and on what it unpacks to, refused with a clear 4xx message.

"Before the write transaction" is shown the way the school sees it: with another connection
holding the school's write lock, a refused file is answered at once with its reason (the old
code waited for the lock and answered 503), and every byte of an upload is read while the
uploading connection has no transaction open.
"""

import contextlib
import io
import os
import zipfile

import pytest
from uploads import DOCUMENT, claims, many_parts, word, write_lock_held, zip_bomb

from gvo.library import documents, folders, intake, sniff

from .conftest import Part, make_docx, stored_counts, upload

TOO_MANY = sniff.MAX_ZIP_ENTRIES + 1
REFUSALS = {
    "parts": (lambda: many_parts(TOO_MANY), f"is made of {TOO_MANY:,} parts"),
    "bomb": (zip_bomb, "has a part that unpacks to 1,028 times its packed size (the mark of"),
    "unpacked": (lambda: claims(word([("word/media/film.bin", b"x", zipfile.ZIP_STORED)]),
                                "word/media/film.bin", packed=20_000_000,
                                unpacked=1_500_000_000), "unpacks to 1.4 GB"),
    "twins": (lambda: word([("word/document.xml", DOCUMENT.format("Other"),
                             zipfile.ZIP_DEFLATED)]),
              "holds two parts named “word/document.xml”"),
    # OOXML part names are equal ignoring ASCII case (ECMA-376 part 2, 6.3.5).
    "case twins": (lambda: word([("Word/Document.XML", DOCUMENT.format("Other"),
                                  zipfile.ZIP_DEFLATED)]),
                   "holds two parts named “Word/Document.XML”"),
    # Fewer parts than the cap, but an index (central directory) larger than any office
    # document's: 2,000 names of 2,100 characters.
    "index": (lambda: word((f"word/media/{n:04}{'x' * 2085}.png", b"", zipfile.ZIP_STORED)
                           for n in range(2000)), "lists its parts in 4.1 MB"),
}


@pytest.mark.parametrize("kind", list(REFUSALS))
@pytest.mark.parametrize("route", ["files", "version"])
def test_a_refused_zip_is_answered_with_its_reason_without_the_write_lock(
        author_in_folder, lib, instance, kind, route):
    client, _person, folder = author_in_folder
    upload(client, folder, [("policy.txt", b"version one")])
    doc = lib.conn.execute("SELECT id FROM documents").fetchone()[0]
    make, reason = REFUSALS[kind]
    data = make()
    before = stored_counts(lib.conn)
    with write_lock_held(instance, lib.conn):
        if route == "files":
            resp = upload(client, folder, [("Minutes.docx", data)])
        else:
            resp = upload(client, None, [("Minutes.docx", data)], page=False, field="file",
                          url=f"/alpha/library/documents/{doc}/versions")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422, html[:300]
    assert "“Minutes.docx” " in html and reason in html and "Nothing was uploaded" in html
    assert stored_counts(lib.conn) == before


def test_the_index_of_a_zip_of_too_many_parts_is_not_read():
    data = many_parts(TOO_MANY)
    read = []

    class Counted(io.BytesIO):
        def read(self, size=-1):
            piece = super().read(size)
            read.append(len(piece))
            return piece

    with pytest.raises(sniff.UnsafeArchive, match=f"is made of {TOO_MANY:,} parts"):
        sniff.sniff(data[:100], "x.docx", is_text=False, open_file=lambda: Counted(data))
    # Its end records (22 bytes) and the search for them, never its 1 MB index.
    assert sum(read) <= sniff.EOCD_SIZE + sniff.EOCD_MAX_COMMENT + sniff.EOCD_SIZE
    assert len(data) > 1_000_000


def test_an_office_file_within_the_caps_is_taken(lib, make_user):
    who = lib.viewer(make_user("alpha", "manager", mfa=False))
    folder = folders.create_folder(lib.conn, who, parent_id=None, title="Papers")
    deck = many_parts(sniff.MAX_ZIP_ENTRIES)
    plain = word([("word/media/logo.png", b"\x89PNG" + bytes(300_000), zipfile.ZIP_STORED)])
    [a, b] = documents.add_files(lib.conn, who, folder, [Part("deck.docx", deck),
                                                         Part("logo.docx", plain)],
                                 limit=10 * 1024 * 1024)
    assert documents.stored_names(lib.conn, who, [a, b]) == ["deck.docx", "logo.docx"]


class Watched(Part):
    """An upload part that notes, for each piece read, whether `conn` was in a transaction."""

    def __init__(self, conn, filename: str, body: bytes):
        super().__init__(filename, body, piece=10_000)
        self.conn, self.in_transaction = conn, []

    def chunks(self):
        """The body in pieces, each read noted."""
        for piece in super().chunks():
            self.in_transaction.append(self.conn.in_transaction)
            yield piece


def test_every_byte_of_an_upload_is_read_before_its_transaction(lib, make_user):
    who = lib.viewer(make_user("alpha", "manager", mfa=False))
    folder = folders.create_folder(lib.conn, who, parent_id=None, title="Papers")
    files = [Watched(lib.conn, "a.docx", make_docx("Agenda")),
             Watched(lib.conn, "b.txt", b"notes " * 5000)]
    doc, _ = documents.add_files(lib.conn, who, folder, files, limit=10**7)
    versions = [Watched(lib.conn, "a v2.docx", make_docx("Agenda 2")),
                Watched(lib.conn, "ignored.txt", b"x" * 30_000)]
    assert documents.add_version(lib.conn, who, doc, versions, limit=10**7) == 2
    for part in files + versions[:1]:
        assert part.in_transaction and not any(part.in_transaction), part.filename


def _open_files_in(folder) -> int:
    """How many files under `folder` this process has open (temporary files have no name
    in the folder, only an open descriptor)."""
    found = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(FileNotFoundError):  # the listing's own, closed by now
            found += os.readlink(f"/proc/self/fd/{fd}").startswith(str(folder))
    return found


def test_a_refused_upload_leaves_no_temporary_file_open(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    with pytest.raises(intake.TooLarge, match="“big.pdf” is larger than"):
        intake.receive([Part("ok.txt", b"fine"), Part("big.pdf", b"%PDF-" + bytes(3 << 20))],
                       limit=2 << 20, max_files=5)
    with pytest.raises(intake.UnsafeArchive):
        intake.receive([Part("ok.txt", b"fine"), Part("bomb.docx", zip_bomb())],
                       limit=10 << 20, max_files=5)
    assert _open_files_in(tmp_path) == 0
    with intake.receive([Part("ok.txt", b"fine")], limit=10, max_files=5) as files:
        assert [(f.filename, f.mime, f.size) for f in files] == [("ok.txt", "text/plain", 4)]
        assert b"".join(files[0].chunks()) == b"fine"
        assert _open_files_in(tmp_path) == 1
    assert _open_files_in(tmp_path) == 0
