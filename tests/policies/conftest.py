"""Policies fixtures: a school with a board and a committee, meetings to approve policies at,
and helpers to give a policy its text."""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from gvo.board import bodies
from gvo.core import clock
from gvo.core.identity import Identity
from gvo.library import documents, folders
from gvo.meetings import agenda, attendance, meetings
from gvo.people import accounts
from gvo.policies import lifecycle, register

OP = Identity.operator()


class File:
    """A file as the library's upload takes it."""

    def __init__(self, filename: str, data: bytes):
        self.filename, self.data = filename, data

    def chunks(self):
        """The file in one piece."""
        yield self.data


@dataclass
class Office:
    """Alpha's board and Finance committee, and ways to make policies and meetings."""

    board_id: int
    committee_id: int
    conn: object
    governors: list[int] = field(default_factory=list)

    def policy(self, name="Complaints procedure", **kw) -> int:
        """A policy in the register (under development, no text)."""
        return register.create(self.conn, OP, register.PolicyInput(name=name, **kw))

    def meeting(self, *, days=-3, body_id=None, held=True) -> int:
        """A meeting `days` from now (negative: it has taken place); one that has taken
        place and is `held` has its register locked with every governor present (quorate)."""
        start = (meetings.local_now() + timedelta(days=days)).replace(hour=18, minute=0)
        meeting_id = meetings.create(self.conn, OP, meetings.MeetingInput(
            body_id=body_id or self.board_id, title="Full board meeting", starts_at=start,
            ends_at=start + timedelta(hours=2), location="Hall"))
        if held and days < 0:
            self.attend(meeting_id)
        return meeting_id

    def attend(self, meeting_id: int, present: int | None = None) -> None:
        """Record the first `present` governors (all by default) present, the rest absent,
        and lock the meeting's register."""
        present = len(self.governors) if present is None else present
        attendance.save_attendance_register(self.conn, OP, meeting_id, {
            uid: "present" if n < present else "absent"
            for n, uid in enumerate(self.governors)})
        attendance.lock_attendance_register(self.conn, OP, meeting_id)

    @contextmanager
    def days_ago(self, days: int):
        """Run the block with the clock `days` days back (a draft written before a meeting)."""
        then = clock.now() - days * 86400
        clock.set_clock(lambda: then)
        try:
            yield
        finally:
            clock.set_clock(None)

    def item_with(self, meeting_id: int, policy_id: int) -> int:
        """An agenda item of the meeting with the policy as its paper."""
        item = agenda.add_item(self.conn, OP, meeting_id, agenda.ItemInput(
            title="Policies for approval", purpose="decision"))
        agenda.attach(self.conn, OP, item, "policy", policy_id)
        return item

    def draft(self, policy_id: int, text="Text", *, days=40) -> int:
        """Write the policy's draft as a page `days` days ago (before the meetings that
        approve it); the draft's number."""
        with self.days_ago(days):
            return lifecycle.write_page(self.conn, OP, policy_id, text)

    def live(self, policy_id: int, text="## Our policy\n\nWe listen.", *, days=-3) -> int:
        """Write the policy's draft as a page (a day before the meeting) and approve it at a
        past board meeting; the agenda item's id."""
        self.draft(policy_id, text, days=-days + 1)
        item = self.item_with(self.meeting(days=days), policy_id)
        lifecycle.approve_at_meeting(self.conn, OP, policy_id, item)
        return item

    def document(self, data=b"%PDF-1.4 policy v1", name="policy.pdf", folder=None) -> int:
        """A document in a (new, open) library folder."""
        folder = folder or folders.create_folder(self.conn, OP, parent_id=None, title="Docs")
        [doc] = documents.add_files(self.conn, OP, folder, [File(name, data)], limit=1 << 20)
        return doc


@pytest.fixture
def office(instance, school):
    """Alpha's board and a Finance committee (quorum 3), three governors on both."""
    conn = instance.db(school)
    board_id = bodies.save_body(conn, OP, body_id=None, kind="board", name="Full Governing Board")
    committee_id = bodies.save_body(conn, OP, body_id=None, kind="committee", name="Finance",
                                    quorum_text="3")
    governors = []
    for n in range(3):
        uid = accounts.add_user(conn, OP, email=f"governor{n}@ex.org", name=f"Governor {n}",
                                role="reader")
        bodies.add_member(conn, OP, board_id, uid, "member")
        bodies.add_member(conn, OP, committee_id, uid, "member")
        governors.append(uid)
    return Office(board_id, committee_id, conn, governors)
