"""Issue 10, names: the attendance register is called that in the schema (table
`attendance_register`, columns `attendance_register_locked_at`/`_by`, the frozen snapshot in
`meeting_records.attendance_register`), and a governor's category sits on their place on the
board (table `governors`), not on committee membership. A school upgraded from the release
before keeps what it had."""

import json

import pytest

from gvo.board import bodies
from gvo.core.errors import InvalidInput
from gvo.meetings import attendance, records

from .conftest import OP

NOW = "2026-01-01T00:00:00Z"
SNAPSHOT = {
    "version": 1, "taken_at": NOW, "late": False,
    "body": {"id": 1, "name": "Full Governing Board", "kind": "board", "quorum_setting": None},
    "members": [{"user_id": 1, "name": "Ann Able", "position": "chair", "category": "parent",
                 "status": "present", "reply": "", "reason": ""}],
    "guests": [], "quorum": {"present": 1, "needed": 1, "rule": "half of the 1 members"},
}
OLD_SCHOOL = f"""
    INSERT INTO users(id, email, name, role, created_at, updated_at) VALUES
        (1, 'ann@example.org', 'Ann Able', 'author', '{NOW}', '{NOW}'),
        (2, 'ben@example.org', 'Ben Bold', 'author', '{NOW}', '{NOW}');
    INSERT INTO bodies(id, name, kind) VALUES (1, 'Full Governing Board', 'board');
    INSERT INTO meetings(id, body_id, title, starts_at, ends_at, register_locked_at,
        register_locked_by, created_at, updated_at) VALUES
        (1, 1, 'Autumn', '2025-10-01T18:00', '2025-10-01T20:00', '{NOW}', 1, '{NOW}', '{NOW}'),
        (2, 1, 'Spring', '2026-02-01T18:00', '2026-02-01T20:00', NULL, NULL, '{NOW}', '{NOW}');
    INSERT INTO attendance(meeting_id, user_id, status) VALUES
        (1, 1, 'present'), (2, 1, 'apologies_accepted'), (2, 2, 'absent');
    INSERT INTO meeting_records(meeting_id, register) VALUES (1, '{json.dumps(SNAPSHOT)}');
"""


def test_attendance_registers_kept_by_the_upgrade(upgraded_school):
    conn = upgraded_school(10, OLD_SCHOOL)
    rows = conn.execute("SELECT meeting_id, user_id, status FROM attendance_register"
                        " ORDER BY meeting_id, user_id").fetchall()
    assert [tuple(r) for r in rows] == [(1, 1, "present"), (2, 1, "apologies_accepted"),
                                        (2, 2, "absent")]
    locked = conn.execute("SELECT attendance_register_locked_at, attendance_register_locked_by"
                          " FROM meetings WHERE id = 1").fetchone()
    assert tuple(locked) == (NOW, 1)
    assert records.load(conn, 1, "attendance_register") == SNAPSHOT
    assert attendance.attendance_register(conn, 1) == [SNAPSHOT["members"][0] | {"recorded": True}]
    live = {r["user_id"]: r["status"] for r in attendance.attendance_register(conn, 2)}
    assert live == {1: "apologies_accepted", 2: "absent"}
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'attendance'").fetchone()


OLD_BOARD = f"""
    INSERT INTO users(id, email, name, role, created_at, updated_at) VALUES
        (1, 'ann@example.org', 'Ann Able', 'author', '{NOW}', '{NOW}'),
        (2, 'ben@example.org', 'Ben Bold', 'author', '{NOW}', '{NOW}'),
        (3, 'cat@example.org', 'Cat Cole', 'author', '{NOW}', '{NOW}'),
        (4, 'dan@example.org', 'Dan Dale', 'author', '{NOW}', '{NOW}');
    INSERT INTO bodies(id, name, kind) VALUES (1, 'Full Governing Board', 'board'),
        (2, 'Resources', 'committee'), (3, 'Pupils', 'committee');
    INSERT INTO body_members(body_id, user_id, position, governor_type) VALUES
        (1, 1, 'chair', 'parent'), (2, 1, 'member', ''),
        (1, 2, 'member', ''),
        (2, 3, 'member', 'associate'), (3, 3, 'member', 'co-opted'),
        (2, 4, 'member', '');
"""


def test_governor_categories_move_to_the_board_places_in_the_upgrade(upgraded_school):
    conn = upgraded_school(11, OLD_BOARD)
    held = {r["user_id"]: r["category"] for r in conn.execute("SELECT * FROM governor_records")}
    # Everyone on the board, and the associate member's category (only on committees).
    assert held == {1: "parent", 2: "", 3: "associate"}
    columns = {r["name"] for r in conn.execute("PRAGMA table_info(body_members)")}
    assert columns == {"body_id", "user_id", "position"}
    assert [(m["name"], m["category"]) for m in bodies.members(conn, 2)] == [
        ("Ann Able", "parent"), ("Cat Cole", "associate"), ("Dan Dale", "")]


def test_the_category_is_kept_with_the_place_on_the_board(office):
    ann = office.person("Ann Able", on_board=False)
    bodies.add_member(office.conn, OP, office.board_id, ann, "member", "parent")
    office.member(ann, office.committee_id)
    assert [m["category"] for m in bodies.members(office.conn, office.committee_id)] == ["parent"]
    with pytest.raises(InvalidInput, match="full governing board"):
        bodies.add_member(office.conn, OP, office.committee_id, ann, "chair", "staff")
    assert office.conn.execute("SELECT category FROM governor_records WHERE user_id = ?",
                               (ann,)).fetchone()[0] == "parent"
    bodies.remove_member(office.conn, OP, office.board_id, ann)
    # Leaving the board is stepping down: the governor record stays, dated.
    kept = office.conn.execute("SELECT category, stepped_down_on FROM governor_records"
                               " WHERE user_id = ?", (ann,)).fetchone()
    assert kept["category"] == "parent" and kept["stepped_down_on"]
    assert [m["category"] for m in bodies.members(office.conn, office.committee_id)] == [""]


def test_a_locked_register_keeps_the_category_it_was_taken_with(office):
    ann = office.person("Ann Able", on_board=False)
    bodies.add_member(office.conn, OP, office.board_id, ann, "member", "parent")
    meeting_id = office.meeting(days=-1)
    attendance.save_attendance_register(office.conn, OP, meeting_id, {ann: "present"})
    attendance.lock_attendance_register(office.conn, OP, meeting_id)
    bodies.add_member(office.conn, OP, office.board_id, ann, "member", "co-opted")
    # The register keeps the category as the school named it when it was locked.
    assert [m["category"] for m in attendance.attendance_register(office.conn, meeting_id)] == [
        "Parent governor"]
