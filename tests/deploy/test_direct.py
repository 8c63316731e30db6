"""Straight to `gvo serve`, no proxy and GVO_TRUSTED_PROXIES unset: forged headers do nothing.

Before, waitress deleted the X-Forwarded-* headers only when no proxy was trusted by
accident; this keeps the default honest: a client that reaches GVO directly and claims
https and another address is believed in neither.
"""

import subprocess
import sys

from conftest import subprocess_env
from replication.conftest import free_port

from gvo.storage.instance import Instance

from .conftest import FORGED, SLUG, Caller, add_member, stop, wait_for_port


def test_without_trusted_proxies_forged_headers_sent_straight_to_gvo_are_ignored(tmp_path):
    instance = tmp_path / "instance"
    inst = Instance.init(instance, environ={})
    try:
        inst.create_school(SLUG, "Alpha Primary")
        add_member(inst.db(SLUG), "clerk@example.org", "Jo Clerk", "manager")
    finally:
        inst.close()
    port = free_port()
    gvo = subprocess.Popen(  # GVO_TRUSTED_PROXIES unset: 0
        [sys.executable, "-m", "gvo", "--instance", str(instance), "serve", "--host",
         "127.0.0.1", "--port", str(port)],
        env=subprocess_env(GVO_REPLICA_URL=(tmp_path / "replica").as_uri()),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(port, gvo, "gvo serve")
        caller = Caller("127.0.0.5", port, host=f"127.0.0.1:{port}")
        resp = caller.request("GET", f"/{SLUG}/login")  # claims https and address FORGED
        assert resp.status == 200
        assert "Strict-Transport-Security" not in resp.headers
        assert resp.headers["Set-Cookie"].startswith(f"gvo-{SLUG}=")
        resp = caller.password_step("clerk@example.org", "wrong-password-000")
        assert resp.status == 422
        inst = Instance.open(instance, environ={})
        try:
            ips = [r[0] for r in inst.db(SLUG).execute(
                "SELECT ip FROM audit_log WHERE action = 'login.failure'")]
        finally:
            inst.close()
        assert ips == ["127.0.0.5"] and FORGED not in ips
    finally:
        stop(gvo)
