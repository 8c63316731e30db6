"""Rooms and groups (issue 9): a group that opens a private room is that room's door.

Decision (README, "Who sees what"): only people in a room may add people to a group that
opens it. A Manager or holder of manage_users outside the room may remove people from
such a group, rename or delete it, but never add anyone, themselves included.
"""

import pytest
from conftest import sign_in

from gvo.core.errors import NotPermitted
from gvo.core.identity import Identity
from gvo.library import folders
from gvo.library.access import can_see_folder
from gvo.people import groups


@pytest.fixture
def pay_panel(instance, make_user):
    """A group Pay panel (one governor) opening a room that the clerk is not in; a second
    Manager, the head, is in the room by name."""
    conn = instance.db("alpha")
    head = make_user(role="manager")
    governor = make_user(role="author")
    gid = groups.save_group(conn, Identity.operator(), group_id=None, name="Pay panel",
                            description="", members=[governor.id])
    room = folders.create_folder(conn, Identity(head.id, "manager"), parent_id=None,
                                 title="Pay panel papers", restricted=True, users=[head.id],
                                 groups=[gid])
    return {"conn": conn, "gid": gid, "room": room, "head": head, "governor": governor}


def _members(p):
    return set(groups.member_ids(p["conn"], p["gid"]))


def test_a_manager_outside_the_room_cannot_join_it_through_its_group(signed_in, pay_panel):
    client, clerk = signed_in("manager")
    p = pay_panel
    page = client.get(f"/alpha/admin/groups/{p['gid']}").get_data(as_text=True)
    assert 'data-testid="closed-rooms"' in page and "a private room you are not in" in page
    assert "Pay panel papers" not in page  # the room's name stays hidden
    resp = client.post(f"/alpha/admin/groups/{p['gid']}",
                       {"name": "Pay panel", "members": [str(p["governor"].id), str(clerk.id)]},
                       form_page=f"/alpha/admin/groups/{p['gid']}")
    assert resp.status_code == 422 and "cannot add people" in client.last_text
    assert _members(p) == {p["governor"].id}
    assert client.get(f"/alpha/library/folders/{p['room']}").status_code == 404
    audit = p["conn"].execute("SELECT count(*) FROM audit_log WHERE action = 'group.update'")
    assert audit.fetchone()[0] == 0


def test_someone_outside_may_still_take_people_out_and_rename(signed_in, pay_panel):
    client, _ = signed_in("manager")
    p = pay_panel
    resp = client.post(f"/alpha/admin/groups/{p['gid']}", {"name": "Pay panel 2025"},
                       form_page=f"/alpha/admin/groups/{p['gid']}")
    assert resp.status_code == 302
    assert _members(p) == set()


def test_someone_in_the_room_may_add_people(client, pay_panel, make_user):
    p = pay_panel
    newcomer = make_user(role="author")
    sign_in(client, p["head"])
    resp = client.post(f"/alpha/admin/groups/{p['gid']}",
                       {"name": "Pay panel",
                        "members": [str(p["governor"].id), str(newcomer.id)]},
                       form_page=f"/alpha/admin/groups/{p['gid']}")
    assert resp.status_code == 302
    assert _members(p) == {p["governor"].id, newcomer.id}
    assert can_see_folder(p["conn"], Identity(newcomer.id, "author"), p["room"])


def test_the_rule_is_in_the_service_for_every_caller(pay_panel, make_user):
    p = pay_panel
    editor = make_user(role="editor")
    as_editor = Identity(editor.id, "editor", email=editor.email)
    with pytest.raises(NotPermitted):
        groups.save_group(p["conn"], as_editor, group_id=p["gid"], name="Pay panel",
                          description="", members=[p["governor"].id, editor.id])
    # A room in the wastebin still counts: it can be brought back.
    folders_deleted = p["conn"].execute("UPDATE folders SET deleted_at = '2025-01-01T00:00:00Z'"
                                        " WHERE id = ?", (p["room"],))
    assert folders_deleted.rowcount == 1
    with pytest.raises(NotPermitted):
        groups.save_group(p["conn"], as_editor, group_id=p["gid"], name="Pay panel",
                          description="", members=[p["governor"].id, editor.id])
    # The operator (CLI, restores) is outside the school's rooms by design and may.
    groups.save_group(p["conn"], Identity.operator(), group_id=p["gid"], name="Pay panel",
                      description="", members=[p["governor"].id, editor.id])
    assert editor.id in _members(p)
