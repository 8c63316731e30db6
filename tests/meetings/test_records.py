"""Locked means frozen: a locked register and approved minutes say what they said when they
were locked, whatever happens to the board afterwards; the approved PDF is provably the one."""

import hashlib
import re
from datetime import date, timedelta

import pytest
from conftest import pdf_text

from gvo.board import bodies
from gvo.core import audit
from gvo.core.errors import InvalidInput
from gvo.governance import places
from gvo.meetings import attendance, calendar_feed, meetings, minutes, records
from gvo.people import accounts

from .conftest import OP

SCHOOL = "Alpha Primary"


def _main_text(html: str) -> str:
    """The words of a page's <main>, white space collapsed (tokens in attributes left out)."""
    main = html[html.index("<main"):html.index("</main>")]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def _everything(client, meeting_id: int, body_id: int) -> dict:
    """What every page, PDF and report says about the meeting's record."""
    page = f"/alpha/meetings/{meeting_id}"
    pdf = client.download(f"{page}/minutes.pdf").data
    today = date.today()
    args = (f"body_id={body_id}&start={(today - timedelta(days=365)).isoformat()}"
            f"&end={today.isoformat()}")
    return {
        "meeting page": _main_text(client.get(page).get_data(as_text=True)),
        "register page": _main_text(client.get(f"{page}/register").get_data(as_text=True)),
        "minutes page": _main_text(client.get(f"{page}/minutes").get_data(as_text=True)),
        "minutes pdf": pdf_text(pdf),
        "minutes pdf bytes": pdf,
        "report page": _main_text(client.get(f"/alpha/meetings/attendance?{args}")
                                  .get_data(as_text=True)),
        "report csv": client.download(f"/alpha/meetings/attendance.csv?{args}").data,
        "report pdf": pdf_text(client.download(f"/alpha/meetings/attendance.pdf?{args}").data),
    }


@pytest.fixture
def locked_meeting(office):
    """A board meeting of three (Ann chairs), all present, register and minutes locked."""
    ann, ben, cat = (office.person(n) for n in ("Ann Able", "Ben Bold", "Cat Cole"))
    bodies.add_member(office.conn, OP, office.board_id, ann, "chair", "parent")
    meeting_id = office.meeting(days=-30, title="Autumn full board")
    later = office.meeting(days=-2, title="Spring full board")
    item = office.item(meeting_id, "Budget monitoring")
    minutes.save_item(office.conn, OP, item, "Spend is on track.", "Budget noted.")
    minutes.add_action(office.conn, OP, item, "Send the budget to the trust", ben, None)
    attendance.save_attendance_register(office.conn, OP, meeting_id,
                             {ann: "present", ben: "present", cat: "present"})
    attendance.add_guest(office.conn, OP, meeting_id, "Dee Auditor", "observer", "Trust")
    attendance.lock_attendance_register(office.conn, OP, meeting_id)
    minutes.circulate(office.conn, OP, meeting_id)
    minutes.approve(office.conn, OP, meeting_id, later, SCHOOL)
    minutes.lock(office.conn, OP, meeting_id)
    return meeting_id, (ann, ben, cat)


def test_board_changes_after_the_lock_change_nothing_the_record_says(signed_in, office,
                                                                     locked_meeting):
    client, _ = signed_in("manager")
    meeting_id, (_ann, ben, cat) = locked_meeting
    before = _everything(client, meeting_id, office.board_id)
    pdf_words = " ".join(before["minutes pdf"].split())
    assert "3 present - the meeting was quorate" in pdf_words
    assert "Quorum: 2 (half of the 3 governors in office, rounded up: 2)" in pdf_words
    assert "Ann Able (chair)" in before["minutes pdf"]
    assert "Present: 3. Quorate" in before["meeting page"]
    assert "Chair Parent governor Present" in before["register page"]

    # Four people join the board, one leaves, one is renamed, the board's places are set.
    for name in ("Dan Dale", "Eve East", "Fay Fox", "Gus Gray"):
        office.person(name)
    bodies.remove_member(office.conn, OP, office.board_id, ben)
    accounts.update_profile(office.conn, OP, cat, name="Catherine Cole-Smith", phone="")
    places.set_places(office.conn, OP, office.board_id, {"parent": "9", "co-opted": "2"})

    after = _everything(client, meeting_id, office.board_id)
    for what, said in before.items():
        assert after[what] == said, what
    assert "Dan Dale" not in after["minutes pdf"] and "NOT quorate" not in after["minutes pdf"]


