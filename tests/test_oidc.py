"""Signing in with the school's OpenID Connect provider (issue 18, acceptance 1 and 4 for
this method), against a real OpenID provider on loopback: npm's `oidc-provider` run by
Node.js (tests/oidc_provider.py), over real HTTP, with its real signed ID tokens."""

import html
import json
import socket
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from conftest import BASE, sign_in
from oidc_provider import CLIENT_ID, CLIENT_SECRET, OpenIdProvider

from gvo.core.identity import Identity
from gvo.people import oidc_signin, settings

CALLBACK = f"{BASE}/alpha/login/oidc/callback"
ACCOUNTS = {
    "alice": {"email": "alice@school.example", "email_verified": True, "name": "Alice A"},
    "bob": {"email": "bob@school.example", "email_verified": False},
    "eve": {"email": "eve@elsewhere.example", "email_verified": True},
    "carol": {"email": "carol@school.example", "email_verified": True, "name": "Carol C"},
    "dana": {"email": "dana@school.example", "email_verified": True, "amr": ["pwd", "mfa"]},
}


@pytest.fixture(scope="module")
def provider():
    """The school's provider, behaving as it should."""
    running = OpenIdProvider(ACCOUNTS, [CALLBACK])
    yield running
    running.stop()


@pytest.fixture
def other_provider():
    """Factory: a provider that misbehaves as asked (stopped after the test)."""
    started = []

    def start(**misbehaviour):
        started.append(OpenIdProvider(ACCOUNTS, [CALLBACK], **misbehaviour))
        return started[-1]

    yield start
    for running in started:
        running.stop()


def configure(instance, issuer: str, **options) -> None:
    """The school's Manager set the provider up (through the service; the form has its own
    test)."""
    values = {"enabled": True, "label": "Test ID", "client_id": CLIENT_ID,
              "client_secret": CLIENT_SECRET, "allowed_domains": "school.example",
              "auto_create": False, "trust_amr_mfa": False, "password_managers_only": False}
    values.update(options)
    oidc_signin.save_config(instance.db("alpha"), Identity.operator(), issuer=issuer, **values)


@pytest.fixture
def optional_mfa(instance, school):
    """The school makes two-step sign-in optional (for those not Managers or Editors)."""
    settings.set_mfa_policy(instance.db("alpha"), Identity.operator(), "optional")


def to_provider(client) -> str:
    """Press "Sign in with ..." on the sign-in page: the provider's authorization URL."""
    page = client.get("/alpha/login")
    assert page.status_code == 200 and 'data-testid="oidc-sign-in"' in client.last_text
    resp = client.post("/alpha/login/oidc", {})
    assert resp.status_code == 303, client.last_text[:500]
    return resp.headers["Location"]


def come_back(client, url: str):
    """The browser arrives back at GVO from the provider at `url`."""
    assert url.startswith(BASE), url
    return client.get(url.removeprefix(BASE))


def oidc_sign_in(client, provider, account: str):
    """The whole way: GVO, the provider's login as `account`, back to GVO."""
    return come_back(client, provider.signs_in(to_provider(client), account))


def failure_text(client, resp) -> str:
    """The sign-in page the failure sends the person to, with its message."""
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/alpha/login")
    client.get("/alpha/login")
    return html.unescape(client.last_text)


def audit(instance, action: str) -> list[dict]:
    """The audit entries of `action`, oldest first, their detail read."""
    rows = instance.db("alpha").execute(
        "SELECT actor_email, target, detail FROM audit_log WHERE action = ? ORDER BY id",
        (action,)).fetchall()
    return [dict(r) | {"detail": json.loads(r["detail"])} for r in rows]


def test_sign_in_succeeds_for_a_matching_verified_email(client, make_user, instance, provider,
                                                        optional_mfa):
    person = make_user(role="author", email="Alice@School.example", mfa=False)
    configure(instance, provider.issuer)
    url = to_provider(client)
    query = parse_qs(urlsplit(url).query)
    # The authorization code flow with PKCE (S256), state and nonce.
    assert query["response_type"] == ["code"] and query["code_challenge_method"] == ["S256"]
    assert query["state"][0] and query["nonce"][0] and query["code_challenge"][0]
    resp = come_back(client, provider.signs_in(url, "alice"))
    assert resp.status_code == 302 and resp.headers["Location"] == "/alpha/"
    assert client.get("/alpha/").status_code == 200 and "Test Author" in client.last_text
    success = audit(instance, "login.success")[-1]
    assert success["target"] == f"user:{person.id}" and success["detail"]["factor"] == "oidc"


