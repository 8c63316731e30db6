"""Declarations of interest against agenda items: recorded by the clerk, in the meeting's
minutes (page, snapshot, PDF), the declarant who withdrew left out of that item's quorum,
refused once the minutes are approved, audited."""

import pytest
from conftest import pdf_text

from gvo.core.errors import InvalidInput, NotPermitted
from gvo.core.identity import Identity
from gvo.meetings import attendance, declarations, minutes, records

from .conftest import OP


@pytest.fixture
def held(office):
    """A board meeting held two days ago: four members, all present; item "Roof repairs"
    (quorum: half of 4 = 2)."""
    ids = [office.person(n) for n in ("Ann Able", "Ben Best", "Cat Cole", "Dan Dale")]
    meeting = office.meeting(days=-2)
    item = office.item(meeting, "Roof repairs")
    other = office.item(meeting, "Headteacher's report")
    attendance.save_attendance_register(office.conn, OP, meeting,
                                        {uid: "present" for uid in ids})
    return meeting, item, other, ids


def _approve(office, meeting):
    attendance.lock_attendance_register(office.conn, OP, meeting)
    minutes.circulate(office.conn, OP, meeting)
    later = office.meeting(days=-1, title="Next board meeting")
    minutes.approve(office.conn, OP, meeting, later, "Alpha Primary")


def test_the_clerk_records_a_declaration_that_the_minutes_show(signed_in, office, held):
    meeting, item, other, (ann, *_rest) = held
    client, _clerk = signed_in("manager")
    editor = f"/alpha/meetings/{meeting}/minutes"
    resp = client.post(f"/alpha/meetings/{meeting}/agenda/{item}/declarations",
                       {f"d{item}-user_id": str(ann), f"d{item}-interest":
                        "Director of Meadow Build Ltd, which quoted", f"d{item}-withdrew": "y"},
                       form_page=editor)
    assert resp.status_code == 302
    shown = [client.get(editor).get_data(as_text=True)]
    minutes.circulate(office.conn, OP, meeting)  # the meeting page shows circulated minutes
    shown.append(client.get(f"/alpha/meetings/{meeting}").get_data(as_text=True))
    for text in shown:
        assert "Ann Able: Director of Meadow Build Ltd, which quoted (withdrew for this item)" \
            in text
        # The item's own quorum: 3 of the 4 present count, 2 needed.
        assert 'data-testid="item-quorum-1"' in text and 'data-testid="item-quorum-2"' not in text
        assert "Quorum for this item: 2" in text and "3 present: quorate" in text
    entry = office.conn.execute("SELECT detail FROM audit_log WHERE action ="
                                " 'declaration.record'").fetchone()
    assert '"withdrew": 1' in entry["detail"] and f'"user": {ann}' in entry["detail"]


def test_bad_declarations_are_shown_beside_their_field(signed_in, office, held):
    meeting, item, _other, (ann, *_rest) = held
    client, _clerk = signed_in("manager")
    outsider = office.person("Olive Outsider", on_board=False)
    editor = f"/alpha/meetings/{meeting}/minutes"
    resp = client.post(f"/alpha/meetings/{meeting}/agenda/{item}/declarations",
                       {f"d{item}-user_id": str(ann), f"d{item}-interest": " "},
                       form_page=editor)
    assert resp.status_code == 422 and f'id="d{item}-interest-error"' in client.last_text
    resp = client.post(f"/alpha/meetings/{meeting}/agenda/{item}/declarations",
                       {f"d{item}-user_id": str(outsider), f"d{item}-interest": "Something"},
                       form_page=editor)
    assert resp.status_code == 422 and f'id="d{item}-user_id-error"' in client.last_text
    assert declarations.for_item(office.conn, item) == []


def test_only_those_who_manage_meetings_record_declarations(signed_in, office, held):
    meeting, item, _other, (ann, *_rest) = held
    client, member = signed_in("editor")
    office.member(member.id)
    resp = client.post(f"/alpha/meetings/{meeting}/agenda/{item}/declarations",
                       {f"d{item}-user_id": str(ann), f"d{item}-interest": "x"},
                       form_page="/alpha/profile")
    assert resp.status_code == 403
    with pytest.raises(NotPermitted):
        declarations.declare(office.conn, Identity.load(office.conn, member.id), item, ann,
                             "x", True)
    assert declarations.for_item(office.conn, item) == []