def test_the_approved_pdf_is_stored_and_its_hash_audited(signed_in, office, locked_meeting):
    client, _ = signed_in("reader")
    meeting_id, _ = locked_meeting
    first = client.download(f"/alpha/meetings/{meeting_id}/minutes.pdf").data
    again = client.download(f"/alpha/meetings/{meeting_id}/minutes.pdf").data
    assert first == again
    digest = hashlib.sha256(first).hexdigest()
    approvals = [e for e in audit.recent(office.conn) if e["action"] == "minutes.approve"]
    assert len(approvals) == 1 and f'"pdf_sha256": "{digest}"' in approvals[0]["detail"]
    assert records.approved_pdf(office.conn, meeting_id) == (first, digest)
    assert audit.verify(office.conn).ok


def test_a_register_is_locked_only_once_its_meeting_has_started(office):
    ann = office.person("Ann Able")
    upcoming = office.meeting(days=3)
    attendance.save_attendance_register(office.conn, OP, upcoming, {ann: "present"})
    with pytest.raises(InvalidInput, match="once the meeting has started"):
        attendance.lock_attendance_register(office.conn, OP, upcoming)
    assert not meetings.get(office.conn, upcoming)["attendance_register_locked_at"]


def test_the_register_page_asks_for_a_confirmation_and_waits_for_the_start(signed_in, office):
    client, _ = signed_in("manager")
    ann = office.person("Ann Able")
    upcoming = office.meeting(days=3)
    page = client.get(f"/alpha/meetings/{upcoming}/register").get_data(as_text=True)
    assert "can be locked once the meeting has started" in page and "Lock register" not in page
    past = office.meeting(days=-1)
    attendance.save_attendance_register(office.conn, OP, past, {ann: "present"})
    url = f"/alpha/meetings/{past}/register"
    assert "I have checked this register" in client.get(url).get_data(as_text=True)
    client.post(f"{url}/lock", {"confirm": ""}, form_page=url)
    assert not meetings.get(office.conn, past)["attendance_register_locked_at"]
    client.post(f"{url}/lock", {"confirm": "y"}, form_page=url)
    assert meetings.get(office.conn, past)["attendance_register_locked_at"]


def test_minutes_are_approved_only_at_a_meeting_that_has_started_with_a_locked_register(
        office):
    ann = office.person("Ann Able")
    earlier = office.meeting(days=-30, title="Autumn")
    upcoming = office.meeting(days=5, title="Spring")
    now = office.meeting(days=-1, title="Winter")
    minutes.circulate(office.conn, OP, earlier)
    with pytest.raises(InvalidInput, match="has started"):
        minutes.approve(office.conn, OP, earlier, upcoming, SCHOOL)
    with pytest.raises(InvalidInput, match="Lock the register of “Autumn” first"):
        minutes.approve(office.conn, OP, earlier, now, SCHOOL)
    attendance.save_attendance_register(office.conn, OP, earlier, {ann: "present"})
    attendance.lock_attendance_register(office.conn, OP, earlier)
    minutes.approve(office.conn, OP, earlier, now, SCHOOL)
    assert meetings.get(office.conn, earlier)["minutes_status"] == "approved"


def test_the_meeting_page_offers_approval_only_when_it_can_be_recorded(signed_in, office):
    client, _ = signed_in("manager")
    ann = office.person("Ann Able")
    earlier = office.meeting(days=-30, title="Autumn")
    upcoming = office.meeting(days=5, title="Spring")
    minutes.circulate(office.conn, OP, earlier)
    page = client.get(f"/alpha/meetings/{upcoming}").get_data(as_text=True)
    assert "lock the register" in page and "Record as approved" not in page
    attendance.save_attendance_register(office.conn, OP, earlier, {ann: "present"})
    attendance.lock_attendance_register(office.conn, OP, earlier)
    page = client.get(f"/alpha/meetings/{upcoming}").get_data(as_text=True)
    assert "once this meeting has started" in page and "Record as approved" not in page
    resp = client.post(f"/alpha/meetings/{upcoming}/approve-minutes",
                       {"meeting_id": str(earlier)}, form_page=f"/alpha/meetings/{upcoming}")
    assert resp.status_code == 302
    assert "has started" in client.get(f"/alpha/meetings/{upcoming}").get_data(as_text=True)
    assert meetings.get(office.conn, earlier)["minutes_status"] == "circulated"


