"""Passkeys (issue 18): registered on the profile (named, renamed, removed, each audited), as
the second step of sign-in, and alone where the school allows it; user verification
required, counters checked, challenges single-use, bound to the pending sign-in and
expiring; throttled and audited like password sign-in (acceptance 4 for this method).

Through the real pages (https://localhost: RP ID "localhost") with a software authenticator
(tests/softkey.py) that signs real answers. The browser tests with Chromium's virtual
authenticator are tests/browser/test_passkeys_browser.py.
"""

import html
import json
import re

import pytest
from conftest import BASE, sign_in
from softkey import SoftKey

from gvo.core.identity import Identity
from gvo.people import accounts
from gvo.security import passkeys

_OPTIONS = re.compile(r'data-options="([^"]+)"')


def options_on(client) -> str:
    """The passkey options (JSON) the last page holds."""
    match = _OPTIONS.search(client.last_text)
    assert match, "no passkey options on the page"
    return html.unescape(match.group(1))


def audit(instance, action: str) -> list[dict]:
    conn = instance.db("alpha")
    return [dict(r) | {"detail": json.loads(r["detail"] or "{}")} for r in conn.execute(
        "SELECT * FROM audit_log WHERE action = ? ORDER BY id", (action,))]


def add_passkey(client, person, name="My phone", key=None) -> SoftKey:
    """Register a passkey through the profile's page; returns the device holding it."""
    key = key or SoftKey(BASE)
    client.get("/alpha/profile/passkeys/new")
    resp = client.post("/alpha/profile/passkeys/new", {
        "name": name, "password": person.password, "credential": key.create(options_on(client))})
    assert resp.status_code == 302, client.last_text[:2000]
    return key


def password_step(client, person):
    resp = client.post("/alpha/login", {"email": person.email, "password": person.password},
                       form_page="/alpha/login")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/alpha/login/verify")


def passkey_step(client, key: SoftKey, **kw):
    client.get("/alpha/login/verify/passkey")
    return client.post("/alpha/login/verify/passkey", {"credential": key.get(options_on(client),
                                                                            **kw)})


@pytest.fixture
def with_passkey(signed_in, new_client):
    """(person, device, fresh client): an author who registered a passkey, and a client that
    is not signed in."""
    client, person = signed_in("author")
    key = add_passkey(client, person)
    return person, key, new_client()


def test_register_several_name_rename_and_remove_each_audited(signed_in, instance):
    client, person = signed_in("author")
    phone = add_passkey(client, person, "My phone")
    add_passkey(client, person, "Work laptop")
    page = client.get("/alpha/profile").get_data(as_text=True)
    assert "My phone" in page and "Work laptop" in page
    rows = passkeys.list_for(instance.db("alpha"), person.id)
    assert [r["name"] for r in rows] == ["My phone", "Work laptop"]
    # The same device cannot be registered twice: the options exclude it.
    client.get("/alpha/profile/passkeys/new")
    excluded = json.loads(options_on(client))["excludeCredentials"]
    assert passkeys.b64url(phone.credential_id) in [d["id"] for d in excluded]
    assert json.loads(options_on(client))["authenticatorSelection"] == {
        "residentKey": "required", "requireResidentKey": True, "userVerification": "required"}

    client.post(f"/alpha/profile/passkeys/{rows[0]['id']}/rename", {"name": "Old phone"},
                form_page="/alpha/profile")
    client.post(f"/alpha/profile/passkeys/{rows[1]['id']}/remove", {},
                form_page="/alpha/profile")
    assert [r["name"] for r in passkeys.list_for(instance.db("alpha"), person.id)] == [
        "Old phone"]
    assert [a["detail"]["name"] for a in audit(instance, "passkey.add")] == [
        "My phone", "Work laptop"]
    assert audit(instance, "passkey.rename")[0]["detail"]["new"] == "Old phone"
    assert audit(instance, "passkey.remove")[0]["detail"]["name"] == "Work laptop"


def test_adding_a_passkey_asks_for_the_password_and_a_name(signed_in, instance):
    client, person = signed_in("author")
    client.get("/alpha/profile/passkeys/new")
    answer = SoftKey(BASE).create(options_on(client))
    resp = client.post("/alpha/profile/passkeys/new", {"name": "Phone", "password": "wrong-one!",
                                                       "credential": answer})
    assert resp.status_code == 422 and "Your password is not right" in client.last_text
    resp = client.post("/alpha/profile/passkeys/new", {"name": " ", "password": person.password,
                                                       "credential": answer})
    assert resp.status_code == 422
    assert not passkeys.has_any(instance.db("alpha"), person.id)


