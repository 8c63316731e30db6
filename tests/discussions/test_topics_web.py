"""Discussion topics on the web: the statement that no formal business is conducted, safe
display of what people type (titles and Markdown), titles in any script, CSRF on every form,
every write audited, who may edit and delete, the wastebin, and bad input kept."""

import json
import re

import pytest

from gvo.core.errors import NotPermitted
from gvo.discussion import comments, subjects, topics
from gvo.library import wastebin

S = "/alpha"
HTMX = {"HX-Request": "true"}
REGULATION = ("The School Governance (Roles, Procedures and Allowances) (England) "
              "Regulations 2013, regulation 14")


def _audit(conn, action: str) -> list:
    return conn.execute("SELECT actor_id, target, detail FROM audit_log WHERE action = ?"
                        " ORDER BY id", (action,)).fetchall()


def test_the_pages_say_no_formal_business_is_conducted_by_discussion(scene, as_person):
    client = as_person("ann")
    for path in (f"{S}/discussions", f"{S}/discussions/new",
                 f"{S}/discussions/{scene.open_topic}",
                 f"{S}/discussions/{scene.open_topic}/edit"):
        page = client.get(path).get_data(as_text=True)
        assert 'data-testid="no-formal-business"' in page, path
        assert "No formal business is conducted in discussions" in page, path
        assert "cannot make a decision" in page and REGULATION in page, path


def test_a_topic_is_started_edited_and_deleted_to_the_wastebin_all_audited(
        scene, as_person, new_client, clock):
    from conftest import sign_in

    conn = scene.conn
    client = as_person("ann")
    resp = client.post(f"{S}/discussions/new", {
        "folder_id": str(scene.open_folder), "title": "Spring visits",
        "body": "Who can **visit**?"}, form_page=f"{S}/discussions/new")
    assert resp.status_code == 303
    topic_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"{S}/discussions/{topic_id}").get_data(as_text=True)
    assert "<strong>visit</strong>" in page and "Started by Ann" in page
    [(actor, target, detail)] = _audit(conn, "discussion.topic.create")[-1:]
    assert (actor, target) == (scene.people["ann"].id, f"topic:{topic_id}")
    assert json.loads(detail)["title"] == "Spring visits"
    # Its author edits it; the audit keeps which fields changed and the text's lengths,
    # never the words.
    clock.advance(60)
    resp = client.post(f"{S}/discussions/{topic_id}/edit",
                       {"title": "Spring term visits", "body": "Who can visit?"},
                       form_page=f"{S}/discussions/{topic_id}/edit")
    assert resp.status_code == 303
    [(_, _, detail)] = _audit(conn, "discussion.topic.update")
    assert json.loads(detail) == {"title": "Spring term visits", "changed": ["title", "text"],
                                  "text_length": {"before": 18, "after": 14}}
    assert "edited" in client.get(f"{S}/discussions/{topic_id}").get_data(as_text=True)
    # Another Author may not edit or delete it; an Editor (Eve) and a Manager may.
    other = new_client()
    sign_in(other, scene.people["cal"])
    assert other.get(f"{S}/discussions/{topic_id}/edit").status_code == 403
    other.get(f"{S}/discussions/{topic_id}")
    assert other.post(f"{S}/discussions/{topic_id}/delete",
                      {"confirmed": "1"}).status_code == 403
    with pytest.raises(NotPermitted):
        topics.update(conn, scene.who("cal"), topic_id, title="Mine", body="")
    topics.update(conn, scene.who("eve"), topic_id, title="Spring term visits (Eve)", body="")
    # Delete asks first, then goes to the wastebin (audited), where a Manager restores it.
    asked = client.post(f"{S}/discussions/{topic_id}/delete", {},
                        form_page=f"{S}/discussions/{topic_id}")
    assert asked.status_code == 200 and 'name="confirmed" value="1"' in client.last_text
    assert topics.exists(conn, topic_id) and topics.get(conn, scene.who("ann"), topic_id)
    resp = client.post(f"{S}/discussions/{topic_id}/delete", {"confirmed": "1"})
    assert resp.status_code == 303
    assert client.get(f"{S}/discussions/{topic_id}").status_code == 404
    assert "Spring term visits" not in client.get(f"{S}/discussions").get_data(as_text=True)
    assert _audit(conn, "library.topic.delete")[-1][1] == f"topic:{topic_id}"
    clerk = new_client()
    sign_in(clerk, scene.people["clerk"])
    bin_page = clerk.get(f"{S}/library/wastebin").get_data(as_text=True)
    assert "Spring term visits (Eve)" in bin_page and "topic" in bin_page
    clerk.post(f"{S}/library/wastebin/topic/{topic_id}/restore", {})
    assert _audit(conn, "library.topic.restore")[-1][1] == f"topic:{topic_id}"
    assert client.get(f"{S}/discussions/{topic_id}").status_code == 200
    # A room's deleted topic stays out of the wastebin of a Manager outside the room.
    topics.delete(conn, scene.who("ann"), scene.room_topic)
    assert all(i["id"] != scene.room_topic or i["kind"] != "topic"
               for i in wastebin.items(conn, scene.who("clerk")))


