"""Meetings: who creates and edits, cancel with a reason, list, calendar, home page, audit."""

import pytest

from gvo.core import audit
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.meetings import meetings
from gvo.people import accounts

from .conftest import OP, at


def _form(body_id, **kw):
    data = {"body_id": body_id, "title": "Spring full board", "starts_at": "2031-03-04T18:00",
            "ends_at": "2031-03-04T20:00", "location": "Staff room", "online_link": "",
            "description": "Budget and school improvement plan."}
    data.update(kw)
    return data


def test_a_manager_schedules_edits_and_cancels_a_meeting(signed_in, office):
    client, _clerk = signed_in("manager")
    resp = client.post("/alpha/meetings/new", _form(office.board_id),
                       form_page="/alpha/meetings/new")
    assert resp.status_code == 302, client.last_text[:2000]
    meeting_id = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    page = client.get(f"/alpha/meetings/{meeting_id}").get_data(as_text=True)
    assert "Spring full board" in page and "Staff room" in page

    resp = client.post(f"/alpha/meetings/{meeting_id}/edit",
                       _form(office.board_id, title="Spring full board (moved)",
                             starts_at="2031-03-05T18:00", ends_at="2031-03-05T19:30"),
                       form_page=f"/alpha/meetings/{meeting_id}/edit")
    assert resp.status_code == 302
    row = meetings.get(office.conn, meeting_id)
    assert (row["title"], row["starts_at"]) == ("Spring full board (moved)", "2031-03-05T18:00")

    client.post(f"/alpha/meetings/{meeting_id}/cancel", {"reason": ""},
                form_page=f"/alpha/meetings/{meeting_id}/edit")
    assert meetings.get(office.conn, meeting_id)["status"] == "scheduled"
    client.post(f"/alpha/meetings/{meeting_id}/cancel", {"reason": "Snow closure"},
                form_page=f"/alpha/meetings/{meeting_id}/edit")
    row = meetings.get(office.conn, meeting_id)
    assert (row["status"], row["cancel_reason"]) == ("cancelled", "Snow closure")
    assert "Snow closure" in client.get(f"/alpha/meetings/{meeting_id}").get_data(as_text=True)
    actions = [e["action"] for e in audit.recent(office.conn)]
    assert {"meeting.create", "meeting.update", "meeting.cancel"} <= set(actions)


def test_invalid_details_are_refused_with_a_message(signed_in, office):
    client, _ = signed_in("manager")
    resp = client.post("/alpha/meetings/new",
                       _form(office.board_id, ends_at="2031-03-04T17:00"),
                       form_page="/alpha/meetings/new")
    assert resp.status_code == 422
    assert "must end after it starts" in client.last_text
    resp = client.post("/alpha/meetings/new",
                       _form(office.board_id, location="", online_link="http://insecure"),
                       form_page="/alpha/meetings/new")
    assert resp.status_code == 422


@pytest.mark.parametrize("role", ["editor", "author", "reader"])
def test_only_managers_and_holders_of_manage_meetings_create(signed_in, office, role):
    client, person = signed_in(role)
    assert client.get("/alpha/meetings/new").status_code == 403
    meeting_id = office.meeting()
    assert client.get(f"/alpha/meetings/{meeting_id}/edit").status_code == 403
    assert client.get(f"/alpha/meetings/{meeting_id}/register").status_code == 403
    assert client.get(f"/alpha/meetings/{meeting_id}/minutes").status_code == 403
    assert client.get(f"/alpha/meetings/{meeting_id}").status_code == 200
    accounts.set_capabilities(office.conn, OP, person.id, {"manage_meetings"})
    # Capabilities are read at sign-in and on every request (the user loader).
    assert client.get("/alpha/meetings/new").status_code == 200
    resp = client.post("/alpha/meetings/new", _form(office.board_id),
                       form_page="/alpha/meetings/new")
    assert resp.status_code == 302