def test_someone_elses_passkey_cannot_be_removed(signed_in, new_client, make_user, instance):
    client, person = signed_in("author")
    add_passkey(client, person)
    mine = passkeys.list_for(instance.db("alpha"), person.id)[0]["id"]
    other = new_client()
    sign_in(other, make_user(role="author"))
    other.post(f"/alpha/profile/passkeys/{mine}/remove", {}, form_page="/alpha/profile")
    assert passkeys.has_any(instance.db("alpha"), person.id)
    assert audit(instance, "passkey.remove") == []


def test_passkey_as_the_second_step(with_passkey, instance):
    person, key, client = with_passkey
    password_step(client, person)
    client.get("/alpha/login/verify")
    assert "Use a passkey instead" in client.last_text
    resp = passkey_step(client, key)
    assert resp.status_code == 302 and resp.headers["Location"] == "/alpha/"
    assert client.get("/alpha/").status_code == 200
    success = audit(instance, "login.success")[-1]
    assert success["detail"]["factor"] == "passkey" and success["actor_id"] == person.id


def test_user_verification_is_required_to_add_a_passkey(signed_in, instance):
    client, person = signed_in("editor")
    client.get("/alpha/profile/passkeys/new")
    unverified = SoftKey(BASE, verified=False)
    resp = client.post("/alpha/profile/passkeys/new", {
        "name": "No PIN", "password": person.password,
        "credential": unverified.create(options_on(client))})
    assert resp.status_code == 422 and "could not be checked" in client.last_text
    assert not passkeys.has_any(instance.db("alpha"), person.id)


def test_user_verification_is_required_to_sign_in(with_passkey, instance):
    person, key, fresh = with_passkey
    password_step(fresh, person)
    key.verified = False
    assert passkey_step(fresh, key).status_code == 422
    assert "could not be checked" in fresh.last_text
    failure = audit(instance, "login.mfa_failure")[-1]
    assert "verif" in failure["detail"]["reason"]


def test_a_counter_that_goes_backwards_is_refused_and_audited(with_passkey, instance,
                                                             new_client):
    person, key, client = with_passkey
    password_step(client, person)
    assert passkey_step(client, key, bump=5).status_code == 302
    client = new_client()
    password_step(client, person)
    key.counter -= 3  # a copy of the device, behind the original
    assert passkey_step(client, key, bump=1).status_code == 422
    assert "counter went backwards" in client.last_text
    regressed = audit(instance, "passkey.counter_regressed")
    assert len(regressed) == 1 and regressed[0]["detail"]["stored"] == 5
    assert regressed[0]["detail"]["sent"] == 3
    assert client.get("/alpha/").status_code == 302  # not signed in


def test_a_challenge_serves_once_and_expires(with_passkey, clock, instance):
    person, key, client = with_passkey
    password_step(client, person)
    client.get("/alpha/login/verify/passkey")
    answer = key.get(options_on(client))
    # An answer to a challenge already answered once (wrongly) is refused: it is spent.
    bad = SoftKey(BASE).get(options_on(client))
    assert client.post("/alpha/login/verify/passkey", {"credential": bad}).status_code == 422
    assert client.post("/alpha/login/verify/passkey", {"credential": answer}).status_code == 422
    assert "challenge" in audit(instance, "login.mfa_failure")[-1]["detail"]["reason"]
    # Expired: a challenge is good for five minutes.
    client.get("/alpha/login/verify/passkey")
    answer = key.get(options_on(client))
    clock.advance(passkeys.CHALLENGE_SECONDS + 1)
    assert client.post("/alpha/login/verify/passkey", {"credential": answer}).status_code == 422
    assert "timed out" in client.last_text


def test_the_challenge_is_bound_to_the_pending_sign_in(with_passkey, make_user, instance):
    person, key, client = with_passkey
    password_step(client, person)
    client.get("/alpha/login/verify/passkey")
    answer = key.get(options_on(client))
    # Another password step in this browser replaces the sign-in in progress, challenge too.
    other = make_user(role="reader")
    password_step(client, other)
    client.post("/alpha/login/verify/passkey", {"credential": answer},
                form_page="/alpha/login/verify")
    assert client.get("/alpha/").status_code == 302  # nobody signed in
    failure = audit(instance, "login.mfa_failure")[-1]
    assert failure["actor_id"] == other.id and failure["detail"]["reason"] == "no challenge"


def test_another_accounts_passkey_is_no_second_step(with_passkey, make_user, instance):
    person, key, client = with_passkey
    other = make_user(role="reader")
    password_step(client, other)
    client.get("/alpha/login/verify/passkey")  # the other has none: back to the code
    assert client.last.status_code == 302
    # Answered anyway with the first person's passkey, it proves nothing for the other.
    client.post("/alpha/login/verify/passkey", {
        "credential": key.get(json.dumps({"challenge": "AAAA", "rpId": "localhost"}))},
        form_page="/alpha/login/verify")
    assert client.get("/alpha/").status_code == 302
    assert audit(instance, "login.mfa_failure")[-1]["actor_id"] == other.id


