"""Every message is checked again as the sender hands it over (attack 8, F1), not only
those about one item: a newsletter or digest queued earlier is built again for its person
(what they may open now), nothing goes to a person made inactive since, and a Manager's
"Send again" of an old message is checked the same way (a dead one-time link is not sent
again, and the page says so)."""

import pytest

from gvo.core import clock as gvo_clock
from gvo.discussion import comments, followers, subjects
from gvo.library import folders
from gvo.mail import outbox, volume
from gvo.newsletter import letters
from gvo.people import accounts, recovery
from mail.scene import build, signed_in_client

TITLE = "appraisal"  # the room's document's title


@pytest.fixture
def scene(instance, school, mail_app):
    return build(instance.db(school))


def _leaves_the_room(scene) -> None:
    folders.update_folder(scene.conn, scene.who(scene.clerk), scene.room, title="Pay panel",
                          description="", sort_order=0, restricted=True, users=[scene.clerk])


def _send_all(instance, smtp_server, start_sender, count: int, to: str):
    instance.release()
    sender = start_sender()
    got = smtp_server.wait_for(count, to=to)
    sender.stop()
    return got


def _send_until_marker(scene, instance, smtp_server, start_sender) -> None:
    """Queue a last message to the clerk and send until it arrived (the sender takes
    messages oldest first: everything queued before it was dealt with)."""
    accounts.notify_account(scene.conn, scene.who(scene.clerk), scene.conn.execute(
        "SELECT * FROM users WHERE id = ?", (scene.clerk,)).fetchone(), "Marker")
    instance.release()
    sender = start_sender()
    assert smtp_server.wait_for(1, to="clerk@ex.org", subject="Marker")
    sender.stop()


def _queued(conn, kind: str, address: str) -> int:
    return conn.execute("SELECT count(*) FROM mail_outbox WHERE kind = ? AND recipient = ?"
                        " AND status = 'queued'", (kind, address)).fetchone()[0]


def test_a_queued_newsletter_is_built_again_without_a_room_item_the_person_lost(
        scene, instance, smtp_server, start_sender, clock):
    conn = scene.conn
    letters.send_newsletters(conn, "2099-W01", gvo_clock.now())
    assert _queued(conn, "newsletter", "ann@ex.org") == 1
    queued = conn.execute("SELECT message FROM mail_outbox WHERE kind = 'newsletter'"
                          " AND recipient = 'ann@ex.org'").fetchone()[0]
    assert TITLE in bytes(queued).decode()  # named when queued: she was in the room
    _leaves_the_room(scene)
    clock.advance(outbox.REBUILD_AFTER)  # it waited (the SMTP server was down)
    [arrived] = _send_all(instance, smtp_server, start_sender, 1, "ann@ex.org")
    assert "uniform" in arrived.part("plain")  # still a newsletter, of what she may open
    assert TITLE not in arrived.data.decode()
    assert not any(TITLE in a.data.decode() for a in smtp_server.to("ann@ex.org"))


def test_a_queued_digest_names_no_item_the_person_lost_and_is_withdrawn_if_empty(
        scene, instance, smtp_server, start_sender, clock):
    conn = scene.conn
    volume.set_volume(conn, scene.who(scene.ann), scene.ann, "digest")
    followers.set_following(conn, scene.who(scene.ann), subjects.load(
        conn, scene.who(scene.ann), "document", scene.room_doc), True)
    comments.add(conn, scene.who(scene.clerk), subjects.load(
        conn, scene.who(scene.clerk), "document", scene.room_doc), "Monday")
    assert letters.send_digests(conn, "2099-01-01", gvo_clock.now()) == 1
    _leaves_the_room(scene)
    clock.advance(outbox.REBUILD_AFTER)
    _send_until_marker(scene, instance, smtp_server, start_sender)
    assert smtp_server.to("ann@ex.org") == []
    assert _queued(conn, "digest", "ann@ex.org") == 0
    assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'mail.withdrawn'"
                        ).fetchone()[0] == 1


def test_nothing_goes_to_a_person_made_inactive_after_it_was_queued(
        scene, instance, smtp_server, start_sender):
    conn = scene.conn
    letters.send_newsletters(conn, "2099-W01", gvo_clock.now())
    accounts.notify_account(conn, scene.who(scene.clerk), conn.execute(
        "SELECT * FROM users WHERE id = ?", (scene.ann,)).fetchone(), "Your password was changed")
    assert _queued(conn, "newsletter", "ann@ex.org") == 1
    accounts.set_role(conn, scene.who(scene.clerk), scene.ann, "inactive")
    _send_until_marker(scene, instance, smtp_server, start_sender)
    assert smtp_server.to("ann@ex.org") == []
    assert conn.execute("SELECT count(*) FROM mail_outbox WHERE recipient = 'ann@ex.org'"
                        ).fetchone()[0] == 0


def test_send_again_of_an_old_newsletter_is_checked_again(
        scene, instance, smtp_server, start_sender, clock):
    conn = scene.conn
    letters.send_newsletters(conn, "2099-W01", gvo_clock.now())
    [mid] = [r[0] for r in conn.execute("SELECT id FROM mail_outbox WHERE kind = 'newsletter'"
                                        " AND recipient = 'ann@ex.org'")]
    outbox.mark_failed(conn, mid, "550 mailbox full")
    _leaves_the_room(scene)
    clock.advance(2 * 86400)  # the Manager sends it again days later
    outbox.retry(conn, scene.who(scene.clerk), mid)
    [arrived] = _send_all(instance, smtp_server, start_sender, 1, "ann@ex.org")
    assert TITLE not in arrived.data.decode()


def test_a_dead_password_link_is_not_sent_again_and_the_page_says_so(
        scene, instance, mail_app, clock):
    conn = scene.conn
    recovery.request_link(conn, "ann@ex.org", "192.0.2.1")
    [mid] = [r[0] for r in conn.execute("SELECT id FROM mail_outbox WHERE kind = "
                                        "'password_reset'")]
    outbox.mark_failed(conn, mid, "550 no such user")
    clock.advance(recovery.LINK_MINUTES * 60 + 1)
    client = signed_in_client(mail_app, scene, scene.clerk)
    page = client.get("/alpha/admin/mail").get_data(as_text=True)
    assert "link has expired" in page
    # The page offers no button; a request made anyway (an old tab) is refused, saying why.
    client.post(f"/alpha/admin/mail/{mid}/retry", {}, form_page="/alpha/admin/settings")
    after = client.get("/alpha/admin/mail").get_data(as_text=True)
    assert "one-time link in it has expired" in after
    assert conn.execute("SELECT status FROM mail_outbox WHERE id = ?", (mid,)).fetchone()[0] \
        == "failed"


def test_a_password_link_that_expired_while_it_waited_is_failed_not_sent(
        scene, instance, smtp_server, start_sender, clock):
    conn = scene.conn
    recovery.request_link(conn, "ann@ex.org", "192.0.2.1")
    clock.advance(recovery.LINK_MINUTES * 60 + 1)
    _send_until_marker(scene, instance, smtp_server, start_sender)
    assert smtp_server.to("ann@ex.org") == []
    [row] = conn.execute("SELECT status, last_error FROM mail_outbox WHERE kind ="
                         " 'password_reset'").fetchall()
    assert row["status"] == "failed" and "expired" in row["last_error"]
