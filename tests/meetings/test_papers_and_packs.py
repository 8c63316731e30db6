"""Papers through the library, and board packs (acceptance 1 and 2)."""

import io
import re
from html import unescape

from conftest import make_pdf, pdf_text
from pypdf import PdfReader

from gvo.core.identity import Identity
from gvo.library import search
from gvo.meetings import agenda, packs, papers

from .conftest import OP, upload


def _outline_titles(reader) -> list:
    def walk(nodes):
        out = []
        for node in nodes:
            if isinstance(node, list):
                out.append(walk(node))
            else:
                out.append((node.title, reader.get_destination_page_number(node)))
        return out
    return walk(reader.outline)


def test_a_pack_of_30_pdf_papers_has_the_right_pages_bookmarks_and_order():
    meeting = {"title": "Full board", "body_name": "Full Governing Board",
               "starts_at": "2031-03-04T18:00", "ends_at": "2031-03-04T20:00",
               "location": "Library", "online_link": "https://meet.example/abc"}
    sizes = [1 + n % 4 for n in range(30)]
    items = [packs.PackItem(n + 1, f"Item {n + 1}", "decision", "Chair", 10, [
        packs.PackPaper(f"Paper {n + 1}", f"paper-{n + 1}.pdf",
                        make_pdf(f"Paper{n + 1}", sizes[n]))]) for n in range(30)]
    items[4].papers.append(packs.PackPaper("Broken scan", "scan.pdf", b"%PDF-1.7\nnot really"))
    items[5].papers.append(packs.PackPaper("Budget workbook", "budget.xlsx", b"PK\x03\x04xx"))
    data = packs.build("Alpha Primary", meeting, items, "2031-03-01 09:00 UTC for Test")
    reader = PdfReader(io.BytesIO(data))
    front = 3  # cover + 2 agenda pages (32 rows + header)
    assert len(reader.pages) == front + 30 + sum(sizes)

    # Order: each divider, then its paper's pages, item by item.
    page = front
    for n in range(30):
        assert f"Paper {n + 1}" in reader.pages[page].extract_text()  # the divider
        for p in range(sizes[n]):
            assert f"Paper{n + 1} page {p + 1}" in reader.pages[page + 1 + p].extract_text()
        page += 1 + sizes[n]

    outline = _outline_titles(reader)
    assert outline[:2] == [("Cover", 0), ("Agenda", 1)]
    tops = [entry for entry in outline[2:] if isinstance(entry, tuple)]
    children = [entry for entry in outline[2:] if isinstance(entry, list)]
    assert [t[0] for t in tops] == [f"{n + 1}. Item {n + 1}" for n in range(30)]
    assert children[0] == [("Paper 1", front)]
    assert tops[1][1] == front + 1 + sizes[0]

    cover = reader.pages[0].extract_text()
    assert "Alpha Primary" in cover and "Full board" in cover and "Library" in cover
    assert "generated 2031-03-01 09:00 UTC" in cover
    agenda_text = reader.pages[1].extract_text() + reader.pages[2].extract_text()
    assert "Broken scan" in agenda_text and "Budget workbook" in agenda_text
    assert agenda_text.count("provided separately") == 2
    # The agenda gives each paper's first page (its divider), 1-based.
    assert f"Paper 2 paper-2.pdf {front + 1 + sizes[0] + 1}" in agenda_text


def test_an_empty_agenda_still_makes_a_pack():
    meeting = {"title": "Quiet meeting", "body_name": "Finance", "starts_at": "2031-03-04T18:00",
               "ends_at": "2031-03-04T19:00", "location": "Hall", "online_link": ""}
    data = packs.build("Alpha Primary", meeting, [], "now")
    assert len(PdfReader(io.BytesIO(data)).pages) == 2


