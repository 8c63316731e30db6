"""Sign-in and sessions through a real `gvo serve` (waitress, as an operator runs it, not in
testing mode): client addresses are the callers' own (127.0.0.x on loopback), and errors
go through Flask's real error handling.

- An expired session that meets a locked database answered a bare 500 (open_session
  failed, and the error page failed too: "The session has not yet been opened"); it must
  be the "office is busy" page, 503, like every other request that meets the lock.
"""

import pyotp
import pytest
from conftest import PASSWORD
from replication.conftest import free_port
from test_behind_nginx import (
    SLUG,
    Caller,
    add_member,
    gvo_serve,
    make_office,
    stop,
)

from gvo.storage import sqlcipher
from gvo.storage.instance import Instance


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


def expire_sessions(instance, email: str) -> None:
    """Make the account's sessions two hours idle (past the 30-minute timeout)."""
    inst = Instance.open(instance, environ={})
    try:
        conn = inst.db(SLUG)
        conn.execute("UPDATE sessions SET last_seen = last_seen - 7200 WHERE user_id ="
                     " (SELECT id FROM users WHERE email = ?)", (email,))
    finally:
        inst.close()


def test_an_expired_session_meeting_a_locked_database_gets_the_busy_page(served):
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
        resp = bea.request("GET", f"/{SLUG}/")  # waits the server's whole busy timeout
        assert resp.status == 503, resp.text[:300]
        assert resp.headers["Retry-After"] == "5"
        assert "The office is busy" in resp.text and "Error 503" in resp.text
        assert resp.headers.get("Set-Cookie") is None  # the session is left as it was
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        inst.close()
    assert bea.cookies == cookie
    # Once the lock is gone: the expired session ends as usual, saying why.
    resp = bea.request("GET", f"/{SLUG}/")
    assert resp.status == 302 and f"/{SLUG}/login" in resp.headers["Location"]
    resp = bea.request("GET", resp.headers["Location"])
    assert resp.status == 200 and "left unused for a while" in resp.text


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
