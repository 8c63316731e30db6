"""Every button that destroys something, cannot be undone or sends mail asks first (attack 5,
F5): its route answers a POST without the confirmation page's answer with that page (which
works without script) and changes nothing. The test walks every POST route of that kind in
the app, so a new one that acts in one tap fails here."""

import re
from datetime import date

from conftest import make_pdf

from gvo.core.identity import Identity
from gvo.discussion import comments, subjects, topics
from gvo.library import pages
from gvo.meetings import attendance, declarations, minutes, papers
from gvo.people import groups
from gvo.training import completions as training_completions
from gvo.training import courses as training_courses

from .conftest import OP, upload

# POST routes whose names say they delete, remove, detach, lock, circulate or publish.
DESTRUCTIVE = re.compile(r"delete|remove|detach|lock|circulate|publish|reset_mfa")
# Routes of that name that are not of that kind, and why.
NOT_OF_THE_KIND = {
    "library.lock_comments": "locks or reopens comments: undone with the same button",
    "library.lock_approval": "locks or reopens an approval: undone with the same button",
    "governance.publish_settings": "the public page's settings form: switched back with it",
    "auth_devices.remove_own": "stops trusting a device: the next sign-in there asks for a "
                               "code, and the device can be trusted again then",
    "auth_devices.remove_theirs": "as remove_own, by a Manager (a lost or stolen device)",
    "passkeys.remove": "removes one of the person's own passkeys from their profile: they "
                       "sign in with their password and code and may add it again",
}
# Routes that ask with a required field of their own form instead of a page.
ASK_WITH_A_FIELD = {
    "meetings.lock_register": {"confirm": ""},  # the "complete and correct" tick, unticked
}


def _audit_rows(conn) -> int:
    return conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def test_every_destructive_button_asks_first(signed_in, office, make_user):
    client, clerk = signed_in("manager")
    office.member(clerk.id)
    conn = office.conn
    meeting_id = office.meeting(days=-2)
    item = office.item(meeting_id, "Budget")
    upload(client, meeting_id, item, "budget.pdf", make_pdf("Budget"))
    paper = papers.for_item(conn, OP, item)[0]
    doc_id = paper.ref_id
    folder_id = conn.execute("SELECT folder_id FROM documents WHERE id = ?",
                             (doc_id,)).fetchone()[0]
    page_id = pages.create_page(conn, OP, folder_id, title="Notes", body="Some notes")
    who = Identity.load(conn, clerk.id)
    comment = comments.add(conn, who, subjects.load(conn, who, "document", doc_id), "Mine.",
                           None)
    guest = attendance.add_guest(conn, OP, meeting_id, "Gail Guest", "guest")
    action = minutes.add_action(conn, OP, item, "Chase the LA", None, None)
    declarations.declare(conn, OP, item, clerk.id, "Director of the roofer", True)
    member = make_user(role="author")
    office.member(member.id, office.committee_id)
    group = groups.save_group(conn, OP, group_id=None, name="Readers' circle", description="",
                              members=[])
    link_id = conn.execute("SELECT id FROM agenda_papers WHERE item_id = ?",
                           (item,)).fetchone()[0]
    topic = topics.create(conn, who, folder_id, title="Budget questions", body="Any?")
    course = training_courses.create(conn, OP, training_courses.CourseInput("Safeguarding"))
    completion = training_completions.record(conn, OP, member.id, course, date(2026, 1, 5))
    m = f"/alpha/meetings/{meeting_id}"
    urls = {
        "training.delete_course": f"/alpha/training/courses/{course}/delete",
        "training.remove_completion": f"/alpha/training/completions/{completion}/remove",
        "admin.group_delete": f"/alpha/admin/groups/{group}/delete",
        "admin.body_member_remove":
            f"/alpha/board/{office.committee_id}/members/{member.id}/remove",
        "admin.body_delete": f"/alpha/board/{office.committee_id}/delete",
        "admin.reset_mfa": f"/alpha/admin/users/{member.id}/reset-mfa",
        "library.delete_folder": f"/alpha/library/folders/{folder_id}/delete",
        "library.delete_document": f"/alpha/library/documents/{doc_id}/delete",
        "library.delete_page": f"/alpha/library/pages/{page_id}/delete",
        "library.delete_comment": f"/alpha/library/document/{doc_id}/comments/{comment}/delete",
        "meetings.publish_papers": f"{m}/publish-papers",
        "meetings.delete_item": f"{m}/agenda/{item}/delete",
        "meetings.detach_paper": f"{m}/papers/{link_id}/detach",
        "meetings.lock_register": f"{m}/register/lock",
        "meetings.remove_guest": f"{m}/register/guests/{guest}/delete",
        "meetings.delete_action": f"{m}/minutes/actions/{action}/delete",
        "meetings.remove_declaration": f"{m}/agenda/{item}/declarations/{clerk.id}/remove",
        "meetings.circulate_minutes": f"{m}/minutes/circulate",
        "meetings.lock_minutes": f"{m}/minutes/lock",
        "discussions.delete_topic": f"/alpha/discussions/{topic}/delete",
    }
    client.get(m)
    endpoints = {r.endpoint for r in client.c.application.url_map.iter_rules()
                 if "POST" in r.methods and DESTRUCTIVE.search(r.endpoint)
                 and r.endpoint not in NOT_OF_THE_KIND}
    assert endpoints == set(urls), "a destructive route is missing from this test"
    for endpoint, url in urls.items():
        before = _audit_rows(conn)
        resp = client.post(url, ASK_WITH_A_FIELD.get(endpoint, {}), form_page=m)
        assert _audit_rows(conn) == before, f"{endpoint} acted without asking"
        if endpoint in ASK_WITH_A_FIELD:
            continue
        if endpoint == "meetings.lock_minutes":   # draft minutes: refused at once, not asked
            assert resp.status_code == 302, endpoint
            continue
        assert resp.status_code == 200, (endpoint, resp.status_code)
        page = client.last_text
        assert f'action="{url}"' in page and 'name="confirmed" value="1"' in page, endpoint
    # The answer acts: the agenda item goes, and says what went with it when asked.
    client.post(urls["meetings.delete_item"], {}, form_page=m)
    assert "1 action and the links to 1 paper" in client.last_text
    client.post(urls["meetings.delete_item"], {"confirmed": "1"})
    assert conn.execute("SELECT 1 FROM agenda_items WHERE id = ?", (item,)).fetchone() is None


def test_an_item_on_circulated_minutes_is_not_removed(signed_in, office):
    client, _clerk = signed_in("manager")
    meeting_id = office.meeting(days=-2)
    item = office.item(meeting_id, "Budget")
    minutes.save_item(office.conn, OP, item, "A long careful note.", "")
    minutes.circulate(office.conn, OP, meeting_id)
    m = f"/alpha/meetings/{meeting_id}"
    client.post(f"{m}/agenda/{item}/delete", {"confirmed": "1"}, form_page=m)
    assert office.conn.execute("SELECT 1 FROM agenda_items WHERE id = ?", (item,)).fetchone()
    page = client.get(m).get_data(as_text=True)
    assert "The minutes have been circulated" in page
