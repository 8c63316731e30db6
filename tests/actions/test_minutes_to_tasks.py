"""Acceptance 1: a minute action becomes a task with its assignee and due date; an overdue
action shows red (with words); completing it records who and when; the next meeting of the
same body lists open actions under matters arising. Approved minutes keep what they said."""

import re
from datetime import timedelta

from conftest import sign_in

from gvo.actions import tasks
from gvo.core import dates
from gvo.core.identity import Identity
from gvo.meetings import attendance, minutes

from .conftest import OP


def _audited(office, action):
    return [r[0] for r in office.conn.execute(
        "SELECT target FROM audit_log WHERE action = ? ORDER BY id", (action,))]


def _action(office, meeting_id, item_id, text, owner, due):
    return minutes.add_action(office.conn, OP, item_id, text, owner, due)


def test_a_minute_action_becomes_a_task_with_its_assignee_and_due_date(office):
    meeting = office.meeting(days=-3, title="Autumn full board")
    item = office.item(meeting, "Budget")
    ann = office.person("Ann Able")
    due = dates.today() + timedelta(days=20)
    task_id = _action(office, meeting, item, "Send the budget to the trust", ann, due)
    task = tasks.get(office.conn, Identity.load(office.conn, ann), task_id)
    assert task["title"] == "Send the budget to the trust"
    assert [a["id"] for a in task["assignees"]] == [ann]
    assert task["due_on"] == due.isoformat()
    assert task["meeting_id"] == meeting and task["item_id"] == item
    assert task["body_id"] == office.board_id
    assert task["status"] == "not_started"
    # The minutes show it, read from the task.
    assert minutes.for_meeting(office.conn, meeting, None)["part1"][0]["actions"][0][
        "text"] == "Send the budget to the trust"
    assert _audited(office, "task.create") == [f"task:{task_id}"]


def test_an_overdue_action_shows_red_with_words_and_completing_records_who_and_when(
        signed_in, office):
    client, person = signed_in("author")
    office.member(person.id)
    meeting = office.meeting(days=-30)
    item = office.item(meeting, "Safeguarding")
    late = _action(office, meeting, item, "Update the single central record", person.id,
                   dates.today() - timedelta(days=2))
    soon = _action(office, meeting, item, "Book the training", person.id,
                   dates.today() + timedelta(days=3))
    later = _action(office, meeting, item, "Review the policy", person.id,
                    dates.today() + timedelta(days=30))
    page = client.get("/alpha/actions").get_data(as_text=True)
    for task_id, colour, words in ((late, "red", "Overdue"), (soon, "amber", "Due soon"),
                                   (later, "green", "On track")):
        row = re.search(rf'href="/alpha/actions/{task_id}">.*?</span>', page, re.S).group(0)
        assert f'rag-{colour}' in row and words in row  # colour and words, never colour alone
    # The assignee completes it: who and when are recorded.
    resp = client.post(f"/alpha/actions/{late}/status", {"status": "done", "back": "show"},
                       form_page=f"/alpha/actions/{late}")
    assert resp.status_code == 303
    row = office.conn.execute("SELECT status, completed_by, completed_at FROM tasks"
                              " WHERE id = ?", (late,)).fetchone()
    assert row["status"] == "done" and row["completed_by"] == person.id
    assert row["completed_at"]
    shown = client.get(f"/alpha/actions/{late}").get_data(as_text=True)
    assert "Done" in shown and 'data-testid="completed-by"' in shown
    assert _audited(office, "task.status") == [f"task:{late}"]


