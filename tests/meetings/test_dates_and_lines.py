"""Dates people type stay within 1900-2199 (a field error otherwise), a bad stored date breaks
no page or feed, one-line fields hold one line, and calendar text is escaped as RFC 5545 says."""

import inspect
from datetime import date, datetime

import icalendar
import pytest
from wtforms import StringField
from wtforms.fields.core import UnboundField

from gvo.blueprints.meetings import forms as meeting_forms
from gvo.core import clock, text
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.meetings import attendance, calendar_feed, meetings, minutes
from gvo.people import accounts
from gvo.web import forms

from .conftest import OP, at


def _form(body_id, **kw):
    data = {"body_id": body_id, "title": "Spring full board", "starts_at": "2031-03-04T18:00",
            "ends_at": "2031-03-04T20:00", "location": "Staff room", "online_link": "",
            "description": ""}
    return data | kw


@pytest.mark.parametrize("year", ["0226", "1899", "2200", "9999"])
def test_a_meeting_year_out_of_range_is_the_fields_error(signed_in, office, year):
    client, _ = signed_in("manager")
    resp = client.post("/alpha/meetings/new",
                       _form(office.board_id, starts_at=f"{year}-03-04T18:00",
                             ends_at=f"{year}-03-04T20:00"), form_page="/alpha/meetings/new")
    assert resp.status_code == 422
    assert "Give a year between 1900 and 2199." in client.last_text
    assert office.conn.execute("SELECT count(*) FROM meetings").fetchone()[0] == 0


def test_the_services_refuse_a_year_out_of_range_too(office):
    with pytest.raises(InvalidInput, match="year between 1900 and 2199"):
        meetings.create(office.conn, OP, meetings.MeetingInput(
            body_id=office.board_id, title="Typo", starts_at=datetime(226, 3, 4, 18),
            ends_at=datetime(226, 3, 4, 20), location="Hall"))
    meeting_id = office.meeting(days=-3)
    item = office.item(meeting_id, "Budget")
    with pytest.raises(InvalidInput, match="year between"):
        minutes.add_action(office.conn, OP, item, "Write", None, date(9999, 1, 1))
    with pytest.raises(InvalidInput, match="year between"):
        attendance.report(office.conn, office.board_id, date(1, 1, 1), date(2030, 1, 1))


def test_a_due_date_and_a_reports_period_out_of_range_are_refused_in_the_form(signed_in,
                                                                               office):
    client, _ = signed_in("manager")
    meeting_id = office.meeting(days=-3)
    item = office.item(meeting_id, "Budget")
    page = f"/alpha/meetings/{meeting_id}/minutes"
    client.post(page, {f"a{item}-text": "Write to the trust",
                                            f"a{item}-owner_id": "0",
                                            f"a{item}-due_on": "0226-01-01"}, form_page=page)
    assert office.conn.execute("SELECT count(*) FROM tasks").fetchone()[0] == 0
    client.post(page, {f"a{item}-text": "Write to the trust",
                                            f"a{item}-owner_id": "0",
                                            f"a{item}-due_on": "2199-12-31"}, form_page=page)
    assert office.conn.execute("SELECT due_on FROM tasks").fetchone()[0] == "2199-12-31"
    resp = client.get(f"/alpha/meetings/attendance?body_id={office.board_id}"
                      "&start=0001-01-01&end=2030-01-01")
    assert resp.status_code == 200 and "Give a year between 1900 and 2199." in client.last_text
    assert client.download(f"/alpha/meetings/attendance.pdf?body_id={office.board_id}"
                            "&start=0001-01-01&end=9999-12-31").status_code == 400


def test_a_stored_time_keeps_four_digits_of_year():
    assert meetings.stamp(datetime(226, 3, 4, 18, 0)) == "0226-03-04T18:00"
    assert meetings.stamp(datetime(2031, 3, 4, 18, 5)) == "2031-03-04T18:05"


@pytest.mark.parametrize("year,month", [(9999, 12), (10000, 1), (2200, 1), (1899, 12)])
def test_the_calendar_answers_404_for_a_month_out_of_range(signed_in, year, month):
    client, _ = signed_in("reader")
    assert client.get(f"/alpha/meetings/calendar?year={year}&month={month}").status_code == 404


def test_the_calendar_offers_no_month_beyond_the_range(signed_in):
    client, _ = signed_in("reader")
    page = client.get("/alpha/meetings/calendar?year=2199&month=12").get_data(as_text=True)
    assert "Previous month" in page and "Next month" not in page
    page = client.get("/alpha/meetings/calendar?year=1900&month=1").get_data(as_text=True)
    assert "Next month" in page and "Previous month" not in page


def test_a_bad_stored_time_breaks_no_page_and_no_feed(signed_in, office):
    """A row written before years were checked ('226-...') is shown as stored and left out
    of calendars; every other meeting still shows."""
    client, person = signed_in("manager")
    good = office.meeting(days=3, title="Good meeting")
    bad = office.meeting(days=4, title="Typo meeting")
    office.conn.execute("UPDATE meetings SET starts_at = '226-03-04T18:00',"
                        " ends_at = '226-03-04T20:00' WHERE id = ?", (bad,))
    for path in (f"/alpha/meetings/{bad}", f"/alpha/meetings/{bad}/edit",
                 f"/alpha/meetings/{bad}/register", f"/alpha/meetings/{bad}/minutes",
                 "/alpha/meetings", "/alpha/meetings/calendar", "/alpha/"):
        assert client.get(path).status_code == 200, path
    assert client.download(f"/alpha/meetings/{bad}/pack.pdf").status_code == 200
    ics = client.download(f"/alpha/meetings/{bad}/calendar.ics")
    assert ics.status_code == 200 and not icalendar.Calendar.from_ical(ics.data).walk("VEVENT")
    feed = calendar_feed.feed_ics(office.conn, meetings_viewer(office, person.id), "Alpha",
                                  "gvo", lambda mid: f"https://gvo/{mid}")
    summaries = [str(e["summary"]) for e in icalendar.Calendar.from_ical(feed).walk("VEVENT")]
    assert summaries == ["Good meeting (Full Governing Board)"]
    assert meetings.get(office.conn, good)["title"] == "Good meeting"