def test_a_record_locked_before_snapshots_existed_is_frozen_when_first_read(office,
                                                                           locked_meeting):
    meeting_id, (ann, _ben, _cat) = locked_meeting
    office.conn.execute("DELETE FROM meeting_records WHERE meeting_id = ?", (meeting_id,))
    assert attendance.quorum(office.conn, meeting_id).present == 3
    snapshot = records.load(office.conn, meeting_id, "attendance_register")
    assert snapshot["late"] and [m["name"] for m in snapshot["members"]] == [
        "Ann Able", "Ben Bold", "Cat Cole"]
    data = minutes.approved_pdf(office.conn, meeting_id, SCHOOL)
    assert "Spend is on track." in pdf_text(data)
    assert records.load(office.conn, meeting_id, "minutes")["late"]
    office.person("Hal Hill")
    assert minutes.approved_pdf(office.conn, meeting_id, SCHOOL) == data
    assert {"attendance.snapshot", "minutes.snapshot", "minutes.pdf"} <= {
        e["action"] for e in audit.recent(office.conn)}
    assert ann in {m["user_id"] for m in attendance.attendance_register(office.conn, meeting_id)}


def test_the_details_of_a_meeting_with_a_record_do_not_change(office, locked_meeting):
    meeting_id, _ = locked_meeting
    meeting = meetings.get(office.conn, meeting_id)
    data = meetings.MeetingInput(
        body_id=meeting["body_id"], title="Renamed", location="Hall",
        starts_at=meetings.parse_stamp(meeting["starts_at"]),
        ends_at=meetings.parse_stamp(meeting["ends_at"]))
    with pytest.raises(InvalidInput, match="part of the record"):
        meetings.update(office.conn, OP, meeting_id, data)
    with pytest.raises(InvalidInput, match="register is locked"):
        meetings.cancel(office.conn, OP, meeting_id, "Mistake")


def test_the_attendance_report_counts_a_locked_register_as_it_was(office, locked_meeting):
    meeting_id, (_ann, ben, _cat) = locked_meeting
    office.conn.execute("DELETE FROM attendance_register WHERE meeting_id = ? AND user_id = ?",
                        (meeting_id, ben))  # what a deleted account would leave behind
    today = date.today()
    rows, count = attendance.report(office.conn, office.board_id,
                                    today - timedelta(days=365), today)
    assert count == 1
    assert [(r.name, r.attended, r.eligible) for r in rows] == [
        ("Ann Able", 1, 1), ("Ben Bold", 1, 1), ("Cat Cole", 1, 1)]


def _details(meeting, **changes) -> meetings.MeetingInput:
    """The meeting's details as its edit form would send them, with `changes`."""
    data = {"body_id": meeting["body_id"], "title": meeting["title"],
            "starts_at": meetings.parse_stamp(meeting["starts_at"]),
            "ends_at": meetings.parse_stamp(meeting["ends_at"]),
            "location": meeting["location"]} | changes
    return meetings.MeetingInput(**data)


def test_locked_pages_name_the_committee_as_the_record_does(signed_in, office):
    client, _ = signed_in("manager")
    ann = office.person("Ann Able", on_board=False)
    office.member(ann, body_id=office.committee_id)
    meeting_id = office.meeting(body_id=office.committee_id, days=-3, title="Spring finance")
    attendance.save_attendance_register(office.conn, OP, meeting_id, {ann: "present"})
    attendance.lock_attendance_register(office.conn, OP, meeting_id)
    bodies.save_body(office.conn, OP, body_id=office.committee_id, kind="committee",
                    name="Resources Committee", quorum_text="4")
    for path in (f"/alpha/meetings/{meeting_id}", f"/alpha/meetings/{meeting_id}/register",
                 f"/alpha/meetings/{meeting_id}/minutes"):
        page = _main_text(client.get(path).get_data(as_text=True))
        assert "Finance" in page and "Resources Committee" not in page, path


