"""Issue 12: dates and times as people say them (Europe/London), the clocks changing, calendar
entries that update (SEQUENCE), registers that presume nothing, and the attendance reply
that keeps what was chosen."""

import re
from datetime import date, datetime

import icalendar
import pytest
from conftest import new_feed_path

from gvo.core import audit, dates
from gvo.meetings import attendance, meetings

from .conftest import OP, at
from .test_meetings import _form

# The last Sundays of March and October 2031: the clocks go forward at 01:00 GMT on 30 March
# (01:00-01:59 does not exist) and back at 02:00 BST on 26 October (01:00-01:59 twice).
GAP, OVERLAP = "2031-03-30T01:30", "2031-10-26T01:30"


def _meeting_id(resp) -> int:
    return int(resp.headers["Location"].rstrip("/").split("/")[-1])


def _field_error(page: str, field: str) -> str:
    """The error shown beside a field (the announced block with the field's id), as text."""
    match = re.search(rf'<div class="error" id="{field}-error" role="alert">(.*?)</div>', page,
                      re.S)
    assert match, f"no error beside {field}"
    text = re.sub(r"<span class=\"visually-hidden\">Error:</span>", "", match.group(1))
    return " ".join(re.sub(r"<[^>]+>", "", text).split())


# -- dates and times as people say them ---------------------------------------------------


def test_times_read_the_way_people_say_them():
    assert dates.when("2026-12-09T18:00") == "Wed 9 Dec 2026, 6 pm"
    assert dates.when("2026-12-09T18:30") == "Wed 9 Dec 2026, 6:30 pm"
    assert dates.span("2026-12-09T18:00", "2026-12-09T20:00") == "Wed 9 Dec 2026, 6 pm to 8 pm"
    assert dates.span("2026-12-09T23:00", "2026-12-10T00:30") == (
        "Wed 9 Dec 2026, 11 pm to Thu 10 Dec 2026, 12:30 am")
    assert dates.day(date(2026, 12, 9)) == "Wed 9 Dec 2026"
    # Instants are stored in UTC and shown in London's time: BST in July, GMT in December.
    assert dates.moment("2026-07-09T17:04:00Z") == "Thu 9 Jul 2026, 6:04 pm"
    assert dates.moment("2026-12-09T18:04:00Z") == "Wed 9 Dec 2026, 6:04 pm"
    assert dates.moment_day("2026-07-09T23:30:00Z") == "Fri 10 Jul 2026"
    # A stored value that is not a time is shown as stored, never an error.
    assert dates.when("226-03-04T18:00") == "226-03-04 18:00"


def test_pages_show_meetings_and_instants_in_words(signed_in, office):
    client, _ = signed_in("manager")
    resp = client.post("/alpha/meetings/new", _form(office.board_id),
                       form_page="/alpha/meetings/new")
    meeting_id = _meeting_id(resp)
    page = client.get(f"/alpha/meetings/{meeting_id}").get_data(as_text=True)
    assert "Tue 4 Mar 2031, 6 pm to 8 pm" in page
    assert "2031-03-04" not in page.replace('datetime="2031-03-04', "")
    listing = client.get("/alpha/meetings").get_data(as_text=True)
    assert "Tue 4 Mar 2031, 6 pm" in listing
    register = client.get(f"/alpha/meetings/{meeting_id}/register").get_data(as_text=True)
    assert "Tue 4 Mar 2031, 6 pm to 8 pm" in register


def test_the_audit_log_shows_local_time_and_readable_details(signed_in, office):
    client, _ = signed_in("manager")
    client.post("/alpha/meetings/new", _form(office.board_id, title="Summer board"),
                form_page="/alpha/meetings/new")
    entry = next(e for e in audit.recent(office.conn) if e["action"] == "meeting.create")
    said = (f"Scheduled a meeting: board or committee #{office.board_id}, starts Tue 4 Mar "
            "2031, 6 pm, title “Summer board”.")
    assert audit.describe(entry) == said
    page = client.get("/alpha/admin/audit").get_data(as_text=True)
    assert said in page
    assert dates.moment(entry["at"]) in page
    assert '{"body"' not in page and "When (UTC)" not in page


# -- the clocks changing -------------------------------------------------------------------