def test_an_enrolled_person_still_gives_a_code_after_the_provider(client, make_user, instance,
                                                                   provider):
    person = make_user(role="author", email="alice@school.example")
    configure(instance, provider.issuer)
    resp = oidc_sign_in(client, provider, "alice")
    assert resp.headers["Location"].endswith("/alpha/login/verify")
    assert client.get("/alpha/").status_code == 302  # not signed in yet
    resp = client.post("/alpha/login/verify", {"code": person.code()},
                       form_page="/alpha/login/verify")
    assert resp.status_code == 302 and client.get("/alpha/").status_code == 200


@pytest.mark.parametrize(("account", "email", "words", "reason"), [
    ("bob", "bob@school.example",
     "has not verified your e-mail address bob@school.example", "email not verified"),
    ("eve", "eve@elsewhere.example",
     "Addresses at elsewhere.example may not sign in this way here", "domain not allowed")])
def test_unverified_email_or_domain_not_allowed_is_refused(client, make_user, instance,
                                                          provider, optional_mfa, account,
                                                          email, words, reason):
    make_user(role="author", email=email, mfa=False)
    configure(instance, provider.issuer)
    text = failure_text(client, oidc_sign_in(client, provider, account))
    assert words in text
    assert client.get("/alpha/").status_code == 302
    assert audit(instance, "login.failure")[-1]["detail"]["reason"] == reason


def test_a_wrong_nonce_is_refused(client, make_user, instance, provider, optional_mfa):
    """The provider's answer is for another authorization request (another nonce) that
    carries this browser's state and PKCE challenge: the ID token's nonce gives it away."""
    make_user(role="author", email="alice@school.example", mfa=False)
    configure(instance, provider.issuer)
    parts = urlsplit(to_provider(client))
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["nonce"] = "a-nonce-of-another-sign-in"
    forged = urlunsplit(parts._replace(query=urlencode(query)))
    text = failure_text(client, come_back(client, provider.signs_in(forged, "alice")))
    assert "its nonce does not match" in text
    assert client.get("/alpha/").status_code == 302
    assert "nonce" in audit(instance, "login.failure")[-1]["detail"]["reason"]


def test_a_replayed_state_is_refused(client, new_client, make_user, instance, provider,
                                     optional_mfa):
    make_user(role="author", email="alice@school.example", mfa=False)
    configure(instance, provider.issuer)
    back = provider.signs_in(to_provider(client), "alice")
    assert come_back(client, back).status_code == 302
    assert client.get("/alpha/").status_code == 200
    # The same answer again, in this browser or another: its state was used.
    client.post("/alpha/logout", {}, form_page="/alpha/profile")
    for browser in (client, new_client()):
        text = failure_text(browser, come_back(browser, back))
        assert "This sign-in was already used" in text
        assert browser.get("/alpha/").status_code == 302
    assert audit(instance, "login.failure")[-1]["detail"]["reason"] == "state"


@pytest.mark.parametrize(("offset", "words"), [
    (-10 * 60, "has expired"), (2 * 3600, "dated in the future")])
def test_an_id_token_out_of_date_is_refused(client, make_user, instance, other_provider,
                                            optional_mfa, offset, words):
    """A provider whose clock is off mints ID tokens that expired (10 minutes behind, its
    tokens valid for a minute) or are not valid yet (2 hours ahead) by this office's
    clock, beyond the leeway allowed."""
    make_user(role="author", email="alice@school.example", mfa=False)
    skewed = other_provider(clock_offset=offset, id_token_ttl=60)
    configure(instance, skewed.issuer)
    text = failure_text(client, oidc_sign_in(client, skewed, "alice"))
    assert words in text
    assert client.get("/alpha/").status_code == 302
    assert audit(instance, "login.failure")[-1]["detail"]["reason"].startswith("claims")


