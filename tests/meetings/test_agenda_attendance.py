"""Agenda (numbering, htmx reorder) and attendance (replies, register, lock, quorum, report)."""

import csv
import io
from datetime import date

import pytest
from pypdf import PdfReader

from gvo.core import audit
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.meetings import agenda, attendance, meetings

from .conftest import OP


def test_items_are_numbered_and_reordered_with_htmx(signed_in, office):
    client, _ = signed_in("manager")
    meeting_id = office.meeting()
    page = f"/alpha/meetings/{meeting_id}"
    for title, purpose in [("Welcome and apologies", "information"),
                           ("Budget 2031", "decision"), ("Safeguarding report", "discussion")]:
        resp = client.post(f"{page}/agenda", {"title": title, "purpose": purpose,
                                              "presenter": "Chair", "minutes": "15"},
                           form_page=page)
        assert resp.status_code == 302
    items = agenda.items(office.conn, meeting_id)
    assert [(i["number"], i["title"]) for i in items] == [
        ("1", "Welcome and apologies"), ("2", "Budget 2031"), ("3", "Safeguarding report")]
    budget = items[1]["id"]
    resp = client.post(f"{page}/agenda/{budget}/move", {"direction": "up"}, form_page=page,
                       headers={"HX-Request": "true"})
    assert resp.status_code == 200
    fragment = resp.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="agenda-list">')
    assert fragment.index("1. Budget 2031") < fragment.index("2. Welcome and apologies")
    # Without htmx the same form redirects back to the page.
    resp = client.post(f"{page}/agenda/{budget}/move", {"direction": "down"}, form_page=page)
    assert resp.status_code == 302
    assert [i["title"] for i in agenda.items(office.conn, meeting_id)][:2] == [
        "Welcome and apologies", "Budget 2031"]
    assert "agenda.move" in {e["action"] for e in audit.recent(office.conn)}


def test_edit_and_delete_an_item(signed_in, office):
    client, _ = signed_in("manager")
    meeting_id = office.meeting()
    first = office.item(meeting_id, "Minutes of last meeting")
    second = office.item(meeting_id, "Any other business")
    url = f"/alpha/meetings/{meeting_id}/agenda/{first}"
    resp = client.post(url, {"title": "Staff pay", "purpose": "decision", "presenter": "Head",
                       "minutes": "20", "confidential": "y"}, form_page=url)
    assert resp.status_code == 302
    row = agenda.get_item(office.conn, first)
    assert (row["title"], row["purpose"], row["confidential"]) == ("Staff pay", "decision", 1)
    client.post(f"{url}/delete", {"confirmed": "1"}, form_page=url)
    assert [i["id"] for i in agenda.items(office.conn, meeting_id)] == [second]
    assert agenda.items(office.conn, meeting_id)[0]["number"] == "1"


def test_members_reply_and_apologies_need_a_reason(signed_in, office):
    client, governor = signed_in("author")
    office.member(governor.id)
    meeting_id = office.meeting()
    page = f"/alpha/meetings/{meeting_id}"
    resp = client.post(f"{page}/reply", {"reply": "apologies", "reason": ""}, form_page=page)
    assert resp.status_code == 422 and "give a reason" in resp.get_data(as_text=True)
    assert attendance.replies(office.conn, meeting_id) == {}
    client.post(f"{page}/reply", {"reply": "apologies", "reason": "Parents' evening"},
                form_page=page)
    assert attendance.replies(office.conn, meeting_id)[governor.id]["reason"] == (
        "Parents' evening")
    # Someone not on the board cannot reply.
    with pytest.raises(InvalidInput):
        attendance.reply(office.conn, OP, meeting_id, office.person("Nobody", on_board=False),
                         "attending")


