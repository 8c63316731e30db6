"""One identity (issue 10): every role and capability check asks `Identity`, and no service
passes one role off as another."""

from datetime import timedelta

import pytest

from gvo.board import bodies
from gvo.core import audit
from gvo.core.identity import CAPABILITIES, ROLES, Identity
from gvo.library import folders
from gvo.library.access import can_see_folder
from gvo.meetings import meetings, papers
from gvo.people import accounts

OP = Identity.operator()


def test_roles_rank_and_capabilities():
    editor = Identity(1, "editor", frozenset({"manage_meetings"}))
    assert editor.at_least("author") and editor.at_least("editor")
    assert not editor.at_least("manager")
    assert editor.can("manage_meetings") and not editor.can("manage_users")
    manager = Identity(2, "manager")
    assert all(manager.can(c) for c in CAPABILITIES) and manager.acts_as_manager
    assert OP.acts_as_manager and OP.is_operator and OP.at_least("manager")
    assert not OP.signed_in
    with pytest.raises(KeyError):
        editor.at_least("owner")


@pytest.mark.parametrize("who", [Identity.anonymous("192.0.2.1"),
                                 Identity.claimed(3, "x@example.org", "192.0.2.1"),
                                 Identity(None, "", email="system")])
def test_no_check_lets_an_unknown_role_through(who):
    assert not any(who.at_least(role) for role in ROLES if role != "inactive")
    assert not any(who.can(c) for c in CAPABILITIES)
    assert not who.acts_as_manager and not who.signed_in and who.is_anonymous


def test_the_system_holds_only_what_it_is_given():
    system = Identity.system("access change", {"manage_meetings"})
    assert system.is_system and system.email == "system (access change)"
    assert system.can("manage_meetings") and not system.can("manage_users")
    assert not system.at_least("reader") and not system.acts_as_manager


def test_loaded_once_from_the_account(instance, school):
    conn = instance.db(school)
    uid = accounts.add_user(conn, OP, email="ed@example.org", name="Ed Editor", role="editor")
    accounts.set_capabilities(conn, OP, uid, {"manage_board"})
    who = Identity.load(conn, uid, "192.0.2.9")
    assert who == Identity(uid, "editor", frozenset({"manage_board"}), "ed@example.org",
                           "Ed Editor", "192.0.2.9")
    assert who.is_authenticated and who.is_active and who.get_id() == str(uid)
    assert who.role_label == "Editor"
    accounts.set_role(conn, OP, uid, "inactive")
    assert Identity.load(conn, uid) is None
    assert Identity.load(conn, 10**6) is None
    with pytest.raises(AttributeError):
        who.role = "manager"  # frozen


def test_a_meetings_manager_keeps_its_own_role_in_the_library(instance, school):
    """Holding "manage meetings" lets an Author make the meetings' folders (the library's
    grant), and nothing else: no top-level library folder of their own, and the folders and
    the audit log show them as who they are."""
    conn = instance.db(school)
    uid = accounts.add_user(conn, OP, email="clerk@example.org", name="Cat Clerk", role="author")
    accounts.set_capabilities(conn, OP, uid, {"manage_meetings"})
    holder = Identity.load(conn, uid, "192.0.2.5")
    assert not folders.may_add_here(holder, None)
    assert folders.may_add_here(holder, None, grant=papers.GRANT)
    board = bodies.save_body(conn, OP, body_id=None, kind="board", name="Board")
    start = meetings.local_now().replace(hour=18, minute=0) + timedelta(days=3)
    meeting_id = meetings.create(conn, holder, meetings.MeetingInput(
        body_id=board, title="Board", starts_at=start, ends_at=start + timedelta(hours=2),
        location="Hall"))
    folder_id = papers.ensure_folder(conn, holder, meeting_id)
    top = conn.execute("SELECT parent_id FROM folders WHERE id = ?", (folder_id,)).fetchone()[0]
    owners = {r[0] for r in conn.execute("SELECT owner_id FROM folders WHERE id IN (?, ?)",
                                         (folder_id, top))}
    assert owners == {uid}
    made = [e for e in audit.recent(conn) if e["action"] == "library.folder.create"]
    assert {(e["actor_id"], e["actor_email"], e["ip"]) for e in made} == {
        (uid, "clerk@example.org", "192.0.2.5")}


def test_the_system_sees_every_room_but_no_person_outside_one(instance, school):
    conn = instance.db(school)
    manager = Identity.load(conn, accounts.add_user(
        conn, OP, email="m@example.org", name="Mo Manager", role="manager"))
    inside = accounts.add_user(conn, OP, email="in@example.org", name="In Side", role="author")
    room = folders.create_folder(conn, manager, parent_id=None, title="Pay panel",
                                 restricted=True, users=[inside])
    assert not can_see_folder(conn, manager, room)
    assert can_see_folder(conn, Identity.load(conn, inside), room)
    assert can_see_folder(conn, Identity.system("test"), room)
