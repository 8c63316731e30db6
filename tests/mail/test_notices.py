"""Account mail: "your password / two-step sign-in was changed" notices reach the owner."""

import re

from conftest import add_person

from gvo.core.identity import Identity
from gvo.people import accounts


def _subjects(conn, user_id) -> list[str]:
    rows = conn.execute("SELECT subject FROM mail_outbox WHERE user_id = ? AND kind = 'notice'"
                        " ORDER BY id", (user_id,)).fetchall()
    return [r[0] for r in rows]


def test_changes_to_how_a_person_signs_in_are_told_to_them(instance, school, mail_app,
                                                           smtp_server, start_sender):
    conn = instance.db(school)
    person = add_person(instance, school, "reader", "gwen@example.org")
    assert _subjects(conn, person.id) == ["Two-step sign-in was set up for your account"]
    me = Identity.load(conn, person.id)
    accounts.change_password(conn, me, person.password, "another-long-passphrase-9")
    accounts.reset_mfa(conn, Identity.operator(), person.id)
    accounts.set_password(conn, Identity.operator(), person.id, "yet-another-passphrase-7")
    assert _subjects(conn, person.id) == [
        "Two-step sign-in was set up for your account",
        "Your password was changed",
        "Two-step sign-in was reset for your account",
        "A new password was set for your account",
    ]
    instance.release()
    start_sender()
    arrived = smtp_server.wait_for(4, to="gwen@example.org")
    assert len(arrived) == 4
    body = arrived[1].part("plain")
    assert "Your password was changed on" in body and "tell your clerk" in body
    assert re.search(r"changed on \w{3} \d{1,2} \w{3} 20\d\d, \d{1,2}(:\d\d)? [ap]m\.", body)
    assert "You received this because it is about your account's security" in body


def test_the_first_password_from_an_invitation_sends_no_notice(instance, school, mail_app):
    conn = instance.db(school)
    uid = accounts.add_user(conn, Identity.operator(), email="new@example.org", name="New",
                            role="reader")
    sent = accounts.invite(conn, Identity.operator(), uid)
    assert sent.mailed
    accounts.complete_setup(conn, sent.link.rsplit("/", 1)[1], "a-fine-long-passphrase-1")
    kinds = [r[0] for r in conn.execute("SELECT kind FROM mail_outbox WHERE user_id = ?",
                                        (uid,))]
    assert kinds == ["invitation"]


def test_an_inactive_account_gets_no_notice(instance, school, mail_app):
    conn = instance.db(school)
    uid = accounts.add_user(conn, Identity.operator(), email="old@example.org", name="Old",
                            role="reader", password="a-fine-long-passphrase-1")
    accounts.set_role(conn, Identity.operator(), uid, "inactive")
    accounts.reset_mfa(conn, Identity.operator(), uid)
    assert _subjects(conn, uid) == []
