"""A complete board pack (issue 12, acceptance 3): long titles in full, part 2 marked on every
page, library pages rendered, "Page N of M" over the whole pack matching the agenda, Word and
Excel papers converted by LibreOffice (and listed as provided separately without it), and a
title and language in the metadata of the pack and of the minutes."""

import hashlib
import io
import os
import re
import select
import stat
from pathlib import Path

import pytest
from conftest import make_pdf, pdf_text, sign_in
from pypdf import PdfReader, PdfWriter

from gvo.library import pdf_copies
from gvo.meetings import packs
from gvo.meetings.pdf import Document, html_pdf

from .conftest import upload
from .test_records import locked_meeting  # noqa: F401 - a fixture used below

MEETING = {"title": "Full board", "body_name": "Full Governing Board",
           "starts_at": "2031-03-04T18:00", "ends_at": "2031-03-04T20:00",
           "location": "Library", "online_link": ""}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LIBREOFFICE = "soffice"
MISSING_PROGRAM = "/nonexistent/libreoffice/soffice"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _runs(page) -> list[tuple[str, float, float, float]]:
    """Each run of text a page draws: (text, x, y, font size), in points, page space."""
    found = []

    def visit(text, cm, tm, _font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((text, x, y, size * (tm[0] or 1)))
    page.extract_text(visitor_text=visit)
    return found


def _past_the_right_edge(data: bytes) -> list[str]:
    """The runs of text drawn by GVO (DejaVu Sans) that end beyond their page's right edge."""
    measure = Document()
    measure.add_page()
    out = []
    for page in PdfReader(io.BytesIO(data)).pages:
        width = float(page.mediabox.width)
        for text, x, _y, size in _runs(page):
            measure.set_font(size=size)
            end = x + measure.get_string_width(text.rstrip("\n")) * 72 / 25.4
            if end > width + 0.5:
                out.append(text)
    return out


def _rotated_pdf(text: str) -> bytes:
    """A one-page landscape PDF shown rotated (/Rotate 90) saying `text`."""
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf(text)))
    writer.pages[0].rotate(90)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_120_character_title_presenter_and_duration_wrap_and_nothing_runs_off_the_page():
    title = ("Approval of the revised admissions arrangements for the academic year 2032 to "
             "2033 following the local authority review!")
    assert len(title) == 120
    presenter = "Dr Philippa Montgomery-Haversham, Chair of the Curriculum and Standards Committee"
    meeting = dict(MEETING, title=title)
    items = [packs.PackItem("1", title, "decision", presenter, 45,
                            [packs.PackPaper(title, "admissions-arrangements-2032.pdf",
                                             make_pdf("Admissions"))])]
    data = packs.build("Alpha Primary", meeting, items, "now")
    pages = _pages(data)
    agenda_text = _flat(pages[1])
    assert agenda_text.count(title) == 3  # the item, its paper and the footer, in full
    assert presenter.split(",")[0] in agenda_text and "45 min" in agenda_text
    assert title in _flat(pages[2])  # the divider
    # Nothing is drawn past the page's edge: footers wrap too (they ran off the page).
    assert _past_the_right_edge(data) == []
    page_pdf = html_pdf(title, "<p>Body</p>")
    assert _past_the_right_edge(page_pdf) == [] and _flat(pdf_text(page_pdf)).count(title) == 2


def _pack_with_part_2() -> tuple[bytes, list[packs.PackItem]]:
    items = [packs.PackItem("1", "Budget", "decision", "Chair", 10, [
                 packs.PackPaper("Budget report", "budget.pdf", make_pdf("Budgetpaper", 2))]),
             packs.PackItem("C1", "Headteacher pay", "decision", "Chair", 10, [
                 packs.PackPaper("Pay review", "pay.pdf", make_pdf("Payreview", 3)),
                 packs.PackPaper("Pay letter", "letter.pdf", _rotated_pdf("Payletter"))],
                 confidential=True),
             packs.PackItem("2", "Any other business", "information", "Chair", 5, [
                 packs.PackPaper("Trips", "trips.pdf", make_pdf("Tripspaper"))])]
    return packs.build("Alpha Primary", MEETING, items, "now"), items


def test_every_page_of_a_confidential_item_is_marked_and_no_other_is():
    data, _ = _pack_with_part_2()
    pages = _pages(data)
    # cover, agenda, [divider, 2 pages], [divider, 3 pages, divider, 1 page], [divider, 1 page]
    assert len(pages) == 2 + 3 + 4 + 2 + 2
    marked = [n for n, text in enumerate(pages) if "CONFIDENTIAL (PART 2)" in text]
    assert marked == list(range(5, 11))
    assert all("Payreview" in pages[n] for n in (6, 7, 8)) and "Payletter" in pages[10]
    assert "Confidential (part 2). Decision" in _flat(pages[1])  # the agenda marks the item
    assert "Confidential (part 2): for those who may see part 2" in _flat(pages[5])
    assert "confidential" not in pages[0].lower()


