"""Passkeys in a real Chromium (issue 18, acceptance 2), with its virtual authenticator
(DevTools protocol WebAuthn.addVirtualAuthenticator through Playwright's CDP session):
register a passkey on the profile, sign out, sign in with it; a removed passkey no longer
works.

WebAuthn needs a secure context and a relying party ID that is a name, never an IP address:
this server is reached at http://localhost:PORT (loopback over http counts as secure), and
its GVO_BASE_URL says so, so the RP ID is "localhost".
"""

import pytest

from gvo.core.identity import Identity
from gvo.people import passkey_signin
from gvo.storage.instance import Instance

from .fixtures import SCHOOL_NAME, SLUG, LiveServer, fill_password_step, serve, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def named_server(tmp_path_factory):
    """An office at http://localhost:PORT (its own instance), where passkey sign-in alone
    is allowed."""
    inst = Instance.init(tmp_path_factory.mktemp("passkeys") / "instance", environ={})
    inst.create_school(SLUG, SCHOOL_NAME)
    passkey_signin.set_signin_allowed(inst.db(SLUG), Identity.operator(), True)
    with serve(inst, name="localhost") as origin:
        yield LiveServer(origin, inst)


def virtual_authenticator(page) -> tuple:
    """A platform authenticator for this page's context that holds passkeys and verifies
    its user (as a phone's fingerprint would): (CDP session, authenticator id)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    made = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    return cdp, made["authenticatorId"]


def add_passkey(page, server, person, name: str) -> None:
    page.goto(server.url("/profile"))
    page.get_by_role("link", name="Add a passkey").click()
    page.wait_for_url(server.url("/profile/passkeys/new"))
    page.get_by_label("Name for this passkey").fill(name)
    page.get_by_label("Your password").fill(person.password)
    page.get_by_role("button", name="Add passkey").click()
    page.wait_for_url(server.url("/profile#passkeys"))
    assert name in page.get_by_test_id("passkeys").inner_text()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/login")


def test_register_a_passkey_sign_out_and_sign_in_with_it(page, named_server):
    server = named_server
    cdp, auth_id = virtual_authenticator(page)
    person = server.add_person("editor")
    sign_in(page, server, person)
    add_passkey(page, server, person, "This laptop")
    held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": auth_id})["credentials"]
    assert len(held) == 1 and held[0]["isResidentCredential"] and held[0]["rpId"] == "localhost"
    sign_out(page)

    # A passkey alone (the school allows it): no e-mail, no password, no code.
    page.get_by_role("link", name="Sign in with a passkey").click()
    page.get_by_role("button", name="Sign in with my passkey").click()
    page.wait_for_url(server.url("/"))
    assert page.get_by_test_id("person-name").inner_text() == person.name
    sign_out(page)

    # And as the second step after the password, instead of a code.
    fill_password_step(page, person)
    page.wait_for_url(server.url("/login/verify"))
    page.get_by_role("link", name="Use a passkey instead").click()
    page.get_by_role("button", name="Use my passkey").click()
    page.wait_for_url(server.url("/"))
    assert page.get_by_test_id("person-name").inner_text() == person.name

    conn = server.instance.db(server.slug)
    factors = [r[0] for r in conn.execute(
        "SELECT json_extract(detail, '$.factor') FROM audit_log WHERE action = 'login.success'"
        " AND actor_id = ? ORDER BY id", (person.id,))]
    assert factors[-2:] == ["passkey-only", "passkey"]
    count = cdp.send("WebAuthn.getCredentials", {"authenticatorId": auth_id})["credentials"]
    assert count[0]["signCount"] >= 2  # the counter went up with each use


def test_a_removed_passkey_no_longer_works(page, named_server):
    server = named_server
    virtual_authenticator(page)
    person = server.add_person("author")
    sign_in(page, server, person)
    add_passkey(page, server, person, "Old phone")
    page.get_by_role("button", name="Remove passkey Old phone").click()
    page.wait_for_url(server.url("/profile#passkeys"))
    assert page.get_by_test_id("passkey").count() == 0
    sign_out(page)

    # The device still holds it, but the office no longer knows it.
    page.get_by_role("link", name="Sign in with a passkey").click()
    page.get_by_role("button", name="Sign in with my passkey").click()
    refused = page.get_by_role("alert").filter(has_text="not registered here")
    refused.wait_for()  # the page comes back, saying why
    assert page.url == server.url("/login/passkey")
    assert page.get_by_role("heading", name="Sign in to Alpha Primary with a passkey").is_visible()
    conn = server.instance.db(server.slug)
    reasons = [r[0] for r in conn.execute(
        "SELECT json_extract(detail, '$.reason') FROM audit_log WHERE action = 'login.failure'")]
    assert reasons[-1] == "unknown passkey"
    # Without a passkey, the second step after the password is the code again.
    page.goto(server.url("/login"))
    fill_password_step(page, person)
    page.wait_for_url(server.url("/login/verify"))
    assert page.get_by_role("link", name="Use a passkey instead").count() == 0
