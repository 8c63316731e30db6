"""What a meeting approved holds (attack 9): the approved text cannot be rewritten, an
approval needs a quorate meeting held after the draft's text with the text as it stood then,
parallel requests record once, and a policy kept in a room is never named to those outside."""

import csv
import io

import pytest
from conftest import make_pdf
from mail.test_races import _at_once

from gvo.core import dates
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.governance import compliance
from gvo.library import documents, folders, pages, wastebin
from gvo.meetings import declarations, minutes
from gvo.policies import lifecycle, public, register, reports, statutory

from .conftest import OP, File


def _decisions(conn, item_id) -> str:
    row = conn.execute("SELECT decisions FROM minute_items WHERE item_id = ?",
                       (item_id,)).fetchone()
    return row[0] if row else ""


# -- 1. the approved text holds --------------------------------------------------------------


def test_an_editor_cannot_rewrite_an_approved_page_and_the_public_sees_what_was_approved(
        office, signed_in):
    conn = office.conn
    public.switch(conn, OP, True)
    pid = office.policy("Complaints procedure", publish_publicly=True)
    office.live(pid, "APPROVED WORDS")
    page_id = register.get(conn, OP, pid)["live_item"]
    client, _ = signed_in("editor")
    form = f"/alpha/library/pages/{page_id}/edit"
    shown = client.get(form)
    assert shown.status_code == 409 and "approved text of a policy" in client.last_text
    refused = client.post(form, {"title": "Complaints procedure", "body": "UNAPPROVED"},
                          form_page="/alpha/profile")
    assert refused.status_code == 409
    assert pages.get_page(conn, OP, page_id)["body"] == "APPROVED WORDS"
    with pytest.raises(InvalidInput, match="approved text of a policy"):
        pages.update_page(conn, OP, page_id, title="x", body="UNAPPROVED")
    # Out of the wastebin and back: still locked; the public viewer shows the approved text.
    pages.delete_page(conn, OP, page_id)
    wastebin.restore(conn, OP, "page", page_id)
    with pytest.raises(InvalidInput, match="approved text of a policy"):
        pages.update_page(conn, OP, page_id, title="x", body="UNAPPROVED")
    client.get(f"/alpha/policies/public/{pid}")
    assert "APPROVED WORDS" in client.last_text and "UNAPPROVED" not in client.last_text
    assert lifecycle.history(conn, pid)[0]["approved_body"] == "APPROVED WORDS"
    # A change goes through a review: a new, unlocked page with the approved text.
    with office.days_ago(1):
        lifecycle.start_review(conn, OP, pid)
    draft = register.get(conn, OP, pid)["draft_item"]
    assert pages.get_page(conn, OP, draft)["body"] == "APPROVED WORDS"
    pages.update_page(conn, OP, draft, title="Complaints procedure", body="NEXT DRAFT")


def test_an_approved_page_loses_its_draft_title_and_new_pages_go_to_the_existing_folder(
        office):
    conn = office.conn
    existing = folders.create_folder(conn, OP, parent_id=None, title="Policies")
    pid = office.policy("Charging policy")
    office.live(pid)
    page = pages.get_page(conn, OP, register.get(conn, OP, pid)["live_item"])
    assert page["title"] == "Charging policy" and page["folder_id"] == existing
    assert conn.execute("SELECT count(*) FROM folders WHERE title = 'Policies'"
                        ).fetchone()[0] == 1


# -- 2. the meeting saw this text ------------------------------------------------------------


def test_a_meeting_held_before_the_draft_cannot_approve_it(office):
    conn = office.conn
    pid = office.policy()
    office.live(pid, days=-30)
    item = office.item_with(office.meeting(days=-10), pid)  # after v1, before the review
    with office.days_ago(5):
        lifecycle.start_review(conn, OP, pid)
    with pytest.raises(InvalidInput, match="after this meeting began"):
        lifecycle.approve_at_meeting(conn, OP, pid, item)
    policy = register.get(conn, OP, pid)
    assert (policy["live_number"], policy["draft_number"]) == (1, 2)
    assert _decisions(conn, item) == ""


