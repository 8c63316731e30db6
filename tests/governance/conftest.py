"""Governance fixtures: Alpha's board and a committee (`board`), the meetings' office (a
board and a committee, `office`) and a clock set to a calendar day (`day`)."""

from datetime import UTC, datetime

import pytest
from meetings.conftest import OP, Office, office  # noqa: F401 (fixtures shared with meetings)

from gvo.board import bodies

__all__ = ["OP", "Office", "office", "on_day"]


@pytest.fixture
def board(instance, school):
    """Alpha's full governing board and a Finance committee: (conn, board_id, committee_id)."""
    conn = instance.db(school)
    board_id = bodies.save_body(conn, OP, body_id=None, kind="board", name="Full Governing Board")
    committee_id = bodies.save_body(conn, OP, body_id=None, kind="committee", name="Finance")
    return conn, board_id, committee_id


def on_day(clock, day: str) -> None:
    """Set the application's clock to noon UTC of `day` ('YYYY-MM-DD'): that calendar day
    in the school's zone (Europe/London) all year round."""
    clock.t = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC).timestamp()


@pytest.fixture
def day(clock):
    """day('YYYY-MM-DD'): move the clock to that day (see `on_day`)."""
    return lambda text: on_day(clock, text)
