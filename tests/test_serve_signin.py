"""Sign-in and sessions through a real `gvo serve` (waitress, as an operator runs it, not in
testing mode): client addresses are the callers' own (127.0.0.x on loopback), and errors
go through Flask's real error handling.

- Wrong codes from many addresses: the account's code step is paused (issue 9, attacker's
  review: the per-address limit alone let a password holder try codes from a crowd).
- An expired session that meets a locked database answered a bare 500 (open_session
  deleted it, the DELETE failed, and the error page failed too: "The session has not yet
  been opened"). Ending it no longer writes (issue 11: anonymous requests write nothing),
  so the person is sent to sign in at once, lock or not.
"""

import pyotp
import pytest
from conftest import PASSWORD
from replication.conftest import free_port
from serving import (
    SLUG,
    Caller,
    add_member,
    audit_rows,
    gvo_serve,
    make_office,
    stop,
)

from gvo.core import clock as gvo_clock
from gvo.storage import sqlcipher
from gvo.storage.instance import Instance

CODES_PER_ACCOUNT = 10  # README, "Security, in short": wrong codes per account in a day


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(instance path, port) of `gvo serve` with school alpha, no proxy in front."""
    instance = tmp_path_factory.mktemp("serve-signin") / "instance"
    make_office(instance)
    port = free_port()
    gvo = gvo_serve(instance, port)
    try:
        yield instance, port
    finally:
        stop(gvo)


def add_governor(instance, email: str) -> str:
    """A governor of alpha with an authenticator (added while GVO runs); returns its key."""
    inst = Instance.open(instance, environ={})
    try:
        return add_member(inst.db(SLUG), email, "Gwen Governor", "author")
    finally:
        inst.close()


def code_step(caller: Caller, code: str):
    """Step two of sign-in, from the caller's address."""
    token = caller.token(f"/{SLUG}/login/verify")
    return caller.request("POST", f"/{SLUG}/login/verify", {"csrf_token": token, "code": code})


def test_wrong_codes_from_many_addresses_are_refused_after_the_accounts_limit(served):
    instance, port = served
    email = "gwen@example.org"
    secret = add_governor(instance, email)
    thief = Caller("127.0.0.20", port, host=f"127.0.0.1:{port}")
    resp = thief.password_step(email, PASSWORD)
    assert resp.status == 302 and resp.headers["Location"].endswith("/login/verify")
    right = {pyotp.TOTP(secret).at(gvo_clock.now() + d) for d in (-30, 0, 30)}
    wrong = next(c for c in ("000000", "111111", "222222") if c not in right)
    # The same sign-in (cookie), each guess from an address of its own.
    for n in range(CODES_PER_ACCOUNT):
        guesser = Caller(f"127.0.0.{30 + n}", port, host=f"127.0.0.1:{port}",
                         cookies=thief.cookies)
        resp = code_step(guesser, wrong)
        assert resp.status == 422 and "That code is not right" in resp.text
    last = Caller("127.0.0.50", port, host=f"127.0.0.1:{port}", cookies=thief.cookies)
    resp = code_step(last, pyotp.TOTP(secret).now())
    assert resp.status == 422 and "Too many wrong codes for this account" in resp.text
    failures = [r for r in audit_rows(instance, "login.mfa_failure") if r["actor_email"] == email]
    assert [r["ip"] for r in failures] == [f"127.0.0.{30 + n}" for n in range(CODES_PER_ACCOUNT)]
    refused = [r for r in audit_rows(instance, "login.throttled") if r["actor_email"] == email]
    assert [r["ip"] for r in refused] == ["127.0.0.50"]
    assert last.request("GET", f"/{SLUG}/").status == 302  # nobody signed in


def expire_sessions(instance, email: str) -> None:
    """Make the account's sessions two hours idle (past the 30-minute timeout)."""
    inst = Instance.open(instance, environ={})
    try:
        conn = inst.db(SLUG)
        conn.execute("UPDATE sessions SET last_seen = last_seen - 7200 WHERE user_id ="
                     " (SELECT id FROM users WHERE email = ?)", (email,))
    finally:
        inst.close()


def test_an_expired_session_meeting_a_locked_database_is_sent_to_sign_in_at_once(served):
    instance, port = served
    email = "bea@example.org"
    secret = add_governor(instance, email)
    bea = Caller("127.0.0.60", port, host=f"127.0.0.1:{port}")
    assert bea.password_step(email, PASSWORD).status == 302
    assert code_step(bea, pyotp.TOTP(secret).now()).status == 302
    assert bea.request("GET", f"/{SLUG}/").status == 200
    cookie = dict(bea.cookies)
    expire_sessions(instance, email)
    inst = Instance.open(instance, environ={})
    blocker = sqlcipher.connect(inst.school_path(SLUG), inst.school_key(SLUG))
    try:
        blocker.execute("BEGIN IMMEDIATE")  # a long write holds the school's lock
        # Ending an expired session writes nothing (it was a DELETE that met the lock: a
        # bare 500, then the busy page): the person is sent to sign in, saying why.
        resp = bea.request("GET", f"/{SLUG}/")
        assert resp.status == 302 and f"/{SLUG}/login" in resp.headers["Location"]
        assert bea.cookies != cookie  # the dead session's cookie is replaced
        resp = bea.request("GET", resp.headers["Location"])
        assert resp.status == 200 and "left unused for a while" in resp.text
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        inst.close()
    resp = bea.request("GET", f"/{SLUG}/")
    assert resp.status == 302 and f"/{SLUG}/login" in resp.headers["Location"]
    resp = bea.request("GET", resp.headers["Location"])
    assert resp.status == 200 and "left unused for a while" not in resp.text  # said once


def test_a_session_whose_stored_data_is_unreadable_asks_to_sign_in_instead_of_failing(served):
    instance, port = served
    email = "cai@example.org"
    secret = add_governor(instance, email)
    cai = Caller("127.0.0.61", port, host=f"127.0.0.1:{port}")
    cai.password_step(email, PASSWORD)
    assert code_step(cai, pyotp.TOTP(secret).now()).status == 302
    inst = Instance.open(instance, environ={})
    try:
        inst.db(SLUG).execute("UPDATE sessions SET data = '{not json' WHERE user_id ="
                              " (SELECT id FROM users WHERE email = ?)", (email,))
    finally:
        inst.close()
    resp = cai.request("GET", f"/{SLUG}/")
    assert resp.status == 302 and f"/{SLUG}/login" in resp.headers["Location"]
    assert cai.request("GET", resp.headers["Location"]).status == 200
