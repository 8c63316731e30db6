"""Acceptance 2 (issue 16): discussions obey rooms. Someone outside a room (an Author, a
Reader, and a Manager too: a room binds Managers) cannot list, open, comment on, follow,
approve, share or be mailed about a topic in it, through whole pages, htmx partials, the
folder's page, What's new, the newsletter, or a mail reference; those inside can."""

import pytest

from gvo.core import paging
from gvo.core.errors import NotFound
from gvo.discussion import approvals, comments, followers, subjects, topics
from gvo.library import news
from gvo.mail import refs
from gvo.newsletter import letters

OUTSIDERS = ("clerk", "cal", "ben")
HTMX = {"HX-Request": "true"}


def _people_mailed(conn, ref_id: int, kind: str) -> set[int]:
    """Who a notice of `kind` about topic `ref_id` was queued or held for."""
    rows = conn.execute(
        "SELECT user_id FROM mail_outbox WHERE kind = ? AND ref_type = 'topic' AND ref_id = ?"
        " UNION SELECT user_id FROM mail_held WHERE kind = ? AND ref_type = 'topic'"
        " AND ref_id = ?", (kind, ref_id, kind, ref_id))
    return {r[0] for r in rows}


def _comment_rows(conn, topic_id: int) -> int:
    return conn.execute("SELECT count(*) FROM comments WHERE subject_type = 'topic'"
                        " AND subject_id = ?", (topic_id,)).fetchone()[0]


@pytest.mark.parametrize("name", OUTSIDERS)
def test_someone_outside_the_room_cannot_list_or_open_its_topic(scene, as_person, name):
    client = as_person(name)
    s, t = "/alpha", scene.room_topic
    listed = client.get(f"{s}/discussions").get_data(as_text=True)
    assert "Governor visits this term" in listed          # the open topic is listed
    assert "Headteacher pay award" not in listed and "Pay panel" not in listed
    for order in topics.ORDERS:
        page = client.get(f"{s}/discussions?order={order}").get_data(as_text=True)
        assert "Headteacher pay award" not in page
    # The next rows by htmx, from a position before every topic: the room's never come.
    after = paging.encode(("9999-12-31T00:00:00Z", 2**62))
    rows = client.get(f"{s}/discussions?after={after}", headers=HTMX)
    assert rows.status_code == 200 and "Headteacher pay award" not in rows.get_data(as_text=True)
    assert "Governor visits this term" in rows.get_data(as_text=True)
    # The room's folder as a filter, the topic, its parts and its forms: all 404 (a Reader
    # is refused the Authors' forms for every id alike: 403).
    authors_only = (f"{s}/discussions/{t}/edit", f"{s}/discussions/{t}/delete",
                    f"{s}/discussions/new?folder={scene.room}")
    for path in (f"{s}/discussions?folder={scene.room}", f"{s}/discussions/{t}",
                 f"{s}/share/topic/{t}", f"{s}/library/topic/{t}/comments",
                 f"{s}/library/folders/{scene.room}", *authors_only):
        expected = 403 if name == "ben" and path in authors_only else 404
        for headers in ({}, HTMX):
            resp = client.get(path, headers=headers)
            assert resp.status_code == expected, path
            assert "pay award" not in resp.get_data(as_text=True), path
    # Not in the new topic's folder choices, nor in the filter.
    form = client.get(f"{s}/discussions/new").get_data(as_text=True) if name != "ben" else ""
    assert "Pay panel" not in form
    # Not on the home page's What's new, nor in the newsletter's library lines.
    home = client.get(f"{s}/").get_data(as_text=True)
    assert "Headteacher pay award" not in home and "Governor visits this term" in home
    who = scene.who(name)
    lines = letters._library_lines(scene.conn, who, "2000-01-01T00:00:00Z")
    assert [line.text for line in lines if "pay award" in line.text] == []
    assert all(n["subject_id"] != t or n["subject_type"] != "topic"
               for n in news.page(scene.conn, who, size=50))
    with pytest.raises(NotFound):
        subjects.load(scene.conn, who, "topic", t)
    assert not refs.visible_to(scene.conn, who, "topic", t)
    assert not refs.visible_to(scene.conn, who, "shared:topic", t)