def test_a_time_in_the_hour_skipped_in_march_is_refused_beside_the_field(signed_in, office):
    client, _ = signed_in("manager")
    resp = client.post("/alpha/meetings/new",
                       _form(office.board_id, starts_at=GAP, ends_at="2031-03-30T03:00"),
                       form_page="/alpha/meetings/new")
    assert resp.status_code == 422
    error = _field_error(client.last_text, "starts_at")
    assert "1:30 am does not exist on Sun 30 Mar 2031" in error
    assert 'value="2031-03-30T01:30"' in client.last_text  # what was typed is kept
    # Attack 4: the skipped hour also offered October's choice ("Which 1:30 am? The clocks
    # go back that night.", BST or GMT), neither of which was then accepted.
    assert "clocks go back" not in client.last_text and "-zone" not in client.last_text
    assert not dates.is_ambiguous(at(GAP)) and dates.zones(at(GAP)) == ("GMT", "GMT")
    assert dates.is_ambiguous(at(OVERLAP)) and dates.zones(at(OVERLAP)) == ("BST", "GMT")
    assert meetings.list_meetings(office.conn, OP) == []
    # The service keeps the rule whoever calls it.
    with pytest.raises(dates.NonexistentTime):
        meetings.create(office.conn, OP, meetings.MeetingInput(
            body_id=office.board_id, title="x", starts_at=at(GAP),
            ends_at=at("2031-03-30T03:00"), location="Hall"))
    # The edit form keeps the same rule.
    meeting_id = office.meeting()
    url = f"/alpha/meetings/{meeting_id}/edit"
    resp = client.post(url, _form(office.board_id, starts_at="2031-03-29T18:00",
                                  ends_at="2031-03-30T01:15"), form_page=url)
    assert resp.status_code == 422
    assert "1:15 am does not exist" in _field_error(client.last_text, "ends_at")


def test_a_time_in_the_hour_repeated_in_october_asks_which(signed_in, office):
    client, _ = signed_in("manager")
    data = _form(office.board_id, starts_at=OVERLAP, ends_at="2031-10-26T03:00")
    resp = client.post("/alpha/meetings/new", data, form_page="/alpha/meetings/new")
    assert resp.status_code == 422
    assert "happens twice" in _field_error(client.last_text, "starts_at")
    page = client.last_text
    # The choice is beside the field: BST (the first 1:30 am) or GMT (the second).
    assert 'name="starts_at-zone" id="starts_at-zone-0" value="BST"' in page
    assert 'name="starts_at-zone" id="starts_at-zone-1" value="GMT"' in page
    assert "ends_at-zone" not in page  # 3 am happens once
    assert meetings.list_meetings(office.conn, OP) == []

    resp = client.post("/alpha/meetings/new", data | {"starts_at-zone": "GMT"},
                       form_page="/alpha/meetings/new")
    assert resp.status_code == 302, client.last_text[:3000]
    meeting_id = _meeting_id(resp)
    row = meetings.get(office.conn, meeting_id)
    assert (row["starts_at"], row["starts_fold"]) == (OVERLAP, 1)
    cal = icalendar.Calendar.from_ical(
        client.download(f"/alpha/meetings/{meeting_id}/calendar.ics").data)
    event = next(iter(cal.walk("VEVENT")))
    assert event.decoded("dtstart") == datetime.fromisoformat("2031-10-26T01:30+00:00")
    page = client.get(f"/alpha/meetings/{meeting_id}").get_data(as_text=True)
    assert "Sun 26 Oct 2031, 1:30 am GMT to 3 am" in page

    # Editing shows the reading stored; choosing BST moves it an hour earlier in UTC.
    url = f"/alpha/meetings/{meeting_id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="GMT" checked' in page
    resp = client.post(url, data | {"starts_at-zone": "BST"}, form_page=url)
    assert resp.status_code == 302
    assert dates.to_utc(OVERLAP, meetings.get(office.conn, meeting_id)["starts_fold"]) == (
        datetime.fromisoformat("2031-10-26T00:30+00:00"))
    # The service never picks silently.
    with pytest.raises(dates.AmbiguousTime):
        meetings.create(office.conn, OP, meetings.MeetingInput(
            body_id=office.board_id, title="x", starts_at=at(OVERLAP),
            ends_at=at("2031-10-26T03:00"), location="Hall"))


# -- calendar entries that update ----------------------------------------------------------


def test_sequence_increases_with_each_change_and_the_calendar_is_published(signed_in, office):
    client, person = signed_in("manager")
    meeting_id = office.meeting(title="Full Governing Board meeting")
    ics = f"/alpha/meetings/{meeting_id}/calendar.ics"

    def entry():
        cal = icalendar.Calendar.from_ical(client.download(ics).data)
        assert str(cal["method"]) == "PUBLISH"
        return next(iter(cal.walk("VEVENT")))

    assert int(entry()["sequence"]) == 0
    # The summary does not repeat the board's name when the title has it already.
    assert str(entry()["summary"]) == "Full Governing Board meeting"
    url = f"/alpha/meetings/{meeting_id}/edit"
    resp = client.post(url, _form(office.board_id, starts_at="2031-05-06T18:00",
                                  ends_at="2031-05-06T20:00"), form_page=url)
    assert resp.status_code == 302
    assert int(entry()["sequence"]) == 1
    assert str(entry()["summary"]) == "Spring full board (Full Governing Board)"
    client.post(f"/alpha/meetings/{meeting_id}/cancel", {"reason": "Snow"}, form_page=url)
    assert int(entry()["sequence"]) == 2
    # The feed carries the same.
    path = new_feed_path(client)
    cal = icalendar.Calendar.from_ical(client.download(path).data)
    assert str(cal["method"]) == "PUBLISH"
    assert [int(e["sequence"]) for e in cal.walk("VEVENT")] == [2]