def test_only_those_present_who_withdrew_leave_the_items_quorum(office, held):
    meeting, item, other, (ann, ben, cat, dan) = held
    declarations.declare(office.conn, OP, item, ann, "Director of the contractor", True)
    declarations.declare(office.conn, OP, other, ben, "Married to a teacher", False)
    parts = minutes.for_meeting(office.conn, meeting, None)
    roof, report = parts["part1"]
    assert roof["quorum"]["present"] == 3 and roof["quorum"]["needed"] == 2
    assert report["quorum"] is None  # Ben stayed: no change
    # Two withdraw from one item, and the register is then corrected: one of them was
    # absent. Only the present one is left out. (Recording an absent member as having
    # withdrawn is refused: test_attack10_low.)
    declarations.declare(office.conn, OP, item, cat, "Sister works for the contractor", True)
    attendance.save_attendance_register(office.conn, OP, meeting, {cat: "absent"})
    roof = minutes.for_meeting(office.conn, meeting, None)["part1"][0]
    assert roof["quorum"]["present"] == 2 and roof["quorum"]["withdrew"] == 1
    # With Dan withdrawing too the item is not quorate.
    declarations.declare(office.conn, OP, item, dan, "Quoted for the work himself", True)
    roof = minutes.for_meeting(office.conn, meeting, None)["part1"][0]
    assert roof["quorum"]["present"] == 1 and not roof["quorum"]["quorate"]


def test_declarations_hold_in_approved_minutes_and_their_pdf(signed_in, office, held):
    meeting, item, _other, (ann, ben, *_rest) = held
    declarations.declare(office.conn, OP, item, ann, "Director of Meadow Build Ltd", True)
    _approve(office, meeting)
    snapshot = records.load(office.conn, meeting, "minutes")
    assert snapshot["part1"][0]["declarations"] == [
        {"user_id": ann, "name": "Ann Able", "interest": "Director of Meadow Build Ltd",
         "withdrew": True}]
    # Refused once approved, by the service and through the page.
    with pytest.raises(InvalidInput, match="approved"):
        declarations.declare(office.conn, OP, item, ben, "Late declaration", True)
    with pytest.raises(InvalidInput, match="approved"):
        declarations.remove(office.conn, OP, item, ann)
    client, _clerk = signed_in("manager")
    resp = client.post(f"/alpha/meetings/{meeting}/agenda/{item}/declarations",
                       {f"d{item}-user_id": str(ben), f"d{item}-interest": "Late"},
                       form_page="/alpha/profile")
    assert resp.status_code == 422 and "The minutes are approved" in client.last_text
    assert [d["user_id"] for d in declarations.for_item(office.conn, item)] == [ann]
    # The snapshot holds even if the live row were changed behind the office's back.
    office.conn.execute("UPDATE item_declarations SET interest = 'changed'")
    page = client.get(f"/alpha/meetings/{meeting}").get_data(as_text=True)
    assert "Director of Meadow Build Ltd" in page and "changed" not in page
    assert "Quorum for this item: 2" in page
    text = pdf_text(client.download(f"/alpha/meetings/{meeting}/minutes.pdf").get_data())
    flat = " ".join(text.split())
    assert "Declaration of interest: Ann Able: Director of Meadow Build Ltd" in flat
    assert "withdrew for this item" in flat
    assert "Quorum for this item: 2" in flat and "3 present - quorate" in flat


def test_a_declaration_recorded_in_error_is_removed_asking_first(signed_in, office, held):
    meeting, item, _other, (ann, *_rest) = held
    declarations.declare(office.conn, OP, item, ann, "Typo", True)
    client, _clerk = signed_in("manager")
    url = f"/alpha/meetings/{meeting}/agenda/{item}/declarations/{ann}/remove"
    resp = client.post(url, {}, form_page=f"/alpha/meetings/{meeting}/minutes")
    assert resp.status_code == 200 and 'name="confirmed" value="1"' in client.last_text
    assert declarations.for_item(office.conn, item)
    client.post(url, {"confirmed": "1"})
    assert declarations.for_item(office.conn, item) == []
    entry = office.conn.execute("SELECT detail FROM audit_log WHERE action ="
                                " 'declaration.remove'").fetchone()
    assert '"interest": "Typo"' in entry["detail"]


def test_minutes_approved_before_declarations_existed_still_show(office, held):
    meeting, item, _other, _ids = held
    _approve(office, meeting)
    snapshot = records.load(office.conn, meeting, "minutes")
    for entry in snapshot["part1"]:
        del entry["declarations"]
    import json
    office.conn.execute("UPDATE meeting_records SET minutes = ? WHERE meeting_id = ?",
                        (json.dumps(snapshot), meeting))
    parts = minutes.for_meeting(office.conn, meeting, None)
    assert parts["part1"][0]["quorum"] is None
