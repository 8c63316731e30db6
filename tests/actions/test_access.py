"""Acceptance 2: tasks in a restricted folder are visible only to those with access; assignees
are kept only if they have access, and the form says by name who was left out. A Part 2
item's task is seen only by those who see the body's confidential items."""

import html
import re
from datetime import date

from conftest import page_text, sign_in

from gvo.actions import tasks
from gvo.core.identity import Identity
from gvo.library import folders
from gvo.meetings import minutes
from gvo.people import groups

from .conftest import OP


def _room(conn, manager_id, users):
    who = Identity.load(conn, manager_id)
    return folders.create_folder(conn, who, parent_id=None, title="Pay committee room",
                                 restricted=True, users=users)


def test_a_task_in_a_restricted_folder_is_seen_only_by_those_with_access_and_the_form_names_who_was_left_out(  # noqa: E501
        signed_in, new_client, make_user, office):
    client, manager = signed_in("manager")
    inside = make_user(role="author")
    outside = make_user(role="author")
    office.conn.execute("UPDATE users SET name = 'Zofia Łukasiewicz' WHERE id = ?",
                        (outside.id,))
    room = _room(office.conn, manager.id, [manager.id, inside.id])
    resp = client.post("/alpha/actions/new", {
        "title": "Benchmark the head's pay", "folder_id": str(room), "body_id": "0",
        "assignee_ids": [str(inside.id), str(outside.id)]}, form_page="/alpha/actions/new")
    assert resp.status_code == 302
    task_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    shown = html.unescape(page_text(client.get(resp.headers["Location"])))
    assert "Left out, because they may not open the action's folder: Zofia Łukasiewicz." in shown
    assignees = [r[0] for r in office.conn.execute(
        "SELECT user_id FROM task_assignees WHERE task_id = ?", (task_id,))]
    assert assignees == [inside.id]

    their = new_client()
    sign_in(their, outside)
    assert their.get(f"/alpha/actions/{task_id}").status_code == 404
    assert "Benchmark the head" not in their.get("/alpha/actions?view=all").get_data(
        as_text=True)
    assert not tasks.may_see(office.conn, Identity.load(office.conn, outside.id), task_id)

    mine = new_client()
    sign_in(mine, inside)
    assert mine.get(f"/alpha/actions/{task_id}").status_code == 200
    assert "Benchmark the head" in mine.get("/alpha/actions").get_data(as_text=True)


def test_a_group_expands_to_its_members_who_may_see_the_folder(signed_in, make_user, office):
    _client, manager = signed_in("manager")
    ann, bob = make_user(role="author"), make_user(role="author")
    mgr = Identity.load(office.conn, manager.id)
    group = groups.save_group(office.conn, mgr, group_id=None, name="Premises group",
                               description="", members=[ann.id, bob.id])
    room = _room(office.conn, manager.id, [manager.id, ann.id])
    saved = tasks.create(office.conn, mgr, tasks.TaskInput(
        title="Walk the site", folder_id=room, group_ids=[group]))
    task = tasks.get(office.conn, mgr, saved.task_id)
    assert [a["id"] for a in task["assignees"]] == [ann.id]
    bob_name = office.conn.execute("SELECT name FROM users WHERE id = ?",
                                   (bob.id,)).fetchone()[0]
    assert saved.left_out == [bob_name]


def test_a_part_2_items_task_is_seen_only_by_those_who_see_confidential_items(
        signed_in, new_client, make_user, office):
    meeting = office.meeting(days=-2)
    secret = office.item(meeting, "Staffing restructure", confidential=True)
    ann = office.person("Ann Able")
    task_id = minutes.add_action(office.conn, OP, secret, "Consult the unions", ann, None)
    outsider = make_user(role="author")  # not on the board
    assert not tasks.may_see(office.conn, Identity.load(office.conn, outsider.id), task_id)
    assert tasks.may_see(office.conn, Identity.load(office.conn, ann), task_id)
    client = new_client()
    sign_in(client, outsider)
    assert client.get(f"/alpha/actions/{task_id}").status_code == 404
    assert not re.search("Consult the unions", client.get("/alpha/actions?view=all")
                         .get_data(as_text=True))


def test_only_managers_the_clerk_and_editors_make_actions_and_an_assignee_changes_status(
        signed_in, new_client, make_user, office):
    client, author = signed_in("author")
    assert client.get("/alpha/actions/new").status_code == 403
    meeting = office.meeting(days=-2)
    item = office.item(meeting, "Budget")
    task_id = minutes.add_action(office.conn, OP, item, "Send it", author.id, None)
    assert client.get(f"/alpha/actions/{task_id}/edit").status_code == 403
    resp = client.post(f"/alpha/actions/{task_id}/status", {"status": "in_progress"},
                       form_page=f"/alpha/actions/{task_id}")
    assert resp.status_code == 303
    other = make_user(role="author")
    theirs = new_client()
    sign_in(theirs, other)
    assert "Save the status" not in theirs.get(f"/alpha/actions/{task_id}").get_data(
        as_text=True)
    resp = theirs.post(f"/alpha/actions/{task_id}/status", {"status": "done"},
                       form_page="/alpha/profile")
    assert resp.status_code == 403
    assert office.conn.execute("SELECT status FROM tasks WHERE id = ?",
                               (task_id,)).fetchone()[0] == "in_progress"


def test_the_edit_form_shows_the_saved_action_and_saves_changes(signed_in, office):
    client, manager = signed_in("manager")
    meeting = office.meeting(days=-2)
    item = office.item(meeting, "Budget")
    ann = office.person("Ann Able")
    task_id = minutes.add_action(office.conn, OP, item, "Send it", ann, date(2031, 4, 1))
    page = f"/alpha/actions/{task_id}/edit"
    assert 'value="2031-04-01"' in client.get(page).get_data(as_text=True)
    resp = client.post(page, {"title": "Send it today", "due_on": "2031-04-02",
                              "assignee_ids": [str(ann)]}, form_page=page)
    assert resp.status_code == 302
    row = office.conn.execute("SELECT title, due_on, meeting_id FROM tasks WHERE id = ?",
                              (task_id,)).fetchone()
    assert tuple(row) == ("Send it today", "2031-04-02", meeting)
