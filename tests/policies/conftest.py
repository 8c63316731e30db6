"""Policies fixtures: a school with a board and a committee, meetings to approve policies at,
and helpers to give a policy its text."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from gvo.board import bodies
from gvo.core.identity import Identity
from gvo.library import documents, folders
from gvo.meetings import agenda, meetings
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

    def policy(self, name="Complaints procedure", **kw) -> int:
        """A policy in the register (under development, no text)."""
        return register.create(self.conn, OP, register.PolicyInput(name=name, **kw))

    def meeting(self, *, days=-3, body_id=None) -> int:
        """A meeting `days` from now (negative: it has taken place)."""
        start = (meetings.local_now() + timedelta(days=days)).replace(hour=18, minute=0)
        return meetings.create(self.conn, OP, meetings.MeetingInput(
            body_id=body_id or self.board_id, title="Full board meeting", starts_at=start,
            ends_at=start + timedelta(hours=2), location="Hall"))

    def item_with(self, meeting_id: int, policy_id: int) -> int:
        """An agenda item of the meeting with the policy as its paper."""
        item = agenda.add_item(self.conn, OP, meeting_id, agenda.ItemInput(
            title="Policies for approval", purpose="decision"))
        agenda.attach(self.conn, OP, item, "policy", policy_id)
        return item

    def live(self, policy_id: int, text="## Our policy\n\nWe listen.", *, days=-3) -> int:
        """Write the policy's draft as a page and approve it at a past board meeting; the
        agenda item's id."""
        lifecycle.write_page(self.conn, OP, policy_id, text)
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
    """Alpha's board and a Finance committee."""
    conn = instance.db(school)
    board_id = bodies.save_body(conn, OP, body_id=None, kind="board", name="Full Governing Board")
    committee_id = bodies.save_body(conn, OP, body_id=None, kind="committee", name="Finance",
                                    quorum_text="3")
    return Office(board_id, committee_id, conn)