def test_comments_approval_and_following_on_a_topic_are_audited(scene, as_person, clock):
    conn = scene.conn
    client = as_person("eve")
    t = scene.open_topic
    client.get(f"{S}/discussions/{t}")
    client.post(f"{S}/library/topic/{t}/comments", {"body": "First thoughts"})
    [(actor, target, _)] = _audit(conn, "comment.add")[-1:]
    assert actor == scene.people["eve"].id and target.startswith("comment:")
    client.get(f"{S}/discussions/{t}")
    client.post(f"{S}/library/topic/{t}/approval", {"mode": "read_approved"})
    assert _audit(conn, "approval.request")[-1][1] == f"topic:{t}"
    client.get(f"{S}/discussions/{t}")
    client.post(f"{S}/library/topic/{t}/approval/approve", {})
    assert _audit(conn, "approval.mark")[-1][1] == f"topic:{t}"
    client.get(f"{S}/discussions/{t}")
    client.post(f"{S}/follow/topic/{t}", {"following": "1"})
    assert _audit(conn, "follow.on")[-1][1] == f"topic:{t}"
    page = client.get(f"{S}/discussions/{t}").get_data(as_text=True)
    assert "First thoughts" in page and "You approved this." in page and "Unfollow" in page
    # A comment is activity: the topic comes first in the list.
    clock.advance(60)
    topics.create(conn, scene.who("ann"), scene.open_folder, title="Later topic", body="")
    listed = client.get(f"{S}/discussions").get_data(as_text=True)
    assert listed.index("Later topic") < listed.index("Governor visits this term")
    clock.advance(60)
    comments.add(conn, scene.who("ann"), subjects.load(conn, scene.who("ann"), "topic", t),
                 "Newest")
    listed = client.get(f"{S}/discussions").get_data(as_text=True)
    assert listed.index("Governor visits this term") < listed.index("Later topic")