# -- registers that presume nothing --------------------------------------------------------


def test_a_register_defaults_to_not_recorded(signed_in, office):
    client, _ = signed_in("manager")
    a, b, c = (office.person(n) for n in ("Ann Able", "Ben Bold", "Cat Cole"))
    meeting_id = office.meeting(days=-1)
    attendance.reply(office.conn, OP, meeting_id, b, "apologies", "Ill")
    rows = {r["user_id"]: r for r in attendance.attendance_register(office.conn, meeting_id)}
    assert (rows[a]["status"], rows[a]["recorded"]) == ("", False)  # not "absent"
    assert rows[b]["status"] == "apologies_accepted"  # suggested from the reply
    url = f"/alpha/meetings/{meeting_id}/register"
    page = client.get(url).get_data(as_text=True)
    select_a = page.split(f'name="status-{a}"')[1].split("</select>")[0]
    assert '<option value="" selected>Not recorded</option>' in select_a
    # Saving the page as it is records nobody as absent.
    client.post(url, {f"status-{a}": "", f"status-{b}": "apologies_accepted",
                      f"status-{c}": "present"}, form_page=url)
    recorded = {r["user_id"]: r["status"]
                for r in attendance.attendance_register(office.conn, meeting_id) if r["recorded"]}
    assert recorded == {b: "apologies_accepted", c: "present"}
    # A recorded status can be taken back to "not recorded".
    client.post(url, {f"status-{a}": "", f"status-{b}": "", f"status-{c}": "present"},
                form_page=url)
    assert {r["user_id"] for r in attendance.attendance_register(office.conn, meeting_id)
            if r["recorded"]} == {c}
    page = client.get(f"/alpha/meetings/{meeting_id}").get_data(as_text=True)
    assert "Not recorded" in page


def test_the_report_shows_apologies_apart_from_absences(signed_in, office):
    client, _ = signed_in("manager")
    a, b = office.person("Ann Able"), office.person("Ben Bold")
    for days, statuses in ((-30, {a: "present", b: "apologies_accepted"}),
                           (-20, {a: "absent", b: "apologies_not_accepted"}),
                           (-10, {a: "apologies_accepted", b: "present"})):
        meeting_id = office.meeting(days=days)
        attendance.save_attendance_register(office.conn, OP, meeting_id, statuses)
    start, end = attendance.school_year(meetings.local_now().date())
    rows, _count = attendance.report(office.conn, office.board_id, start, end)
    ann, ben = (next(r for r in rows if r.name == n) for n in ("Ann Able", "Ben Bold"))
    assert (ann.attended, ann.apologies, ann.absent, ann.eligible) == (1, 1, 1, 3)
    assert (ben.attended, ben.apologies, ben.absent, ben.eligible) == (1, 1, 1, 3)
    page = client.get("/alpha/meetings/attendance").get_data(as_text=True)
    assert '<th scope="col">Apologies accepted</th><th scope="col">Absent</th>' in page
    csv_text = client.download(
        f"/alpha/meetings/attendance.csv?body_id={office.board_id}&start={start}&end={end}"
    ).data.decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "Name,Attended,Apologies accepted,Absent,Eligible,Percentage"
    assert "Ann Able,1,1,1,3,33" in csv_text


# -- the reply -----------------------------------------------------------------------------


def test_past_meetings_do_not_ask_will_you_attend(signed_in, office):
    client, governor = signed_in("author")
    office.member(governor.id)
    coming, past = office.meeting(days=3), office.meeting(days=-3)
    assert "Will you attend?" in client.get(f"/alpha/meetings/{coming}").get_data(as_text=True)
    page = client.get(f"/alpha/meetings/{past}").get_data(as_text=True)
    assert "Will you attend?" not in page and "Send answer" not in page


def test_apologies_without_a_reason_keep_the_choice_and_never_record_attending(
        signed_in, office):
    client, governor = signed_in("author")
    office.member(governor.id)
    meeting_id = office.meeting()
    page = f"/alpha/meetings/{meeting_id}"
    resp = client.post(f"{page}/reply", {"reply": "apologies", "reason": ""}, form_page=page)
    assert resp.status_code == 422
    text = client.last_text
    assert _field_error(text, "reason") == "Please give a reason with your apologies."
    assert '<option selected value="apologies">' in text  # the choice is kept
    assert 'aria-invalid="true"' in text.split('id="reason"')[0].rsplit("<input", 1)[1] + (
        text.split('id="reason"')[1].split(">")[0])
    # Sending the page's form again as it stands (the choice kept) still records nothing.
    resp = client.post(f"{page}/reply", {"reply": "apologies", "reason": ""})
    assert resp.status_code == 422
    assert attendance.replies(office.conn, meeting_id) == {}
    resp = client.post(f"{page}/reply", {"reply": "apologies", "reason": "Parents' evening"})
    assert resp.status_code == 302
    answer = attendance.replies(office.conn, meeting_id)[governor.id]
    assert (answer["reply"], answer["reason"]) == ("apologies", "Parents' evening")
