"""Trusted devices (issue 18, acceptance 3 and 4): the cookie skips only the code step, only
for its account and school, only until its expiry, and stops working after each
revocation; sign-in with it is throttled and audited like password sign-in."""

import pytest
from conftest import sign_in

from gvo.core.identity import Identity
from gvo.people import accounts
from gvo.security import devices, throttle

DAYS = 30
COOKIE = "__Host-gvo-alpha_device"  # the test client is on https://localhost


@pytest.fixture
def trusting(instance, school):
    """School alpha lets a device be trusted for DAYS days."""
    devices.set_trust_days(instance.db("alpha"), Identity.operator(), DAYS)
    return instance.db("alpha")


def password_step(client, person, password=None):
    return client.post(f"/{person.slug}/login",
                       {"email": person.email, "password": password or person.password},
                       form_page=f"/{person.slug}/login")


def trusted_sign_in(client, person):
    """Both steps, ticking "trust this device"; returns the code step's answer."""
    assert password_step(client, person).headers["Location"].endswith("/login/verify")
    page = client.get(f"/{person.slug}/login/verify").get_data(as_text=True)
    assert f"Trust this device for {DAYS} days" in page
    return client.post(f"/{person.slug}/login/verify", {"code": person.code(), "trust": "y"})


def sign_out(client, slug="alpha"):
    client.post(f"/{slug}/logout", {}, form_page=f"/{slug}/profile")


def skips_code(client, person) -> bool:
    """Whether the password step alone signs in (the device stood for the code step)."""
    resp = password_step(client, person)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return not resp.headers["Location"].endswith("/login/verify")


def audit(conn, action):
    return conn.execute("SELECT * FROM audit_log WHERE action = ? ORDER BY id",
                        (action,)).fetchall()


@pytest.fixture
def device(client, make_user, trusting, clock):
    """A governor who has trusted this client, then signed out: (client, person)."""
    person = make_user("alpha", "author")
    resp = trusted_sign_in(client, person)
    assert resp.status_code == 302
    cookie = resp.headers.getlist("Set-Cookie")
    (set_device,) = [c for c in cookie if c.startswith(COOKIE + "=")]
    assert "Secure" in set_device and "HttpOnly" in set_device and "SameSite=Lax" in set_device
    assert f"Max-Age={DAYS * 24 * 3600}" in set_device and "Path=/" in set_device
    assert "Domain" not in set_device
    sign_out(client)
    clock.advance(60)
    return client, person


def test_the_box_is_not_offered_when_the_school_allows_none(client, make_user):
    person = make_user("alpha", "author")
    password_step(client, person)
    assert "Trust this device" not in client.get("/alpha/login/verify").get_data(as_text=True)
    resp = client.post("/alpha/login/verify", {"code": person.code(), "trust": "y"})
    assert resp.status_code == 302 and client.cookie(COOKIE) is None


def test_a_trusted_device_skips_only_the_code_step(device, trusting):
    client, person = device
    token = client.cookie(COOKIE).value
    assert token not in str([tuple(r) for r in trusting.execute(
        "SELECT * FROM trusted_devices")])  # only its hash is stored
    resp = password_step(client, person, "wrong password entirely")
    assert resp.status_code == 422  # the password is still needed
    assert skips_code(client, person)
    assert client.get("/alpha/").status_code == 200
    used = audit(trusting, "login.success")[-1]
    assert '"factor": "trusted_device"' in used["detail"] and used["actor_id"] == person.id


def test_only_for_its_own_account(device, make_user, trusting):
    client, _ = device
    other = make_user("alpha", "author")
    assert not skips_code(client, other)
    assert "another account" in audit(trusting, "device.refused")[-1]["detail"]


def test_only_in_its_own_school(device, instance, make_user):
    client, person = device
    instance.create_school("beta", "Beta Academy")
    devices.set_trust_days(instance.db("beta"), Identity.operator(), DAYS)
    twin = make_user("beta", "author", email=person.email)
    client.c.set_cookie("__Host-gvo-beta_device", client.cookie(COOKIE).value,
                        domain="localhost", secure=True)
    assert not skips_code(client, twin)


def test_only_until_its_expiry(device, clock):
    client, person = device
    clock.advance(DAYS * 24 * 3600)
    assert not skips_code(client, person)


def test_only_as_long_as_the_school_now_allows(device, trusting, clock):
    client, person = device
    devices.set_trust_days(trusting, Identity.operator(), 1)
    clock.advance(24 * 3600)
    assert not skips_code(client, person)


