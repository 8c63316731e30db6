"""Sign-in rules (issue 2, acceptance 3): each rule proven through the real pages."""

import pyotp
import pytest
from conftest import BASE, sign_in

from gvo import clock as gvo_clock
from gvo.security.sessions import cookie_name


def test_sign_in_with_password_and_totp_reaches_home(client, make_user):
    person = make_user(role="author")
    resp = client.post("/alpha/login", {"email": person.email, "password": person.password},
                       form_page="/alpha/login")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/alpha/login/verify")
    # Not signed in yet: the home page still sends us to sign in.
    assert client.get("/alpha/").status_code == 302
    resp = client.post("/alpha/login/verify", {"code": person.code()},
                       form_page="/alpha/login/verify")
    assert resp.status_code == 302 and resp.headers["Location"] == "/alpha/"
    home = client.get("/alpha/")
    assert home.status_code == 200 and "Test Author" in client.last_text


def test_wrong_password_is_refused_with_one_vague_message(client, make_user):
    person = make_user()
    resp = client.post("/alpha/login", {"email": person.email, "password": "not-the-password!"},
                       form_page="/alpha/login")
    assert resp.status_code == 422
    assert "do not match an active account" in client.last_text
    unknown = client.post("/alpha/login", {"email": "nobody@example.org", "password": "x" * 14},
                          form_page="/alpha/login")
    assert unknown.status_code == 422
    assert "do not match an active account" in client.last_text


def test_inactive_account_cannot_sign_in(client, make_user):
    person = make_user(role="inactive", mfa=False)
    resp = sign_in(client, person)
    assert resp.status_code == 422


def test_throttling_per_account_blocks_even_the_right_password(client, make_user, clock):
    person = make_user()
    for _ in range(5):
        client.post("/alpha/login", {"email": person.email, "password": "wrong-password-1"},
                    form_page="/alpha/login")
    resp = sign_in(client, person)
    assert resp.status_code == 422
    assert "Too many failed sign-ins for this account" in client.last_text
    clock.advance(15 * 60 + 1)
    assert sign_in(client, person).status_code == 302


def test_throttling_per_address_across_accounts(client, make_user, clock):
    person = make_user()
    for i in range(20):
        client.post("/alpha/login", {"email": f"guess{i}@example.org", "password": "wrong-pw-123"},
                    form_page="/alpha/login")
    resp = sign_in(client, person)
    assert resp.status_code == 422
    assert "Too many failed sign-ins from your network" in client.last_text


def test_failures_are_logged_in_the_audit_log(client, make_user, instance):
    person = make_user()
    client.post("/alpha/login", {"email": person.email, "password": "wrong-password-1"},
                form_page="/alpha/login")
    rows = instance.db("alpha").execute(
        "SELECT action, actor_email, detail FROM audit_log WHERE action = 'login.failure'"
    ).fetchall()
    assert rows and rows[-1]["actor_email"] == person.email
    assert "wrong-password-1" not in rows[-1]["detail"]  # no secrets in the log


def test_totp_is_required_when_enrolled(client, make_user):
    person = make_user()
    sign_in(client, person, code="000000")
    assert client.last.status_code == 422
    assert client.get("/alpha/").status_code == 302


def test_mfa_required_user_without_authenticator_must_enrol(client, make_user):
    person = make_user(role="manager", mfa=False)
    resp = client.post("/alpha/login", {"email": person.email, "password": person.password},
                       form_page="/alpha/login")
    assert resp.headers["Location"].endswith("/alpha/mfa/enrol")
    assert client.get("/alpha/").status_code == 302  # not signed in until enrolled
    page = client.get("/alpha/mfa/enrol")
    assert page.status_code == 200 and "<svg" in client.last_text
    secret = client.last_text.split('data-testid="totp-secret">')[1].split("<")[0].replace(" ", "")
    resp = client.post("/alpha/mfa/enrol", {"code": pyotp.TOTP(secret).now()})
    assert resp.headers["Location"].endswith("/alpha/mfa/recovery-codes")
    codes_page = client.get("/alpha/mfa/recovery-codes")
    assert codes_page.status_code == 200
    assert client.last_text.count("<li><code>") == 10
    # Shown once only.
    assert client.get("/alpha/mfa/recovery-codes").status_code == 302
    assert client.get("/alpha/").status_code == 200


