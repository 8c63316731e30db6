"""Quorum: half the governors in office (vacancies left out), rounded up; associate members
and non-governors never counted; committees at least three governors; frozen in a locked
register; the same figure on every page and the PDF."""

import json
from datetime import timedelta

import pytest

from gvo.board import bodies
from gvo.core import dates
from gvo.core.errors import InvalidInput
from gvo.governance import places
from gvo.meetings import attendance, records
from tests.governance.board import OP, board  # noqa: F401 (the fixture)

CATEGORIES = ["parent", "parent", "staff", "headteacher", "local-authority"] + ["co-opted"] * 6


def _full_board(board, places_by_category=None):  # noqa: F811
    """12 places, 11 governors in office (one co-opted place vacant) and 2 associates."""
    places.set_places(board.conn, OP, board.board_id, places_by_category or {
        "parent": "2", "staff": "1", "headteacher": "1", "local-authority": "1",
        "co-opted": "7", "associate": "2"})
    governors = [board.governor(f"Governor {n}", cat) for n, cat in enumerate(CATEGORIES)]
    associates = [board.governor(f"Associate {n}", "associate") for n in range(2)]
    return governors, associates


def test_acceptance_quorum_with_vacancies_and_associate_members(board):  # noqa: F811
    governors, associates = _full_board(board)
    meeting_id = board.meeting()
    # Five governors and both associates present: 7 people, but only 5 governors.
    board.register(meeting_id, governors[:5] + associates, governors[5:])
    q = attendance.quorum(board.conn, meeting_id)
    assert q.needed == 6  # half of 11 governors in office, rounded up (not of 12 places)
    assert q.present == 5 and not q.quorate
    assert q.rule == "half of the 11 governors in office (12 places, 1 vacancy), rounded up: 6"
    board.register(meeting_id, governors[5:6])
    assert attendance.quorum(board.conn, meeting_id).quorate


def test_the_rule_names_the_places_and_the_vacancy(board):  # noqa: F811
    _full_board(board, {"parent": "2", "staff": "1", "headteacher": "1",
                        "local-authority": "1", "co-opted": "7"})
    rule = bodies.quorum_rule(board.conn, board.board_id)
    assert rule.rule == "half of the 11 governors in office (12 places, 1 vacancy), rounded up: 6"
    assert (rule.needed, rule.in_office, rule.places, rule.vacancies) == (6, 11, 12, 1)
    assert "reg. 14(1)" in rule.source


def test_observers_and_guests_never_count(board):  # noqa: F811
    a, b, c = (board.governor(n) for n in ("Ann", "Ben", "Cat"))
    meeting_id = board.meeting()
    attendance.add_guest(board.conn, OP, meeting_id, "Olive Observer", "observer")
    board.register(meeting_id, [a], [b, c])
    q = attendance.quorum(board.conn, meeting_id)
    assert (q.present, q.needed, q.quorate) == (1, 2, False)


def test_governors_in_office_on_the_meetings_date(board):  # noqa: F811
    day = dates.today() - timedelta(days=1)  # the meeting's date
    a = board.governor("Ann", appointed_on="2024-01-01")
    board.governor("Ben", appointed_on=(day + timedelta(days=1)).isoformat())  # not yet
    board.governor("Cat", stepped_down_on=day.isoformat())  # left that day
    board.governor("Dan", stepped_down_on=(day + timedelta(days=1)).isoformat())  # still on
    meeting_id = board.meeting()
    board.register(meeting_id, [a])
    q = attendance.quorum(board.conn, meeting_id)
    assert (q.needed, q.present) == (1, 1)  # half of Ann and Dan
    assert "half of the 2 governors in office" in q.rule


def test_committee_quorum_is_at_least_three_governors_who_are_members(board):  # noqa: F811
    govs = [board.governor(f"Gov {n}") for n in range(3)]
    assoc = board.governor("Assoc", "associate")
    for uid in govs + [assoc]:
        bodies.add_member(board.conn, OP, board.committee_id, uid, "member")
    meeting_id = board.meeting(body_id=board.committee_id)
    board.register(meeting_id, govs[:2] + [assoc])
    q = attendance.quorum(board.conn, meeting_id)
    assert (q.needed, q.present, q.quorate) == (3, 2, False)
    assert "3 governors who are members of Resources" in q.rule
    bodies.save_body(board.conn, OP, body_id=board.committee_id, kind="committee",
                     name="Resources", quorum_text="4")
    assert attendance.quorum(board.conn, meeting_id).needed == 4


@pytest.mark.parametrize("typed", ["2", "0", "٢"])
def test_a_committee_quorum_below_three_is_refused(board, typed):  # noqa: F811
    with pytest.raises(InvalidInput, match="Quorum must be between 3 and 100"):
        bodies.save_body(board.conn, OP, body_id=board.committee_id, kind="committee",
                         name="Resources", quorum_text=typed)


