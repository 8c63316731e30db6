"""A governing board to test places, vacancies and quorum against (shared by the tests of
gvo.governance.places and of quorum)."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from gvo.board import bodies
from gvo.core.identity import Identity
from gvo.meetings import attendance, meetings
from gvo.people import accounts

OP = Identity.operator()


@dataclass
class Board:
    """Alpha's board and a committee, with helpers to seat governors."""

    conn: object
    board_id: int
    committee_id: int

    def governor(self, name: str, category: str = "parent", *, appointed_on: str | None = None,
                 stepped_down_on: str | None = None) -> int:
        """A person on the board in `category`, appointed and stepped down as given."""
        uid = accounts.add_user(self.conn, OP, email=f"{name.lower().replace(' ', '.')}@ex.org",
                                name=name, role="author")
        bodies.add_member(self.conn, OP, self.board_id, uid, "member", category)
        # The record's dates are i14-records' to write through its service; a test sets them.
        self.conn.execute("UPDATE governor_records SET appointed_on = ?, stepped_down_on = ?"
                          " WHERE user_id = ?", (appointed_on, stepped_down_on, uid))
        return uid

    def meeting(self, *, body_id: int | None = None, days: int = -1) -> int:
        """A meeting `days` from now, 18:00-20:00 local time."""
        start = (meetings.local_now() + timedelta(days=days)).replace(hour=18, minute=0)
        return meetings.create(self.conn, OP, meetings.MeetingInput(
            body_id=body_id or self.board_id, title="Full board meeting", starts_at=start,
            ends_at=start + timedelta(hours=2), location="School library"))

    def register(self, meeting_id: int, present: list[int], absent: list[int] = ()) -> None:
        """Record who was present and who was absent."""
        attendance.save_attendance_register(
            self.conn, OP, meeting_id,
            {uid: "present" for uid in present} | {uid: "absent" for uid in absent})


@pytest.fixture
def board(instance, school):
    """Alpha's Full Governing Board and a Resources committee (no quorum set)."""
    conn = instance.db(school)
    board_id = bodies.save_body(conn, OP, body_id=None, kind="board", name="Full Governing Board")
    committee_id = bodies.save_body(conn, OP, body_id=None, kind="committee", name="Resources")
    return Board(conn, board_id, committee_id)