def test_after_the_register_lock_the_title_and_times_stay(office):
    ann = office.person("Ann Able")
    meeting_id = office.meeting(days=-3, title="Spring board")
    attendance.save_attendance_register(office.conn, OP, meeting_id, {ann: "present"})
    attendance.lock_attendance_register(office.conn, OP, meeting_id)
    meeting = meetings.get(office.conn, meeting_id)
    start = meetings.parse_stamp(meeting["starts_at"])
    for changes in ({"title": "Renamed"}, {"starts_at": start - timedelta(hours=1)},
                    {"ends_at": start + timedelta(hours=3)}):
        with pytest.raises(InvalidInput, match="title, date and times are part of its record"):
            meetings.update(office.conn, OP, meeting_id, _details(meeting, **changes))
    meetings.update(office.conn, OP, meeting_id, _details(meeting, location="Main hall"))
    after = meetings.get(office.conn, meeting_id)
    assert (after["title"], after["starts_at"], after["location"]) == (
        "Spring board", meeting["starts_at"], "Main hall")


def test_a_meeting_that_approved_minutes_is_neither_moved_nor_cancelled(signed_in, office,
                                                                      locked_meeting):
    client, _ = signed_in("manager")
    meeting_id, _ = locked_meeting
    at = minutes.approval_record(office.conn, meetings.get(office.conn, meeting_id))
    later = meetings.get(office.conn, at["meeting"]["id"])
    start = meetings.parse_stamp(later["starts_at"])
    with pytest.raises(InvalidInput, match="were approved at this meeting"):
        meetings.update(office.conn, OP, later["id"],
                        _details(later, starts_at=start + timedelta(days=7),
                                 ends_at=start + timedelta(days=7, hours=2)))
    meetings.update(office.conn, OP, later["id"], _details(later, title="Spring board (AGM)"))
    page = f"/alpha/meetings/{later['id']}"
    resp = client.post(f"{page}/cancel", {"reason": "Mistake"}, form_page=f"{page}/edit")
    assert meetings.get(office.conn, later["id"])["status"] == "scheduled"
    # The edit page again, the refusal beside the reason.
    assert resp.status_code == 422
    assert "were approved at it, so it cannot be cancelled" in client.last_text


def _circulated_with_register(office, discussion: str):
    """An earlier meeting with circulated minutes and a locked register, and a later one."""
    ann = office.person("Ann Able")
    earlier = office.meeting(days=-30, title="Autumn")
    later = office.meeting(days=-1, title="Spring")
    item = office.item(earlier, "Budget")
    minutes.save_item(office.conn, OP, item, discussion, "Noted.")
    attendance.save_attendance_register(office.conn, OP, earlier, {ann: "present"})
    attendance.lock_attendance_register(office.conn, OP, earlier)
    minutes.circulate(office.conn, OP, earlier)
    return earlier, later, item


def _second_connection(instance):
    from gvo.storage import sqlcipher

    other = sqlcipher.connect(instance.school_path("alpha"), instance.school_key("alpha"))
    other.execute("PRAGMA busy_timeout = 0")
    return other


def test_the_approved_pdf_is_drawn_outside_the_write_transaction(instance, office,
                                                                monkeypatch):
    """While the PDF is drawn, another connection can write: approval holds the school's
    write lock only for the short transaction that stores what was drawn."""
    from gvo.meetings import pdf

    earlier, later, _item = _circulated_with_register(office, "Spend " + "\u200d" * 19000)
    other = _second_connection(instance)
    real, seen = pdf.minutes_pdf, []

    def drawing(*args):
        seen.append(office.conn.in_transaction)
        other.execute("BEGIN IMMEDIATE")  # raises "database is locked" if a writer holds it
        other.execute("ROLLBACK")
        return real(*args)

    monkeypatch.setattr(pdf, "minutes_pdf", drawing)
    try:
        minutes.approve(office.conn, OP, earlier, later, SCHOOL)
    finally:
        other.close()
    assert seen == [False]
    data, digest = records.approved_pdf(office.conn, earlier)
    assert hashlib.sha256(data).hexdigest() == digest
    # The page of joiners is drawn with at most MAX_MARKS of them in a row.
    from gvo.core.text import MAX_MARKS

    assert "\u200d" * (MAX_MARKS + 1) not in pdf_text(data)