def test_the_next_meeting_of_the_same_body_lists_open_actions_under_matters_arising(
        signed_in, new_client, make_user, office):
    client, clerk = signed_in("manager")
    earlier = office.meeting(days=-30, title="Autumn full board")
    item = office.item(earlier, "Premises")
    ann = office.person("Ann Able")
    _action(office, earlier, item, "Get three quotes for the roof", ann, None)
    done_one = _action(office, earlier, item, "Check the fire doors", ann, None)
    tasks.set_status(office.conn, OP, done_one, "done")
    other_body = office.meeting(days=-20, body_id=office.committee_id, title="Finance")
    other_item = office.item(other_body, "Audit")
    _action(office, other_body, other_item, "Send the accounts to the auditor", ann, None)
    nxt = office.meeting(days=10, title="Spring full board")

    page = client.get(f"/alpha/meetings/{nxt}").get_data(as_text=True)
    arising = re.search(r'data-testid="matters-arising".*?</div>', page, re.S).group(0)
    assert "Get three quotes for the roof" in arising
    assert "Check the fire doors" not in arising          # done
    assert "Send the accounts to the auditor" not in arising  # another body's
    # The clerk adds it to the agenda as an item.
    client.post(f"/alpha/actions/matters-arising/{nxt}", {}, form_page=f"/alpha/meetings/{nxt}")
    titles = [r[0] for r in office.conn.execute(
        "SELECT title FROM agenda_items WHERE meeting_id = ?", (nxt,))]
    assert titles == ["Matters arising"]
    # Everyone who sees the meeting now reads them under the item.
    governor, person = new_client(), make_user(role="author")
    sign_in(governor, person)
    assert "Get three quotes for the roof" in governor.get(f"/alpha/meetings/{nxt}").get_data(
        as_text=True)


def test_approved_minutes_keep_their_actions_whatever_the_task_becomes(office):
    earlier = office.meeting(days=-30, title="Autumn full board")
    later = office.meeting(days=-1, title="Spring full board")
    item = office.item(earlier, "Budget")
    ann = office.person("Ann Able")
    task_id = _action(office, earlier, item, "Send the budget", ann, None)
    attendance.save_attendance_register(office.conn, OP, earlier, {ann: "present"})
    attendance.lock_attendance_register(office.conn, OP, earlier)
    minutes.circulate(office.conn, OP, earlier)
    minutes.approve(office.conn, OP, earlier, later, "Alpha")
    before = minutes.for_meeting(office.conn, earlier, None)
    tasks.set_status(office.conn, OP, task_id, "done")
    office.conn.execute("UPDATE tasks SET title = 'changed' WHERE id = ?", (task_id,))
    assert minutes.for_meeting(office.conn, earlier, None) == before


def test_matters_arising_is_known_by_its_kind_and_lists_the_actions_in_the_pack(
        signed_in, office):
    # Attack 14: the pack showed the item with no actions, and a renamed item lost its list.
    import io

    from pypdf import PdfReader

    from gvo.meetings import agenda

    client, _clerk = signed_in("manager")
    earlier = office.meeting(days=-30, title="Autumn full board")
    item = office.item(earlier, "Premises")
    ann = office.person("Ann Able")
    _action(office, earlier, item, "Get three quotes for the roof", ann, None)
    nxt = office.meeting(days=10, title="Spring full board")
    client.post(f"/alpha/actions/matters-arising/{nxt}", {}, form_page=f"/alpha/meetings/{nxt}")
    (added,) = [r[0] for r in office.conn.execute(
        "SELECT id FROM agenda_items WHERE meeting_id = ?", (nxt,))]
    agenda.update_item(office.conn, OP, added, agenda.ItemInput(
        "Minutes of the last meeting and matters arising", "decision"))
    page = client.get(f"/alpha/meetings/{nxt}").get_data(as_text=True)
    arising = re.search(r'data-testid="matters-arising".*?</div>', page, re.S).group(0)
    assert "Get three quotes for the roof" in arising
    assert "/actions/matters-arising/" not in arising   # no second item offered
    pack = client.get(f"/alpha/meetings/{nxt}/pack.pdf")
    assert pack.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pack.data)).pages)
    assert "Get three quotes for the roof" in " ".join(text.split())
