"""A notice prepared earlier is checked again when its mail is made (attack 6, F1/F1b): a
held notification when the digest or newsletter is built, a queued message when the sender
hands it over. Someone who lost access to a room's item since (or whose item is gone) never
sees its title."""

import email
from email import policy

import pytest

from gvo.discussion import comments, followers, subjects
from gvo.library import folders
from gvo.mail import outbox, refs, volume
from gvo.mail.compose import Letter
from gvo.newsletter import letters
from gvo.people import accounts
from gvo.sharing import share
from mail.scene import OP, build, signed_in_client

TITLE = "appraisal"  # the room's document's title (its file's name)


@pytest.fixture
def scene(instance, school, mail_app):
    return build(instance.db(school))


def _ann_follows_and_clerk_comments(scene) -> None:
    conn = scene.conn
    followers.set_following(conn, scene.who(scene.ann),
                            subjects.load(conn, scene.who(scene.ann), "document",
                                          scene.room_doc), True)
    comments.add(conn, scene.who(scene.clerk),
                 subjects.load(conn, scene.who(scene.clerk), "document", scene.room_doc),
                 "The panel meets on Monday")


def _ann_leaves_the_room(scene) -> None:
    folders.update_folder(scene.conn, scene.who(scene.clerk), scene.room, title="Pay panel",
                          description="", sort_order=0, restricted=True, users=[scene.clerk])


def _mail_to(conn, address) -> list[str]:
    """Every message queued or kept for `address`, as text (headers decoded, both parts)."""
    out = []
    for row in conn.execute("SELECT subject, message FROM mail_outbox WHERE recipient = ?"
                            " AND status = 'queued'", (address,)):
        msg = email.message_from_bytes(bytes(row["message"]), policy=policy.default)
        out.append(row["subject"] + "\n" + "\n".join(
            msg.get_body((p,)).get_content() for p in ("plain", "html")))
    return out


def test_the_digest_does_not_name_an_item_the_person_can_no_longer_open(scene, clock):
    conn = scene.conn
    volume.set_volume(conn, scene.who(scene.ann), scene.ann, "digest")
    _ann_follows_and_clerk_comments(scene)
    [held] = volume.waiting(conn, scene.ann)
    assert (held["ref_type"], held["ref_id"]) == ("document", scene.room_doc)
    _ann_leaves_the_room(scene)
    assert letters.send_digests(conn, "2099-01-01", clock.t) == 0
    assert not any(TITLE in m for m in _mail_to(conn, "ann@ex.org"))
    assert volume.waiting(conn, scene.ann) == []  # released: never named later either


def test_the_digest_still_names_what_the_person_may_open(scene, clock):
    conn = scene.conn
    volume.set_volume(conn, scene.who(scene.ann), scene.ann, "digest")
    _ann_follows_and_clerk_comments(scene)
    assert letters.send_digests(conn, "2099-01-01", clock.t) == 1
    [digest] = _mail_to(conn, "ann@ex.org")
    assert f"New comment on “{TITLE}”" in digest


def test_the_newsletter_does_not_name_an_item_the_person_can_no_longer_open(scene, clock):
    conn = scene.conn
    volume.set_volume(conn, scene.who(scene.ann), scene.ann, "newsletter")
    _ann_follows_and_clerk_comments(scene)
    assert len(volume.waiting(conn, scene.ann)) == 1
    _ann_leaves_the_room(scene)
    letters.send_newsletters(conn, "2099-W01", clock.t)
    assert not any(TITLE in m for m in _mail_to(conn, "ann@ex.org"))
    assert volume.waiting(conn, scene.ann) == []


def test_a_share_held_for_the_digest_is_checked_again(scene, clock):
    conn = scene.conn
    volume.set_volume(conn, scene.who(scene.ann), scene.ann, "digest")
    share.share(conn, scene.who(scene.clerk), "document", scene.room_doc, people=[scene.ann])
    [held] = volume.waiting(conn, scene.ann)
    assert held["ref_type"] == "shared:document"
    _ann_leaves_the_room(scene)
    assert letters.send_digests(conn, "2099-01-01", clock.t) == 0
    assert not any(TITLE in m for m in _mail_to(conn, "ann@ex.org"))


def test_a_queued_message_is_withdrawn_if_access_was_lost_before_it_went(
        scene, instance, smtp_server, start_sender):
    conn = scene.conn
    _ann_follows_and_clerk_comments(scene)
    share.share(conn, scene.who(scene.clerk), "document", scene.room_doc, people=[scene.ann])
    assert len(_mail_to(conn, "ann@ex.org")) == 2  # queued, not yet sent
    _ann_leaves_the_room(scene)
    # Someone still in the room hears of the next comment; it shows the sender has run.
    followers.set_following(conn, scene.who(scene.ann), subjects.load(
        conn, scene.who(scene.clerk), "document", scene.open_doc), True)
    comments.add(conn, scene.who(scene.clerk),
                 subjects.load(conn, scene.who(scene.clerk), "document", scene.open_doc), "Hi")
    instance.release()
    sender = start_sender()
    [arrived] = smtp_server.wait_for(1, to="ann@ex.org")
    sender.stop()  # after the message it was sending: marked sent
    assert TITLE not in arrived.data.decode()
    assert _mail_to(conn, "ann@ex.org") == []  # the open one is sent, two withdrawn
    assert conn.execute("SELECT count(*) FROM mail_outbox").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'mail.withdrawn'"
                        ).fetchone()[0] == 2
    assert not any(TITLE in a.data.decode() for a in smtp_server.arrived)


def test_an_item_deleted_since_is_not_named(scene, clock):
    conn = scene.conn
    volume.set_volume(conn, scene.who(scene.ann), scene.ann, "digest")
    _ann_follows_and_clerk_comments(scene)
    folders.delete_folder(conn, scene.who(scene.clerk), scene.room)
    assert letters.send_digests(conn, "2099-01-01", clock.t) == 0


def test_mail_about_an_unregistered_kind_of_item_is_refused(scene):
    letter = Letter("test", "About a thing", "why", ref=("no-such-kind", 1))
    with pytest.raises(ValueError, match="unregistered"):
        outbox.notify(scene.conn, scene.who(scene.clerk), [scene.ann], letter, kind="x")
    assert not refs.may_open(scene.conn, scene.ann, "no-such-kind", 1)


def test_the_failed_list_does_not_name_a_room_item_to_a_manager_outside_the_room(
        scene, mail_app):
    conn = scene.conn
    _ann_follows_and_clerk_comments(scene)  # "New comment on “appraisal”" to Ann
    [mail_id] = [r[0] for r in conn.execute("SELECT id FROM mail_outbox WHERE kind = 'comment'")]
    outbox.mark_failed(conn, mail_id, "refused by the mail server: 550 no such user")
    other = accounts.add_user(conn, OP, email="head@ex.org", name="Head", role="manager")
    [seen] = outbox.failed_messages(conn, scene.who(other))
    assert seen["subject"] == outbox.HIDDEN_SUBJECT and seen["recipient"] == "ann@ex.org"
    [seen] = outbox.failed_messages(conn, scene.who(scene.clerk))  # in the room
    assert seen["subject"] == f"New comment on “{TITLE}”"
    page = signed_in_client(mail_app, scene, other).get("/alpha/admin/mail")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "ann@ex.org" in text and TITLE not in text
