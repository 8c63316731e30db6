"""Issue 12: papers one tap from the meeting page, forms that never lose what was typed, a
session that ended answering in-page actions with a whole sign-in page, deleting that asks
first, errors beside their fields."""

import re

from conftest import make_pdf

from gvo.discussion import comments, subjects
from gvo.library import documents
from gvo.meetings import agenda, minutes, papers

from .conftest import OP, upload


def _meeting_with_paper(signed_in, office):
    client, clerk = signed_in("manager")
    office.member(clerk.id)
    meeting_id = office.meeting(days=5, title="Spring full board")
    item = office.item(meeting_id, "Budget")
    assert upload(client, meeting_id, item, "budget.pdf", make_pdf("Budget"),
                  "Budget").status_code == 302
    doc_id = papers.for_item(office.conn, OP, item)[0].ref_id
    return client, clerk, meeting_id, item, doc_id


def test_each_paper_opens_in_one_tap_and_its_counts_link_to_them(signed_in, office):
    client, clerk, meeting_id, _item, doc_id = _meeting_with_paper(signed_in, office)
    subject = subjects.load(office.conn, OP, "document", doc_id)
    comments.add(office.conn, office_identity(office, clerk.id), subject, "Read it.", None)
    page = client.get(f"/alpha/meetings/{meeting_id}").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" data-testid="paper-link">Budget</a>', page)
    assert link and link.group(1) == f"/alpha/library/documents/{doc_id}/download?inline=1"
    assert f'href="/alpha/library/documents/{doc_id}#comments">1 comment<' in page
    assert f'href="/alpha/library/documents/{doc_id}#approval">0 approvals<' in page
    # The link opens the PDF itself in the browser, sandboxed, typed as what it is.
    resp = client.download(link.group(1))
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("inline;")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    csp = resp.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp and "script-src" not in csp


def office_identity(office, user_id):
    from gvo.core.identity import Identity

    return Identity.load(office.conn, user_id)


def test_a_word_paper_downloads_from_its_link(signed_in, office):
    client, _clerk = signed_in("manager")
    meeting_id = office.meeting(days=5)
    item = office.item(meeting_id, "Policy")
    upload(client, meeting_id, item, "notes.txt", b"Plain notes for the board.\n")
    page = client.get(f"/alpha/meetings/{meeting_id}").get_data(as_text=True)
    doc_id = papers.for_item(office.conn, OP, item)[0].ref_id
    assert (f'<a href="/alpha/library/documents/{doc_id}/download" data-testid="paper-link">'
            in page)
    assert "downloads)" in page


def test_the_previous_meetings_minutes_are_on_the_next_agenda(signed_in, office):
    client, _clerk = signed_in("reader")
    earlier = office.meeting(days=-30, title="Autumn full board")
    office.item(earlier, "Budget")
    minutes.circulate(office.conn, OP, earlier)
    later = office.meeting(days=3, title="Spring full board")
    page = client.get(f"/alpha/meetings/{later}").get_data(as_text=True)
    agenda_part = page[page.index('id="agenda"'):page.index('id="attendance"')]
    assert (f'<a href="/alpha/meetings/{earlier}#minutes">Draft minutes of Autumn full board'
            in agenda_part)


def test_the_minutes_editor_saves_every_item_together(signed_in, office):
    client, _clerk = signed_in("manager")
    meeting_id = office.meeting(days=-3)
    first, second = office.item(meeting_id, "Welcome"), office.item(meeting_id, "Budget")
    editor = f"/alpha/meetings/{meeting_id}/minutes"
    page = client.get(editor).get_data(as_text=True)
    assert page.count('form="minutes-form"') >= 8  # every field belongs to the one form
    # Typed into item 1, then "Save" pressed in item 2: both are kept.
    resp = client.post(editor, {f"i{first}-discussion": "Everyone was welcomed.",
                                f"i{first}-decisions": "", f"i{second}-discussion": "On track.",
                                f"i{second}-decisions": "Noted.", "at": str(second)},
                       form_page=editor)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("#minutes-2")
    saved = {i["id"]: i for i in minutes.for_meeting(office.conn, meeting_id, None)["part1"]}
    assert saved[first]["discussion"] == "Everyone was welcomed."
    assert saved[second]["decisions"] == "Noted."


