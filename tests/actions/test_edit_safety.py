"""Attack 14: an edit keeps what the editor cannot see, and a stale edit is refused."""

import html
import re

from conftest import page_text, sign_in
from uploads import Part

from gvo.actions import tasks
from gvo.core.identity import Identity
from gvo.library import documents, folders


def _form_value(page: str, name: str) -> str:
    return html.unescape(re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1))


def test_an_edit_keeps_attachments_the_editor_may_not_open(signed_in, new_client, make_user,
                                                           office):
    client, manager = signed_in("manager")
    chair = make_user(role="editor")
    who_chair = Identity.load(office.conn, chair.id)
    room = folders.create_folder(office.conn, Identity.load(office.conn, manager.id),
                                 parent_id=None, title="Pay room", restricted=True,
                                 users=[chair.id])
    shared = folders.create_folder(office.conn, Identity.load(office.conn, manager.id),
                                   parent_id=None, title="Governance")
    doc = documents.add_files(office.conn, who_chair, room, [Part("pay.txt", b"pay")],
                              limit=10_000)[0]
    task_id = tasks.create(office.conn, who_chair, tasks.TaskInput(
        title="Skills audit", folder_id=shared, assignee_ids=[chair.id],
        doc_ids=[doc])).task_id
    page = f"/alpha/actions/{task_id}/edit"
    form = client.get(page).get_data(as_text=True)
    resp = client.post(page, {"title": "Skills audit, renamed", "folder_id": str(shared),
                              "body_id": "0", "assignee_ids": [str(chair.id)],
                              "base": _form_value(form, "base")}, form_page=page)
    assert resp.status_code == 302, page_text(resp)[-800:]
    assert [r[0] for r in office.conn.execute(
        "SELECT doc_id FROM task_documents WHERE task_id = ?", (task_id,))] == [doc]
    theirs = new_client()
    sign_in(theirs, chair)
    assert f"/library/documents/{doc}" in theirs.get(f"/alpha/actions/{task_id}").get_data(
        as_text=True)


def test_a_stale_edit_is_refused_and_keeps_what_was_typed(signed_in, new_client, make_user,
                                                         office):
    client, manager = signed_in("manager")
    head = make_user(role="editor")
    folder = folders.create_folder(office.conn, Identity.load(office.conn, manager.id),
                                   parent_id=None, title="Finance")
    task_id = tasks.create(office.conn, Identity.load(office.conn, manager.id), tasks.TaskInput(
        title="SFVS return", folder_id=folder, assignee_ids=[head.id])).task_id
    page = f"/alpha/actions/{task_id}/edit"
    theirs = new_client()
    sign_in(theirs, head)
    mine_base = _form_value(client.get(page).get_data(as_text=True), "base")
    their_base = _form_value(theirs.get(page).get_data(as_text=True), "base")
    fields = {"folder_id": str(folder), "body_id": "0", "assignee_ids": [str(head.id)]}
    resp = client.post(page, {**fields, "title": "SFVS return — by the clerk",
                              "base": mine_base}, form_page=page)
    assert resp.status_code == 302
    resp = theirs.post(page, {**fields, "title": "SFVS return", "due_on": "2031-03-01",
                              "base": their_base}, form_page=page)
    assert resp.status_code == 422
    shown = html.unescape(resp.get_data(as_text=True))
    assert "someone else changed this action after you opened this page" in shown
    assert 'value="2031-03-01"' in shown   # what was typed is kept
    row = office.conn.execute("SELECT title, due_on FROM tasks WHERE id = ?",
                              (task_id,)).fetchone()
    assert tuple(row) == ("SFVS return — by the clerk", "")
    # Saving again, knowingly, replaces the clerk's change.
    resp = theirs.post(page, {**fields, "title": "SFVS return", "due_on": "2031-03-01",
                              "base": _form_value(shown, "base")}, form_page=page)
    assert resp.status_code == 302


def test_no_audit_entry_holds_an_actions_description(make_user, office):
    """The audit log (hash-chained, it outlives the action) records that the description
    changed and its length, never its words: the text may name a pupil or a member of staff."""
    manager = make_user(role="manager")
    who = Identity.load(office.conn, manager.id)
    folder = folders.create_folder(office.conn, who, parent_id=None, title="Pupils")
    secret = "Speak to the family of PUPIL-XY about the exclusion"
    task_id = tasks.create(office.conn, who, tasks.TaskInput(
        title="Exclusion review", description=secret, folder_id=folder,
        assignee_ids=[manager.id])).task_id
    tasks.update(office.conn, who, task_id, tasks.TaskInput(
        title="Exclusion review", description=secret + ", and the head", folder_id=folder,
        assignee_ids=[manager.id]))
    tasks.set_status(office.conn, who, task_id, "done")
    details = [r[0] for r in office.conn.execute(
        "SELECT detail FROM audit_log WHERE action LIKE 'task.%'")]
    assert len(details) >= 3 and not any("PUPIL-XY" in d for d in details)
    longer = len(secret + ", and the head")
    assert any(f'"description_length": {longer}' in d for d in details)