def test_passkey_alone_only_where_the_school_allows_it(with_passkey, instance, new_client,
                                                       make_user):
    person, key, client = with_passkey
    client.get("/alpha/login")
    assert "Sign in with a passkey" not in client.last_text
    assert client.get("/alpha/login/passkey").status_code == 302

    manager = new_client()
    sign_in(manager, make_user(role="manager"))
    assert "Let people sign in with a passkey alone" in manager.get(
        "/alpha/admin/settings").get_data(as_text=True)
    manager.post("/alpha/admin/settings/passkeys", {"allowed": "y"},
                 form_page="/alpha/admin/settings")
    assert audit(instance, "school.passkey_signin")[-1]["detail"] == {"old": False,
                                                                      "new": True}

    client.get("/alpha/login")
    assert "Sign in with a passkey" in client.last_text
    client.get("/alpha/login/passkey")
    options = json.loads(options_on(client))
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"
    resp = client.post("/alpha/login/passkey", {"credential": key.get(options_on(client))})
    assert resp.status_code == 302 and resp.headers["Location"] == "/alpha/"
    assert client.get("/alpha/").status_code == 200
    assert audit(instance, "login.success")[-1]["detail"]["factor"] == "passkey-only"


def test_passkey_alone_is_throttled_and_audited_like_a_password(with_passkey, instance):
    person, key, client = with_passkey
    conn = instance.db("alpha")
    from gvo.people import passkey_signin

    passkey_signin.set_signin_allowed(conn, Identity.operator(), True)
    for _ in range(5):
        client.get("/alpha/login/passkey")
        # Signed for another relying party: refused, and counted against the account.
        resp = client.post("/alpha/login/passkey", {
            "credential": key.get(options_on(client), rp_id="evil.example")})
        assert resp.status_code == 422
    failures = audit(instance, "login.failure")
    assert len(failures) == 5 and failures[0]["actor_id"] == person.id
    assert failures[0]["detail"]["factor"] == "passkey"
    client.get("/alpha/login/passkey")
    resp = client.post("/alpha/login/passkey", {"credential": key.get(options_on(client))})
    assert resp.status_code == 422 and "Too many failed sign-ins" in client.last_text
    assert audit(instance, "login.throttled")[-1]["detail"]["step"] == "password"
    # An unknown passkey is a failure from this address too.
    stranger = SoftKey(BASE)
    client.post("/alpha/login/passkey", {"credential": stranger.get(
        json.dumps({"challenge": "AAAA", "rpId": "localhost"}))})
    assert audit(instance, "login.failure")[-1]["detail"]["reason"] in (
        "no challenge", "unknown passkey")


def test_passkey_second_step_is_throttled_like_a_code(with_passkey, instance):
    person, key, client = with_passkey
    password_step(client, person)
    for _ in range(5):
        assert passkey_step(client, key, rp_id="evil.example").status_code == 422
    assert passkey_step(client, key).status_code == 422
    assert "Too many failed sign-ins" in client.last_text
    assert audit(instance, "login.throttled")[-1]["detail"]["step"] == "code"


def test_a_passkey_without_an_authenticator_app_is_the_second_step(signed_in, new_client,
                                                                   instance, make_user):
    # A reader of a school where two-step sign-in is optional, with a passkey and no app.
    from gvo.people import settings

    settings.set_mfa_policy(instance.db("alpha"), Identity.operator(), "optional")
    client, person = signed_in("reader", mfa=False)
    key = add_passkey(client, person)
    fresh = new_client()
    password_step(fresh, person)
    assert passkey_step(fresh, key).status_code == 302
    assert fresh.get("/alpha/").status_code == 200


def test_a_reset_of_two_step_sign_in_removes_passkeys(with_passkey, instance):
    person, key, client = with_passkey
    accounts.reset_mfa(instance.db("alpha"), Identity.operator(), person.id)
    assert not passkeys.has_any(instance.db("alpha"), person.id)


def test_without_gvo_base_url_passkeys_are_off(signed_in, app):
    for base in ("http://127.0.0.1:8000", "https://192.0.2.1", "http://governors.example.org",
                 ""):
        with pytest.raises(passkeys.PasskeysOff):
            passkeys.relying_party(base, "Alpha")
    assert passkeys.relying_party("http://localhost:8000", "A").origin == "http://localhost:8000"
    rp = passkeys.relying_party("https://Gov.Example.org/", "A")
    assert (rp.id, rp.origin) == ("gov.example.org", "https://gov.example.org")

    client, _ = signed_in("author")
    app.config["GVO_BASE_URL"] = "http://127.0.0.1:8000"  # what GVO uses when it is unset
    page = client.get("/alpha/profile").get_data(as_text=True)
    assert 'data-testid="passkeys-off"' in page and "Add a passkey" not in page
    assert client.get("/alpha/profile/passkeys/new").status_code == 302