def test_a_wrongly_signed_id_token_is_refused(client, make_user, instance, other_provider,
                                              optional_mfa):
    """The provider's published keys (jwks_uri) do not verify its ID token's signature."""
    make_user(role="author", email="alice@school.example", mfa=False)
    forger = other_provider(wrong_keys=True)
    configure(instance, forger.issuer)
    text = failure_text(client, oidc_sign_in(client, forger, "alice"))
    assert "not signed with its keys" in text
    assert client.get("/alpha/").status_code == 302
    assert audit(instance, "login.failure")[-1]["detail"]["reason"].startswith("signature")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_provider_down_says_so_and_password_sign_in_still_works(client, make_user, instance):
    person = make_user(role="author", email="alice@school.example")
    configure(instance, f"http://127.0.0.1:{_closed_port()}")
    client.get("/alpha/login")
    text = failure_text(client, client.post("/alpha/login/oidc", {}))
    assert "The school's sign-in provider did not answer (discovery)" in text
    assert "sign in with your password" in text
    assert audit(instance, "login.oidc_unavailable")
    assert sign_in(client, person).status_code == 302
    assert client.get("/alpha/").status_code == 200


def test_provider_gone_before_the_person_comes_back(client, make_user, instance,
                                                    other_provider, optional_mfa):
    make_user(role="author", email="alice@school.example", mfa=False)
    leaving = other_provider()
    configure(instance, leaving.issuer)
    back = leaving.signs_in(to_provider(client), "alice")
    leaving.stop()
    text = failure_text(client, come_back(client, back))
    assert "did not answer (token)" in text
    assert client.get("/alpha/").status_code == 302


def test_no_account_is_made_unless_the_manager_switched_it_on(client, new_client, instance,
                                                              provider, optional_mfa, school):
    configure(instance, provider.issuer)
    text = failure_text(client, oidc_sign_in(client, provider, "carol"))
    assert "No account in this office has the address carol@school.example" in text
    conn = instance.db("alpha")
    assert conn.execute("SELECT 1 FROM users WHERE email = 'carol@school.example'").fetchone() \
        is None
    configure(instance, provider.issuer, auto_create=True)
    other = new_client()
    resp = oidc_sign_in(other, provider, "carol")
    assert resp.status_code == 302 and resp.headers["Location"] == "/alpha/"
    row = conn.execute("SELECT * FROM users WHERE email = 'carol@school.example'").fetchone()
    assert row["role"] == "reader" and row["name"] == "Carol C" and row["password_hash"] is None
    assert other.get("/alpha/").status_code == 200
    assert "your clerk will give you your role" in other.last_text
    assert audit(instance, "user.add")[-1]["detail"]["via"] == "oidc"


def test_a_manager_needs_a_code_unless_the_provider_enforces_mfa(client, new_client, make_user,
                                                                  instance, provider):
    make_user(role="manager", email="dana@school.example")
    configure(instance, provider.issuer)  # the school does not vouch for the provider's MFA
    assert oidc_sign_in(client, provider, "dana").headers["Location"].endswith(
        "/alpha/login/verify")
    configure(instance, provider.issuer, trust_amr_mfa=True)
    other = new_client()
    resp = oidc_sign_in(other, provider, "dana")  # amr: pwd, mfa
    assert resp.headers["Location"] == "/alpha/" and other.get("/alpha/").status_code == 200
    assert audit(instance, "login.success")[-1]["detail"]["amr"] == ["pwd", "mfa"]
    # Trusted, but this sign-in used one factor only: a code still.
    make_user(role="editor", email="alice@school.example")
    assert oidc_sign_in(new_client(), provider, "alice").headers["Location"].endswith(
        "/alpha/login/verify")


def test_password_sign_in_off_for_everyone_but_managers(client, new_client, make_user,
                                                        instance, provider):
    author = make_user(role="author", email="alice@school.example")
    manager = make_user(role="manager")
    configure(instance, provider.issuer, password_managers_only=True)
    resp = sign_in(client, author)
    assert resp.status_code == 422 and "This school signs in with Test ID" in client.last_text
    assert audit(instance, "login.failure")[-1]["detail"]["reason"] == "password sign-in off"
    assert sign_in(new_client(), manager).status_code == 302
    # Switched off together with the provider: passwords work again.
    configure(instance, provider.issuer, enabled=False)
    assert sign_in(new_client(), author).status_code == 302