def test_page_n_of_m_is_on_every_page_and_the_agenda_gives_those_numbers():
    data, items = _pack_with_part_2()
    pages = _pages(data)
    total = len(pages)
    for n, text in enumerate(pages, start=1):
        assert f"Page {n} of {total}" in text, n
        assert len(re.findall(r"Page \d+ of \d+", text)) == 1
    agenda_text = _flat(pages[1])
    for paper in (p for item in items for p in item.papers):
        number = int(re.search(re.escape(paper.filename) + r" (\d+)", agenda_text).group(1))
        divider = _flat(pages[number - 1])
        assert paper.title in divider and f"Page {number} of {total}" in divider
    # The stamp on the rotated page is drawn where the page is shown: inside its box.
    rotated = PdfReader(io.BytesIO(data)).pages[10]
    box = rotated.mediabox
    for text, x, y, _size in _runs(rotated):
        if "Page 11" in text or "CONFIDENTIAL" in text:
            assert float(box.left) <= x <= float(box.right)
            assert float(box.bottom) <= y <= float(box.top)


MARKDOWN = """## Charges for trips

Trips are **voluntary** contributions only.

- Coaches are booked by the office
- Entry fees are paid in advance

| Item | Cost |
|---|---|
| Coach | £300 |
| Entry | £5 |
"""


def test_a_library_page_is_rendered_not_printed_as_markdown(signed_in, office):
    from gvo.core.identity import Identity
    from gvo.library import folders, pages

    client, clerk = signed_in("manager")
    lib = Identity(clerk.id, "manager")
    folder = folders.create_folder(office.conn, lib, parent_id=None, title="Policies")
    page_id = pages.create_page(office.conn, lib, folder, title="Charging policy",
                                body=MARKDOWN)
    meeting_id = office.meeting()
    item = office.item(meeting_id, "Policies for approval")
    url = f"/alpha/meetings/{meeting_id}"
    client.post(f"{url}/agenda/{item}/link", {"ref": f"page:{page_id}"}, form_page=url)
    data = client.download(f"{url}/pack.pdf").data
    reader = PdfReader(io.BytesIO(data))
    page = reader.pages[3]  # cover, agenda, divider, the page
    text = page.extract_text()
    assert "|---|" not in text and "|" not in text and "##" not in text and "**" not in text
    assert "Charges for trips" in text and "Trips are voluntary contributions only." in text
    assert "• Coaches are booked by the office" in text
    # The table's cells stand in columns: each column's cells start at the same x.
    runs = {t.strip(): (x, y) for t, x, y, _ in _runs(page)}
    assert runs["Coach"][0] == runs["Entry"][0]
    assert runs["£300"][0] == runs["£5"][0] > runs["Coach"][0] + 50
    assert runs["Item"][1] == runs["Cost"][1] > runs["Coach"][1] == runs["£300"][1] > runs[
        "Entry"][1]


AWKWARD = """- | In a list | Cost |
  |---|---|
  | **Coach** | [quote](https://coaches.example/quote) |

> Quoted [within the page](#scope), [relative](charges.html), [mail](mailto:office@school.example)

| Plain | `code` |
|---|---|
| [https://a.example](https://a.example) | *x* |
"""


def test_links_and_tables_anywhere_in_a_page_are_drawn_and_none_stops_the_pack():
    from gvo.library.pages import render

    text = _flat(pdf_text(html_pdf("Awkward", render(AWKWARD))))
    assert "|" not in text and "**" not in text
    assert "Coach quote (https://coaches.example/quote)" in text
    assert "Quoted within the page, relative, mail (office@school.example)" in text
    assert "https://a.example x" in text and "(https://a.example)" not in text
    # HTML fpdf2's layout refuses (a table in a table) is drawn as plain paragraphs.
    nested = "<p>Before</p><table><tr><td><table><tr><td>Inner</td></tr></table></td></tr></table>"
    text = _flat(pdf_text(html_pdf("Nested", nested)))
    assert "Before" in text and "Inner" in text


def _docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Headteacher's report", 1)
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _xlsx(text: str) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.column_dimensions["A"].width = 40
    book.active["A1"], book.active["B1"] = "Budget line", "Amount"
    book.active["A2"], book.active["B2"] = text, 12500
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _copies(conn) -> list[str]:
    return [r[0] for r in conn.execute("SELECT status FROM document_pdfs ORDER BY blob_id")]