def test_clerk_uploads_and_links_papers_and_a_governor_downloads_the_pack(
        signed_in, new_client, make_user, office):
    from conftest import sign_in

    client, clerk = signed_in("manager")
    office.member(clerk.id)
    meeting_id = office.meeting()
    budget = office.item(meeting_id, "Budget 2031")
    other = office.item(meeting_id, "Policies")
    resp = upload(client, meeting_id, budget, "budget.pdf", make_pdf("Budgetpaper", 3),
                  title="Draft budget 2031")
    assert resp.status_code == 302
    upload(client, meeting_id, budget, "notes.txt", b"Plain notes for governors\n")
    upload(client, meeting_id, budget, "broken.pdf", b"%PDF-1.4\nthis is not a real pdf")
    page = client.get(f"/alpha/meetings/{meeting_id}").get_data(as_text=True)
    assert "Draft budget 2031" in page and "0 comments" in page and "0 approvals" in page
    # Link the budget document to a second item too.
    doc_id = agenda.paper_links(office.conn, budget)[0]["ref_id"]
    client.post(f"/alpha/meetings/{meeting_id}/agenda/{other}/link",
                {"ref": f"document:{doc_id}"}, form_page=f"/alpha/meetings/{meeting_id}")
    assert [p["ref_id"] for p in agenda.paper_links(office.conn, other)] == [doc_id]

    governor = make_user("alpha", "author")
    office.member(governor.id)
    gclient = new_client()
    sign_in(gclient, governor)
    resp = gclient.download(f"/alpha/meetings/{meeting_id}/pack.pdf")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert resp.headers["Cache-Control"] == "no-store"
    reader = PdfReader(io.BytesIO(resp.data))
    text = pdf_text(resp.data)
    assert "Budgetpaper page 3" in text and "provided separately" in text
    assert "notes.txt" in text and "broken.pdf" in text
    # cover + agenda + (divider + 3 pages) twice: the budget is on two items.
    assert len(reader.pages) == 2 + 2 * 4


def test_confidential_items_and_papers_never_reach_someone_without_access(
        signed_in, new_client, make_user, office):
    from conftest import sign_in

    client, clerk = signed_in("manager")
    reader_person = make_user("alpha", "reader")
    member_person = make_user("alpha", "author")
    office.member(member_person.id)
    meeting_id = office.meeting(days=-7)
    open_item = office.item(meeting_id, "School improvement plan")
    secret = office.item(meeting_id, "Headteacher performance review", confidential=True)
    upload(client, meeting_id, open_item, "sip.pdf", make_pdf("Sipcontent"))
    upload(client, meeting_id, secret, "review.pdf", make_pdf("Zanzibarsecret"),
           title="Review of the headteacher zanzibar")
    conn = office.conn
    rclient, mclient = new_client(), new_client()
    sign_in(rclient, reader_person)
    sign_in(mclient, member_person)

    for c, sees in ((rclient, False), (mclient, True), (client, True)):
        page = c.get(f"/alpha/meetings/{meeting_id}").get_data(as_text=True)
        assert ("Headteacher performance review" in page) is sees
        assert ("Review of the headteacher" in page) is sees
        found = c.get("/alpha/meetings?q=performance").get_data(as_text=True)
        assert ("Headteacher performance review" in found or
                f"/alpha/meetings/{meeting_id}\"" in found) is sees
        data = c.download(f"/alpha/meetings/{meeting_id}/pack.pdf").data
        pack = pdf_text(data)
        assert "School improvement plan" in pack and "Sipcontent" in pack
        assert ("Headteacher performance review" in pack) is sees
        assert ("Zanzibarsecret" in pack) is sees
        # No trace of part 2 (not even its mark) for someone who may not see it; for those
        # who may, its paper's pages are marked.
        assert ("confidential" in pack.lower()) is sees
        pages = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
        assert [n for n, page in enumerate(pages) if "CONFIDENTIAL (PART 2)" in page] == [
            n for n, page in enumerate(pages) if n > 1 and (  # after the cover and agenda
                "Zanzibarsecret" in page or "Review of the headteacher zanzibar" in page)]
        if not sees:
            assert c.get(f"/alpha/meetings/{meeting_id}/agenda/{secret}").status_code == 403

    # The library's own search and listings hide the confidential paper too.
    lib_reader = Identity(reader_person.id, "reader")
    lib_member = Identity(member_person.id, "author")
    assert search.search(conn, lib_reader, "zanzibar") == []
    assert search.search(conn, lib_member, "zanzibar")
    assert papers.for_item(conn, Identity(reader_person.id, "reader"), secret) == []
    assert not any("zanzibar" in label.lower()
                   for _, label in papers.linkable(conn, Identity(reader_person.id, "reader")))

    # A feed never carries agenda items.
    feed_token = __import__("gvo.meetings.calendar_feed", fromlist=["x"]).new_token(
        conn, OP, reader_person.id)
    feed = rclient.c.get(f"/alpha/calendar/{feed_token}.ics", base_url="https://localhost")
    assert b"Headteacher performance" not in feed.data and b"zanzibar" not in feed.data.lower()


