"""Meetings fixtures: a school with a board and a committee, and people on them."""

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from gvo.board import bodies
from gvo.core.identity import Identity
from gvo.meetings import agenda, meetings
from gvo.people import accounts

OP = Identity.operator()


@dataclass
class Office:
    """The board, a committee and who sits where."""

    board_id: int
    committee_id: int
    conn: object

    def meeting(self, *, body_id=None, days=7, title="Full board meeting",
                location="School library") -> int:
        """A meeting `days` from now (negative: in the past), 18:00-20:00 local time."""
        start = (meetings.local_now() + timedelta(days=days)).replace(hour=18, minute=0)
        return meetings.create(self.conn, OP, meetings.MeetingInput(
            body_id=body_id or self.board_id, title=title, starts_at=start,
            ends_at=start + timedelta(hours=2), location=location))

    def item(self, meeting_id, title, *, confidential=False, purpose="discussion") -> int:
        """An agenda item."""
        return agenda.add_item(self.conn, OP, meeting_id, agenda.ItemInput(
            title=title, purpose=purpose, presenter="Chair", minutes=10,
            confidential=confidential))

    def member(self, user_id, body_id=None, position="member"):
        """Put someone on the board (or a committee)."""
        bodies.add_member(self.conn, OP, body_id or self.board_id, user_id, position)

    def person(self, name, role="author", *, on_board=True, email=None) -> int:
        """An account (cannot sign in: no password) who may sit on the board."""
        email = email or f"{_local_part(name)}@ex.org"
        uid = accounts.add_user(self.conn, OP, email=email, name=name, role=role)
        if on_board:
            self.member(uid)
        return uid


def _local_part(name: str) -> str:
    """An ASCII address part made from a name ("Zofia Łukasiewicz" -> "zofia.ukasiewicz"):
    the office refuses letters beyond ASCII before the @ (no SMTPUTF8)."""
    kept = "".join(c for c in unicodedata.normalize("NFKD", name.lower())
                   if c.isascii() and (c.isalnum() or c == " "))
    return ".".join(kept.split()) or "p" + hashlib.sha256(name.encode()).hexdigest()[:10]


@pytest.fixture
def office(instance, school):
    """Alpha's board (quorum: half the governors in office) and a Finance committee (quorum 3)."""
    conn = instance.db(school)
    board_id = bodies.save_body(conn, OP, body_id=None, kind="board", name="Full Governing Board")
    committee_id = bodies.save_body(conn, OP, body_id=None, kind="committee", name="Finance",
                                    quorum_text="3")
    return Office(board_id, committee_id, conn)


def at(text: str) -> datetime:
    """A local datetime from 'YYYY-MM-DDTHH:MM'."""
    return meetings.parse_stamp(text)


def upload(client, meeting_id: int, item_id: int, filename: str, data: bytes, title: str = "",
           slug: str = "alpha"):
    """Upload a paper to an item through the meeting page's form (of school `slug`)."""
    import io

    page = f"/{slug}/meetings/{meeting_id}"
    client.get(page)
    return client.c.post(
        f"{page}/agenda/{item_id}/upload", base_url="https://localhost",
        data={"title": title, "file": (io.BytesIO(data), filename)},
        headers={"X-CSRFToken": client.token(), "Referer": "https://localhost" + page})