def test_clerk_takes_the_register_adds_guests_and_locks_it(signed_in, office):
    client, _clerk = signed_in("manager")
    a, b, c = (office.person(n) for n in ("Ann Able", "Ben Bold", "Cat Cole"))
    meeting_id = office.meeting(days=-1)
    attendance.reply(office.conn, OP, meeting_id, b, "apologies", "Ill")
    url = f"/alpha/meetings/{meeting_id}/register"
    page = client.get(url).get_data(as_text=True)
    assert "Ann Able" in page and "Ill" in page
    client.post(url, {f"status-{a}": "present", f"status-{b}": "apologies_accepted",
                f"status-{c}": "absent"}, form_page=url)
    client.post(f"{url}/guests", {"name": "Dee Auditor", "kind": "observer",
                                  "organisation": "Trust"}, form_page=url)
    assert [g["name"] for g in attendance.guests(office.conn, meeting_id)] == ["Dee Auditor"]
    # Locking needs the clerk's confirmation: without the tick box nothing is locked.
    client.post(f"{url}/lock", {}, form_page=url)
    assert "tick the box" in client.get(url).get_data(as_text=True)
    assert not meetings.get(office.conn, meeting_id)["attendance_register_locked_at"]
    client.post(f"{url}/lock", {"confirm": "y"}, form_page=url)
    page = client.get(url).get_data(as_text=True)
    assert "cannot change" in page and "Save register" not in page

    # A locked register cannot change: not through the page, not through the service.
    client.post(url, {f"status-{a}": "absent"}, form_page=f"/alpha/meetings/{meeting_id}")
    assert {r["user_id"]: r["status"]
            for r in attendance.attendance_register(office.conn, meeting_id)}[a] == "present"
    with pytest.raises(InvalidInput, match="locked"):
        attendance.save_attendance_register(office.conn, OP, meeting_id, {a: "absent"})
    with pytest.raises(InvalidInput, match="locked"):
        attendance.add_guest(office.conn, OP, meeting_id, "Late guest", "guest")
    with pytest.raises(InvalidInput, match="locked"):
        attendance.reply(office.conn, OP, meeting_id, c, "attending")
    with pytest.raises(InvalidInput, match="already locked"):
        attendance.lock_attendance_register(office.conn, OP, meeting_id)
    actions = {e["action"] for e in audit.recent(office.conn)}
    assert {"attendance.register", "attendance.guest_add", "attendance.lock",
            "attendance.reply"} <= actions


@pytest.mark.parametrize(("members", "present", "quorate"), [
    (4, 1, False), (4, 2, True),     # half of 4 = 2
    (5, 2, False), (5, 3, True),     # half of 5, rounded up = 3
])
def test_board_quorum_is_half_the_members_rounded_up(office, members, present, quorate):
    ids = [office.person(f"Member {n}") for n in range(members)]
    meeting_id = office.meeting(days=-1)
    statuses = {uid: ("present" if n < present else "absent") for n, uid in enumerate(ids)}
    attendance.save_attendance_register(office.conn, OP, meeting_id, statuses)
    q = attendance.quorum(office.conn, meeting_id)
    assert (q.present, q.quorate) == (present, quorate)
    assert q.needed == -(-members // 2)


@pytest.mark.parametrize(("present", "quorate"), [(2, False), (3, True)])
def test_committee_quorum_is_its_set_number_of_governors(office, present, quorate):
    ids = [office.person(f"Fin {n}") for n in range(5)]
    outsider = office.person("Not A Governor", on_board=False)
    for uid in ids + [outsider]:
        office.member(uid, office.committee_id)
    meeting_id = office.meeting(body_id=office.committee_id, days=-1)
    attendance.save_attendance_register(office.conn, OP, meeting_id, {
        uid: "present" if n < present else "apologies_accepted" for n, uid in enumerate(ids)}
        | {outsider: "present"})  # a member who is not a governor never counts (reg. 22(2))
    q = attendance.quorum(office.conn, meeting_id)
    assert (q.needed, q.present, q.quorate) == (3, present, quorate)


def test_quorum_is_shown_on_the_register_and_the_minutes(signed_in, office):
    client, _ = signed_in("manager")
    a, b = office.person("Ann Able"), office.person("Ben Bold")
    office.person("Cat Cole")
    meeting_id = office.meeting(days=-1)
    attendance.save_attendance_register(office.conn, OP, meeting_id,
                             {a: "present", b: "absent"})
    page = client.get(f"/alpha/meetings/{meeting_id}/register").get_data(as_text=True)
    assert "Quorum: 2" in page and "Not quorate" in page
    attendance.save_attendance_register(office.conn, OP, meeting_id, {b: "present"})
    page = client.get(f"/alpha/meetings/{meeting_id}/minutes").get_data(as_text=True)
    assert "Quorum: 2" in page and "quorate" in page and "not quorate" not in page


def test_attendance_report_page_csv_and_pdf(signed_in, office):
    client, _ = signed_in("reader")
    a, b = office.person("Ann Able"), office.person("=Ben Bold")
    first, second = office.meeting(days=-60), office.meeting(days=-30)
    outside = office.meeting(days=-400)
    attendance.save_attendance_register(office.conn, OP, first, {a: "present", b: "present"})
    attendance.save_attendance_register(office.conn, OP, second,
                                        {a: "present", b: "apologies_accepted"})
    attendance.save_attendance_register(office.conn, OP, outside, {a: "absent", b: "absent"})
    today = date.today()
    rows, count = attendance.report(office.conn, office.board_id,
                                    date(today.year - 1, today.month, 1), today)
    assert count == 2
    assert [(r.name, r.attended, r.eligible, r.percent) for r in rows] == [
        ("=Ben Bold", 1, 2, 50), ("Ann Able", 2, 2, 100)]
    start = date(today.year - 1, today.month, 1).isoformat()
    args = f"body_id={office.board_id}&start={start}&end={today.isoformat()}"
    page = client.get(f"/alpha/meetings/attendance?{args}").get_data(as_text=True)
    assert "Ann Able" in page and "100%" in page and "50%" in page
    resp = client.download(f"/alpha/meetings/attendance.csv?{args}")
    assert resp.headers["Content-Disposition"].startswith("attachment")
    table = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0] == ["Name", "Attended", "Apologies accepted", "Absent", "Eligible",
                        "Percentage"]
    assert ["'=Ben Bold", "1", "1", "0", "2", "50"] in table  # no spreadsheet formula
    resp = client.download(f"/alpha/meetings/attendance.pdf?{args}")
    assert resp.headers["Cache-Control"] == "no-store"
    text = PdfReader(io.BytesIO(resp.data)).pages[0].extract_text()
    assert "Ann Able" in text and "100%" in text
    assert client.get("/alpha/meetings/attendance.csv?body_id=x").status_code == 400


