"""Minutes: drafted per item, circulated, approved at a later meeting (once), locked, PDF."""

import re
from datetime import date

import pytest
from conftest import pdf_text

from gvo.core import audit
from gvo.core.errors import InvalidInput
from gvo.meetings import attendance, meetings, minutes

from .conftest import OP

SCHOOL = "Alpha Primary"


@pytest.fixture
def two_meetings(office):
    earlier = office.meeting(days=-30, title="Autumn full board")
    later = office.meeting(days=-1, title="Spring full board")
    return earlier, later


def test_the_clerk_drafts_circulates_and_a_later_meeting_approves(signed_in, office,
                                                                    two_meetings):
    client, clerk = signed_in("manager")
    earlier, later = two_meetings
    open_item = office.item(earlier, "Budget monitoring")
    secret = office.item(earlier, "Staffing restructure", confidential=True)
    ann = office.person("Ann Able")
    attendance.save_attendance_register(office.conn, OP, earlier, {ann: "present"})
    attendance.lock_attendance_register(office.conn, OP, earlier)
    editor = f"/alpha/meetings/{earlier}/minutes"
    client.post(editor, {f"i{open_item}-discussion": "Spend is on track.",
                                          f"i{open_item}-decisions": "Budget noted."},
                form_page=editor)
    client.post(editor, {f"i{secret}-discussion": "Quokka restructure costs.",
                                       f"i{secret}-decisions": "Proceed."}, form_page=editor)
    client.post(editor,
                {f"a{open_item}-text": "Send the budget to the trust",
                 f"a{open_item}-owner_id": str(ann), f"a{open_item}-due_on": "2031-04-01"},
                form_page=editor)
    parts = minutes.for_meeting(office.conn, earlier, None)
    assert parts["part1"][0]["discussion"] == "Spend is on track."
    assert parts["part1"][0]["actions"][0]["owner_name"] == "Ann Able"
    assert parts["part1"][0]["actions"][0]["due_on"] == "2031-04-01"
    assert parts["part2"][0]["decisions"] == "Proceed."

    # No PDF before approval.
    assert client.download(f"/alpha/meetings/{earlier}/minutes.pdf").status_code == 404
    client.post(f"{editor}/circulate", {"confirmed": "1"}, form_page=editor)
    assert meetings.get(office.conn, earlier)["minutes_status"] == "circulated"

    # The later meeting's page offers the approval; recording it approves the minutes.
    page = client.get(f"/alpha/meetings/{later}").get_data(as_text=True)
    assert "Minutes to approve at this meeting" in page and "Autumn full board" in page
    client.post(f"/alpha/meetings/{later}/approve-minutes", {"meeting_id": str(earlier)},
                form_page=f"/alpha/meetings/{later}")
    row = meetings.get(office.conn, earlier)
    assert row["minutes_status"] == "approved"
    assert row["minutes_approved_meeting_id"] == later
    assert row["minutes_approved_by"] == clerk.id and row["minutes_approved_at"]
    record = minutes.approval_record(office.conn, row)
    assert record["meeting"]["title"] == "Spring full board"

    # Approved minutes no longer change.
    with pytest.raises(InvalidInput):
        minutes.save_item(office.conn, OP, open_item, "rewritten", "")
    resp = client.download(f"/alpha/meetings/{earlier}/minutes.pdf")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    text = pdf_text(resp.data)
    assert "Spend is on track." in text and "Send the budget to the trust" in text
    assert "Quorum" in text
    # The confidential part never goes into the PDF, whoever downloads it.
    assert "Quokka" not in text and "Staffing restructure" not in text

    client.post(f"{editor}/lock", {"confirmed": "1"}, form_page=editor)
    assert meetings.get(office.conn, earlier)["minutes_status"] == "locked"
    actions = {e["action"] for e in audit.recent(office.conn)}
    assert {"minutes.save", "minutes.action_add", "minutes.circulate", "minutes.approve",
            "minutes.lock"} <= actions


