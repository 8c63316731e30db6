"""Attack 14: clear messages in edge cases of the action form and the minutes' actions."""

import html

from conftest import page_text

from gvo.core.identity import Identity
from gvo.library import folders
from gvo.meetings import attendance, minutes

from .conftest import OP


def test_a_school_without_folders_is_told_to_make_one_first(signed_in, office):
    client, _manager = signed_in("manager")
    assert office.conn.execute("SELECT count(*) FROM folders").fetchone()[0] == 0
    shown = client.get("/alpha/actions/new").get_data(as_text=True)
    assert 'data-testid="no-folders"' in shown and "/alpha/library/folders/new" in shown
    resp = client.post("/alpha/actions/new", {"title": "Do it", "body_id": "0"},
                       form_page="/alpha/actions/new")
    assert resp.status_code == 422
    shown = html.unescape(page_text(resp))
    assert "There is no library folder yet" in shown and "Not a valid choice" not in shown


def test_a_stale_or_odd_choice_is_named_in_plain_words(signed_in, make_user, office):
    client, manager = signed_in("manager")
    folder = folders.create_folder(office.conn, Identity.load(office.conn, manager.id),
                                   parent_id=None, title="Finance")
    gone = make_user(role="author")
    office.conn.execute("UPDATE users SET name = 'Gus Gone', role = 'inactive' WHERE id = ?",
                        (gone.id,))
    resp = client.post("/alpha/actions/new", {
        "title": "Do it", "folder_id": str(folder), "body_id": "0",
        "assignee_ids": [str(gone.id)], "group_ids": ["999"], "doc_ids": ["999"]},
        form_page="/alpha/actions/new")
    assert resp.status_code == 422
    shown = html.unescape(page_text(resp))
    assert "Gus Gone is no longer active" in shown
    assert "A group chosen has been removed" in shown
    assert "A document chosen is no longer in the library" in shown
    assert "not a valid choice" not in shown
    resp = client.post("/alpha/actions/new", {"title": "Do it", "folder_id": "x",
                                              "body_id": "0"}, form_page="/alpha/actions/new")
    shown = html.unescape(page_text(resp))
    assert resp.status_code == 422 and "could not coerce" not in shown
    assert "Choose a library folder from the list" in shown


def test_a_part_2_actions_left_out_people_are_told_it_is_confidential(
        signed_in, make_user, office):
    client, _manager = signed_in("manager")
    meeting = office.meeting(days=-2)
    secret = office.item(meeting, "Staffing restructure", confidential=True)
    ann = office.person("Ann Able")
    task_id = minutes.add_action(office.conn, OP, secret, "Consult the unions", ann, None)
    outsider = make_user(role="author")   # not on the board
    page = f"/alpha/actions/{task_id}/edit"
    resp = client.post(page, {"title": "Consult the unions",
                              "assignee_ids": [str(ann), str(outsider.id)]}, form_page=page)
    assert resp.status_code == 302
    shown = html.unescape(page_text(client.get(resp.headers["Location"])))
    assert "confidential (Part 2) item" in shown


def test_removing_an_action_from_approved_minutes_is_refused_without_asking(signed_in, office):
    client, _manager = signed_in("manager")
    earlier = office.meeting(days=-30, title="Autumn full board")
    later = office.meeting(days=-1, title="Spring full board")
    item = office.item(earlier, "Budget")
    ann = office.person("Ann Able")
    task_id = minutes.add_action(office.conn, OP, item, "Send the budget", ann, None)
    attendance.save_attendance_register(office.conn, OP, earlier, {ann: "present"})
    attendance.lock_attendance_register(office.conn, OP, earlier)
    minutes.circulate(office.conn, OP, earlier)
    minutes.approve(office.conn, OP, earlier, later, "Alpha")
    editor = f"/alpha/meetings/{earlier}/minutes"
    resp = client.post(f"{editor}/actions/{task_id}/delete", {},
                       form_page="/alpha/actions/new")
    assert resp.status_code in (302, 303)
    assert "Yes, remove it" not in page_text(resp)
    shown = html.unescape(page_text(client.get(resp.headers["Location"])))
    assert "Approved minutes cannot change" in shown
    # The same kind: circulating approved minutes, or locking draft ones, is refused at once.
    for meeting, step, refusal in ((earlier, "circulate", "Only draft minutes"),
                                   (later, "lock", "Only approved minutes")):
        resp = client.post(f"/alpha/meetings/{meeting}/minutes/{step}", {},
                           form_page="/alpha/actions/new")
        assert resp.status_code == 302, step
        assert refusal in page_text(client.get(resp.headers["Location"]))
