"""Issue 10, names: a school upgraded from the release before keeps its attendance registers
(table `attendance_register`, columns `attendance_register_locked_at`/`_by`, the frozen
snapshot in `meeting_records.attendance_register`)."""

import json

from gvo.meetings import attendance, records

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