def meetings_viewer(office, user_id):
    return Identity.load(office.conn, user_id)


# -- one-line fields --------------------------------------------------------------------

BREAKS = "\u2028\u2029\r\n\t\x0b\x0c\x85"


def test_one_line_turns_every_line_break_into_a_space_and_drops_controls():
    assert text.one_line(f" Budget{BREAKS}part\x00 two\x7f ") == "Budget part two"
    assert text.one_line("Siân\u200d\u200dap Gwŷr") == "Siân\u200d\u200dap Gwŷr"
    assert text.one_line("x" + "\u0301" * 500) == "x" + "\u0301" * text.MAX_MARKS


def _all_forms():
    for module in (forms, meeting_forms):
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, forms.FlaskForm):
                yield cls


def test_every_one_line_text_field_in_every_form_is_a_line_field():
    """The kind, not the instance: a new form's title or name field is a LineField too."""
    secrets = {("CodeForm", "code"), ("ChangeAuthenticatorForm", "code"), ("VerifyForm", "code")}
    found = 0
    for cls in _all_forms():
        for klass in cls.__mro__:
            for name, unbound in vars(klass).items():
                if isinstance(unbound, UnboundField) and issubclass(unbound.field_class,
                                                                    StringField):
                    kind = unbound.field_class
                    if (cls.__name__, name) in secrets or kind.__name__ in (
                            "TextAreaField", "PasswordField", "EmailField", "HiddenField"):
                        continue
                    assert issubclass(kind, forms.LineField), f"{cls.__name__}.{name}"
                    found += 1
    assert found >= 20


def test_line_breaks_typed_in_one_line_fields_are_stored_as_spaces(signed_in, office):
    client, manager = signed_in("manager")
    resp = client.post("/alpha/meetings/new",
                       _form(office.board_id, title="Spring\u2028full board",
                             location="Hall\u2029B\tC"), form_page="/alpha/meetings/new")
    assert resp.status_code == 302
    meeting_id = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    row = meetings.get(office.conn, meeting_id)
    assert (row["title"], row["location"]) == ("Spring full board", "Hall B C")
    page = f"/alpha/meetings/{meeting_id}"
    client.post(f"{page}/agenda", {"title": "Budget\u2028monitoring", "purpose": "decision",
                                   "presenter": "Chair\x85Person", "minutes": "10"},
                form_page=page)
    titles = office.conn.execute("SELECT title, presenter FROM agenda_items").fetchall()
    assert [tuple(r) for r in titles] == [("Budget monitoring", "Chair Person")]
    client.post(f"{page}/register/guests", {"name": "Dee\u2028Auditor", "kind": "observer",
                                            "organisation": "Trust\rBoard"},
                form_page=f"{page}/register")
    guest = office.conn.execute("SELECT name, organisation FROM meeting_guests").fetchone()
    assert tuple(guest) == ("Dee Auditor", "Trust Board")
    client.post("/alpha/profile", {"name": "Ann\u2029Able", "phone": ""},
                form_page="/alpha/profile")
    assert accounts.get_user(office.conn, manager.id)["name"] == "Ann Able"


def test_services_keep_one_line_fields_on_one_line(office):
    meeting_id = meetings.create(office.conn, OP, meetings.MeetingInput(
        body_id=office.board_id, title="Autumn\u2028board", starts_at=at("2031-03-04T18:00"),
        ends_at=at("2031-03-04T20:00"), location="Hall\u2029B"))
    row = meetings.get(office.conn, meeting_id)
    assert (row["title"], row["location"]) == ("Autumn board", "Hall B")
    uid = accounts.add_user(office.conn, OP, email="x@ex.org", name="Bo\u2028Bell", role="author")
    assert accounts.get_user(office.conn, uid)["name"] == "Bo Bell"


# -- calendar escaping ------------------------------------------------------------------


def test_calendar_text_is_escaped_as_typed_backslashes_and_all(office):
    title = r"Room \North; C:\New, budget"
    meeting_id = office.meeting(days=3, title=title, location=r"Block \N2")
    data = calendar_feed.meeting_ics(meetings.get(office.conn, meeting_id), "Alpha", "gvo")
    assert b"\\\\North\\; C:\\\\New\\, budget" in data
    event = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert str(event["summary"]) == f"{title} (Full Governing Board)"
    assert str(event["location"]) == r"Block \N2"
    assert "\n" not in str(event["summary"])


def test_a_stored_line_separator_reaches_no_calendar(office):
    meeting_id = office.meeting(days=3, title="Budget")
    office.conn.execute("UPDATE meetings SET title = 'Budget\u2028Part two' WHERE id = ?",
                        (meeting_id,))
    data = calendar_feed.meeting_ics(meetings.get(office.conn, meeting_id), "Alpha", "gvo")
    assert "\u2028".encode() not in data.split(b"X-WR-CALNAME", 1)[1].split(b"\r\n", 1)[1]
    event = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert str(event["summary"]) == "Budget Part two (Full Governing Board)"


def test_the_year_range_is_the_clocks():
    assert (clock.FIRST_YEAR, clock.LAST_YEAR) == (1900, 2199)
