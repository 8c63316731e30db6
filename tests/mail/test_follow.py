"""Subscribe: followers of a commentable item hear of new comments, replies and approval
requests; the person who acted does not, nor a follower who lost access to the item."""

import pytest
from conftest import BASE

from gvo.core.errors import InvalidInput, NotPermitted
from gvo.discussion import approvals, comments, followers, subjects
from gvo.library import folders
from gvo.meetings import minutes
from gvo.people import accounts
from mail.scene import PAPER_WORDS, build, signed_in_client


@pytest.fixture
def scene(instance, school, mail_app):
    return build(instance.db(school))


def _subject(scene, user_id, kind="document", ref=None):
    return subjects.load(scene.conn, scene.who(user_id), kind, ref or scene.room_doc)


def _queued(conn, kind):
    return sorted((r[0], r[1]) for r in conn.execute(
        "SELECT recipient, subject FROM mail_outbox WHERE kind = ?", (kind,)))


def test_followers_hear_of_comments_replies_and_approval_requests_but_not_the_actor(
        scene, instance, smtp_server, start_sender):
    conn = scene.conn
    clerk_view = _subject(scene, scene.clerk)
    # the creator (the clerk) follows by default; Ann follows by choice
    assert followers.is_following(conn, clerk_view, scene.clerk)
    followers.set_following(conn, scene.who(scene.ann), _subject(scene, scene.ann), True)
    first = comments.add(conn, scene.who(scene.ann), _subject(scene, scene.ann),
                         "Secret pay figures are in here")
    assert _queued(conn, "comment") == [("clerk@ex.org", "New comment on “appraisal”")]
    comments.add(conn, scene.who(scene.clerk), clerk_view, "Thanks", parent_id=first)
    assert _queued(conn, "reply") == [("ann@ex.org", "New reply on “appraisal”")]
    approvals.request_approval(conn, scene.who(scene.clerk), clerk_view, "approved")
    assert _queued(conn, "approval_request") == [
        ("ann@ex.org", "Approval requested: “appraisal”")]
    instance.release()
    start_sender()
    arrived = smtp_server.wait_for(3)
    assert len(arrived) == 3
    for mail in arrived:
        for part in ("plain", "html"):
            body = mail.part(part)
            assert f"{BASE}/alpha/library/documents/{scene.room_doc}" in body
            assert "Secret pay figures" not in body and PAPER_WORDS not in body


def test_a_follower_who_lost_access_hears_nothing(scene):
    conn = scene.conn
    followers.set_following(conn, scene.who(scene.ann), _subject(scene, scene.ann), True)
    # Ann leaves the room
    folders.update_folder(conn, scene.who(scene.clerk), scene.room, title="Pay panel",
                          description="", sort_order=0, restricted=True, users=[scene.clerk])
    comments.add(conn, scene.who(scene.clerk), _subject(scene, scene.clerk), "Next steps")
    approvals.request_approval(conn, scene.who(scene.clerk), _subject(scene, scene.clerk),
                               "approved")
    assert conn.execute("SELECT count(*) FROM mail_outbox WHERE recipient = 'ann@ex.org'"
                        ).fetchone()[0] == 0


def test_an_inactive_follower_and_one_who_unfollowed_hear_nothing(scene):
    conn = scene.conn
    open_doc = _subject(scene, scene.cal, ref=scene.open_doc)
    followers.set_following(conn, scene.who(scene.cal), open_doc, True)
    followers.set_following(conn, scene.who(scene.ann), _subject(scene, scene.ann,
                                                                  ref=scene.open_doc), True)
    followers.set_following(conn, scene.who(scene.clerk),
                            _subject(scene, scene.clerk, ref=scene.open_doc), False)
    accounts.set_role(conn, scene.who(scene.clerk), scene.cal, "inactive")
    comments.add(conn, scene.who(scene.ann), _subject(scene, scene.ann, ref=scene.open_doc),
                 "A question")
    assert _queued(conn, "comment") == []


def test_managers_subscribe_others_who_may_open_the_item(scene):
    conn = scene.conn
    subject = _subject(scene, scene.clerk)
    with pytest.raises(InvalidInput, match="cannot open this item"):
        followers.set_following(conn, scene.who(scene.clerk), subject, True, scene.ben)
    followers.set_following(conn, scene.who(scene.clerk), subject, True, scene.ann)
    assert followers.is_following(conn, subject, scene.ann)
    with pytest.raises(NotPermitted):
        followers.set_following(conn, scene.who(scene.ann), _subject(scene, scene.ann), False,
                                scene.clerk)
    assert [r[0] for r in conn.execute(
        "SELECT action FROM audit_log WHERE action LIKE 'follow.%'")] == ["follow.on"]


def test_members_following_minutes_hear_of_comments(scene, clock):
    conn, office = scene.conn, scene.office
    past = office.meeting(days=-3, title="Autumn board")
    minutes.circulate(conn, scene.who(scene.clerk), past)
    subject = _subject(scene, scene.clerk, "minutes", past)
    followers.set_following(conn, scene.who(scene.clerk), subject, True)
    minutes.add_comment(conn, scene.who(scene.ann), past, "Item 2 needs a correction")
    assert _queued(conn, "comment") == [("clerk@ex.org", "New comment on “Minutes of Autumn "
                                                         "board”")]


def test_the_follow_button_follows_and_unfollows(scene, mail_app):
    client = signed_in_client(mail_app, scene, scene.ann)
    page = f"/alpha/library/documents/{scene.room_doc}"
    assert ">Follow<" in client.get(page).get_data(as_text=True)
    act = f"/alpha/follow/document/{scene.room_doc}"
    assert client.post(act, {"following": "1"}, form_page=page).status_code == 302
    assert ">Unfollow<" in client.get(page).get_data(as_text=True)
    assert followers.is_following(scene.conn, _subject(scene, scene.ann), scene.ann)
    client.post(act, {"following": "0"}, form_page=page)
    assert not followers.is_following(scene.conn, _subject(scene, scene.ann), scene.ann)
    # Ann is no Manager: she cannot subscribe the clerk
    client.post(act, {"following": "1", "user_id": str(scene.clerk)}, form_page=page)
    assert "only a Manager may subscribe" in client.get(page).get_data(as_text=True)
    # a document she may not open (she left the room) is not found
    folders.update_folder(scene.conn, scene.who(scene.clerk), scene.room, title="Pay panel",
                          description="", sort_order=0, restricted=True, users=[scene.clerk])
    assert client.post(act, {"following": "1"}).status_code == 404  # the last page's token