def test_an_item_with_papers_cannot_become_confidential(signed_in, office):
    client, _ = signed_in("manager")
    meeting_id = office.meeting()
    item = office.item(meeting_id, "Staffing")
    upload(client, meeting_id, item, "staff.pdf", make_pdf("Staff"))
    url = f"/alpha/meetings/{meeting_id}/agenda/{item}"
    resp = client.post(url, {"title": "Staffing", "purpose": "decision", "minutes": "5",
                       "confidential": "y"}, form_page=url)
    assert resp.status_code == 422 and "detach its papers" in client.last_text
    assert not agenda.get_item(office.conn, item)["confidential"]


def test_an_upload_without_the_csrf_token_is_refused(signed_in, office):
    client, _ = signed_in("manager")
    meeting_id = office.meeting()
    item = office.item(meeting_id, "Budget")
    resp = client.c.post(f"/alpha/meetings/{meeting_id}/agenda/{item}/upload",
                         base_url="https://localhost",
                         data={"file": (io.BytesIO(make_pdf("x")), "x.pdf")},
                         headers={"Referer": f"https://localhost/alpha/meetings/{meeting_id}"})
    assert resp.status_code == 400
    assert agenda.paper_links(office.conn, item) == []


def test_the_confidential_room_follows_membership_and_roles_at_once(signed_in, make_user,
                                                                    office):
    from gvo.board import bodies
    from gvo.people import accounts

    client, _ = signed_in("manager")
    meeting_id = office.meeting()
    secret = office.item(meeting_id, "Pay review", confidential=True)
    upload(client, meeting_id, secret, "pay.pdf", make_pdf("Payreview"))
    newcomer = make_user("alpha", "author")
    viewer = Identity(newcomer.id, "author")
    assert papers.for_item(office.conn, viewer, secret) == []
    office.member(newcomer.id)  # joins the board: access at once, nobody saves anything
    assert [p.title for p in papers.for_item(office.conn, viewer, secret)] == ["pay"]
    bodies.remove_member(office.conn, OP, office.board_id, newcomer.id)
    assert papers.for_item(office.conn, viewer, secret) == []  # leaves: gone at once
    # An Editor (not on the board) sees confidential papers; demoted, they no longer do.
    editor = make_user("alpha", "editor")
    assert [p.title for p in papers.for_item(office.conn, Identity(editor.id, "editor"),
                                             secret)] == ["pay"]
    accounts.set_role(office.conn, OP, editor.id, "author")
    assert papers.for_item(office.conn, Identity(editor.id, "author"), secret) == []
    # A capability grant opens it too, and its removal closes it.
    accounts.set_capabilities(office.conn, OP, editor.id, {"manage_meetings"})
    holder = Identity(editor.id, "author", frozenset({"manage_meetings"}))
    assert [p.title for p in papers.for_item(office.conn, holder, secret)] == ["pay"]
    accounts.set_capabilities(office.conn, OP, editor.id, set())
    assert papers.for_item(office.conn, Identity(editor.id, "author"), secret) == []


def test_damaged_pdfs_never_stop_the_pack(caplog):
    import logging
    import random

    caplog.set_level(logging.CRITICAL, logger="pypdf")
    meeting = {"title": "T", "body_name": "Board", "starts_at": "2031-03-04T18:00",
               "ends_at": "2031-03-04T20:00", "location": "Hall", "online_link": ""}
    good = make_pdf("Goodpaper", 2)
    rnd = random.Random(5)
    for n in range(45):
        data = bytearray(good)
        if n % 3 == 0:
            data = data[: rnd.randrange(10, len(data))]
        elif n % 3 == 1:
            for _ in range(20):
                data[rnd.randrange(len(data))] = rnd.randrange(256)
        else:
            at = rnd.randrange(len(data))
            data[at:at + 50] = b""
        items = [packs.PackItem(1, "Item", "decision", papers=[
            packs.PackPaper("Damaged", "damaged.pdf", bytes(data)),
            packs.PackPaper("Good", "good.pdf", good)])]
        reader = PdfReader(io.BytesIO(packs.build("Alpha", meeting, items, "now")))
        assert "Goodpaper page 2" in reader.pages[-1].extract_text()


def _charging_policy(office, clerk) -> int:
    """A library page "Charging policy" in a folder "Policies", made by the clerk."""
    from gvo.library import folders, pages

    lib = Identity(clerk.id, "manager")
    folder = folders.create_folder(office.conn, lib, parent_id=None, title="Policies")
    return pages.create_page(office.conn, lib, folder, title="Charging policy",
                             body="## Scope\n\nTrips are voluntary contributions only.")


