"""Papers the pack or the meeting's folder cannot take as they come: PDFs with passwords,
folders and rooms of the library closed to the person adding a paper."""

import io

import pytest
from pypdf import PdfReader, PdfWriter

from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.library import folders, pages
from gvo.meetings import agenda, papers

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