def test_totp_code_replay_is_refused(client, new_client, make_user):
    person = make_user()
    code = person.code()
    assert sign_in(client, person, code=code).status_code == 302
    other = new_client()
    resp = sign_in(other, person, code=code)
    assert resp.status_code == 422
    assert "already used" in other.last_text


def test_earlier_code_is_refused_after_a_later_one(client, new_client, make_user, clock):
    person = make_user()
    earlier = person.code(clock.t - 30)
    assert sign_in(client, person).status_code == 302
    assert sign_in(new_client(), person, code=earlier).status_code == 422


def test_recovery_code_works_once(client, new_client, make_user, instance, clock):
    person = make_user(mfa=False)
    from gvo import auth as auth_service
    from gvo.people import Actor

    secret = pyotp.random_base32(32)
    codes = auth_service.enrol_totp(instance.db("alpha"), Actor.operator(), person.id, secret,
                                    pyotp.TOTP(secret).at(clock.t))
    person.totp_secret = secret
    assert sign_in(client, person, code=codes[0].upper().replace("-", " ")).status_code == 302
    assert "recovery code" in client.get("/alpha/").get_data(as_text=True)
    second = new_client()
    assert sign_in(second, person, code=codes[0]).status_code == 422
    assert sign_in(new_client(), person, code=codes[1]).status_code == 302


def test_session_id_rotates_at_sign_in(client, make_user):
    person = make_user()
    client.get("/alpha/login")
    before = client.cookie(cookie_name("alpha", True)).value
    sign_in(client, person)
    after = client.cookie(cookie_name("alpha", True)).value
    assert before != after


