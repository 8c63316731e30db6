"""Sign-in rules (issue 2, acceptance 3): each rule proven through the real pages."""

import pyotp
import pytest
from conftest import BASE, sign_in

from gvo.core import clock as gvo_clock
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
    from gvo.core.identity import Identity
    from gvo.people import signin

    secret = pyotp.random_base32(32)
    codes = signin.enrol_totp(instance.db("alpha"), Identity.operator(), person.id, secret,
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
    from gvo.core.identity import Identity
    from gvo.people import settings

    settings.set_mfa_policy(instance.db("alpha"), Identity.operator(), policy)
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


# -- Issue 9: one sign-in state per browser, replaced by every new attempt ------------------


def _enrol_secret(client) -> str:
    return client.last_text.split('data-testid="totp-secret">')[1].split("<")[0].replace(" ", "")


def _password_step(client, person):
    return client.post("/alpha/login", {"email": person.email, "password": person.password},
                       form_page="/alpha/login")


def test_enrolment_left_over_from_an_earlier_attempt_cannot_reach_another_account(
        client, make_user, instance):
    newcomer = make_user(role="author", mfa=False)   # the school requires MFA: must enrol
    manager = make_user(role="manager")
    assert _password_step(client, newcomer).headers["Location"].endswith("/alpha/mfa/enrol")
    assert _password_step(client, manager).headers["Location"].endswith("/alpha/login/verify")
    # The manager's sign-in is at the code step: there is no enrolment to reach.
    resp = client.get("/alpha/mfa/enrol")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/alpha/login")
    attacker_secret = pyotp.random_base32(32)
    client.post("/alpha/mfa/enrol", {"code": pyotp.TOTP(attacker_secret).now()},
                form_page="/alpha/login")
    row = instance.db("alpha").execute("SELECT totp_secret FROM users WHERE id = ?",
                                       (manager.id,)).fetchone()
    assert row["totp_secret"] == manager.totp_secret
    assert client.get("/alpha/").status_code == 302  # nobody is signed in
    # The manager's own authenticator still works.
    clock_code = manager.code()
    assert sign_in(client, manager, code=clock_code).status_code == 302
    assert client.get("/alpha/").status_code == 200


def test_enrol_key_of_one_attempt_is_not_offered_to_the_next(client, make_user):
    first, second = make_user(role="author", mfa=False), make_user(role="reader", mfa=False)
    _password_step(client, first)
    client.get("/alpha/mfa/enrol")
    first_key = _enrol_secret(client)
    _password_step(client, second)
    client.get("/alpha/mfa/enrol")
    assert _enrol_secret(client) != first_key


def test_a_failed_attempt_voids_the_step_of_an_earlier_one(client, make_user):
    manager = make_user(role="manager")
    _password_step(client, manager)
    client.post("/alpha/login", {"email": "someone@example.org", "password": "wrong-password-9"},
                form_page="/alpha/login")
    resp = client.get("/alpha/login/verify")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/alpha/login")


def test_code_step_of_one_attempt_is_closed_by_an_enrolment_attempt(client, make_user):
    manager, newcomer = make_user(role="manager"), make_user(role="author", mfa=False)
    _password_step(client, manager)
    _password_step(client, newcomer)
    resp = client.post("/alpha/login/verify", {"code": manager.code()},
                       form_page="/alpha/login")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/alpha/login")
    assert client.get("/alpha/").status_code == 302


def test_sign_in_state_expires_after_ten_minutes(client, make_user, clock):
    person = make_user()
    _password_step(client, person)
    clock.advance(10 * 60)
    resp = client.post("/alpha/login/verify", {"code": person.code()}, form_page="/alpha/login")
    assert resp.headers["Location"].endswith("/alpha/login")


def test_nothing_from_before_sign_in_stays_in_the_session(client, make_user, instance):
    import json

    person = make_user()
    sign_in(client, person)
    data = json.loads(instance.db("alpha").execute(
        "SELECT data FROM sessions WHERE user_id = ?", (person.id,)).fetchone()["data"])
    assert "signin" not in data and "csrf_token" not in data
    assert data["_user_id"] == str(person.id)


# -- Issue 9: changing two-step sign-in asks for the password ---------------------------------


def test_replacing_the_authenticator_needs_the_password(signed_in, instance, clock):
    client, person = signed_in("author")
    client.get("/alpha/mfa/enrol")
    assert 'autocomplete="current-password"' in client.last_text
    new_secret = _enrol_secret(client)
    clock.advance(31)
    resp = client.post("/alpha/mfa/enrol", {"code": pyotp.TOTP(new_secret).at(clock.t)})
    assert resp.status_code == 422
    resp = client.post("/alpha/mfa/enrol", {"code": pyotp.TOTP(new_secret).at(clock.t),
                                            "password": "not-my-password"})
    assert resp.status_code == 422 and "Your password is not right" in client.last_text
    conn = instance.db("alpha")
    assert conn.execute("SELECT totp_secret FROM users WHERE id = ?",
                        (person.id,)).fetchone()[0] == person.totp_secret
    failures = conn.execute("SELECT count(*) FROM login_failures WHERE email = ?",
                            (person.email,)).fetchone()[0]
    assert failures == 1  # a wrong password here counts towards the throttle
    resp = client.post("/alpha/mfa/enrol", {"code": pyotp.TOTP(new_secret).at(clock.t),
                                            "password": person.password})
    assert resp.headers["Location"].endswith("/alpha/mfa/recovery-codes")
    assert conn.execute("SELECT totp_secret FROM users WHERE id = ?",
                        (person.id,)).fetchone()[0] == new_secret


def test_new_recovery_codes_need_the_password(signed_in, instance):
    client, person = signed_in("author")
    conn = instance.db("alpha")
    before = {r[0] for r in conn.execute("SELECT code_hash FROM recovery_codes WHERE user_id = ?",
                                         (person.id,))}
    resp = client.post("/alpha/profile/recovery-codes", {}, form_page="/alpha/profile")
    assert resp.status_code == 422
    resp = client.post("/alpha/profile/recovery-codes", {"password": "not-my-password"},
                       form_page="/alpha/profile")
    assert resp.status_code == 422 and "Your password is not right" in client.last_text
    after = {r[0] for r in conn.execute("SELECT code_hash FROM recovery_codes WHERE user_id = ?",
                                        (person.id,))}
    assert after == before


# -- Issue 9: every way of setting a password ends the account's other sessions ---------------


def test_setup_link_ends_the_accounts_sessions(signed_in, make_user, new_client, instance, clock):
    from gvo.core.identity import Identity
    from gvo.people import accounts

    person = make_user()
    theirs = new_client()
    sign_in(theirs, person)
    assert theirs.get("/alpha/").status_code == 200
    token = accounts.new_setup_token(instance.db("alpha"), Identity.operator(), person.id)
    fresh = new_client()
    fresh.get(f"/alpha/setup/{token}")
    resp = fresh.post(f"/alpha/setup/{token}", {"password": "a lighthouse of oranges",
                                                "confirm": "a lighthouse of oranges"})
    assert resp.status_code == 302
    assert theirs.get("/alpha/").status_code == 302


def test_cli_set_password_ends_the_accounts_sessions(make_user, new_client, instance):
    from conftest import gvo_command

    person = make_user()
    theirs = new_client()
    sign_in(theirs, person)
    assert theirs.get("/alpha/").status_code == 200
    result = gvo_command("--instance", str(instance.path), "user", "set-password", "alpha",
                         person.email, input_text="a brand new passphrase\n", GVO_MASTER_KEY="")
    assert result.exit_code == 0, result.output
    assert "1 session" in result.output
    assert theirs.get("/alpha/").status_code == 302


# -- Issue 9: idle timeouts shorter than a minute ------------------------------------------


def test_short_idle_timeout_keeps_an_active_person_signed_in(instance, make_user, clock):
    from conftest import WebClient

    from gvo import create_app

    app = create_app({"TESTING": True, "GVO_BASE_URL": BASE, "GVO_IDLE_TIMEOUT": 40},
                     instance=instance)
    client = WebClient(app.test_client())
    person = make_user()
    sign_in(client, person)
    for _ in range(6):  # active every 30 s for three minutes
        clock.advance(30)
        assert client.get("/alpha/").status_code == 200
    clock.advance(41)
    assert client.get("/alpha/").status_code == 302


# -- Issue 9: nobody can keep an account locked from their own address --------------------


def _from(app, address):
    from conftest import WebClient

    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return WebClient(client)


def test_failures_from_one_address_do_not_lock_the_owner_out(app, make_user, clock):
    person = make_user()
    attacker = _from(app, "198.51.100.7")
    for _ in range(8):
        attacker.post("/alpha/login", {"email": person.email, "password": "wrong-password-1"},
                      form_page="/alpha/login")
    assert "Too many failed sign-ins for this account" in attacker.last_text
    owner = _from(app, "203.0.113.20")
    assert sign_in(owner, person).status_code == 302
    assert owner.get("/alpha/").status_code == 200


def test_an_account_under_attack_from_many_addresses_goes_slow_but_stays_open(
        app, make_user, clock):
    person = make_user()
    for n in range(5):  # 10 failures from 5 addresses: the account is under pressure
        attacker = _from(app, f"198.51.100.{n}")
        for _ in range(2):
            attacker.post("/alpha/login", {"email": person.email, "password": "wrong-pass-1"},
                          form_page="/alpha/login")
    # An attacking address may now fail only once per 5 minutes.
    resp = attacker.post("/alpha/login", {"email": person.email, "password": "wrong-pass-1"},
                         form_page="/alpha/login")
    assert resp.status_code == 422 and "wait 5 minutes" in attacker.last_text
    # The owner, from an address of their own, gets through with password and code ...
    owner = _from(app, "203.0.113.20")
    assert sign_in(owner, person).status_code == 302
    # ... and someone who mistypes from a new address waits before the next try.
    other = _from(app, "203.0.113.21")
    other.post("/alpha/login", {"email": person.email, "password": "typo-password"},
               form_page="/alpha/login")
    assert "do not match" in other.last_text
    clock.advance(31)
    assert sign_in(other, person).status_code == 422
    assert "Too many failed sign-ins for this account" in other.last_text
    clock.advance(5 * 60)
    assert sign_in(other, person).status_code == 302


def test_code_step_failures_count_for_the_pair_too(app, make_user, clock):
    person = make_user()
    thief = _from(app, "198.51.100.9")  # knows the password, not the code
    for _ in range(5):
        sign_in(thief, person, code="000000")
    assert sign_in(thief, person).status_code == 422
    assert "Too many failed sign-ins for this account" in thief.last_text
    clock.advance(31)
    assert sign_in(_from(app, "203.0.113.20"), person).status_code == 302


# -- Issue 9: codes typed in full-width (or other scripts') digits --------------------------


def _wide(code: str) -> str:
    return "".join(chr(0xFF10 + int(d)) for d in code)


def test_full_width_code_signs_in(client, make_user):
    person = make_user()
    assert sign_in(client, person, code=_wide(person.code())).status_code == 302
    assert client.get("/alpha/").status_code == 200


@pytest.mark.parametrize("typed", ["１２３４５６", "١٢٣٤٥٦", "¹²³⁴⁵⁶", "12 34 5６", "１２３"])
def test_odd_digits_never_give_a_500(client, make_user, typed):
    person = make_user()
    resp = sign_in(client, person, code=typed)
    assert resp.status_code == 422 and "That code is not right" in client.last_text


def test_full_width_code_enrols_at_sign_in_and_from_the_profile(client, make_user, clock):
    person = make_user(role="author", mfa=False)
    _password_step(client, person)
    client.get("/alpha/mfa/enrol")
    secret = _enrol_secret(client)
    resp = client.post("/alpha/mfa/enrol", {"code": "x" + _wide(pyotp.TOTP(secret).at(clock.t))})
    assert resp.status_code == 422 and "does not match" in client.last_text
    resp = client.post("/alpha/mfa/enrol", {"code": _wide(pyotp.TOTP(secret).at(clock.t))})
    assert resp.headers["Location"].endswith("/alpha/mfa/recovery-codes")
    clock.advance(31)
    client.get("/alpha/mfa/enrol")
    again = _enrol_secret(client)
    resp = client.post("/alpha/mfa/enrol", {"code": "٠" * 6, "password": person.password})
    assert resp.status_code == 422
    resp = client.post("/alpha/mfa/enrol", {"code": _wide(pyotp.TOTP(again).at(clock.t)),
                                            "password": person.password})
    assert resp.headers["Location"].endswith("/alpha/mfa/recovery-codes")


def test_full_width_recovery_code_works(client, make_user, instance, clock):
    from gvo.core.identity import Identity
    from gvo.people import signin

    person = make_user(mfa=False)
    secret = pyotp.random_base32(32)
    codes = signin.enrol_totp(instance.db("alpha"), Identity.operator(), person.id, secret,
                              pyotp.TOTP(secret).at(clock.t))
    person.totp_secret = secret
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in codes[0].upper())
    assert sign_in(client, person, code=wide).status_code == 302