def test_minutes_cannot_be_approved_at_their_own_meeting_or_twice(office, two_meetings):
    earlier, later = two_meetings
    attendance.save_attendance_register(office.conn, OP, earlier,
                                        {office.person("Ann Able"): "present"})
    attendance.lock_attendance_register(office.conn, OP, earlier)
    with pytest.raises(InvalidInput, match="Circulate"):
        minutes.approve(office.conn, OP, earlier, later, SCHOOL)
    minutes.circulate(office.conn, OP, earlier)
    with pytest.raises(InvalidInput, match="own meeting"):
        minutes.approve(office.conn, OP, earlier, earlier, SCHOOL)
    with pytest.raises(InvalidInput, match="later meeting"):
        minutes.circulate(office.conn, OP, later)
        minutes.approve(office.conn, OP, later, earlier, SCHOOL)
    committee = office.meeting(body_id=office.committee_id, days=-2)
    with pytest.raises(InvalidInput, match="same board"):
        minutes.approve(office.conn, OP, earlier, committee, SCHOOL)
    minutes.approve(office.conn, OP, earlier, later, SCHOOL)
    with pytest.raises(InvalidInput, match="already approved"):
        minutes.approve(office.conn, OP, earlier, later, SCHOOL)
    assert meetings.get(office.conn, earlier)["minutes_approved_meeting_id"] == later


def test_comments_while_circulated_by_members_only(signed_in, new_client, make_user, office,
                                                   two_meetings):
    from conftest import sign_in

    client, governor = signed_in("author")
    office.member(governor.id)
    earlier, _ = two_meetings
    office.item(earlier, "Budget")
    page = f"/alpha/meetings/{earlier}"
    minutes.circulate(office.conn, OP, earlier)
    client.post(f"{page}/minutes/comments", {"text": "Item 1: spell 'budget' right."},
                form_page=page)
    assert [c["body"] for c in minutes.comments(office.conn, earlier)] == [
        "Item 1: spell 'budget' right."]
    # Too long (attack 5, F7): the meeting page again, the text kept, the reason beside it.
    long = "Item 2: " + "x" * 4000
    resp = client.post(f"{page}/minutes/comments", {"text": long}, form_page=page)
    assert resp.status_code == 422 and long in client.last_text
    box = re.search(r'<textarea[^>]*name="text"[^>]*>', client.last_text).group(0)
    assert 'aria-invalid="true"' in box and 'id="text-error"' in client.last_text
    outsider = make_user("alpha", "reader")
    other = new_client()
    sign_in(other, outsider)
    resp = other.post(f"{page}/minutes/comments", {"text": "x"}, form_page="/alpha/profile")
    assert resp.status_code == 403


def test_action_due_dates_and_owners_are_checked(office, two_meetings):
    earlier, _ = two_meetings
    item = office.item(earlier, "Premises")
    with pytest.raises(InvalidInput):
        minutes.add_action(office.conn, OP, item, "", None, None)
    with pytest.raises(InvalidInput):
        minutes.add_action(office.conn, OP, item, "Fix roof", 9999, None)
    minutes.add_action(office.conn, OP, item, "Fix roof", None, date(2031, 5, 1))


def test_the_clerk_removes_an_action_from_draft_minutes(signed_in, office, two_meetings):
    # Found by tests/fuzz: removing an action was a 500 (its audit entry's detail was
    # called `action`, like the audit helper's own parameter).
    client, _clerk = signed_in("manager")
    earlier, _ = two_meetings
    item = office.item(earlier, "Premises")
    action = minutes.add_action(office.conn, OP, item, "Fix roof", None, None)
    editor = f"/alpha/meetings/{earlier}/minutes"
    resp = client.post(f"{editor}/actions/{action}/delete", {"confirmed": "1"}, form_page=editor)
    assert resp.status_code == 302
    assert minutes.for_meeting(office.conn, earlier, None)["part1"][0]["actions"] == []
    entry = audit.recent(office.conn)[0]
    assert entry["action"] == "minutes.action_delete" and f'"action": {action}' in entry["detail"]