def _upload_papers(signed_in, office, converter: str, papers: list[tuple[str, bytes]]):
    """A clerk (whose GVO runs LibreOffice as `converter`) uploads `papers` to one item of a
    new meeting and waits for what the uploads started; (client, the pack's address)."""
    client, _ = signed_in("manager")
    client.c.application.config["GVO_LIBREOFFICE"] = converter
    meeting_id = office.meeting()
    item = office.item(meeting_id, "Head's report and budget")
    for name, data in papers:
        upload(client, meeting_id, item, name, data)
    pdf_copies.wait_for_background()
    return client, f"/alpha/meetings/{meeting_id}/pack.pdf"


@pytest.mark.slow
def test_word_and_excel_papers_are_converted_once_at_upload_and_become_pages_of_the_pack(
        signed_in, office):
    assert pdf_copies.available(LIBREOFFICE), "make test installs LibreOffice"
    client, url = _upload_papers(signed_in, office, LIBREOFFICE, [
        ("report.docx", _docx("Wordpaperzebra attendance rose")),
        ("budget.xlsx", _xlsx("Excelpapergiraffe"))])
    assert _copies(office.conn) == ["ok", "ok"]  # the uploads converted them, not the pack

    # The pack is built from the copies in the database: LibreOffice is not run again.
    client.c.application.config["GVO_LIBREOFFICE"] = MISSING_PROGRAM
    data = client.download(url).data
    pages = _pages(data)
    text = _flat("\n".join(pages))
    assert "Wordpaperzebra attendance rose" in text and "Excelpapergiraffe" in text
    assert "12500" in text and "provided separately" not in text
    assert len(pages) == 2 + 2 + 2  # cover, agenda, a divider and a page for each paper
    agenda_text = _flat(pages[1])
    assert "report.docx 3" in agenda_text and "budget.xlsx 5" in agenda_text
    assert "Wordpaperzebra" in pages[3] and "Page 4 of 6" in pages[3]
    assert _copies(office.conn) == ["ok", "ok"]


@pytest.mark.slow
def test_without_libreoffice_the_pack_lists_office_papers_and_converts_them_once_it_is_there(
        signed_in, office):
    client, url = _upload_papers(signed_in, office, MISSING_PROGRAM, [
        ("report.docx", _docx("Wordpaperokapi")), ("minutes.pdf", make_pdf("Pdfpaper"))])
    pages = _pages(client.download(url).data)
    assert "report.docx provided separately" in _flat(pages[1])
    assert "Wordpaperokapi" not in "".join(pages) and "Pdfpaper" in "".join(pages)
    assert _copies(office.conn) == []  # nothing stored: it is converted once installed

    client.c.application.config["GVO_LIBREOFFICE"] = LIBREOFFICE
    pages = _pages(client.download(url).data)  # queued as the pack is built, not waited for
    assert "report.docx provided separately (being converted)" in _flat(pages[1])
    pdf_copies.wait_for_background()
    pages = _pages(client.download(url).data)  # converted meanwhile, and kept
    assert "Wordpaperokapi" in "".join(pages) and "provided separately" not in pages[1]
    assert _copies(office.conn) == ["ok"]


def _stand_in(tmp_path: Path, script: str) -> str:
    """An executable standing in for LibreOffice (to see how it is run, and to hang)."""
    program = tmp_path / "soffice"
    program.write_text("#!/bin/sh\n" + script)
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    return str(program)