def test_a_reader_not_on_the_board_sees_no_confidential_item(office):
    reader = Identity(office.person("Rita Reader", "reader", on_board=False), "reader")
    member = Identity(office.person("Gail Governor"), "author")
    meeting_id = office.meeting()
    office.item(meeting_id, "Open item")
    office.item(meeting_id, "Headteacher pay review", confidential=True)
    office.item(meeting_id, "Close")
    # Part 2 is numbered apart (C1...): the outsider's agenda has no gap that gives it away.
    assert [(i["number"], i["title"]) for i in agenda.items(office.conn, meeting_id, reader)] == [
        ("1", "Open item"), ("2", "Close")]
    assert [i["number"] for i in agenda.items(office.conn, meeting_id, member)] == [
        "1", "C1", "2"]


def test_an_outsiders_agenda_has_no_gap_and_every_view_agrees(signed_in, new_client,
                                                               make_user, office):
    from conftest import pdf_text, sign_in

    from gvo.meetings import minutes

    client, _ = signed_in("manager")
    reader = make_user("alpha", "reader")
    rclient = new_client()
    sign_in(rclient, reader)
    meeting_id = office.meeting(days=-20)
    later = office.meeting(days=-1)
    for title, secret in (("Welcome", False), ("Pay review", True), ("Budget", False),
                          ("Exclusion appeal", True), ("Close", False)):
        office.item(meeting_id, title, confidential=secret)
    page = f"/alpha/meetings/{meeting_id}"
    outsider = rclient.get(page).get_data(as_text=True)
    assert "1. Welcome" in outsider and "2. Budget" in outsider and "3. Close" in outsider
    # "C1. " as the agenda shows it: a bare "C1" turns up in random CSRF tokens on the page.
    assert "Pay review" not in outsider and "C1. " not in outsider
    pack = " ".join(pdf_text(rclient.download(f"{page}/pack.pdf").data).split())
    assert "1 Welcome" in pack and "2 Budget" in pack and "3 Close" in pack and "C1" not in pack
    insider = client.get(page).get_data(as_text=True)
    assert "C1. Pay review" in insider and "C2. Exclusion appeal" in insider
    assert "3. Close" in insider
    pack = " ".join(pdf_text(client.download(f"{page}/pack.pdf").data).split())
    assert "C1 Pay review" in pack and "3 Close" in pack

    attendance.save_attendance_register(office.conn, OP, meeting_id,
                                        {office.person("Ann Able"): "present"})
    attendance.lock_attendance_register(office.conn, OP, meeting_id)
    minutes.circulate(office.conn, OP, meeting_id)
    minutes.approve(office.conn, OP, meeting_id, later, "Alpha Primary")
    text = pdf_text(rclient.download(f"{page}/minutes.pdf").data)
    assert "1. Welcome" in text and "2. Budget" in text and "3. Close" in text
    outsider = rclient.get(page).get_data(as_text=True)
    assert "3. Close" in outsider and "C1. " not in outsider
    assert "C2. Exclusion appeal" in client.get(f"{page}/minutes").get_data(as_text=True)


