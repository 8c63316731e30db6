"""A policy's lifecycle (issue 15, acceptance 1): a draft approved at a meeting goes live, the
version before it is archived and the next review date comes from the cycle; a draft nobody
approved stays a draft, whatever refused the approval."""

from datetime import date, timedelta

import pytest
from conftest import make_pdf

from gvo.board import bodies
from gvo.core.errors import InvalidInput
from gvo.library import documents
from gvo.meetings import agenda, attendance, meetings, minutes
from gvo.people import accounts
from gvo.policies import lifecycle, register

from .conftest import OP, File


def _versions(conn, policy_id):
    return {v["number"]: v for v in lifecycle.history(conn, policy_id)}


def test_a_draft_approved_at_a_meeting_goes_live_and_the_old_version_is_archived(office):
    conn = office.conn
    pid = office.policy(cycle_months=24)
    office.live(pid, days=-30)
    first = register.get(conn, OP, pid)
    assert first["status"] == "live" and first["live_number"] == 1
    with office.days_ago(3):
        lifecycle.start_review(conn, OP, pid)
    reviewing = register.get(conn, OP, pid)
    assert (reviewing["live_number"], reviewing["draft_number"]) == (1, 2)
    assert reviewing["draft_item"] != reviewing["live_item"]  # a page is copied for review
    meeting = office.meeting(days=-2)
    item = office.item_with(meeting, pid)

    review = lifecycle.approve_at_meeting(conn, OP, pid, item)

    held = meetings.get(conn, meeting)
    on = meetings.read_stamp(held["starts_at"]).date()
    assert review == lifecycle.add_months(on, 24)
    after = register.get(conn, OP, pid)
    assert after["live_number"] == 2 and after["draft_version_id"] is None
    assert after["effective_on"] == on.isoformat()
    assert after["next_review_on"] == review.isoformat()
    versions = _versions(conn, pid)
    assert versions[1]["state"] == "archived" and versions[1]["archived_at"]
    assert versions[2]["state"] == "live"
    assert versions[2]["approved_meeting_id"] == meeting
    assert versions[2]["approved_item_id"] == item
    assert versions[2]["meeting_title"] == "Full board meeting"
    assert versions[2]["approved_by_name"] is None  # the operator recorded it: no account
    minuted = minutes.for_meeting(conn, meeting, None)["part1"]
    [entry] = [e for e in minuted if e["id"] == item]
    assert "Approved the policy “Complaints procedure” (version 2)" in entry["decisions"]


def test_the_approval_is_added_to_decisions_already_minuted(office):
    conn = office.conn
    pid = office.policy()
    office.draft(pid)
    item = office.item_with(office.meeting(), pid)
    minutes.save_item(conn, OP, item, "Discussed.", "Thanks to the head.")
    lifecycle.approve_at_meeting(conn, OP, pid, item)
    row = minutes.for_meeting(conn, agenda.get_item(conn, item)["meeting_id"], None)["part1"][0]
    assert row["decisions"].startswith("Thanks to the head.\nApproved the policy")
    assert row["discussion"] == "Discussed."


def _refused(office, pid, item, words):
    conn = office.conn
    before = register.get(conn, OP, pid)
    with pytest.raises(InvalidInput, match=words):
        lifecycle.approve_at_meeting(conn, OP, pid, item)
    after = register.get(conn, OP, pid)
    assert after["status"] == before["status"] == "development"
    assert after["draft_number"] == 1 and after["live_version_id"] is None
    assert after["next_review_on"] is None


def test_a_draft_not_approved_stays_a_draft_when_the_meeting_has_not_happened(office):
    pid = office.policy()
    office.draft(pid)
    _refused(office, pid, office.item_with(office.meeting(days=5), pid), "not happened yet")


def test_a_draft_stays_a_draft_when_the_item_does_not_have_the_policy(office):
    pid = office.policy()
    office.draft(pid)
    meeting = office.meeting()
    other = agenda.add_item(office.conn, OP, meeting, agenda.ItemInput(title="Budget"))
    _refused(office, pid, other, "does not have this policy")