def test_the_board_quorum_is_set_by_law_not_typed(board):  # noqa: F811
    with pytest.raises(InvalidInput, match="the law sets the governing board's quorum"):
        bodies.save_body(board.conn, OP, body_id=board.board_id, kind="board",
                         name="Full Governing Board", quorum_text="5")


def test_excluding_declarants_from_an_items_quorum(board):  # noqa: F811
    a, b, c, d = (board.governor(n) for n in ("Ann", "Ben", "Cat", "Dan"))
    meeting_id = board.meeting()
    board.register(meeting_id, [a, b, c], [d])
    q = attendance.quorum(board.conn, meeting_id, excluding={b})
    assert (q.present, q.needed) == (2, 2) and b not in q.counted
    assert attendance.quorum(board.conn, meeting_id, excluding={b, c}).present == 1
    assert attendance.quorum(board.conn, meeting_id, excluding={d}).present == 3  # absent
    attendance.lock_attendance_register(board.conn, OP, meeting_id)
    assert attendance.quorum(board.conn, meeting_id, excluding={b, c}).present == 1
    assert attendance.quorum(board.conn, meeting_id).present == 3


def test_a_locked_register_keeps_its_quorum_when_places_and_records_change(board):  # noqa: F811
    governors, associates = _full_board(board)
    meeting_id = board.meeting()
    board.register(meeting_id, governors[:6] + associates, governors[6:])
    attendance.lock_attendance_register(board.conn, OP, meeting_id)
    before = attendance.quorum(board.conn, meeting_id)
    snapshot = records.load(board.conn, meeting_id, "attendance_register")
    assert snapshot["version"] == 2 and snapshot["quorum"]["needed"] == 6
    assert snapshot["quorum"]["detail"]["vacancies"] == 1
    assert set(snapshot["quorum"]["counted"]) == set(governors[:6])

    places.set_places(board.conn, OP, board.board_id, {"co-opted": "20"})
    for uid in governors[:4]:
        bodies.remove_member(board.conn, OP, board.board_id, uid)
    for n in range(7):
        board.governor(f"Newcomer {n}", "co-opted")
    after = attendance.quorum(board.conn, meeting_id)
    assert (after.present, after.needed, after.rule) == (before.present, before.needed,
                                                         before.rule)
    assert bodies.quorum_rule(board.conn, board.board_id).rule == (  # the live rule moved on
        "half of the 14 governors in office (25 places, 11 vacancies), rounded up: 7")


def test_an_old_version_1_snapshot_still_reads(board):  # noqa: F811
    a, b = board.governor("Ann"), board.governor("Ben")
    meeting_id = board.meeting()
    board.register(meeting_id, [a, b])
    attendance.lock_attendance_register(board.conn, OP, meeting_id)
    old = {"version": 1, "taken_at": "2024-01-01T00:00:00Z", "late": False,
           "body": {"id": board.board_id, "name": "Full Governing Board", "kind": "board",
                    "quorum_setting": None},
           "members": [{"user_id": a, "name": "Ann", "position": "member", "category": "",
                        "status": "present", "reply": "", "reason": ""},
                       {"user_id": b, "name": "Ben", "position": "member", "category": "",
                        "status": "present", "reply": "", "reason": ""}],
           "guests": [], "quorum": {"present": 2, "needed": 1,
                                    "rule": "half of the 2 members, rounded up"}}
    board.conn.execute("UPDATE meeting_records SET attendance_register = ?"
                       " WHERE meeting_id = ?", (json.dumps(old), meeting_id))
    q = attendance.quorum(board.conn, meeting_id)
    assert (q.present, q.needed, q.rule) == (2, 1, "half of the 2 members, rounded up")
    assert attendance.quorum(board.conn, meeting_id, excluding={a}).present == 1


def test_every_page_and_the_pdf_show_the_same_quorum(signed_in, board):  # noqa: F811
    governors, associates = _full_board(board)
    meeting_id = board.meeting()
    board.register(meeting_id, governors[:6] + associates, governors[6:])
    client, _ = signed_in("manager")
    said = "Quorum: 6 (half of the 11 governors in office (12 places, 1 vacancy), rounded up: 6)"
    for path in (f"/alpha/meetings/{meeting_id}", f"/alpha/meetings/{meeting_id}/register",
                 f"/alpha/meetings/{meeting_id}/minutes"):
        page = client.get(path).get_data(as_text=True)
        assert said in page, path
        assert "Present: 6" in page or "6 present" in page, path
    attendance.lock_attendance_register(board.conn, OP, meeting_id)
    places.set_places(board.conn, OP, board.board_id, {"co-opted": "9"})
    for path in (f"/alpha/meetings/{meeting_id}", f"/alpha/meetings/{meeting_id}/register",
                 f"/alpha/meetings/{meeting_id}/minutes"):
        assert said in client.get(path).get_data(as_text=True), path
    board_page = client.get("/alpha/board").get_data(as_text=True)
    assert "half of the 11 governors in office (14 places, 3 vacancies), rounded up: 6" in \
        board_page
