"""Text extraction never holds a school's writes (issue 9, "One PDF blocks a school's writes"):
it runs after the upload's transaction, in a child process held to limits the code enforces,
and a write that still meets a held lock answers 503 with what was typed, never 500."""

import io
import random
import threading
import zipfile

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from gvo.core.identity import Identity
from gvo.library import documents, extract, folders, pages, search, sniff
from gvo.storage import sqlcipher

from .conftest import Part, post_from, upload

CONTENT_OP = b"BT /F1 12 Tf 72 720 Td (Minutes of the meeting) Tj ET\n"


def shared_stream_pdf(pages: int = 40, stream_bytes: int = 1024 * 1024) -> bytes:
    """A small PDF whose pages all draw one shared 1 MB content stream (the issue's 9 KB file:
    every page costs a full parse of the stream)."""
    writer = PdfWriter()
    stream = DecodedStreamObject()
    stream.set_data(CONTENT_OP * (stream_bytes // len(CONTENT_OP)))
    ref = writer._add_object(stream.flate_encode())
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    resources = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/F1"): font})})
    for _ in range(pages):
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Contents")] = ref
        page[NameObject("/Resources")] = resources
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def bomb_docx(xml_bytes: int, *, varied: bool = False) -> bytes:
    """A Word document whose document.xml unzips to `xml_bytes`: a few KB of one repeated
    paragraph, or (`varied`) numbered paragraphs that pack only about ten times."""
    head = ('<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body>')
    para = "<w:p><w:r><w:t>governors</w:t></w:r></w:p>"
    if varied:
        rng = random.Random(9)
        paras = "".join(f"<w:p><w:r><w:t>governors {rng.getrandbits(40):010x}</w:t></w:r></w:p>"
                        for _ in range(xml_bytes // (len(para) + 11)))
    else:
        paras = para * (xml_bytes // len(para))
    body = head + paras + "</w:body></w:document>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                    'openxmlformats.org/package/2006/content-types"/>')
        zf.writestr("word/document.xml", body)
    return out.getvalue()


@pytest.fixture
def two_governors(as_role, lib, board_papers):
    manager, folder = board_papers
    page = pages.create_page(lib.conn, lib.viewer(manager), folder, title="Budget notes",
                             body="Notes.")
    uploader, _ = as_role("author")
    commenter, _ = as_role("author")
    return uploader, commenter, folder, page


def _status(lib, title: str) -> str:
    return lib.conn.execute(
        "SELECT v.text_status FROM document_versions v JOIN documents d"
        " ON d.id = v.document_id WHERE d.title = ?", (title,)).fetchone()[0]


def test_a_comment_commits_while_a_slow_pdf_is_being_extracted(two_governors, lib,
                                                                 monkeypatch):
    uploader, commenter, folder, page = two_governors
    pdf = shared_stream_pdf()
    assert len(pdf) < 20_000
    monkeypatch.setattr(extract, "CPU_SECONDS", 1)  # the limit the child process enforces
    started, release = threading.Event(), threading.Event()
    real = extract.extract

    def held(*args, **kwargs):
        started.set()
        assert release.wait(120)
        return real(*args, **kwargs)

    monkeypatch.setattr(extract, "extract", held)
    answers = []
    thread = threading.Thread(target=lambda: answers.append(
        upload(uploader, folder, [("Shared stream minutes.pdf", pdf)])))
    thread.start()
    try:
        assert started.wait(120)
        # The document is stored and committed; its text is not read yet.
        assert _status(lib, "Shared stream minutes") == "pending"
        resp = post_from(commenter, f"/alpha/library/pages/{page}",
                         f"/alpha/library/page/{page}/comments", {"body": "Agreed, thanks."})
        assert resp.status_code == 303
        assert lib.conn.execute("SELECT body FROM comments").fetchone()[0] == "Agreed, thanks."
        assert thread.is_alive()
    finally:
        release.set()
        thread.join(300)
    assert answers[0].status_code == 303
    # The child process was stopped by its CPU limit: found by title and file name only.
    assert _status(lib, "Shared stream minutes") == "limit:cpu"
    manager = Identity(0, "manager")
    assert [r.title for r in search.search(lib.conn, manager, "shared stream")] == [
        "Shared stream minutes"]
    assert search.search(lib.conn, manager, "meeting") == []
    html = uploader.get(f"/alpha/library/documents/{_doc_id(lib)}").get_data(as_text=True)
    assert "could not be read for search" in html


def _doc_id(lib) -> int:
    return lib.conn.execute("SELECT id FROM documents").fetchone()[0]


def test_pages_sharing_one_content_stream_count_against_the_expanded_limit(lib, make_user,
                                                                          monkeypatch):
    monkeypatch.setattr(extract, "MAX_EXPANDED_BYTES", 3 * 1024 * 1024 // 2)
    who = lib.viewer(make_user("alpha", "manager", mfa=False))
    folder = folders.create_folder(lib.conn, who, parent_id=None, title="Papers")
    documents.add_files(lib.conn, who, folder, [Part("shared.pdf", shared_stream_pdf())],
                        limit=10 * 1024 * 1024)
    assert _status(lib, "shared") == "limit:expanded"


def test_a_docx_that_unpacks_past_the_extraction_limit_is_stored_unread(lib, make_user):
    # A "zip bomb" is refused at upload (tests/library/test_upload_checks.py); a file that
    # packs ordinarily but unpacks past the extraction limit is stored, found by its name.
    who = lib.viewer(make_user("alpha", "manager", mfa=False))
    folder = folders.create_folder(lib.conn, who, parent_id=None, title="Papers")
    big = bomb_docx(extract.MAX_EXPANDED_BYTES + 8 * 1024 * 1024, varied=True)
    info = zipfile.ZipFile(io.BytesIO(big)).getinfo("word/document.xml")
    assert info.file_size > extract.MAX_EXPANDED_BYTES
    assert info.file_size < sniff.MAX_ZIP_RATIO * info.compress_size
    documents.add_files(lib.conn, who, folder, [Part("Report.docx", big),
                                                Part("Fine.docx", bomb_docx(10_000))],
                        limit=10 * 1024 * 1024)
    assert _status(lib, "Report") == "limit:expanded"
    assert _status(lib, "Fine") == "indexed"
    assert {r.title for r in search.search(lib.conn, who, "governors")} == {"Fine"}
    assert {r.title for r in search.search(lib.conn, who, "report")} == {"Report"}


def test_unzipped_bytes_are_counted_as_they_are_read():
    """Whatever a zip declares, the reader stops at the limit (not only the header check)."""
    from gvo.library import extract_child

    capped = io.BufferedReader(extract_child._Capped(io.BytesIO(b"x" * 200_000), 50_000))
    with pytest.raises(extract_child.ExpansionLimit):
        while capped.read(8192):
            pass
    limits = {"chars": 10**6, "pages": 10, "expanded": 50_000}
    with pytest.raises(extract_child.ExpansionLimit):
        extract_child.text_of(bomb_docx(200_000), extract_child.DOCX, limits)


def test_renaming_a_document_keeps_its_text_without_reading_the_file_again(lib, make_user,
                                                                           monkeypatch):
    from .conftest import make_docx

    who = lib.viewer(make_user("alpha", "manager", mfa=False))
    folder = folders.create_folder(lib.conn, who, parent_id=None, title="Papers")
    [doc] = documents.add_files(lib.conn, who, folder, [Part("a.docx", make_docx("Quorum"))],
                                limit=10 * 1024 * 1024)
    monkeypatch.setattr(extract, "extract", None)  # renaming must not call it
    documents.update_document(lib.conn, who, doc, title="Łódź visit", description="Wizyta")
    assert {r.title for r in search.search(lib.conn, who, "quorum lodz wizyta")} == {
        "Łódź visit"}


def test_a_write_that_meets_a_held_lock_answers_503_with_what_was_typed(two_governors, lib,
                                                                        instance, new_client):
    _uploader, commenter, folder, page = two_governors
    url = f"/alpha/library/page/{page}/comments"
    # The form's page is loaded once before the lock is taken, as a person would have it open
    # (its CSRF token is saved in the session then).
    commenter.get(f"/alpha/library/pages/{page}")
    blocker = sqlcipher.connect(instance.school_path("alpha"), instance.school_key("alpha"))
    lib.conn.execute("PRAGMA busy_timeout = 50")  # the request's thread's connection
    blocker.execute("BEGIN IMMEDIATE")
    try:
        resp = post_from(commenter, f"/alpha/library/pages/{page}", url,
                         {"body": "My careful comment about the budget."})
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
        html = resp.get_data(as_text=True)
        assert "The office is busy" in html
        typed = html.split("What you typed", 1)[1]
        assert "My careful comment about the budget." in typed and "csrf" not in typed
        commenter.get(f"/alpha/library/pages/{page}")
        resp = commenter.post(url, {"body": "Via htmx."}, headers={
            "HX-Request": "true", "Referer": f"https://localhost/alpha/library/pages/{page}"})
        assert resp.status_code == 503
        resp = upload(commenter, folder, [("agenda.txt", b"Items")])
        assert resp.status_code == 503 and "The office is busy" in resp.get_data(as_text=True)
        # A page whose session must be saved (a first visit's CSRF token) still answers: the
        # session waits for the next request instead of turning the page into an error.
        assert new_client().get("/alpha/login").status_code == 200
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    resp = post_from(commenter, f"/alpha/library/pages/{page}", url,
                     {"body": "My careful comment about the budget."})
    assert resp.status_code == 303
    assert lib.conn.execute("SELECT count(*) FROM comments").fetchone()[0] == 1


def lone_surrogate_pdf() -> bytes:
    """A one-page PDF drawing "zebra AAA" whose font's text map (ToUnicode) says the letter
    A is U+D800, a lone surrogate: pypdf's extracted text carries it."""
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            b"1 begincodespacerange <00> <FF> endcodespacerange\n"
            b"1 beginbfchar <41> <D800> endbfchar\n"
            b"endcmap CMapName currentdict /CMap defineresource pop end end\n")
    content = b"BT /F1 12 Tf 10 10 Td (zebra AAA) Tj ET"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1, xref)
    return bytes(out)


def test_a_pdf_whose_text_map_names_lone_surrogates_is_stored_and_found(lib, make_user):
    # Attack 4's kind (text SQLite cannot store): the extracted text reached the search
    # index with U+D800 in it (UnicodeEncodeError, a 500 on upload).
    who = lib.viewer(make_user("alpha", "manager", mfa=False))
    folder = folders.create_folder(lib.conn, who, parent_id=None, title="Papers")
    documents.add_files(lib.conn, who, folder, [Part("Odd.pdf", lone_surrogate_pdf())],
                        limit=10 * 1024 * 1024)
    assert _status(lib, "Odd") == "indexed"
    assert {r.title for r in search.search(lib.conn, who, "zebra")} == {"Odd"}
