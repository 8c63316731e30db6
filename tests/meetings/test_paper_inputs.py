"""Papers the pack or the meeting's folder cannot take as they come: PDFs with passwords,
folders and rooms of the library closed to the person adding a paper."""

import io

import pytest
from pypdf import PdfReader, PdfWriter
from uploads import Part, many_parts, word, write_lock_held
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from gvo.core.errors import InvalidInput, NotFound
from gvo.core.identity import Identity
from gvo.library import folders, pages, sniff
from gvo.meetings import agenda, packs, papers

from .conftest import OP, download, make_pdf, pdf_text, upload


def _encrypted(data: bytes, user_password: str) -> bytes:
    """`data` encrypted with AES-256 and an owner password, as `qpdf --encrypt` makes it."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_owner_password_pdf_is_merged_and_a_password_to_open_pdf_is_listed(signed_in,
                                                                               office):
    client, _ = signed_in("manager")
    meeting_id = office.meeting()
    item = office.item(meeting_id, "Audit report")
    owner_only = _encrypted(make_pdf("Ownerlocked", 2), "")
    to_open = _encrypted(make_pdf("Sealedcontent", 1), "secret")
    assert PdfReader(io.BytesIO(owner_only)).is_encrypted
    upload(client, meeting_id, item, "audit.pdf", owner_only, title="Auditor's report")
    upload(client, meeting_id, item, "sealed.pdf", to_open, title="Sealed letter")
    resp = download(client, f"/alpha/meetings/{meeting_id}/pack.pdf")
    reader = PdfReader(io.BytesIO(resp.data))
    assert not reader.is_encrypted
    # cover, agenda, the divider of the owner-password paper, its two pages.
    assert len(reader.pages) == 5
    agenda_text = " ".join(reader.pages[1].extract_text().split())
    assert "Auditor's report audit.pdf 3" in agenda_text
    assert "Sealed letter sealed.pdf provided separately" in agenda_text
    assert "Auditor's report" in reader.pages[2].extract_text()
    assert "Ownerlocked page 1" in reader.pages[3].extract_text()
    assert "Ownerlocked page 2" in reader.pages[4].extract_text()
    assert reader.page_labels[2:] == ["3", "4", "5"]
    assert "Sealedcontent" not in pdf_text(resp.data)


def _narrow(conn, manager_id: int, folder_id: int) -> None:
    """A library Manager makes a folder a room open to themselves alone."""
    lib = Identity(manager_id, "manager")
    row = folders.get_folder(conn, lib, folder_id)
    folders.update_folder(conn, lib, folder_id, title=row["title"], description="",
                          sort_order=0, restricted=True, users=[manager_id])


def _meetings_manager(make_user, new_client, conn):
    """An Author who holds "manage meetings", signed in."""
    from conftest import sign_in

    from gvo.people import accounts

    holder = make_user("alpha", "author")
    accounts.set_capabilities(conn, OP, holder.id, {"manage_meetings"})
    other = new_client()
    sign_in(other, holder)
    return other


def _told(client, resp, meeting_id: int) -> str:
    """What the person is shown after a refused upload: the meeting page, either as the
    response itself (422) or where the response sends them (302)."""
    assert resp.status_code in (302, 422)
    if resp.status_code == 422:
        return resp.get_data(as_text=True)
    return client.get(f"/alpha/meetings/{meeting_id}").get_data(as_text=True)


def test_a_paper_for_a_folder_the_uploader_cannot_open_is_refused_clearly(
        signed_in, new_client, make_user, office):
    from gvo.meetings import meetings

    client, clerk = signed_in("manager")
    meeting_id = office.meeting()
    secret = office.item(meeting_id, "Pay", confidential=True)
    open_item = office.item(meeting_id, "Budget")
    upload(client, meeting_id, secret, "a.pdf", make_pdf("A"))
    holder = _meetings_manager(make_user, new_client, office.conn)
    _narrow(office.conn, clerk.id, meetings.get(office.conn, meeting_id)["folder_id"])
    for item in (secret, open_item):
        resp = upload(holder, meeting_id, item, "b.pdf", make_pdf("B"))
        assert "is not open to you, so nothing was added" in _told(holder, resp, meeting_id)
    assert len(agenda.paper_links(office.conn, secret)) == 1
    assert agenda.paper_links(office.conn, open_item) == []


def test_a_paper_for_a_confidential_room_the_uploader_is_not_in_is_refused_clearly(
        signed_in, new_client, make_user, office):
    client, clerk = signed_in("manager")
    meeting_id = office.meeting()
    secret = office.item(meeting_id, "Pay", confidential=True)
    upload(client, meeting_id, secret, "a.pdf", make_pdf("A"))
    room = office.conn.execute("SELECT id FROM folders WHERE title = ?",
                               (papers.CONFIDENTIAL_FOLDER,)).fetchone()["id"]
    holder = _meetings_manager(make_user, new_client, office.conn)
    _narrow(office.conn, clerk.id, room)
    resp = upload(holder, meeting_id, secret, "b.pdf", make_pdf("B"))
    assert "is not open to you" in _told(holder, resp, meeting_id)
    assert len(agenda.paper_links(office.conn, secret)) == 1
    assert office.conn.execute("SELECT count(*) FROM folders WHERE title = ?",
                               (papers.CONFIDENTIAL_FOLDER,)).fetchone()[0] == 1


def _library_rows(conn) -> tuple:
    return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
                 for t in ("folders", "folder_access", "documents", "blobs", "agenda_papers",
                           "search_items"))


def test_a_refused_paper_leaves_no_folder_file_or_link_behind(signed_in, office):
    # Found by tests/fuzz: the meeting's papers folder (and the top "Meeting papers" folder,
    # or the confidential room) was made before the file was refused, and a title too long
    # was refused after the file was stored; each stayed behind.
    from gvo.meetings import meetings

    client, _ = signed_in("manager")
    meeting_id = office.meeting()  # made by the service: no papers folder yet
    item = office.item(meeting_id, "Budget")
    secret = office.item(meeting_id, "Pay", confidential=True)
    before = _library_rows(office.conn)
    for target, filename, data, title in [(item, "empty.pdf", b"", ""),
                                          (secret, "empty.pdf", b"", ""),
                                          (item, "", b"", ""),
                                          (item, "setup.exe", b"MZ\x90\x00" * 50, ""),
                                          (item, "report.pdf", make_pdf("R"), "T" * 201)]:
        resp = upload(client, meeting_id, target, filename, data, title=title)
        assert resp.status_code == 422, (filename, resp.status_code)
        assert _library_rows(office.conn) == before, filename
    assert meetings.get(office.conn, meeting_id)["folder_id"] is None
    # The same paper, right, goes in: folder, file and link together.
    resp = upload(client, meeting_id, item, "report.pdf", make_pdf("R"), title="Report")
    assert resp.status_code == 302
    assert [p["kind"] for p in agenda.paper_links(office.conn, item)] == ["document"]


def test_a_refused_link_leaves_no_confidential_room_behind(office):
    # The room of confidential papers is made (again) for a link; a link refused after that
    # (the paper is already on the item) left the new room behind.
    manager = office.person("Mo Manager", "manager", on_board=False)
    meeting_id = office.meeting()
    secret = office.item(meeting_id, "Pay", confidential=True)
    lib = Identity(manager, "manager")
    shelf = folders.create_folder(office.conn, lib, parent_id=None, title="Shelf")
    page = pages.create_page(office.conn, lib, shelf, title="Pay note", body="x")
    viewer = Identity(manager, "manager")
    papers.link(office.conn, viewer, secret, "page", page)
    room = papers.CONFIDENTIAL_FOLDER
    office.conn.execute("UPDATE folders SET deleted_at = '2026-01-01' WHERE title = ?", (room,))
    before = _library_rows(office.conn)
    with pytest.raises(InvalidInput, match="already attached"):
        papers.link(office.conn, viewer, secret, "page", page)
    assert _library_rows(office.conn) == before


def _squat(office, meeting_id: int, clerk_id: int) -> tuple[int, int]:
    """An Author makes a room called like the confidential one in the meeting's folder, open
    to themselves and the clerk; returns (author id, folder id)."""
    from gvo.meetings import meetings

    author = office.person("Sam Squatter", "author", on_board=False)
    squat = folders.create_folder(
        office.conn, Identity(author, "author"),
        parent_id=meetings.get(office.conn, meeting_id)["folder_id"],
        title=papers.CONFIDENTIAL_FOLDER, restricted=True, users=[author, clerk_id])
    return author, squat


def test_a_folder_titled_like_the_confidential_room_never_receives_papers(signed_in, office):
    from gvo.library import documents
    from gvo.meetings import meetings

    client, clerk = signed_in("manager")
    meeting_id = office.meeting()
    papers.ensure_folder(office.conn, Identity(clerk.id, "manager"), meeting_id)
    secret = office.item(meeting_id, "Pay review", confidential=True)
    author, squat = _squat(office, meeting_id, clerk.id)
    assert upload(client, meeting_id, secret, "pay.pdf", make_pdf("Pay")).status_code == 302
    [link] = agenda.paper_links(office.conn, secret)
    doc = office.conn.execute("SELECT folder_id FROM documents WHERE id = ?",
                              (link["ref_id"],)).fetchone()
    room = meetings.get(office.conn, meeting_id)["confidential_folder_id"]
    assert doc["folder_id"] == room and room != squat
    with pytest.raises(NotFound):
        documents.get_document(office.conn, Identity(author, "author"), link["ref_id"])
    assert sorted(folders.access_list(office.conn, squat)[0]) == sorted([author, clerk.id])


def test_the_migration_keeps_the_room_gvo_made_not_a_squatters(signed_in, office):
    """Migration 0008 finds each meeting's existing room: the one made by a meetings manager,
    not an earlier folder of the same title made by someone else."""
    from pathlib import Path

    from gvo.meetings import meetings
    from gvo.people import settings
    from gvo.storage.sqlcipher import _split_sql

    client, clerk = signed_in("manager")
    meeting_id = office.meeting()
    top_and_folder = papers.ensure_folder(office.conn, Identity(clerk.id, "manager"),
                                          meeting_id)
    secret = office.item(meeting_id, "Pay review", confidential=True)
    _author, squat = _squat(office, meeting_id, clerk.id)
    upload(client, meeting_id, secret, "pay.pdf", make_pdf("Pay"))
    room = meetings.get(office.conn, meeting_id)["confidential_folder_id"]
    top = settings.get(office.conn, papers.TOP_FOLDER_SETTING)
    assert squat < room and top
    # As before the migration: no ids stored.
    office.conn.execute("UPDATE meetings SET confidential_folder_id = NULL")
    office.conn.execute("DELETE FROM settings WHERE key = ?", (papers.TOP_FOLDER_SETTING,))
    sql = (Path(papers.__file__).parent.parent / "storage" / "migrations" / "school"
           / "0008_meeting_folders.sql").read_text()
    for statement in _split_sql(sql):
        if "ALTER TABLE" not in statement:
            office.conn.execute(statement)
    assert meetings.get(office.conn, meeting_id)["confidential_folder_id"] == room
    assert settings.get(office.conn, papers.TOP_FOLDER_SETTING) == top
    assert top_and_folder == meetings.get(office.conn, meeting_id)["folder_id"]


# -- untrusted PDFs are read in a limited child ------------------------------------------

MEETING = {"title": "Spring board", "body_name": "Board", "starts_at": "2031-03-04T18:00",
           "ends_at": "2031-03-04T20:00", "location": "Hall", "online_link": ""}


def _bomb(marker: str) -> bytes:
    """A one-page PDF whose content stream inflates to 70 MB (70 KB as stored)."""
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    stream = DecodedStreamObject()
    stream.set_data(f"% {marker}\n".encode() + b"0" * 70_000_000 + b"\n")
    page[NameObject("/Contents")] = writer._add_object(stream.flate_encode())
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _agenda_text(data: bytes) -> str:
    return " ".join(PdfReader(io.BytesIO(data)).pages[1].extract_text().split())


def test_a_paper_beyond_the_childs_limits_is_listed_not_merged():
    bomb = _bomb("bomb-1")
    assert len(bomb) < 200_000
    items = [packs.PackItem("1", "Budget", "decision", papers=[
        packs.PackPaper("Inflating paper", "bomb.pdf", bomb),
        packs.PackPaper("Real paper", "real.pdf", make_pdf("Realcontent", 2))])]
    data = packs.build("Alpha", MEETING, items, "now")
    text = _agenda_text(data)
    assert "Inflating paper bomb.pdf provided separately" in text
    assert "Real paper real.pdf 3" in text
    assert "Realcontent page 2" in pdf_text(data)
    assert items[0].papers[0].status == "limit:expanded"
    assert items[0].papers[1].status == "ok"


def test_a_paper_that_outlasts_the_wall_clock_is_listed_and_the_next_still_merged(
        monkeypatch):
    """The child is killed at WALL_SECONDS (here: at once, for the first paper only); a new
    child reads the rest."""
    slow, fine = make_pdf("Slowpaper unique-7"), make_pdf("Finepaper unique-8")
    real_timer = packs.threading.Timer
    started = []

    def timer(seconds, kill):  # the first paper's timer fires at once
        started.append(seconds)
        return real_timer(0 if len(started) == 1 else seconds, kill)

    monkeypatch.setattr(packs.threading, "Timer", timer)
    items = [packs.PackItem("1", "Budget", "decision", papers=[
        packs.PackPaper("Slow", "slow.pdf", slow), packs.PackPaper("Fine", "fine.pdf", fine)])]
    data = packs.build("Alpha", MEETING, items, "now")
    assert [p.status for p in items[0].papers] == ["limit:time", "ok"]
    text = _agenda_text(data)
    assert "Slow slow.pdf provided separately" in text and "Fine fine.pdf 3" in text
    assert "Finepaper" in pdf_text(data) and "Slowpaper" not in pdf_text(data)


def test_a_refused_paper_is_answered_with_its_reason_without_the_write_lock(
        signed_in, office, instance):
    # Issue 9 (attack review): the type sniffer read a .docx's index inside the upload's
    # write transaction, so a file of 560,000 parts held every write of the school.
    client, _ = signed_in("manager")
    meeting_id = office.meeting()
    item = office.item(meeting_id, "Budget")
    too_many = sniff.MAX_ZIP_ENTRIES + 1
    before = _library_rows(office.conn)
    page = f"/alpha/meetings/{meeting_id}"
    client.get(page)  # its CSRF token is saved in the session before the lock is taken
    # Encoded in memory (the test client would spool a body this size to a file it leaves
    # open).
    boundary, body = encode_multipart({"title": "Budget", "file": FileStorage(
        io.BytesIO(many_parts(too_many)), "Budget.docx")})
    with write_lock_held(instance, office.conn):
        resp = client.c.post(
            f"{page}/agenda/{item}/upload", base_url="https://localhost", data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
            headers={"X-CSRFToken": client.token(), "Referer": "https://localhost" + page})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422, html[:300]
    assert f"“Budget.docx” is made of {too_many:,} parts" in html
    assert _library_rows(office.conn) == before


def test_every_byte_of_a_paper_is_read_before_its_transaction(office):
    manager = office.person("Mo Manager", "manager", on_board=False)
    meeting_id = office.meeting()
    item = office.item(meeting_id, "Budget")

    class Watched(Part):
        def chunks(self):
            for piece in super().chunks():
                seen.append(office.conn.in_transaction)
                yield piece

    seen: list[bool] = []
    fields = {"title": "Budget report"}
    [doc] = papers.upload(office.conn, Identity(manager, "manager"), item,
                          [Watched("budget.docx", word(text="Budget"), piece=500)],
                          limit=10**7, fields=fields)
    assert seen and not any(seen)
    assert [p["ref_id"] for p in agenda.paper_links(office.conn, item)] == [doc]


@pytest.mark.parametrize("cap", ["paper", "pack"])
def test_papers_too_large_for_the_pack_are_listed_not_read(signed_in, office, monkeypatch, cap):
    # Issue 9 (siblings of the attack review): the pack read every paper of the meeting into
    # memory whatever its size (and every Word or Excel paper too, only to list it).
    client, _ = signed_in("manager")
    meeting_id = office.meeting()
    item = office.item(meeting_id, "Budget")
    small, big = make_pdf("Smallpaper", 1), make_pdf("Bigpaper", 40)
    for name, data in (("small.pdf", small), ("big.pdf", big), ("notes.docx", word())):
        assert upload(client, meeting_id, item, name, data).status_code == 302
    if cap == "paper":
        monkeypatch.setattr(packs, "MAX_PACK_PAPER_BYTES", len(big) - 1)
    else:
        monkeypatch.setattr(packs, "MAX_PACK_BYTES", len(small) + len(big) - 1)
    resp = download(client, f"/alpha/meetings/{meeting_id}/pack.pdf")
    assert resp.status_code == 200
    agenda_text = " ".join(PdfReader(io.BytesIO(resp.data)).pages[1].extract_text().split())
    assert "big.pdf provided separately (too large for the pack)" in agenda_text
    assert "notes.docx provided separately" in agenda_text
    assert "Smallpaper page 1" in pdf_text(resp.data)
    assert "Bigpaper" not in pdf_text(resp.data)