@pytest.mark.parametrize("name", ("clerk", "cal"))
def test_someone_outside_the_room_cannot_write_to_its_topic(scene, as_person, name):
    conn, s, t = scene.conn, "/alpha", scene.room_topic
    ann = scene.who("ann")
    first = comments.add(conn, ann, subjects.load(conn, ann, "topic", t), "Ann's view")
    approvals.request_approval(conn, ann, subjects.load(conn, ann, "topic", t), "approved")
    client = as_person(name)
    client.get(f"{s}/discussions/{scene.open_topic}")  # a page with forms: a CSRF token
    token = client.token()
    before = _comment_rows(conn, t), conn.execute("SELECT count(*) FROM audit_log").fetchone()
    posts = {
        f"{s}/library/topic/{t}/comments": {"body": "Let me in"},
        f"{s}/library/topic/{t}/comments/{first}/edit": {"body": "Changed"},
        f"{s}/library/topic/{t}/comments/{first}/delete": {"confirmed": "1"},
        f"{s}/library/topic/{t}/comments/lock": {"locked": "1"},
        f"{s}/library/topic/{t}/approval": {"mode": "approved"},
        f"{s}/library/topic/{t}/approval/approve": {},
        f"{s}/library/topic/{t}/approval/lock": {"locked": "1"},
        f"{s}/follow/topic/{t}": {"following": "1"},
        f"{s}/discussions/{t}/edit": {"title": "Taken", "body": "Taken"},
        f"{s}/discussions/{t}/delete": {"confirmed": "1"},
        f"{s}/share/topic/{t}": {"people": str(scene.people["cal"].id), "message": "Look"},
        f"{s}/discussions/new": {"folder_id": str(scene.room), "title": "Sneaky",
                                 "body": "In the room"},
    }
    for path, data in posts.items():
        for headers in ({}, HTMX):
            resp = client.post(path, {**data, "csrf_token": token}, csrf=False,
                               headers=headers)
            assert resp.status_code in (404, 422), (path, resp.status_code)
            assert "pay award" not in resp.get_data(as_text=True), path
    after = _comment_rows(conn, t), conn.execute("SELECT count(*) FROM audit_log").fetchone()
    assert after == before
    assert not followers.is_following(conn, subjects.load(conn, ann, "topic", t),
                                      scene.people[name].id)
    assert conn.execute("SELECT count(*) FROM topics WHERE title = 'Sneaky'").fetchone()[0] == 0
    topic = topics.get(conn, ann, t)
    assert topic["title"] == "Headteacher pay award" and topic["deleted_at"] is None


def test_a_manager_cannot_subscribe_someone_outside_the_room(scene, mail_on):
    conn = scene.conn
    eve = scene.who("eve")  # an Editor in the room, not a Manager
    subject = subjects.load(conn, eve, "topic", scene.room_topic)
    with pytest.raises(Exception, match="Manager"):
        followers.set_following(conn, eve, subject, True, scene.people["cal"].id)
    with pytest.raises(NotFound):  # the clerk, outside, cannot even name it
        subjects.load(conn, scene.who("clerk"), "topic", scene.room_topic)


def test_only_people_in_the_room_are_mailed_about_its_topics(scene, mail_on):
    conn = scene.conn
    ann, eve, cal = scene.who("ann"), scene.who("eve"), scene.who("cal")
    room_topic = topics.create(conn, ann, scene.room, title="Panel date", body="When?")
    open_topic = topics.create(conn, ann, scene.open_folder, title="Visits", body="Who?")
    ids = {n: p.id for n, p in scene.people.items()}
    # A new topic is announced to everyone else who may open its folder.
    assert _people_mailed(conn, room_topic, "topic") == {ids["eve"]}
    assert _people_mailed(conn, open_topic, "topic") == {ids["clerk"], ids["eve"],
                                                         ids["cal"], ids["ben"]}
    # A comment reaches its followers (the author follows from the start) who may open it.
    followers.set_following(conn, eve, subjects.load(conn, eve, "topic", room_topic), True)
    question = comments.add(conn, eve, subjects.load(conn, eve, "topic", room_topic),
                            "Thursday?")
    assert _people_mailed(conn, room_topic, "comment") == {ids["ann"]}
    comments.add(conn, ann, subjects.load(conn, ann, "topic", room_topic), "Yes",
                 parent_id=question)
    assert _people_mailed(conn, room_topic, "reply") == {ids["eve"]}
    # Someone who follows the open topic hears of it; nobody outside the room ever hears of
    # the room's.
    followers.set_following(conn, cal, subjects.load(conn, cal, "topic", open_topic), True)
    comments.add(conn, ann, subjects.load(conn, ann, "topic", open_topic), "Me")
    assert ids["cal"] in _people_mailed(conn, open_topic, "comment")
    outside = {ids["clerk"], ids["cal"], ids["ben"]}
    for kind in ("topic", "comment", "reply", "approval_request"):
        assert not outside & _people_mailed(conn, room_topic, kind), kind
    words = b"".join(r[0] for r in conn.execute(
        "SELECT message FROM mail_outbox WHERE user_id IN (?, ?, ?)", sorted(outside)))
    assert b"Panel date" not in words
    # The mail reference is checked again when mail is made: not for someone outside.
    assert refs.may_open(conn, ids["eve"], "topic", room_topic)
    assert not refs.may_open(conn, ids["cal"], "topic", room_topic)
    assert not refs.may_open(conn, ids["clerk"], "topic", room_topic)