def test_a_linked_library_page_is_drawn_into_the_pack(signed_in, office):
    client, clerk = signed_in("manager")
    page_id = _charging_policy(office, clerk)
    meeting_id = office.meeting()
    item = office.item(meeting_id, "Policies for approval")
    page = f"/alpha/meetings/{meeting_id}"
    client.post(f"{page}/agenda/{item}/link", {"ref": f"page:{page_id}"}, form_page=page)
    text = pdf_text(client.download(f"{page}/pack.pdf").data)
    assert "Charging policy" in text and "voluntary contributions" in text


def test_an_empty_paper_is_refused_by_name_and_the_title_typed_is_kept(signed_in, office):
    client, clerk = signed_in("manager")
    meeting_id = office.meeting()
    item = office.item(meeting_id, "Budget 2031")
    resp = upload(client, meeting_id, item, "budget.pdf", b"", title="Draft budget <2031>")
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "“budget.pdf” is empty (0 bytes)" in page
    assert 'id="title-1" name="title" maxlength="200" value="Draft budget &lt;2031&gt;"' \
        in page
    assert agenda.paper_links(office.conn, item) == []
    assert office.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0


def _paper_links(html: str) -> dict[str, str]:
    """The links in a meeting page's lists of papers, by their text (hidden words included)."""
    found = {}
    for papers_list in re.findall(r'<ul class="papers">(.*?)</ul>', html, re.S):
        for href, label in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', papers_list, re.S):
            found[" ".join(re.sub(r"<[^>]+>", " ", label).split())] = unescape(href)
    return found


def test_a_governor_opens_each_paper_from_the_meeting_page(signed_in, new_client, make_user,
                                                           office):
    """Every paper listed on a meeting page opens from its title (issue 12): a PDF in the
    browser, another document as a download, a page as its library page; its details,
    comments and approval are linked beside it. Following them gets the paper."""
    from conftest import sign_in

    client, clerk = signed_in("manager")
    page_id = _charging_policy(office, clerk)
    meeting_id = office.meeting()
    budget = office.item(meeting_id, "Budget 2031")
    secret = office.item(meeting_id, "Staffing review", confidential=True)
    page = f"/alpha/meetings/{meeting_id}"
    budget_pdf = make_pdf("Budgetpaper")
    upload(client, meeting_id, budget, "budget.pdf", budget_pdf, title="Draft budget 2031")
    upload(client, meeting_id, secret, "staffing.txt", b"Confidential staffing notes\n",
           title="Staffing paper")
    client.post(f"{page}/agenda/{budget}/link", {"ref": f"page:{page_id}"}, form_page=page)

    governor, reader = make_user("alpha", "author"), make_user("alpha", "reader")
    office.member(governor.id)
    gclient, rclient = new_client(), new_client()
    sign_in(gclient, governor)
    sign_in(rclient, reader)

    links = _paper_links(gclient.get(page).get_data(as_text=True))
    papers_with_details = ("Draft budget 2031", "Staffing paper")
    assert set(links) == {
        "Draft budget 2031", "Staffing paper", "Charging policy",
        *(f"Details and versions of {p}" for p in papers_with_details),
        *(f"0 comments on {p}" for p in (*papers_with_details, "Charging policy")),
        *(f"0 approvals of {p}" for p in (*papers_with_details, "Charging policy"))}
    doc_page = gclient.get(links["Details and versions of Draft budget 2031"])
    assert doc_page.status_code == 200 and "budget.pdf" in doc_page.get_data(as_text=True)
    assert links["0 comments on Draft budget 2031"].endswith("#comments")
    got = gclient.download(links["Draft budget 2031"])
    assert got.status_code == 200 and got.data == budget_pdf
    assert got.headers["Content-Disposition"].startswith("inline;")
    got = gclient.download(links["Staffing paper"])
    assert got.status_code == 200 and got.data == b"Confidential staffing notes\n"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    policy = gclient.get(links["Charging policy"])
    assert policy.status_code == 200 and "voluntary contributions" in policy.get_data(
        as_text=True)

    # Someone who may not see part 2 gets no link to its paper (nor the paper by its link).
    reader_links = _paper_links(rclient.get(page).get_data(as_text=True))
    assert "Staffing paper" not in reader_links and "Draft budget 2031" in reader_links
    assert rclient.download(links["Staffing paper"]).status_code in (403, 404)