def test_page_anchors_name_items_by_number_never_by_database_id(signed_in, new_client,
                                                               make_user, office):
    """An outsider's page holds no anchor from which a hidden item's id could be read (item
    ids 1, 3 around a hidden 2 would give it away); the clerk's redirects use numbers too."""
    import re

    from conftest import sign_in

    from gvo.meetings import minutes

    client, _ = signed_in("manager")
    reader = make_user("alpha", "reader")
    rclient = new_client()
    sign_in(rclient, reader)
    meeting_id = office.meeting(days=-20)
    ids = [office.item(meeting_id, title, confidential=secret)
           for title, secret in (("Welcome", False), ("Pay review", True), ("Budget", False))]
    page = f"/alpha/meetings/{meeting_id}"
    minutes_page = f"{page}/minutes"
    resp = client.post(minutes_page, {f"a{ids[1]}-text": "", "at": str(ids[1])},
                       form_page=minutes_page)
    assert resp.headers["Location"].endswith("#minutes-C1")
    resp = client.post(f"{page}/agenda/{ids[2]}/link", {"ref": ""}, form_page=page)
    assert resp.headers["Location"].endswith("#item-2")
    minutes.circulate(office.conn, OP, meeting_id)
    outsider = rclient.get(page).get_data(as_text=True)
    anchors = re.findall(r'id="((?:item|minutes)[-\w]*)"', outsider)
    assert anchors == ["item-1", "item-h-1", "item-2", "item-h-2", "minutes", "minutes-1",
                       "minutes-2"]
    assert f"item-{ids[2]}" not in outsider and f"minutes-{ids[2]}" not in outsider
    insider = client.get(page).get_data(as_text=True)
    assert 'id="item-C1"' in insider and 'id="minutes-C1"' in insider


def test_a_refused_item_names_the_field_that_is_wrong(signed_in, office):
    # Attack 4: an agenda item with an invalid purpose was refused with "An agenda item
    # needs a title; minutes are a whole number." (both were fine).
    client, _ = signed_in("manager")
    meeting_id = office.meeting()
    page = f"/alpha/meetings/{meeting_id}"
    ids = {"purpose": "purpose", "minutes": "item-minutes", "title": "title"}
    for sent, wrong in (({"purpose": "vote"}, "purpose"), ({"minutes": "601"}, "minutes"),
                        ({"title": ""}, "title")):
        form = {"title": "Budget", "purpose": "decision", "presenter": "Chair",
                "minutes": "15"} | sent
        resp = client.post(f"{page}/agenda", form, form_page=page)
        # The meeting page again (422), the error beside the field that is wrong, only there.
        assert resp.status_code == 422
        shown = resp.get_data(as_text=True)
        assert f'id="{ids[wrong]}-error"' in shown
        for other in set(ids) - {wrong}:
            assert f'id="{ids[other]}-error"' not in shown
        assert "needs a title; minutes are a whole number" not in shown
    assert agenda.items(office.conn, meeting_id) == []


def test_every_refusal_of_an_item_or_a_meeting_names_a_field_of_its_form(office):
    # The services' refusals say which input is wrong (InvalidInput.field), so the pages put
    # each beside that field (gvo.web.forms.error_beside), never beside the title by default.
    from datetime import datetime

    from gvo.blueprints.meetings.forms import ItemForm, MeetingForm

    item_fields = {name for name in ItemForm.__dict__ if not name.startswith("_")}
    for bad, field in (({"title": ""}, "title"), ({"purpose": "vote"}, "purpose"),
                       ({"minutes": 601}, "minutes"), ({"presenter": "x" * 121}, "presenter")):
        with pytest.raises(InvalidInput) as refused:
            agenda.ItemInput(**({"title": "Budget", "purpose": "decision"} | bad)).check()
        assert refused.value.field == field and field in item_fields
    meeting_fields = {name for name in MeetingForm.__dict__ if not name.startswith("_")}
    start = datetime(2031, 3, 4, 18, 0)
    good = {"body_id": office.board_id, "title": "Board", "starts_at": start,
            "ends_at": start.replace(hour=20), "location": "Hall"}
    for bad, field in (({"title": ""}, "title"), ({"ends_at": start}, "ends_at"),
                       ({"ends_at": start.replace(day=6)}, "ends_at"),
                       ({"location": ""}, "location"),
                       ({"online_link": "http://x.example"}, "online_link"),
                       ({"location": "x" * 301}, "location"),
                       ({"description": "x" * 4001}, "description"),
                       ({"starts_at": datetime(2031, 3, 30, 1, 30)}, "starts_at"),
                       ({"starts_at": start.replace(year=1066)}, "starts_at")):
        data = meetings.MeetingInput(**(good | bad))
        with pytest.raises(InvalidInput) as refused:
            data.check(office.conn)
        assert refused.value.field == field and field in meeting_fields, (bad, refused.value)


def test_a_meetings_refusal_shows_beside_the_field_it_names(signed_in, office):
    from .test_meetings import _form

    client, _ = signed_in("manager")
    resp = client.post("/alpha/meetings/new", _form(office.board_id, location=""),
                       form_page="/alpha/meetings/new")
    assert resp.status_code == 422
    assert 'id="location-error"' in client.last_text and 'id="title-error"' not in client.last_text
    assert "Give a location, an online link, or both." in client.last_text