def test_someone_who_leaves_the_room_hears_no_more(scene, mail_on):
    from gvo.library import folders

    conn = scene.conn
    ann, clerk, eve = scene.who("ann"), scene.who("clerk"), scene.who("eve")
    ids = {n: p.id for n, p in scene.people.items()}
    room = folders.create_folder(conn, clerk, parent_id=None, title="Appraisal",
                                 restricted=True, users=[ids["clerk"], ids["ann"], ids["eve"]])
    topic = topics.create(conn, ann, room, title="Targets", body="Draft targets")
    followers.set_following(conn, eve, subjects.load(conn, eve, "topic", topic), True)
    folders.update_folder(conn, clerk, room, title="Appraisal", description="", sort_order=0,
                          restricted=True, users=[ids["clerk"], ids["ann"]])
    comments.add(conn, ann, subjects.load(conn, ann, "topic", topic), "Agreed?")
    assert _people_mailed(conn, topic, "comment") == set()
    assert not refs.may_open(conn, ids["eve"], "topic", topic)


def test_people_in_the_room_take_part(scene, as_person):
    client = as_person("eve")
    s, t = "/alpha", scene.room_topic
    page = client.get(f"{s}/discussions/{t}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Headteacher pay award" in text and "The adviser recommends one point." in text
    assert "Headteacher pay award" in client.get(f"{s}/discussions").get_data(as_text=True)
    assert "Headteacher pay award" in client.get(
        f"{s}/discussions?folder={scene.room}").get_data(as_text=True)
    assert "Headteacher pay award" in client.get(
        f"{s}/library/folders/{scene.room}").get_data(as_text=True)
    client.get(f"{s}/discussions/{t}")
    resp = client.post(f"{s}/library/topic/{t}/comments", {"body": "Agreed to read it"},
                       headers=HTMX)
    assert resp.status_code == 200 and "Agreed to read it" in resp.get_data(as_text=True)
    client.get(f"{s}/discussions/{t}")
    assert client.post(f"{s}/follow/topic/{t}", {"following": "1"}).status_code == 302
    assert followers.is_following(scene.conn, subjects.load(scene.conn, scene.who("eve"),
                                                            "topic", t), scene.people["eve"].id)
    rows = client.get(f"{s}/library/topic/{t}/comments", headers=HTMX)
    assert rows.status_code == 200
    home = client.get(f"{s}/").get_data(as_text=True)
    assert f"/alpha/discussions/{t}" in home
    lines = letters._library_lines(scene.conn, scene.who("eve"), "2000-01-01T00:00:00Z")
    assert any(line.path == f"/discussions/{t}" for line in lines)


def test_sharing_a_room_topic_leaves_out_those_outside_the_room(scene, mail_on):
    from gvo.sharing import share

    conn = scene.conn
    ids = {n: p.id for n, p in scene.people.items()}
    outcome = share.share(conn, scene.who("ann"), "topic", scene.room_topic,
                          people=[ids["eve"], ids["cal"], ids["clerk"]], message="Please read")
    assert outcome.sent == ["Eve"]
    assert outcome.left_out == [("Cal", "not in the room “Pay panel”"),
                                ("Clerk", "not in the room “Pay panel”")]
    mailed = {r[0] for r in conn.execute("SELECT user_id FROM mail_outbox WHERE kind = 'share'")}
    assert mailed == {ids["eve"]}
    body = conn.execute("SELECT message FROM mail_outbox WHERE kind = 'share'").fetchone()[0]
    assert f"/alpha/discussions/{scene.room_topic}".encode() in bytes(body)
    assert b"The adviser recommends" not in bytes(body)  # a link, never the text