def test_a_bad_action_keeps_everything_typed_and_saves_nothing(signed_in, office):
    client, _clerk = signed_in("manager")
    meeting_id = office.meeting(days=-3)
    item = office.item(meeting_id, "Budget")
    editor = f"/alpha/meetings/{meeting_id}/minutes"
    resp = client.post(editor, {f"i{item}-discussion": "Long discussion kept.",
                                f"i{item}-decisions": "", f"a{item}-text": "",
                                f"a{item}-due_on": "not a date", "at": str(item)},
                       form_page=editor)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "Long discussion kept." in page
    assert 'value="not a date"' in page
    # The error sits beside its field, tied to it and announced.
    error = re.search(rf'<div class="error" id="a{item}-due_on-error" role="alert">', page)
    assert error, page
    field = re.search(rf'<input[^>]*id="a{item}-due_on"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field and f'a{item}-due_on-error' in field
    assert minutes.for_meeting(office.conn, meeting_id, None)["part1"][0]["discussion"] == ""


def test_an_htmx_action_after_the_session_ended_gets_a_whole_sign_in_page(signed_in, office):
    client, person = signed_in("author")
    office.member(person.id)
    meeting_id = office.meeting(days=5)
    client.get(f"/alpha/meetings/{meeting_id}")
    token = client.token()
    # Signed out in another tab (the same browser: the same cookie).
    client.post("/alpha/logout", {"csrf_token": token})
    for headers in ({"HX-Request": "true"},
                    {"HX-Request": "true", "HX-Current-URL":
                     f"https://localhost/alpha/meetings/{meeting_id}"}):
        resp = client.c.post("/alpha/library/document/1/comments",
                             data={"csrf_token": token, "body": "Typed text"},
                             base_url="https://localhost", headers=headers)
        assert resp.status_code == 204 and resp.get_data() == b""
        assert resp.headers["HX-Redirect"].startswith("/alpha/login")
    assert resp.headers["HX-Redirect"].endswith(f"?next=/alpha/meetings/{meeting_id}")
    resp = client.get(resp.headers["HX-Redirect"])
    assert "Please sign in again" in client.last_text
    # An htmx GET too (a calendar's next month), and a plain form sent: never a fragment.
    resp = client.c.get("/alpha/meetings", base_url="https://localhost",
                        headers={"HX-Request": "true"})
    assert resp.status_code == 204 and "HX-Redirect" in resp.headers
    resp = client.c.post(f"/alpha/meetings/{meeting_id}/reply", data={"csrf_token": token},
                         base_url="https://localhost",
                         headers={"Referer": f"https://localhost/alpha/meetings/{meeting_id}"})
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/alpha/login?next=/alpha/meetings/{meeting_id}")


def test_deleting_asks_first_without_script(signed_in, office):
    from gvo.library import folders

    client, clerk = signed_in("manager")
    meeting_id = office.meeting(days=5)
    item = office.item(meeting_id, "Budget")
    upload(client, meeting_id, item, "budget.pdf", make_pdf("Budget"))
    doc_id = papers.for_item(office.conn, OP, item)[0].ref_id
    doc = documents.get_document(office.conn, OP, doc_id)
    folder_id = doc["folder_id"]
    page = client.get(f"/alpha/library/documents/{doc_id}").get_data(as_text=True)
    assert f'href="/alpha/library/documents/{doc_id}/delete">Delete document</a>' in page
    ask = client.get(f"/alpha/library/documents/{doc_id}/delete").get_data(as_text=True)
    assert f"Delete “{doc['title']}”?" in ask
    assert "Yes, delete it" in ask and "No, keep it" in ask
    assert documents.get_document(office.conn, OP, doc_id)  # asking deleted nothing
    ask = client.get(f"/alpha/library/folders/{folder_id}/delete").get_data(as_text=True)
    assert "everything in it (0 folders, 1 document, 0 pages" in ask
    assert folders.get_folder(office.conn, OP, folder_id)
    # A comment: deleting it without the confirmation (no script) asks on a page.
    who = office_identity(office, clerk.id)
    subject = subjects.load(office.conn, who, "document", doc_id)
    cid = comments.add(office.conn, who, subject, "Mine.", None)
    page = client.get(f"/alpha/library/documents/{doc_id}").get_data(as_text=True)
    assert 'hx-confirm="Delete your comment? This cannot be undone."' in page
    delete = f"/alpha/library/document/{doc_id}/comments/{cid}/delete"
    resp = client.post(delete, {}, form_page=f"/alpha/library/documents/{doc_id}")
    assert resp.status_code == 200 and "Yes, delete it" in client.last_text
    assert comments.count(office.conn, subject) == 1
    resp = client.post(delete, {"confirmed": "1"})
    assert comments.count(office.conn, subject) == 0
    assert agenda.paper_links(office.conn, item)


def _beside(page: str, field_id: str) -> bool:
    """The field carries its error beside it: tied (aria-describedby), marked, announced."""
    error = re.search(rf'<div class="error" id="{field_id}-error" role="alert">', page)
    tag = re.search(rf'<(input|select|textarea)[^>]*id="{field_id}"[^>]*>', page)
    return bool(error and tag and 'aria-invalid="true"' in tag.group(0)
                and f"{field_id}-error" in tag.group(0))


def test_meeting_page_forms_keep_what_was_typed_and_say_why_beside_the_field(signed_in,
                                                                             office):
    """Attack 5, F7: adding an agenda item, cancelling a meeting and uploading a paper
    without a file show the form again (422) with everything typed and the error beside
    its field, instead of a banner on another page."""
    client, _clerk = signed_in("manager")
    meeting_id = office.meeting(days=5)
    item = office.item(meeting_id, "Budget")
    page_url = f"/alpha/meetings/{meeting_id}"
    resp = client.post(f"{page_url}/agenda", {"title": "", "purpose": "decision",
                                              "presenter": "Head teacher", "minutes": "abc",
                                              "confidential": "y"}, form_page=page_url)
    assert resp.status_code == 422
    page = client.last_text
    assert _beside(page, "title") and _beside(page, "item-minutes")
    assert 'value="Head teacher"' in page and 'value="abc"' in page
    assert re.search(r'<option selected value="decision">|<option value="decision" selected',
                     page)
    [tick] = re.findall(r'<input[^>]*name="confidential"[^>]*>', page)
    assert "checked" in tick

    edit = f"{page_url}/edit"
    resp = client.post(f"{page_url}/cancel", {"reason": "  "}, form_page=edit)
    assert resp.status_code == 422
    assert _beside(client.last_text, "reason")
    assert "Cancel this meeting" in client.last_text  # the edit page, not the meeting page
    assert office.conn.execute("SELECT status FROM meetings WHERE id = ?",
                               (meeting_id,)).fetchone()[0] == "scheduled"

    resp = upload(client, meeting_id, item, "", b"", "Budget paper")
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert _beside(page, "file-1") and "Choose at least one file" in page
    assert 'value="Budget paper"' in page