# -- Issue 9: `next` must be a clean path inside the school -----------------------------------


def test_next_with_a_line_break_after_a_correct_password_goes_home(client, make_user):
    person = make_user()
    page = client.get("/alpha/login?next=/alpha/%0d%0aX")
    assert page.status_code == 200 and "X" not in client.last_text.split('name="next"')[1][:60]
    client.post("/alpha/login", {"email": person.email, "password": person.password,
                                 "next": "/alpha/\r\nSet-Cookie: x=1"})
    resp = client.post("/alpha/login/verify", {"code": person.code()},
                       form_page="/alpha/login/verify")
    assert resp.status_code == 302 and resp.headers["Location"] == "/alpha/"


@pytest.mark.parametrize("target", [
    "/alpha/%0d%0aX", "/alpha/\r\nX", "/alpha/\x00", "/alpha/a\u202eb", "/alpha/../beta/",
    "/alpha/%2e%2e/beta/", "/alpha//evil.example", "/alpha/%2F%2Fevil.example",
    "https://evil.example/alpha/", "//evil.example/alpha/", "/alpha\\x", "/alpha/%5cx",
    "/alpha/x#frag", "/beta/", "/alpha/" + "a" * 3000, "http://[/alpha/",
])
def test_safe_next_refuses_anything_but_a_clean_school_path(app, target):
    from gvo.web.access import safe_next

    with app.test_request_context("/alpha/login"):
        from flask import g

        g.school = "alpha"
        assert safe_next(target) is None
        assert safe_next("/alpha/library/folders/3?sort=new") == "/alpha/library/folders/3?sort=new"


