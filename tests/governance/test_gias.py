"""The GIAS change log: appointments, stepping down and chair changes logged in the same
transaction; a 14-day countdown; "reported on" ticked by the clerk, audited."""

import json
from datetime import UTC, date, datetime

import pytest

from gvo.board import bodies
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.governance import gias, records

OP = Identity.operator()


def _at(day: str, clock) -> None:
    clock.t = datetime.fromisoformat(day + "T12:00:00").replace(tzinfo=UTC).timestamp()


def test_changes_are_logged_counted_down_and_ticked(board, make_user, clock, signed_in):
    conn, board_id, _ = board
    _at("2025-03-10", clock)
    gov = make_user()
    rid = records.save(conn, OP, gov.id, records.RecordInput(
        category="parent", appointed_on=date(2025, 3, 1)))
    records.add_position(conn, OP, rid, "chair", date(2025, 3, 5))
    bodies.remove_member(conn, OP, board_id, gov.id)
    rows = gias.changes(conn)
    assert [r["kind"] for r in rows] == ["appointed", "chair", "stepped-down"]
    assert [gias.days_left(r) for r in rows] == [5, 9, 14]
    _at("2025-03-20", clock)
    assert gias.days_left(rows[0]) == -5
    client, _ = signed_in("manager")
    page = client.get("/alpha/governors/gias").get_data(as_text=True)
    assert "Overdue by 5 days" in page and "9 days" not in page
    resp = client.post(f"/alpha/governors/gias/{rows[0]['id']}/reported",
                       {"reported_on": "2025-03-18"}, form_page="/alpha/governors/gias")
    assert resp.status_code == 302
    row = gias.changes(conn)[-1]
    assert row["reported_on"] == "2025-03-18" and gias.days_left(row) is None
    entry = conn.execute("SELECT detail FROM audit_log WHERE action = 'gias.reported'").fetchone()
    assert json.loads(entry["detail"]) == {"before": None, "after": "2025-03-18"}
    with pytest.raises(InvalidInput):
        gias.mark_reported(conn, OP, rows[1]["id"], date(2025, 3, 1))  # before it happened


def test_a_refused_change_logs_nothing(board, make_user):
    conn, _, _ = board
    gov = make_user()
    with pytest.raises(InvalidInput):
        records.save(conn, OP, gov.id, records.RecordInput(
            category="parent", appointed_on=date(2025, 3, 1), term_years=9))
    assert gias.changes(conn) == []