def test_minutes_changed_while_the_pdf_is_drawn_are_not_approved(instance, office,
                                                                monkeypatch):
    from gvo.meetings import pdf

    earlier, later, item = _circulated_with_register(office, "Spend is on track.")
    real = pdf.minutes_pdf

    def drawing(*args):
        minutes.save_item(office.conn, OP, item, "Spend is NOT on track.", "Noted.")
        return real(*args)

    monkeypatch.setattr(pdf, "minutes_pdf", drawing)
    with pytest.raises(InvalidInput, match="changed while they were being approved"):
        minutes.approve(office.conn, OP, earlier, later, SCHOOL)
    assert meetings.get(office.conn, earlier)["minutes_status"] == "circulated"
    assert records.approved_pdf(office.conn, earlier) is None
    assert records.load(office.conn, earlier, "minutes") is None


def test_a_page_of_combining_characters_is_drawn_capped():
    """The PDF's text normaliser cuts runs of marks, so fpdf2's line breaking (quadratic in
    such a run) sees at most MAX_MARKS of them after each letter."""
    from gvo.core.text import MAX_MARKS
    from gvo.meetings.pdf import Document

    doc = Document("x")
    doc.add_page()
    for mark in ("\u200d", "\u0301", "\u200b", "\U000e0067"):
        drawn = doc.normalize_text("x" + mark * 20000 + "y")
        assert len(drawn) <= 2 + MAX_MARKS, hex(ord(mark))


def test_a_committee_renamed_after_the_lock_keeps_its_old_name_on_the_record(
        signed_in, new_client, office):
    """The tester's case: the register is locked, the minutes circulated, the committee
    renamed (through its edit page), then the minutes approved at the next meeting. The
    approved PDF, its snapshot, the meetings list, the month calendar and the personal
    calendar feed all name the committee as the register recorded it."""
    client, person = signed_in("manager")
    old, new = "Pwyllgor Łukasz Żółkiewski", "Resources Committee"
    bodies.save_body(office.conn, OP, body_id=office.committee_id, kind="committee", name=old,
                    quorum_text="3")
    ann = office.person("Ann Able", on_board=False)
    office.member(ann, body_id=office.committee_id)
    meeting_id = office.meeting(body_id=office.committee_id, days=-30, title="Autumn finance")
    later = office.meeting(body_id=office.committee_id, days=-2, title="Spring finance")
    item = office.item(meeting_id, "Budget monitoring")
    minutes.save_item(office.conn, OP, item, "Spend is on track.", "Budget noted.")
    attendance.save_attendance_register(office.conn, OP, meeting_id, {ann: "present"})
    attendance.lock_attendance_register(office.conn, OP, meeting_id)
    minutes.circulate(office.conn, OP, meeting_id)

    resp = client.post(f"/alpha/board/{office.committee_id}/edit",
                       {"name": new, "description": "", "quorum": "3"},
                       form_page=f"/alpha/board/{office.committee_id}/edit")
    assert resp.status_code == 302
    assert bodies.get_body(office.conn, office.committee_id)["name"] == new
    resp = client.post(f"/alpha/meetings/{later}/approve-minutes", {"meeting_id": meeting_id},
                       form_page=f"/alpha/meetings/{later}")
    assert resp.status_code == 302
    assert meetings.get(office.conn, meeting_id)["minutes_status"] == "approved"

    stored, _digest = records.approved_pdf(office.conn, meeting_id)
    assert old in pdf_text(stored) and new not in pdf_text(stored)
    assert records.load(office.conn, meeting_id, "minutes")["meeting"]["body_name"] == old
    assert client.download(f"/alpha/meetings/{meeting_id}/minutes.pdf").data == stored

    # Everything that lists the locked meeting names it as recorded; the later meeting,
    # whose register is open, goes by the committee's name of today.
    listing = _main_text(client.get("/alpha/meetings").get_data(as_text=True))
    assert f"Autumn finance {old}" in listing and f"Spring finance {new}" in listing
    start = meetings.parse_stamp(meetings.get(office.conn, meeting_id)["starts_at"])
    days = [m for week in meetings.month(office.conn, start.year, start.month).weeks
            for _day, ms in week for m in ms if m["id"] == meeting_id]
    assert [m["body_name"] for m in days] == [old]
    assert meetings.get(office.conn, meeting_id)["body_name"] == old
    token = calendar_feed.new_token(office.conn, OP, person.id)
    feed = new_client().download(f"/alpha/calendar/{token}.ics").get_data(
        as_text=True).replace("\r\n ", "")  # lines unfolded (RFC 5545, 3.1)
    assert f"Autumn finance ({old})" in feed and f"Autumn finance ({new})" not in feed
    assert f"Spring finance ({new})" in feed
