"""Trusted devices through a real `gvo serve` (waitress, not testing mode): the cookie's
attributes as a browser gets them, and its use from another address recorded and audited.

Served over plain HTTP here, the cookie is `gvo-<slug>_device` without Secure; over HTTPS
(behind nginx or Caddy) it is `__Host-gvo-<slug>_device` with Secure:
tests/deploy/test_proxies.py::test_a_trusted_device_cookie_is_host_prefixed_and_secure.
"""

from http.cookies import SimpleCookie

import pyotp
import pytest
from conftest import PASSWORD
from replication.conftest import free_port
from serving import SLUG, Caller, add_member, audit_rows, gvo_serve, make_office, stop

from gvo.core.identity import Identity
from gvo.security import devices
from gvo.storage.instance import Instance

DAYS = 14


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(instance path, port, governor's e-mail, key): `gvo serve` whose school trusts
    devices for DAYS days."""
    instance = tmp_path_factory.mktemp("serve-devices") / "instance"
    make_office(instance)
    inst = Instance.open(instance, environ={})
    try:
        devices.set_trust_days(inst.db(SLUG), Identity.operator(), DAYS)
        secret = add_member(inst.db(SLUG), "gwen@example.org", "Gwen Governor", "author")
    finally:
        inst.close()
    port = free_port()
    gvo = gvo_serve(instance, port)
    try:
        yield instance, port, "gwen@example.org", secret
    finally:
        stop(gvo)


def device_cookie(resp) -> str:
    (header,) = [h for h in resp.headers.get_all("Set-Cookie")
                 if h.startswith(f"gvo-{SLUG}_device=")]
    return header


def test_the_device_cookie_over_plain_http_and_its_use_from_elsewhere(served):
    instance, port, email, secret = served
    home = Caller("127.0.0.70", port, host=f"127.0.0.1:{port}")
    assert home.password_step(email, PASSWORD).status == 302
    token = home.token(f"/{SLUG}/login/verify")
    resp = home.request("POST", f"/{SLUG}/login/verify",
                        {"csrf_token": token, "code": pyotp.TOTP(secret).now(), "trust": "y"})
    assert resp.status == 302
    header = device_cookie(resp)
    morsel = SimpleCookie(header)[f"gvo-{SLUG}_device"]
    assert morsel["max-age"] == str(DAYS * 24 * 3600)
    assert morsel["httponly"] and morsel["samesite"] == "Lax" and morsel["path"] == "/"
    assert not morsel["secure"] and not morsel["domain"]  # plain HTTP: no Secure, no __Host-
    # The same browser, from another address, later: only the password is asked.
    away = Caller("127.0.0.71", port, host=f"127.0.0.1:{port}",
                  cookies={f"gvo-{SLUG}_device": morsel.value})
    resp = away.password_step(email, PASSWORD)
    assert resp.status == 302 and not resp.headers["Location"].endswith("/login/verify")
    assert away.request("GET", f"/{SLUG}/").status == 200
    assert [r["ip"] for r in audit_rows(instance, "device.trust")] == ["127.0.0.70"]
    used = [r["ip"] for r in audit_rows(instance, "login.success") if r["actor_email"] == email]
    assert used[-1] == "127.0.0.71"
    inst = Instance.open(instance, environ={})
    try:
        uid = inst.db(SLUG).execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()[0]
        (listed,) = devices.list_for(inst.db(SLUG), uid)
    finally:
        inst.close()
    assert listed["ip"] == "127.0.0.70" and listed["last_ip"] == "127.0.0.71"
    assert listed["user_agent"] == "Unknown browser"  # the callers' "test-behind-a-proxy"
