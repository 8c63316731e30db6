"""Issue 10, one discussion layer: comments on circulated minutes are comments on the
subject ('minutes', meeting id) of gvo/discussion. A school upgraded from the release before
(which kept them in their own table, `minutes_comments`) keeps every one, with its author,
text and time, and shows them on the meeting's page; the same people as before comment."""

import pytest
from conftest import page_text

from gvo.core.errors import NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.discussion import comments as discussion
from gvo.discussion import subjects
from gvo.meetings import minutes

NOW = "2026-01-01T00:00:00Z"
OLD_MINUTES = f"""
    INSERT INTO users(id, email, name, role, created_at, updated_at) VALUES
        (1, 'ann@example.org', 'Ann Able', 'author', '{NOW}', '{NOW}'),
        (2, 'ben@example.org', 'Ben Bold', 'editor', '{NOW}', '{NOW}');
    INSERT INTO bodies(id, name, kind) VALUES (1, 'Full Governing Board', 'board');
    INSERT INTO body_members(body_id, user_id) VALUES (1, 1);
    INSERT INTO meetings(id, body_id, title, starts_at, ends_at, minutes_status, created_at,
        updated_at) VALUES
        (1, 1, 'Autumn', '2025-10-01T18:00', '2025-10-01T20:00', 'circulated', '{NOW}', '{NOW}'),
        (2, 1, 'Winter', '2025-12-01T18:00', '2025-12-01T20:00', 'circulated', '{NOW}', '{NOW}');
    INSERT INTO minutes_comments(id, meeting_id, user_id, body, at) VALUES
        (1, 1, 1, 'Item 1: spell budget right.', '2025-10-03T09:15:00Z'),
        (2, 2, 2, 'Winter: the date is wrong.', '2025-12-02T10:00:00Z'),
        (3, 1, 2, 'Item 2: add the vote.', '2025-10-04T16:30:00Z');
"""


def test_minutes_comments_carried_onto_the_discussion_layer(upgraded_school):
    conn = upgraded_school(12, OLD_MINUTES)
    assert not conn.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'minutes_comments'").fetchone()
    rows = conn.execute("SELECT subject_type, subject_id, parent_id, author_id, body, created_at"
                        " FROM comments ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [
        ("minutes", 1, None, 1, "Item 1: spell budget right.", "2025-10-03T09:15:00Z"),
        ("minutes", 2, None, 2, "Winter: the date is wrong.", "2025-12-02T10:00:00Z"),
        ("minutes", 1, None, 2, "Item 2: add the vote.", "2025-10-04T16:30:00Z")]
    assert [(c["author_name"], c["body"]) for c in minutes.comments(conn, 1)] == [
        ("Ann Able", "Item 1: spell budget right."), ("Ben Bold", "Item 2: add the vote.")]


def test_upgraded_comments_show_on_the_minutes_page_and_new_ones_join_them(
        upgraded_school, signed_in):
    conn = upgraded_school(12, OLD_MINUTES)
    client, member = signed_in("author", slug="old")
    conn.execute("INSERT INTO body_members(body_id, user_id) VALUES (1, ?)", (member.id,))
    text = page_text(client.get("/old/meetings/1"))
    assert "Ann Able" in text and "(Fri 3 Oct 2025): Item 1: spell budget right." in text
    assert "Ben Bold" in text and "(Sat 4 Oct 2025): Item 2: add the vote." in text
    assert "the date is wrong" not in text
    client.post("/old/meetings/1/minutes/comments", {"text": "Item 3: agreed."},
                form_page="/old/meetings/1")
    assert [c["body"] for c in minutes.comments(conn, 1)] == [
        "Item 1: spell budget right.", "Item 2: add the vote.", "Item 3: agreed."]
    newest = conn.execute("SELECT max(id) FROM comments").fetchone()[0]
    entry = conn.execute("SELECT action, target, detail FROM audit_log"
                         " ORDER BY id DESC LIMIT 1").fetchone()
    assert (entry["action"], entry["target"]) == ("comment.add", f"comment:{newest}")
    assert "minutes:1" in entry["detail"]


def test_minutes_are_discussed_on_their_page_only(upgraded_school, signed_in):
    conn = upgraded_school(12, OLD_MINUTES)
    client, _member = signed_in("editor", slug="old")
    # The library's comment and approval routes discuss documents and pages, not minutes.
    for path in ("/old/library/minutes/1/comments", "/old/library/minutes/1/approval"):
        resp = client.post(path, {"body": "x", "mode": "approved"}, form_page="/old/meetings/1")
        assert resp.status_code == 404, path
    assert len(minutes.comments(conn, 1)) == 2


def test_who_may_comment_on_minutes_is_the_meetings_rule(upgraded_school, make_user):
    conn = upgraded_school(12, OLD_MINUTES)
    member, editor = Identity.load(conn, 1, "192.0.2.1"), Identity.load(conn, 2, "192.0.2.2")
    outsider = Identity.load(conn, make_user("old", "author").id, "192.0.2.3")
    subject = subjects.load(conn, member, "minutes", 1)
    assert discussion.may_comment(conn, member, subject)
    assert discussion.may_comment(conn, editor, subject)
    assert not discussion.may_comment(conn, outsider, subject)
    with pytest.raises(NotFound):
        subjects.load(conn, outsider, "minutes", 1)
    with pytest.raises(NotFound):
        minutes.add_comment(conn, outsider, 1, "Let me in.")
    with pytest.raises(NotPermitted):
        discussion.add(conn, outsider, subject, "Let me in.")
    conn.execute("UPDATE meetings SET minutes_status = 'approved' WHERE id = 1")
    assert not discussion.may_comment(conn, member, subject)