def test_every_form_needs_its_csrf_token(scene, as_person):
    conn = scene.conn
    client = as_person("ann")
    t = scene.open_topic
    first = comments.add(conn, scene.who("ann"),
                         subjects.load(conn, scene.who("ann"), "topic", t), "Mine")
    posts = {
        f"{S}/discussions/new": {"folder_id": str(scene.open_folder), "title": "Forged",
                                 "body": "x"},
        f"{S}/discussions/{t}/edit": {"title": "Forged", "body": "x"},
        f"{S}/discussions/{t}/delete": {"confirmed": "1"},
        f"{S}/library/topic/{t}/comments": {"body": "Forged"},
        f"{S}/library/topic/{t}/comments/{first}/edit": {"body": "Forged"},
        f"{S}/library/topic/{t}/comments/{first}/delete": {"confirmed": "1"},
        f"{S}/library/topic/{t}/comments/lock": {"locked": "1"},
        f"{S}/library/topic/{t}/approval": {"mode": "approved"},
        f"{S}/library/topic/{t}/approval/approve": {},
        f"{S}/follow/topic/{t}": {"following": "1"},
        f"{S}/share/topic/{t}": {"people": str(scene.people["cal"].id)},
    }
    before = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    for path, data in posts.items():
        for token in (None, "forged-token"):
            sent = dict(data) if token is None else {**data, "csrf_token": token}
            resp = client.post(path, sent, csrf=False)
            assert resp.status_code == 400, (path, token, resp.status_code)
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before
    topic = topics.get(conn, scene.who("ann"), t)
    assert topic["title"] == "Governor visits this term" and topic["deleted_at"] is None


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_what_people_type_is_shown_safely(scene, as_person):
    conn = scene.conn
    topic_id = topics.create(
        conn, scene.who("ann"), scene.open_folder, title=f"Budget {XSS}",
        body=f"{XSS}\n\n[click](javascript:alert(1)) <a href=\"javascript:x\">raw</a>\n\n"
             "**fine**")
    comments.add(conn, scene.who("ann"), subjects.load(conn, scene.who("ann"), "topic",
                                                       topic_id), f"Reply {XSS}")
    client = as_person("eve")
    for path in (f"{S}/discussions/{topic_id}", f"{S}/discussions",
                 f"{S}/library/folders/{scene.open_folder}", f"{S}/",
                 f"{S}/discussions/{topic_id}/edit", f"{S}/discussions/{topic_id}/delete"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert not re.search(r"<a [^>]*href=\"javascript", page), path
        assert not re.search(r"<img[^>]*onerror", page), path
        assert "&lt;script&gt;" in page, path
    page = client.get(f"{S}/discussions/{topic_id}").get_data(as_text=True)
    assert "<strong>fine</strong>" in page
    assert "&lt;a href=" in page  # raw HTML in the text is shown as text


NAMES = ["Żółta kartka: zasady", "Ysgol: ymweliadau'r llywodraethwyr", "预算讨论",
         "مناقشة الميزانية", "ćwiczenia przeciwpożarowe", "Ćwiczenia w terenie", "apple pie",
         "Łódź visit"]


def test_titles_in_any_script_display_and_sort(scene, as_person):
    conn = scene.conn
    ann = scene.who("ann")
    for name in NAMES:
        topics.create(conn, ann, scene.open_folder, title=name, body=name)
    client = as_person("ann")
    page = client.get(f"{S}/discussions?order=title&folder={scene.open_folder}"
                      ).get_data(as_text=True)
    shown = [re.sub(r"&#39;", "'", t) for t in re.findall(
        r'<li data-testid="topic"><a href="/alpha/discussions/\d+">([^<]+)</a>', page)]
    assert sorted(shown) == sorted([*NAMES, "Governor visits this term"])
    # Case and accents of any script do not split letters apart: ć beside Ć, Ł with L, Ż
    # with Z; Arabic and Chinese titles sort by their transliteration, consistently.
    assert shown.index("ćwiczenia przeciwpożarowe") == shown.index("Ćwiczenia w terenie") - 1
    assert shown.index("Governor visits this term") < shown.index("Łódź visit") \
        < shown.index("Ysgol: ymweliadau'r llywodraethwyr") < shown.index("Żółta kartka: zasady")
    assert shown[0] == "apple pie"
    assert [r["title"] for r in topics.page(conn, ann, folder_id=scene.open_folder,
                                            order="title", size=50)] == shown
    # Paged a few at a time, the pages follow one another without a gap or repeat.
    seen, after = [], None
    while True:
        part = topics.page(conn, ann, folder_id=scene.open_folder, order="title", after=after,
                           size=3)
        seen += [r["title"] for r in part]
        if part.after is None:
            break
        after = part.after
    assert seen == shown
    for name in ("预算讨论", "مناقشة الميزانية"):
        topic_id = conn.execute("SELECT id FROM topics WHERE title = ?", (name,)).fetchone()[0]
        assert f"<h1>{name}</h1>" in client.get(f"{S}/discussions/{topic_id}").get_data(
            as_text=True)


def test_bad_input_gets_a_clear_message_and_keeps_what_was_typed(scene, as_person):
    client = as_person("ann")
    long_text = "x" * (topics.MAX_BODY + 1)
    cases = [
        ({"folder_id": "0", "title": "No folder", "body": "kept words"}, "Choose the folder"),
        ({"folder_id": str(scene.open_folder), "title": "", "body": "kept words"},
         "This field is required"),
        ({"folder_id": str(scene.room + 1000), "title": "Hidden", "body": "kept words"},
         "Not a valid choice"),
        ({"folder_id": str(scene.open_folder), "title": "Long", "body": long_text},
         "Field cannot be longer than"),
    ]
    for data, message in cases:
        resp = client.post(f"{S}/discussions/new", data, form_page=f"{S}/discussions/new")
        assert resp.status_code == 422, data
        page = client.last_text
        assert message in page, (message, page[:2000])
        assert 'role="alert"' in page
        if data["body"] == "kept words":
            assert "kept words" in page
    assert scene.conn.execute("SELECT count(*) FROM topics").fetchone()[0] == 2
    # The list's odd parameters: no 500.
    for query in ("order=sideways", "folder=abc", "folder=-1", f"folder={2**70}",
                  "after=not-a-token"):
        assert client.get(f"{S}/discussions?{query}").status_code in (200, 400, 404), query
