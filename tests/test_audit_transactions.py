"""Every audited write is recorded in the same transaction as the change (issue 10,
acceptance 3), on a real SQLCipher school.

`audit.record` is the one entry point, and it refuses to write outside a transaction. Each
write below is made to fail just after its audit call (the real entry is written, then an
error is raised, as a later step of the service would): the school's database must then
hold neither the change nor the entry. A service that committed its change before auditing,
or wrote its entry in a transaction of its own, leaves one of them behind and fails here.
"""

from datetime import timedelta

import pytest

from gvo.board import bodies
from gvo.core import audit
from gvo.core.atomic import transaction
from gvo.core.identity import Identity
from gvo.discussion import comments, subjects
from gvo.library import folders, pages
from gvo.meetings import agenda, attendance, calendar_feed, meetings, minutes
from gvo.people import accounts, groups, settings

OP = Identity.operator()


class AfterAudit(Exception):
    """The failure injected just after an audit entry was written."""


def _everything(conn) -> dict:
    """Every row of every table of the school, to compare before and after."""
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {t: sorted(repr(tuple(r)) for r in conn.execute(f'SELECT * FROM "{t}"'))
            for t in tables}


@pytest.fixture
def world(instance, school):
    """A school with a manager, an author, the board, a group, a folder, a page, a meeting,
    and a meeting whose minutes are circulated."""
    conn = instance.db(school)
    manager_id = accounts.add_user(conn, OP, email="clerk@example.org", name="Clerk",
                                   role="manager", password="a long enough passphrase 1")
    author_id = accounts.add_user(conn, OP, email="gov@example.org", name="Governor",
                                  role="author")
    manager = Identity.load(conn, manager_id, "192.0.2.7")
    author = Identity.load(conn, author_id, "192.0.2.8")
    board = bodies.save_body(conn, OP, body_id=None, kind="board", name="Board")
    bodies.add_member(conn, OP, board, author_id, "member")
    group = groups.save_group(conn, OP, group_id=None, name="Panel", description="",
                              members=[author_id])
    folder = folders.create_folder(conn, manager, parent_id=None, title="Governance")
    page = pages.create_page(conn, manager, folder, title="Terms", body="Some *terms*.")
    start = meetings.local_now().replace(hour=18, minute=0) + timedelta(days=7)
    meeting = meetings.create(conn, manager, meetings.MeetingInput(
        body_id=board, title="Board", starts_at=start, ends_at=start + timedelta(hours=2),
        location="Hall"))
    item = agenda.add_item(conn, manager, meeting, agenda.ItemInput(
        title="Budget", purpose="decision", presenter="Chair", minutes=10, confidential=False))
    minuted = meetings.create(conn, manager, meetings.MeetingInput(
        body_id=board, title="Board again", starts_at=start + timedelta(days=1),
        ends_at=start + timedelta(days=1, hours=2), location="Hall"))
    minutes.circulate(conn, manager, minuted)
    return {"conn": conn, "manager": manager, "author": author, "author_id": author_id,
            "board": board, "group": group, "folder": folder, "page": page,
            "meeting": meeting, "item": item, "minuted": minuted}


WRITES = {
    "add a person": lambda w: accounts.add_user(w["conn"], w["manager"], email="new@example.org",
                                                name="New", role="reader"),
    "change a role": lambda w: accounts.set_role(w["conn"], w["manager"], w["author_id"],
                                                 "editor"),
    "grant a capability": lambda w: accounts.set_capabilities(
        w["conn"], w["manager"], w["author_id"], {"manage_meetings"}),
    "change the MFA policy": lambda w: settings.set_mfa_policy(w["conn"], w["manager"],
                                                               "optional"),
    "sign out everywhere": lambda w: accounts.sign_out_everywhere(w["conn"], w["author"]),
    "make a committee": lambda w: bodies.save_body(w["conn"], w["manager"], body_id=None,
                                                   kind="committee", name="Finance"),
    "change a group": lambda w: groups.save_group(
        w["conn"], w["manager"], group_id=w["group"], name="Pay panel", description="",
        members=[]),
    "make a folder": lambda w: folders.create_folder(w["conn"], w["manager"],
                                                     parent_id=w["folder"], title="Minutes"),
    "edit a page": lambda w: pages.update_page(w["conn"], w["manager"], w["page"],
                                               title="Terms", body="New terms."),
    "comment": lambda w: comments.add(
        w["conn"], w["author"], subjects.load(w["conn"], w["author"], "page", w["page"]),
        "Looks right.", None),
    "comment on circulated minutes": lambda w: minutes.add_comment(
        w["conn"], w["author"], w["minuted"], "Spell 'budget' right."),
    "add an agenda item": lambda w: agenda.add_item(
        w["conn"], w["manager"], w["meeting"], agenda.ItemInput(
            title="Staffing", purpose="decision", presenter="Head", minutes=5,
            confidential=True)),
    "send apologies": lambda w: attendance.reply(w["conn"], w["author"], w["meeting"],
                                                 w["author_id"], "apologies", "Away"),
    "write minutes": lambda w: minutes.save_item(w["conn"], w["manager"], w["item"],
                                                 "Discussed.", "Agreed."),
    "make a calendar feed": lambda w: calendar_feed.new_token(w["conn"], w["author"],
                                                              w["author_id"]),
    # Last, for the test that makes them all in turn: they end what the others need.
    "take someone off the board": lambda w: bodies.remove_member(
        w["conn"], w["manager"], w["board"], w["author_id"]),
    "cancel a meeting": lambda w: meetings.cancel(w["conn"], w["manager"], w["meeting"],
                                                  "No quorum."),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_write_failing_after_its_audit_entry_leaves_neither(world, monkeypatch, write):
    conn = world["conn"]
    before = _everything(conn)
    real = audit.record
    recorded = []

    def record_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        recorded.append(args[2])
        raise AfterAudit

    monkeypatch.setattr(audit, "record", record_then_fail)
    with pytest.raises(AfterAudit):
        write(world)
    assert recorded, "the write was not audited"
    assert not conn.in_transaction
    assert _everything(conn) == before


def test_the_same_writes_succeed_and_are_audited(world):
    # The writes above do work (and are audited) when nothing fails.
    conn = world["conn"]
    for name, write in WRITES.items():
        count = len(audit.recent(conn, limit=10**6))
        write(world)
        assert len(audit.recent(conn, limit=10**6)) > count, name
    assert audit.verify(conn).ok


def test_record_outside_a_transaction_is_refused_and_writes_nothing(world):
    conn = world["conn"]
    before = _everything(conn)
    with pytest.raises(RuntimeError, match="outside a transaction"):
        audit.record(conn, world["manager"], "test.entry", "x:1")
    assert _everything(conn) == before
    with transaction(conn):
        audit.record(conn, world["manager"], "test.entry", "x:1", note="inside")
    entry = audit.recent(conn, limit=1)[0]
    assert (entry["action"], entry["actor_id"], entry["actor_email"], entry["ip"]) == (
        "test.entry", world["manager"].user_id, "clerk@example.org", "192.0.2.7")
