"""Straight to `gvo serve` with GVO_TRUSTED_PROXIES unset (its default): forged headers do
nothing. Whoever reaches GVO directly and claims https and another address is believed in
neither: no HSTS, no __Host- cookie, their own address in the audit log.
"""

from replication.conftest import free_port
from serving import FORGED, SLUG, Caller, audit_rows, gvo_serve, make_office, stop


def test_without_trusted_proxies_forged_headers_sent_straight_to_gvo_are_ignored(tmp_path):
    instance = tmp_path / "instance"
    make_office(instance)
    port = free_port()
    gvo = gvo_serve(instance, port)  # GVO_TRUSTED_PROXIES unset: 0
    try:
        caller = Caller("127.0.0.5", port, host=f"127.0.0.1:{port}")
        resp = caller.request("GET", f"/{SLUG}/login")  # claims https and address FORGED
        assert resp.status == 200
        assert "Strict-Transport-Security" not in resp.headers
        assert resp.headers["Set-Cookie"].startswith(f"gvo-{SLUG}=")
        resp = caller.password_step("clerk@example.org", "wrong-password-000")
        assert resp.status == 422
        ips = [r["ip"] for r in audit_rows(instance, "login.failure")]
        assert ips == ["127.0.0.5"] and FORGED not in ips
    finally:
        stop(gvo)