def test_list_search_calendar_and_home_page(signed_in, office, clock):
    client, _ = signed_in("author")
    upcoming = office.meeting(days=3, title="Autumn full board")
    past = office.meeting(days=-30, title="Summer full board")
    office.meeting(body_id=office.committee_id, days=5, title="Finance committee")
    page = client.get("/alpha/meetings").get_data(as_text=True)
    assert page.index("Autumn full board") < page.index("Summer full board")
    only_finance = client.get(f"/alpha/meetings?body={office.committee_id}").get_data(
        as_text=True)
    assert "Finance committee" in only_finance and "Autumn full board" not in only_finance
    office.item(past, "Pupil premium strategy")
    found = client.get("/alpha/meetings?q=premium").get_data(as_text=True)
    assert "Summer full board" in found and "Autumn full board" not in found

    home = client.get("/alpha/").get_data(as_text=True)
    assert "Upcoming meetings" in home and "Autumn full board" in home
    assert "Summer full board" not in home

    start = meetings.parse_stamp(meetings.get(office.conn, upcoming)["starts_at"])
    cal = client.get(f"/alpha/meetings/calendar?year={start.year}&month={start.month}")
    assert "Autumn full board" in cal.get_data(as_text=True)
    fragment = client.get(f"/alpha/meetings/calendar?year={start.year}&month={start.month}",
                          headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<section id="month"') and "<html" not in text
    assert "HX-Request" in fragment.headers["Vary"]
    restored = client.get(f"/alpha/meetings/calendar?year={start.year}&month={start.month}",
                          headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restored.get_data(as_text=True)
    assert client.get("/alpha/meetings/calendar?year=2030&month=13").status_code == 404


def test_service_rules(office):
    with pytest.raises(InvalidInput):
        meetings.create(office.conn, OP, meetings.MeetingInput(
            body_id=office.board_id, title=" ", starts_at=at("2031-01-01T18:00"),
            ends_at=at("2031-01-01T19:00"), location="Hall"))
    meeting_id = office.meeting()
    meetings.cancel(office.conn, OP, meeting_id, "Ofsted visit")
    with pytest.raises(InvalidInput):
        meetings.cancel(office.conn, OP, meeting_id, "again")
    with pytest.raises(InvalidInput):
        meetings.update(office.conn, Identity.operator(), meeting_id, meetings.MeetingInput(
            body_id=office.board_id, title="x", starts_at=at("2031-01-01T18:00"),
            ends_at=at("2031-01-01T19:00"), location="Hall"))


def test_a_committee_with_meetings_is_not_deleted_and_the_clerk_is_told_why(signed_in,
                                                                             office):
    from gvo.board import bodies

    client, _ = signed_in("manager")
    office.meeting(body_id=office.committee_id, days=-10)
    resp = client.post(f"/alpha/board/{office.committee_id}/delete", {"confirmed": "1"},
                       form_page=f"/alpha/board/{office.committee_id}")
    assert resp.status_code == 302
    page = client.get("/alpha/board").get_data(as_text=True)
    assert "Finance cannot be deleted: it has 1 meeting on record" in page
    assert bodies.get_body(office.conn, office.committee_id)["name"] == "Finance"
    # A committee that never met is deleted as before.
    spare = bodies.save_body(office.conn, OP, body_id=None, kind="committee", name="Spare")
    client.post(f"/alpha/board/{spare}/delete", {"confirmed": "1"},
                form_page=f"/alpha/board/{spare}")
    assert [b["name"] for b in bodies.list_bodies(office.conn)] == [
        "Full Governing Board", "Finance"]


def test_numbers_and_dates_in_full_width_digits_are_read_and_nonsense_is_refused(signed_in,
                                                                                office):
    from gvo.meetings import agenda, minutes

    client, _ = signed_in("manager")
    resp = client.post("/alpha/meetings/new", _form(
        office.board_id, starts_at="２０３１-03-04T１８:００", ends_at="２０３１-03-04T２０:００"),
        form_page="/alpha/meetings/new")
    assert resp.status_code == 302
    meeting_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert meetings.get(office.conn, meeting_id)["starts_at"] == "2031-03-04T18:00"
    page = f"/alpha/meetings/{meeting_id}"
    client.post(f"{page}/agenda", {"title": "Budget", "purpose": "decision", "minutes": "１５"},
                form_page=page)
    item = agenda.items(office.conn, meeting_id)[0]
    assert item["minutes"] == 15
    client.post(f"{page}/minutes", {
        f"a{item['id']}-text": "Write to the trust", f"a{item['id']}-owner_id": "0",
        f"a{item['id']}-due_on": "２０３１-04-01"}, form_page=f"{page}/minutes")
    assert minutes.for_meeting(office.conn, meeting_id, None)["part1"][0]["actions"][0][
        "due_on"] == "2031-04-01"
    month = client.get("/alpha/meetings/calendar?year=２０３１&month=３").get_data(as_text=True)
    assert "March 2031" in month

    # Nonsense and numbers beyond any id: a message or the default, never an error page.
    for value in ("99999999999999999999", "1e3", "１５分", "-1"):
        assert client.get(f"/alpha/meetings?body={value}").status_code == 200
        assert client.get(f"/alpha/meetings/calendar?year={value}&month=3").status_code in (
            200, 404)
        resp = client.post(f"{page}/agenda", {"title": "X", "purpose": "information",
                                              "minutes": value}, form_page=page)
        # The form again, the error beside the minutes field.
        assert resp.status_code == 422 and 'id="item-minutes-error"' in client.last_text
        resp = client.post(f"{page}/approve-minutes", {"meeting_id": value}, form_page=page)
        assert resp.status_code == 302
        assert "Choose the meeting whose minutes are approved" in client.get(page).get_data(
            as_text=True)
    assert len(agenda.items(office.conn, meeting_id)) == 1
