"""ATTACK11 finding 1: the audit page names nothing in a room to a Manager outside it. An
entry about a library item (a topic, a comment on it, a document, a page, the folder itself,
a task, the wastebin's delete and restore) in a folder the viewer may not open shows its
action and time and "(an item in a room you cannot open)" in place of its title and detail;
those inside see it all; the stored, hash-chained entry is not changed; and no entry holds a
topic's text."""

import re

from uploads import Part

from gvo.actions import tasks
from gvo.core import audit
from gvo.discussion import comments, subjects, topics
from gvo.library import access, documents, folders, pages

SECRET = "ZQXSECRET"


def _rows(page: str) -> list[str]:
    return re.findall(r"<tr><td><time.*?</tr>", page, re.S)


def test_a_manager_outside_a_room_sees_no_title_or_text_of_what_is_in_it(scene, as_person):
    conn, ann = scene.conn, scene.who("ann")
    sub = folders.create_folder(conn, ann, parent_id=scene.room, title=f"{SECRET} sub-folder")
    topic = topics.create(conn, ann, scene.room, title=f"{SECRET} pay award", body="Opening")
    topics.update(conn, ann, topic, title=f"{SECRET} pay award v2",
                  body=f"{SECRET} the head gets 5 percent")
    comments.add(conn, ann, subjects.load(conn, ann, "topic", topic), f"{SECRET} comment")
    page = pages.create_page(conn, ann, sub, title=f"{SECRET} page", body="Words")
    pages.update_page(conn, ann, page, title=f"{SECRET} page v2", body="More")
    [doc] = documents.add_files(conn, ann, sub, [Part(f"{SECRET}.txt", b"Pay\n")],
                                limit=10_000_000)
    tasks.create(conn, scene.who("eve"),
                 tasks.TaskInput(title=f"{SECRET} task", folder_id=scene.room))
    topics.delete(conn, ann, topic)
    # Something open to everyone, for comparison: the clerk sees its title.
    topics.create(conn, ann, scene.open_folder, title="Open ZQXOPEN topic", body="")
    before = audit.verify(conn)
    assert before.ok

    outside = as_person("clerk").get("/alpha/admin/audit").get_data(as_text=True)
    assert SECRET not in outside and "5 percent" not in outside and "Pay panel" not in outside
    assert "Open ZQXOPEN topic" in outside
    hidden = [r for r in _rows(outside) if access.HIDDEN_ENTRY in r]
    # folder x2 (room, sub-folder), topic create/update/delete, comment, page x2,
    # document, task: each shows its action, time and the kind of item only.
    assert len(hidden) >= 10
    assert any("Discussion topic update" in r for r in hidden)
    assert any("Library topic delete" in r for r in hidden)
    assert any(">topic<" in r for r in hidden) and not any("topic:" in r for r in hidden)
    # The stored chain is untouched: it still verifies and still holds the titles.
    assert audit.verify(conn).ok
    assert conn.execute("SELECT count(*) FROM audit_log WHERE detail LIKE ?",
                        (f"%{SECRET}%",)).fetchone()[0] >= 5

    # The service decides it alike for the Editor inside the room: nothing hidden from her.
    rows = audit.page(conn).items
    assert access.hidden_entries(conn, scene.who("eve"), rows) == set()
    assert len(access.hidden_entries(conn, scene.who("clerk"), rows)) == len(hidden)


def test_no_audit_entry_holds_a_topics_text(scene):
    conn, ann = scene.conn, scene.who("ann")
    topics.update(conn, ann, scene.room_topic, title="Headteacher pay award",
                  body="ZQXBODY2 the head gets 5 percent")
    stored = " ".join(r[0] for r in conn.execute("SELECT detail FROM audit_log"))
    assert "ZQXBODY2" not in stored and "The adviser recommends" not in stored