def test_cookie_is_host_prefixed_secure_httponly_lax(client, make_user):
    person = make_user()
    resp = sign_in(client, person)
    header = resp.headers["Set-Cookie"]
    assert header.startswith("__Host-gvo-alpha=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in header
    assert "Domain" not in header


def test_sign_out_revokes_the_session_on_the_server(client, new_client, make_user):
    person = make_user()
    sign_in(client, person)
    stolen = client.cookie(cookie_name("alpha", True)).value
    client.post("/alpha/logout", {}, form_page="/alpha/profile")
    assert client.get("/alpha/").status_code == 302
    # Replaying the old cookie value in another browser gets nothing.
    thief = new_client()
    thief.c.set_cookie(cookie_name("alpha", True), stolen, domain="localhost")
    assert thief.get("/alpha/").status_code == 302


def test_sign_out_everywhere_ends_every_session(client, new_client, make_user, clock):
    person = make_user()
    sign_in(client, person)
    phone = new_client()
    clock.advance(31)
    sign_in(phone, person)
    assert phone.get("/alpha/").status_code == 200
    client.post("/alpha/logout/everywhere", {}, form_page="/alpha/profile")
    assert client.get("/alpha/").status_code == 302
    assert phone.get("/alpha/").status_code == 302


def test_manager_can_end_a_users_sessions(signed_in, new_client, make_user, clock):
    manager_client, _ = signed_in("manager")
    person = make_user()
    theirs = new_client()
    clock.advance(31)
    sign_in(theirs, person)
    assert theirs.get("/alpha/").status_code == 200
    resp = manager_client.post(f"/alpha/admin/users/{person.id}/end-sessions", {},
                               form_page=f"/alpha/admin/users/{person.id}")
    assert resp.status_code == 302
    assert theirs.get("/alpha/").status_code == 302


def test_idle_timeout_with_injectable_clock(client, make_user, clock):
    person = make_user()
    sign_in(client, person)
    clock.advance(29 * 60)
    assert client.get("/alpha/").status_code == 200  # activity refreshes the idle timer
    clock.advance(29 * 60)
    assert client.get("/alpha/").status_code == 200
    clock.advance(31 * 60)
    resp = client.get("/alpha/")
    assert resp.status_code == 302 and "/alpha/login" in resp.headers["Location"]
    client.get(resp.headers["Location"])
    assert "left unused for a while" in client.last_text


def test_absolute_timeout(client, make_user, clock):
    person = make_user()
    sign_in(client, person)
    for _ in range(26):  # keep it busy for 13 hours
        clock.advance(29 * 60)
        client.get("/alpha/")
    assert client.last.status_code == 302


def test_csrf_refused_without_token(client, make_user):
    person = make_user()
    resp = client.post("/alpha/login", {"email": person.email, "password": person.password},
                       csrf=False)
    assert resp.status_code == 400
    assert "expired" in client.last_text
    # A signed-in state change without the token is refused too.
    sign_in(client, person)
    resp = client.post("/alpha/logout/everywhere", {}, csrf=False)
    assert resp.status_code == 400
    assert client.get("/alpha/").status_code == 200


def test_csrf_refused_with_a_token_from_another_session(client, new_client, make_user):
    person = make_user()
    client.get("/alpha/login")
    token = client.token()
    other = new_client()
    resp = other.post("/alpha/login", {"email": person.email, "password": person.password,
                                       "csrf_token": token}, form_page=None, csrf=False)
    assert resp.status_code == 400


def test_safe_next_only_inside_the_school(client, make_user):
    person = make_user()
    resp = client.get("/alpha/profile")
    assert resp.headers["Location"].endswith("/alpha/login?next=/alpha/profile")
    client.get("/alpha/login?next=/alpha/profile")
    resp = client.post("/alpha/login?next=/alpha/profile",
                       {"email": person.email, "password": person.password,
                        "next": "/alpha/profile"})
    resp = client.post("/alpha/login/verify", {"code": person.code()},
                       form_page="/alpha/login/verify")
    assert resp.headers["Location"] == "/alpha/profile"
    for evil in ("https://evil.example/", "//evil.example/x", "/beta/", "/alpha\\..\\x"):
        c2 = client
        c2.get(f"/alpha/login?next={evil}")
        assert evil not in c2.last_text


@pytest.mark.parametrize("policy,role,expect_enrol", [
    ("required", "author", True),
    ("optional", "author", False),
    ("suggested", "reader", False),
    ("optional", "editor", True),
    ("optional", "manager", True),
])
def test_mfa_policy(client, make_user, instance, policy, role, expect_enrol):
    from gvo import school_settings

    school_settings.set_mfa_policy(instance.db("alpha"), policy)
    person = make_user(role=role, mfa=False)
    resp = client.post("/alpha/login", {"email": person.email, "password": person.password},
                       form_page="/alpha/login")
    assert resp.headers["Location"].endswith("/alpha/mfa/enrol" if expect_enrol else "/alpha/")


def test_setup_link_sets_password_once(client, signed_in, new_client, instance):
    manager, _ = signed_in("manager")
    manager.post("/alpha/admin/users", {"name": "New Governor", "email": "new@example.org",
                                        "role": "author"}, form_page="/alpha/admin/users")
    page = manager.get("/alpha/admin/users").get_data(as_text=True)
    link = page.split(BASE)[1].split(" ")[0].split("<")[0]
    assert link.startswith("/alpha/setup/")
    newbie = new_client()
    assert newbie.get(link).status_code == 200
    resp = newbie.post(link, {"password": "password", "confirm": "password"})
    assert resp.status_code == 422 and "at least 12 characters" in newbie.last_text
    resp = newbie.post(link, {"password": "a lighthouse of oranges", "confirm":
                              "a lighthouse of oranges"})
    assert resp.status_code == 302
    assert newbie.get(link).status_code == 410  # used up
    assert gvo_clock.now() > 0


def test_qr_code_carries_no_text_from_the_account():
    from gvo.security import totp

    uri = totp.provisioning_uri(totp.new_secret(), '<script>alert(1)</script>@x.org',
                                'School "<img src=x onerror=alert(1)>"')
    svg = str(totp.qr_svg(uri))
    assert svg.startswith("<svg") and "<path" in svg
    assert "script" not in svg and "<img" not in svg and "alert" not in svg