def test_a_draft_stays_a_draft_when_the_meeting_was_cancelled(office):
    pid = office.policy()
    office.draft(pid)
    meeting = office.meeting(held=False)
    item = office.item_with(meeting, pid)
    meetings.cancel(office.conn, OP, meeting, "No quorum")
    _refused(office, pid, item, "cancelled")


def test_a_draft_stays_a_draft_when_the_minutes_are_approved(office):
    conn = office.conn
    pid = office.policy()
    office.draft(pid)
    meeting = office.meeting(days=-20, held=False)
    item = office.item_with(meeting, pid)
    member = accounts.add_user(conn, OP, email="g@ex.org", name="Gov", role="author")
    bodies.add_member(conn, OP, office.board_id, member, "member")
    attendance.save_attendance_register(conn, OP, meeting, {member: "present"})
    attendance.lock_attendance_register(conn, OP, meeting)
    minutes.circulate(conn, OP, meeting)
    minutes.approve(conn, OP, meeting, office.meeting(days=-1), "Alpha Primary")
    _refused(office, pid, item, "minutes are approved")


def test_a_board_policy_is_not_approved_at_a_committee(office):
    pid = office.policy(approval_level="board")
    office.draft(pid)
    item = office.item_with(office.meeting(body_id=office.committee_id), pid)
    _refused(office, pid, item, "full board")


def test_a_committee_policy_is_approved_at_its_committee(office):
    pid = office.policy(approval_level="committee", owner_body_id=office.committee_id)
    office.draft(pid)
    item = office.item_with(office.meeting(body_id=office.committee_id), pid)
    lifecycle.approve_at_meeting(office.conn, OP, pid, item)
    assert register.get(office.conn, OP, pid)["status"] == "live"


def test_there_is_nothing_to_approve_without_a_draft(office):
    pid = office.policy()
    office.live(pid)
    item = office.item_with(office.meeting(), pid)
    with pytest.raises(InvalidInput, match="no draft"):
        lifecycle.approve_at_meeting(office.conn, OP, pid, item)
    lifecycle.start_review(office.conn, OP, pid)
    with pytest.raises(InvalidInput, match="under way"):
        lifecycle.start_review(office.conn, OP, pid)


def test_a_document_is_pinned_at_the_version_approved(office):
    conn = office.conn
    pid = office.policy()
    with office.days_ago(40):
        doc = office.document(make_pdf("Version one"), "policy.pdf")
        lifecycle.set_draft_text(conn, OP, pid, "document", doc)
    lifecycle.approve_at_meeting(conn, OP, pid, office.item_with(office.meeting(days=-30),
                                                                 pid))
    with office.days_ago(20):
        lifecycle.start_review(conn, OP, pid)
        documents.add_version(conn, OP, doc, [File("policy.pdf", make_pdf("Version two"))],
                              limit=1 << 20)
    policy = register.get(conn, OP, pid)
    assert policy["live_doc_version"] == 1 and policy["draft_item"] == doc
    lifecycle.approve_at_meeting(conn, OP, pid, office.item_with(office.meeting(), pid))
    assert register.get(conn, OP, pid)["live_doc_version"] == 2
    assert _versions(conn, pid)[1]["doc_version"] == 1


def test_withdrawing_archives_every_version(office):
    conn = office.conn
    pid = office.policy()
    office.live(pid)
    lifecycle.start_review(conn, OP, pid)
    lifecycle.withdraw(conn, OP, pid)
    assert {v["state"] for v in lifecycle.history(conn, pid)} == {"archived"}
    assert pid not in [p["id"] for p in register.listing(conn, OP)]


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 12, date(2027, 1, 31)),
    (date(2028, 2, 29), 12, date(2029, 2, 28)),
    (date(2026, 11, 30), 24, date(2028, 11, 30)),
    (date(2026, 8, 31), 36, date(2029, 8, 31)),
])
def test_the_next_review_is_the_cycle_in_whole_months(day, months, expected):
    assert lifecycle.add_months(day, months) == expected
    assert lifecycle.add_months(day, months) - day >= timedelta(days=365 * months // 12 - 1)