def test_a_page_changed_after_the_meeting_began_is_refused(office):
    conn = office.conn
    pid = office.policy()
    office.draft(pid, "WHAT THE MEETING SAW")
    item = office.item_with(office.meeting(days=-3), pid)
    draft = register.get(conn, OP, pid)["draft_item"]
    pages.update_page(conn, OP, draft, title="x", body="CHANGED AFTERWARDS")
    with pytest.raises(InvalidInput, match="changed on .* after this meeting began"):
        lifecycle.approve_at_meeting(conn, OP, pid, item)
    assert register.get(conn, OP, pid)["status"] == "development"


def test_a_document_is_pinned_at_the_version_uploaded_before_the_meeting(office):
    conn = office.conn
    pid = office.policy()
    with office.days_ago(10):
        doc = office.document(make_pdf("Seen by the meeting"))
        lifecycle.set_draft_text(conn, OP, pid, "document", doc)
    item = office.item_with(office.meeting(days=-3), pid)
    documents.add_version(conn, OP, doc, [File("policy.pdf", make_pdf("Uploaded later"))],
                          limit=1 << 20)
    lifecycle.approve_at_meeting(conn, OP, pid, item)
    assert register.get(conn, OP, pid)["live_doc_version"] == 1


# -- 3. at the same moment -------------------------------------------------------------------


def test_parallel_approvals_record_once(office, instance, school):
    conn = office.conn
    pid = office.policy("Race policy")
    office.draft(pid)
    items = [office.item_with(office.meeting(days=-3), pid),
             office.item_with(office.meeting(days=-2), pid)]
    instance.release()
    turn = iter(items * 4)
    ok, raised = _at_once(instance, school, lambda c: lifecycle.approve_at_meeting(
        c, OP, pid, next(turn)), n=8)
    assert ok == 1 and len(raised) == 7
    assert all(isinstance(e, InvalidInput) and "approved already" in str(e) for e in raised)
    conn = instance.db(school)
    lines = [_decisions(conn, i).count("Approved the policy") for i in items]
    assert sorted(lines) == [0, 1]
    assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'policy.approve'"
                        ).fetchone()[0] == 1


def test_parallel_statutory_adds_and_draft_writes_make_each_thing_once(office, instance,
                                                                       school):
    pid = office.policy("Write race")
    instance.release()
    ok, raised = _at_once(instance, school, lambda c: statutory.add_missing(c, OP), n=6)
    assert (ok, raised) == (6, [])
    ok, raised = _at_once(instance, school, lambda c: lifecycle.write_page(
        c, OP, pid, "Body"), n=6)
    assert (ok, raised) == (6, [])
    conn = instance.db(school)
    keys = [r[0] for r in conn.execute("SELECT statutory_key FROM policies"
                                       " WHERE statutory_key IS NOT NULL")]
    assert len(keys) == len(set(keys)) == len(statutory.entries("maintained"))
    assert conn.execute("SELECT count(*) FROM pages WHERE title = 'Write race'"
                        " AND deleted_at IS NULL").fetchone()[0] == 1


# -- 4. a policy in a room is not named to those outside -------------------------------------


@pytest.fixture
def room_policy(office, make_user):
    """A statutory policy whose text is a page in a room only its Manager may open, approved
    at an open agenda item; (policy id, item id)."""
    conn = office.conn
    insider = make_user(role="manager")
    who = Identity.load(conn, insider.id)
    room = folders.create_folder(conn, who, parent_id=None, title="HR room", restricted=True,
                                 users=[insider.id])
    pid = office.policy("SECRETNAME exclusions", statutory=True)
    with office.days_ago(10):
        page = pages.create_page(conn, who, room, title="Text", body="Secret")
        lifecycle.set_draft_text(conn, who, pid, "page", page)
    item = office.item_with(office.meeting(), pid)
    lifecycle.approve_at_meeting(conn, who, pid, item)
    return pid, item