def test_enrolment_step_closes_if_an_authenticator_was_set_up_meanwhile(client, make_user,
                                                                       instance, clock):
    from gvo.core.identity import Identity
    from gvo.people import signin

    newcomer = make_user(role="author", mfa=False)
    _password_step(client, newcomer)
    client.get("/alpha/mfa/enrol")
    key = _enrol_secret(client)
    theirs = pyotp.random_base32(32)  # the owner enrols on their own device meanwhile
    signin.enrol_totp(instance.db("alpha"), Identity.operator(), newcomer.id, theirs,
                      pyotp.TOTP(theirs).at(clock.t))
    clock.advance(30)
    resp = client.post("/alpha/mfa/enrol", {"code": pyotp.TOTP(key).now()},
                       form_page="/alpha/login")
    assert resp.headers["Location"].endswith("/alpha/login")
    assert instance.db("alpha").execute("SELECT totp_secret FROM users WHERE id = ?",
                                        (newcomer.id,)).fetchone()[0] == theirs


def test_an_address_with_an_international_domain_signs_in_as_typed(instance, school,
                                                                    make_user):
    """Addresses are stored with their domain in ASCII (punycode): a person typing the
    domain as they know it still signs in (the look-up uses the stored form)."""
    from conftest import PASSWORD

    from gvo.people import signin

    person = make_user(email="ann@bücher.example", mfa=False)
    conn = instance.db(school)
    stored = conn.execute("SELECT email FROM users WHERE id = ?", (person.id,)).fetchone()[0]
    assert stored == "ann@xn--bcher-kva.example"
    result = signin.check_password(conn, " ann@BÜCHER.example ", PASSWORD, "127.0.0.9")
    assert result.user_id == person.id