def test_the_converter_runs_without_network_with_a_throwaway_profile(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(pdf_copies, "_scratch_root", lambda: str(scratch))
    # Writes, as its "PDF", the network interfaces it sees and the arguments it was given.
    program = _stand_in(tmp_path, 'for a in "$@"; do [ "$last" = --outdir ] && dir="$a"; '
                        'last="$a"; done\nmkdir -p "$dir"\n'
                        '{ echo "%PDF-1.4"; awk -F: \'NR > 2 {print $1}\' /proc/net/dev'
                        ' | tr -d " "; echo "$@"; } > "$dir/paper.pdf"\n')
    made = pdf_copies.convert(b"PK\x03\x04 stand-in", DOCX, program)
    assert made.status == "ok"
    seen = made.data.decode()
    assert seen.split("\n")[1:3] == ["lo", "--headless"] or seen.split("\n")[1] == "lo"
    assert seen.split("\n")[2].startswith("--headless")  # loopback only, then the arguments
    assert "-env:UserInstallation=file://" + str(scratch) in seen and "--headless" in seen
    assert os.listdir(scratch) == []  # the file, the profile and the output are gone


def _ended(pid: int) -> bool:
    """Wait for a process that is not ours to end (a pidfd is readable once it has); True.
    A process that never ends leaves the test to pytest-timeout's guard."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        select.select([fd], [], [])
        return True
    finally:
        os.close(fd)


def _wait_for(path: Path, lines: int = 1) -> list[str]:
    """Wait until the stand-in has written `lines` lines to `path` (no time limit here:
    pytest-timeout guards a test that never gets there)."""
    while not path.is_file() or len(path.read_text().splitlines()) < lines:
        select.select([], [], [], 0.05)
    return path.read_text().splitlines()


def test_one_schools_hanging_conversion_never_holds_another_schools_pack(
        tmp_path, instance, office, signed_in, new_client, make_user):
    # Attack 4: a hostile office file in one school held the process-wide conversion lock
    # (120 s each), and every school's pack waited for it. Now a pack never waits for a
    # conversion, and the one worker takes the schools in turn.
    from gvo.board import bodies
    from gvo.core.identity import Identity

    from .conftest import Office

    started, gate = tmp_path / "started", tmp_path / "gate"
    # Notes which file it was given, then hangs until the test opens the gate; then a PDF.
    program = _stand_in(tmp_path, f'for a in "$@"; do [ "$last" = --outdir ] && dir="$a"; '
                        f'last="$a"; done\nsha256sum < "$last" | cut -c1-64 >> {started}\n'
                        f'while [ ! -e {gate} ]; do sleep 0.05; done\nmkdir -p "$dir"\n'
                        f'printf "%%PDF-1.4 converted" > "$dir/paper.pdf"\n')
    clerk_a, _ = signed_in("manager")
    clerk_a.c.application.config["GVO_LIBREOFFICE"] = program
    meeting_a = office.meeting()
    item_a = office.item(meeting_a, "Budget")
    hostile = [_docx(f"Hostile spreadsheet {n}") for n in range(3)]
    for n, data in enumerate(hostile):
        upload(clerk_a, meeting_a, item_a, f"hostile-{n}.docx", data)
    assert _wait_for(started) == [hashlib.sha256(hostile[0]).hexdigest()]  # hangs now

    instance.create_school("beta", "Beta Primary")
    conn_b = instance.db("beta")
    board_b = bodies.save_body(conn_b, Identity.operator(), body_id=None, kind="board",
                               name="Full Governing Board")
    beta = Office(board_b, board_b, conn_b)
    clerk_b = new_client()
    assert sign_in(clerk_b, make_user("beta", "manager")).status_code == 302
    meeting_b = beta.meeting()
    report = _docx("Beta head's report")
    upload(clerk_b, meeting_b, beta.item(meeting_b, "Head's report"), "report.docx", report,
           slug="beta")
    resp = clerk_b.download(f"/beta/meetings/{meeting_b}/pack.pdf")
    assert resp.status_code == 200
    assert "report.docx provided separately (being converted)" in _flat(_pages(resp.data)[1])
    # ... returned while alpha's first conversion still runs, its other two still queued.
    assert not gate.exists() and len(started.read_text().splitlines()) == 1
    assert pdf_copies.pending("alpha") == 3 and pdf_copies.pending("beta") == 1

    gate.touch()
    pdf_copies.wait_for_background()
    order = started.read_text().splitlines()
    digests = [hashlib.sha256(d).hexdigest() for d in (hostile[0], report, *hostile[1:])]
    assert order == digests  # beta's paper had the second turn, not the fourth
    assert _copies(conn_b) == ["ok"] and _copies(office.conn) == ["ok", "ok", "ok"]


def test_a_conversion_that_hangs_is_stopped_at_its_time_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_copies, "SECONDS", 1)
    pid_file = tmp_path / "pid"
    program = _stand_in(tmp_path, f"sleep 600 & echo $! > {pid_file}\nwait\n")
    assert pdf_copies.convert(b"PK\x03\x04", DOCX, program).status == "limit:time"
    assert _ended(int(pid_file.read_text()))  # what it started is stopped too (not in 600 s)
    assert pdf_copies.convert(b"PK\x03\x04", DOCX, MISSING_PROGRAM).status == "missing"


def test_the_pack_and_the_minutes_have_a_title_and_a_language(signed_in, locked_meeting):  # noqa: F811
    data, _ = _pack_with_part_2()
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title == "Alpha Primary: Full board"
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    client, _ = signed_in("manager")
    meeting_id, _ = locked_meeting
    minutes = PdfReader(io.BytesIO(client.download(
        f"/alpha/meetings/{meeting_id}/minutes.pdf").data))
    assert "Autumn full board" in minutes.metadata.title
    assert minutes.trailer["/Root"]["/Lang"] == "en-GB"
    page = PdfReader(io.BytesIO(html_pdf("Charging policy", "<p>x</p>")))
    assert page.metadata.title == "Charging policy" and page.trailer["/Root"]["/Lang"] == "en-GB"