def test_a_room_policy_is_not_named_in_reports_minutes_or_the_dashboard(
        office, room_policy, signed_in):
    conn = office.conn
    pid, item = room_policy
    client, person = signed_in("reader")
    client.get("/alpha/policies/reports")
    assert "SECRETNAME" not in client.last_text
    assert "1 more statutory policy is kept in a restricted folder" in client.last_text
    data = client.download("/alpha/policies/reports/statutory.csv").data.decode("utf-8-sig")
    assert "SECRETNAME" not in data and list(csv.reader(io.StringIO(data)))
    rows, hidden = reports.statutory_rows(conn, Identity.load(conn, person.id),
                                          office_today())
    assert hidden == 1 and all(r["policy_id"] != pid for r in rows)
    assert "SECRETNAME" not in _decisions(conn, item)
    assert f"policy no. {pid} of the register" in _decisions(conn, item)
    assert "SECRETNAME" not in str(compliance.check_all(conn, office_today()))
    # Policy managers still see the row.
    assert any(r["policy_id"] == pid for r in reports.statutory_rows(conn, OP,
                                                                     office_today())[0])


def office_today():
    """Today in the school's zone."""
    return dates.today()


# -- 5. a quorate meeting ---------------------------------------------------------------------


def test_a_meeting_without_a_locked_register_or_a_quorum_cannot_approve(office):
    conn = office.conn
    pid = office.policy(approval_level="committee", owner_body_id=office.committee_id)
    office.draft(pid)
    unrecorded = office.item_with(office.meeting(held=False), pid)
    with pytest.raises(InvalidInput, match="register is not locked"):
        lifecycle.approve_at_meeting(conn, OP, pid, unrecorded)
    meeting = office.meeting(body_id=office.committee_id, held=False)
    office.attend(meeting, present=2)  # the committee's quorum is 3
    with pytest.raises(InvalidInput, match="not quorate"):
        lifecycle.approve_at_meeting(conn, OP, pid, office.item_with(meeting, pid))
    assert register.get(conn, OP, pid)["status"] == "development"


def test_a_governor_who_declared_and_withdrew_is_not_counted_for_the_item(office):
    conn = office.conn
    pid = office.policy(approval_level="committee", owner_body_id=office.committee_id)
    office.draft(pid)
    meeting = office.meeting(body_id=office.committee_id)  # all three present: quorate
    item = office.item_with(meeting, pid)
    declarations.declare(conn, OP, item, office.governors[0], "Spouse works here",
                         withdrew=True)
    with pytest.raises(InvalidInput, match="not quorate for this item"):
        lifecycle.approve_at_meeting(conn, OP, pid, item)


# -- 6. the approval form, the school type, dates -----------------------------------------------


def test_the_approval_form_offers_only_meetings_that_may_approve_and_says_why(
        office, signed_in):
    conn = office.conn
    pid = office.policy(approval_level="board")
    office.draft(pid)
    board_item = office.item_with(office.meeting(), pid)
    committee_item = office.item_with(office.meeting(body_id=office.committee_id), pid)
    client, _ = signed_in("manager")
    page = f"/alpha/policies/{pid}"
    client.get(page)
    assert f'value="{board_item}"' in client.last_text
    assert f'value="{committee_item}"' not in client.last_text
    assert "cannot approve it" in client.last_text and "full board" in client.last_text
    bad = client.post(f"{page}/approve", {"item_id": str(committee_item)}, form_page=page)
    assert bad.status_code == 422 and "approved by the full board" in client.last_text
    assert "Not a valid choice" not in client.last_text
    assert minutes.for_meeting(conn, office.meeting(), None)  # nothing else broke


def test_switching_to_academy_keeps_and_reports_the_maintained_only_policies(office):
    conn = office.conn
    statutory.add_missing(conn, OP)
    maintained_only = [e for e in statutory.entries("maintained")
                       if "academy" not in e["applies_to"]]
    assert maintained_only
    off = statutory.set_options(conn, OP, kind="academy", days=60)
    assert sorted(off) == sorted(e["name"] for e in maintained_only)
    names = [line["name"] for line in statutory.status(conn, office_today()).missing]
    for entry in maintained_only:
        assert f"{entry['name']} (statutory on the local-authority-maintained school list)" \
            in names


def test_an_impossible_date_is_named(office, signed_in):
    pid = office.policy()
    client, _ = signed_in("manager")
    form = f"/alpha/policies/{pid}/edit"
    resp = client.post(form, {"name": "Complaints procedure", "type_id": "0",
                              "owner_body_id": "0", "approval_level": "board",
                              "cycle_months": "12", "next_review_on": "2027-02-29"},
                       form_page=form)
    assert resp.status_code == 422
    assert "29 February 2027 is not a date: 2027 is not a leap year." in client.last_text