def test_sign_out_everywhere_revokes_it(device, new_client):
    client, person = device
    other = new_client()
    sign_in(other, person)
    other.post("/alpha/logout/everywhere", {}, form_page="/alpha/profile")
    assert not skips_code(client, person)


def test_a_password_change_revokes_it(device, new_client):
    client, person = device
    other = new_client()
    sign_in(other, person)
    new = "another-long-passphrase-42"
    resp = other.post("/alpha/profile/password", {"current": person.password,
                                                  "password": new, "confirm": new},
                      form_page="/alpha/profile")
    assert resp.status_code == 302
    person.password = new
    assert not skips_code(client, person)


def test_a_new_password_from_a_set_up_link_revokes_it(device, trusting):
    client, person = device
    token = accounts.new_setup_token(trusting, Identity.operator(), person.id)
    person.password = "a-reset-passphrase-77"
    accounts.complete_setup(trusting, token, person.password)
    assert not skips_code(client, person)


def test_the_operators_new_password_revokes_it(device, trusting):
    client, person = device
    person.password = "a-reset-passphrase-78"
    accounts.set_password(trusting, Identity.operator(), person.id, person.password)
    assert not skips_code(client, person)


def test_the_cli_mfa_reset_revokes_it(device, instance):
    from conftest import gvo_command

    client, person = device
    result = gvo_command("--instance", str(instance.path), "user", "reset-mfa", "alpha",
                         person.email)
    assert result.exit_code == 0, result
    assert password_step(client, person).headers["Location"].endswith("/mfa/enrol")


def test_the_managers_mfa_reset_revokes_it(device, make_user, new_client, trusting):
    client, person = device
    manager = make_user("alpha", "manager")
    boss = new_client()
    sign_in(boss, manager)
    boss.post(f"/alpha/admin/users/{person.id}/reset-mfa", {"confirmed": "1"},
              form_page=f"/alpha/admin/users/{person.id}")
    assert password_step(client, person).headers["Location"].endswith("/mfa/enrol")
    assert devices.list_for(trusting, person.id) == []


def test_a_manager_removing_it_revokes_it(device, make_user, new_client, trusting):
    client, person = device
    (mine,) = devices.list_for(trusting, person.id)
    manager = make_user("alpha", "manager")
    boss = new_client()
    sign_in(boss, manager)
    page = boss.get(f"/alpha/admin/users/{person.id}").get_data(as_text=True)
    assert 'data-testid="trusted-devices"' in page
    resp = boss.post(f"/alpha/admin/users/{person.id}/devices/{mine['id']}/remove", {})
    assert resp.status_code == 302
    assert not skips_code(client, person)
    assert audit(trusting, "device.revoke")[-1]["actor_id"] == manager.id


def test_the_person_removing_it_on_their_profile_revokes_it(device, new_client, trusting):
    client, person = device
    (mine,) = devices.list_for(trusting, person.id)
    other = new_client()
    sign_in(other, person)
    page = other.get("/alpha/profile").get_data(as_text=True)
    assert 'data-testid="trusted-devices"' in page and mine["ip"] in page
    resp = other.post(f"/alpha/profile/devices/{mine['id']}/remove", {})
    assert resp.status_code == 302
    assert not skips_code(client, person)


def test_the_password_step_is_still_throttled_and_everything_audited(device, trusting):
    client, person = device
    for _ in range(throttle.MAX_FAILURES_PER_PAIR):
        assert password_step(client, person, "wrong password entirely").status_code == 422
    resp = password_step(client, person)
    assert resp.status_code == 422 and "Too many failed sign-ins" in resp.get_data(as_text=True)
    assert client.get("/alpha/").status_code == 302  # not signed in
    assert audit(trusting, "login.throttled")
    assert len(audit(trusting, "device.trust")) == 1


def test_the_managers_setting_is_bounded(signed_in, instance):
    client, _ = signed_in("manager")
    client.get("/alpha/admin/settings")
    client.post("/alpha/admin/settings/trusted-devices", {"trust_days": "91"},
                form_page="/alpha/admin/settings")
    assert devices.trust_days(instance.db("alpha")) == 0
    assert "from 0 to 90" in client.get("/alpha/admin/settings").get_data(as_text=True)
    client.post("/alpha/admin/settings/trusted-devices", {"trust_days": "30"},
                form_page="/alpha/admin/settings")
    assert devices.trust_days(instance.db("alpha")) == 30