def test_oidc_failures_are_throttled_and_audited(client, make_user, instance, provider, clock,
                                                 optional_mfa):
    make_user(role="author", email="bob@school.example", mfa=False)
    configure(instance, provider.issuer)
    for _ in range(5):
        oidc_sign_in(client, provider, "bob")
    text = failure_text(client, oidc_sign_in(client, provider, "bob"))
    assert "Too many failed sign-ins for this account" in text
    throttled = audit(instance, "login.throttled")[-1]
    assert throttled["actor_email"] == "bob@school.example"
    assert throttled["detail"]["step"] == "oidc"
    failures = audit(instance, "login.failure")
    assert len(failures) == 5 and all(f["detail"]["method"] == "oidc" for f in failures)
    # Failures before anyone is named (a bad state) are throttled per address.
    clock.advance(15 * 60 + 1)
    for _ in range(5):
        client.get("/alpha/login/oidc/callback?code=x&state=forged")
    client.get("/alpha/login")
    assert client.post("/alpha/login/oidc", {}).status_code == 302
    client.get("/alpha/login")
    assert "Too many failed sign-ins from your network" in client.last_text


def test_managers_configuration_form(client, new_client, signed_in, instance, provider):
    manager_client, _ = signed_in("manager")
    page = manager_client.get("/alpha/admin/sign-in")
    assert page.status_code == 200 and CALLBACK in manager_client.last_text
    form = {"enabled": "y", "label": "Test ID", "issuer": provider.issuer + "/",
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "allowed_domains": "@School.example", "trust_amr_mfa": "y"}
    resp = manager_client.post("/alpha/admin/sign-in", form)
    assert resp.status_code == 302
    found = oidc_signin.config(instance.db("alpha"))
    assert found.issuer == provider.issuer and found.allowed_domains == ("school.example",)
    assert found.client_secret == CLIENT_SECRET and found.trust_amr_mfa
    # The secret is never shown back, nor written in the audit log; blank keeps it.
    manager_client.get("/alpha/admin/sign-in")
    assert CLIENT_SECRET not in manager_client.last_text
    assert 'data-testid="secret-stored"' in manager_client.last_text
    entry = audit(instance, "school.oidc")[-1]
    assert CLIENT_SECRET not in json.dumps(entry) and entry["detail"]["secret_changed"]
    manager_client.post("/alpha/admin/sign-in", form | {"client_secret": "", "label": "Other"},
                        form_page="/alpha/admin/sign-in")
    assert oidc_signin.config(instance.db("alpha")).client_secret == CLIENT_SECRET
    assert audit(instance, "school.oidc")[-1]["detail"] == {"label": "Other",
                                                            "secret_changed": False}
    # Bad input: a clear message, nothing lost.
    resp = manager_client.post("/alpha/admin/sign-in", form | {"issuer": "http://idp.example"},
                               form_page="/alpha/admin/sign-in")
    assert resp.status_code == 422 and "must start with https://" in manager_client.last_text
    # CSRF is checked; only Managers may see or change it.
    assert manager_client.post("/alpha/admin/sign-in", form, csrf=False).status_code == 400
    author_client = new_client()
    sign_in(author_client, make_person(instance))
    assert author_client.get("/alpha/admin/sign-in").status_code == 403


def make_person(instance):
    """An Author of the school (a second person beside the `signed_in` one)."""
    from conftest import add_person

    return add_person(instance, "alpha", "author", "author-x@example.org")


def test_discovery_of_a_provider_that_never_answers_times_out(client, make_user, instance,
                                                              monkeypatch):
    """A provider that accepts the connection and never answers: discovery gives up after
    the code's own timeout (made short here) and says so; password sign-in still works."""
    from gvo.security import oidc

    monkeypatch.setattr(oidc, "HTTP_TIMEOUT", 0.5)
    person = make_user(role="author", email="alice@school.example")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        configure(instance, f"http://127.0.0.1:{silent.getsockname()[1]}")
        client.get("/alpha/login")
        text = failure_text(client, client.post("/alpha/login/oidc", {}))
    assert "did not answer (discovery)" in text
    assert sign_in(client, person).status_code == 302
