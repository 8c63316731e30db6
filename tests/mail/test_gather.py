"""Notices about one item are gathered (attack 6, F4): 30 comments in a row send a
follower two e-mails ("New comment on ..." at once, then "29 new comments on ..." when
COALESCE_SECONDS have passed), not 30; a digest lists them as one line."""

import email
from email import policy

import pytest

from gvo.discussion import comments, subjects
from gvo.mail import outbox, volume
from gvo.newsletter import letters
from mail.scene import build

TITLE = "appraisal"


@pytest.fixture
def scene(clock, instance, school, mail_app):
    return build(instance.db(school))


def _comment(scene, n: int, user_id=None) -> None:
    who = scene.who(user_id or scene.ann)
    comments.add(scene.conn, who, subjects.load(scene.conn, who, "document", scene.room_doc),
                 f"Comment {n}")


def _to_clerk(conn) -> list:
    return conn.execute("SELECT subject, status, next_attempt_at, gathered, message"
                        " FROM mail_outbox WHERE recipient = 'clerk@ex.org' AND kind = 'comment'"
                        " ORDER BY id").fetchall()


def test_thirty_comments_send_a_follower_two_emails(scene, clock, instance, smtp_server,
                                                    start_sender):
    conn = scene.conn
    start = clock.t
    for n in range(30):  # the clerk created the document, so follows it
        _comment(scene, n)
        clock.advance(5)
    rows = _to_clerk(conn)
    assert [(r["subject"], r["gathered"]) for r in rows] == [
        (f"New comment on “{TITLE}”", 1), (f"29 new comments on “{TITLE}”", 29)]
    assert rows[1]["next_attempt_at"] == pytest.approx(start + outbox.COALESCE_SECONDS)
    text = email.message_from_bytes(bytes(rows[1]["message"]), policy=policy.default
                                    ).get_body(("plain",)).get_content()
    assert "gathers 29 such notices" in text
    assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'mail.gather'"
                        ).fetchone()[0] == 28
    instance.release()
    sender = start_sender()
    [first] = smtp_server.wait_for(1, to="clerk@ex.org")
    assert first.message["Subject"] == f"New comment on “{TITLE}”"
    clock.t = start + outbox.COALESCE_SECONDS + 1
    sender.wake("alpha")
    arrived = smtp_server.wait_for(2, to="clerk@ex.org")
    assert [a.message["Subject"] for a in arrived] == [
        f"New comment on “{TITLE}”", f"29 new comments on “{TITLE}”"]


def test_a_comment_after_the_window_goes_at_once(scene, clock):
    _comment(scene, 1)
    clock.advance(outbox.COALESCE_SECONDS + 1)
    _comment(scene, 2)
    rows = _to_clerk(scene.conn)
    assert [r["gathered"] for r in rows] == [1, 1]
    assert rows[1]["next_attempt_at"] == clock.t  # not held back


def test_shares_are_never_gathered(scene):
    from gvo.sharing import share

    for words in ("First", "Second"):
        share.share(scene.conn, scene.who(scene.clerk), "document", scene.room_doc,
                    people=[scene.ann], message=words)
    rows = scene.conn.execute("SELECT next_attempt_at, gathered FROM mail_outbox"
                              " WHERE kind = 'share'").fetchall()
    assert [r["gathered"] for r in rows] == [1, 1]  # each keeps its sharer's words


def test_a_digest_lists_notices_about_one_item_as_one_line(scene, clock):
    conn = scene.conn
    volume.set_volume(conn, scene.who(scene.clerk), scene.clerk, "digest")
    for n in range(3):
        _comment(scene, n)
    assert letters.send_digests(conn, "2099-01-01", clock.t) == 1
    [row] = conn.execute("SELECT message FROM mail_outbox WHERE kind = 'digest'").fetchall()
    text = email.message_from_bytes(bytes(row["message"]), policy=policy.default
                                    ).get_body(("plain",)).get_content()
    assert text.count(f"New comment on “{TITLE}”") == 1 and "3 notices" in text
