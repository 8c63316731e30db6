"""Behind the documented nginx, through the real server: what the proxy settings must do.

A real `gvo serve` (waitress, as an operator runs it, with GVO_TRUSTED_PROXIES=1) behind
Debian's nginx running deploy/nginx.conf, with only its ports, certificate (a throwaway
one made here) and upstream changed. nginx is the test's own process (`daemon off`, its
pid, logs and temporary files under tmp_path) on loopback. Clients connect from
different loopback addresses (127.0.0.2, 127.0.0.3, ...), as different people would.

Before: waitress deleted the X-Forwarded-* headers before Werkzeug's ProxyFix saw
them, so behind the proxy the session cookie was not __Host-/Secure, there was no HSTS,
and every caller was 127.0.0.1 (20 failed sign-ins from anyone locked everyone out).
The tests that existed used Flask's test client, below the server.

`make test` installs nginx when it is missing; without it these tests fail, never skip.
"""

import datetime
import http.client
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import pyotp
import pytest
from conftest import subprocess_env
from replication.conftest import free_port

from gvo.core import clock as gvo_clock
from gvo.core.identity import Identity
from gvo.people import accounts, signin
from gvo.security import throttle
from gvo.storage.instance import Instance

ROOT = Path(__file__).resolve().parents[1]
DEPLOY_NGINX = ROOT / "deploy" / "nginx.conf"
NGINX = "/usr/sbin/nginx"
DOMAIN = "gvo.example.org"
SLUG = "alpha"
PASSWORD = "correct-horse-battery-staple"
CLERK = "clerk@example.org"
FORGED = "203.0.113.9"  # what a client claims in its own X-Forwarded-For
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


# -- nginx with deploy/nginx.conf ---------------------------------------------------------


def render_site(text: str, *, http_port: int, https_port: int, cert: Path, key: Path,
                upstream_port: int) -> str:
    """deploy/nginx.conf with loopback ports, the throwaway certificate and GVO's port.

    Each change must apply exactly once: if the deploy file changes shape, this fails
    instead of quietly testing something else. Nothing else of the file is touched.
    """
    changes = [
        (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
        (r"\n\s*listen \[::\]:80;", ""),  # the test's machine may have no IPv6
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        (r"\n\s*listen \[::\]:443 ssl http2;", ""),
        (r"ssl_certificate\s+/\S+;", f"ssl_certificate {cert};"),
        (r"ssl_certificate_key\s+/\S+;", f"ssl_certificate_key {key};"),
        (r"proxy_pass http://127\.0\.0\.1:8000;", f"proxy_pass http://127.0.0.1:{upstream_port};"),
    ]
    for pattern, replacement in changes:
        text, n = re.subn(pattern, replacement, text)
        assert n == 1, f"deploy/nginx.conf: expected one {pattern!r}, found {n}"
    return text


def main_conf(work: Path, site: Path) -> str:
    """nginx's top-level file around the site: everything of nginx's own under work."""
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers must read tmp_path
    temp = "\n".join(f"    {kind}_temp_path {work / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"daemon off;\n{user}worker_processes 1;\npid {work / 'nginx.pid'};\n"
            f"error_log {work / 'error.log'} warn;\n"
            "events { worker_connections 64; }\n"
            f"http {{\n    access_log {work / 'access.log'};\n{temp}\n"
            f"    include {site};\n}}\n")


def throwaway_certificate(work: Path) -> tuple[Path, Path]:
    """A self-signed certificate for DOMAIN and 127.0.0.1, valid for a day."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DOMAIN)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName(DOMAIN), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = work / "cert.pem", work / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def wait_for_port(port: int, proc: subprocess.Popen, what: str) -> None:
    """Until something listens on 127.0.0.1:port (a hang guard, not a performance limit)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited: {proc.stderr.read().decode(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{what} did not listen on port {port}")


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """End a process this test started, and wait for it."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stderr:
        proc.stderr.close()


# -- the office -----------------------------------------------------------------------------


def add_member(conn, email: str, name: str, role: str) -> str:
    """A member of the school with PASSWORD and an authenticator; returns its key."""
    uid = accounts.add_user(conn, Identity.operator(), email=email, name=name, role=role,
                            password=PASSWORD)
    secret = pyotp.random_base32(32)
    # Enrolled with the previous step's code, so the code of now is unused.
    signin.enrol_totp(conn, Identity.operator(), uid, secret,
                      pyotp.TOTP(secret).at(gvo_clock.now() - 30))
    return secret


def make_office(path: Path) -> str:
    """An instance with school alpha and its clerk (a Manager with an authenticator)."""
    inst = Instance.init(path, environ={})
    try:
        inst.create_school(SLUG, "Alpha Primary")
        return add_member(inst.db(SLUG), CLERK, "Jo Clerk", "manager")
    finally:
        inst.close()


def gvo_serve(instance: Path, port: int, **settings: str) -> subprocess.Popen:
    """`gvo serve --host 127.0.0.1 --port PORT` with only the given GVO_* settings."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gvo", "--instance", str(instance), "serve", "--host",
         "127.0.0.1", "--port", str(port)],
        env=subprocess_env(GVO_REPLICA_URL=(instance.parent / "replica").as_uri(), **settings),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_port(port, proc, "gvo serve")
    return proc


def audit_rows(instance: Path, action: str) -> list[dict]:
    """The school's audit entries of one action, oldest first (read while GVO runs)."""
    inst = Instance.open(instance, environ={})
    try:
        rows = inst.db(SLUG).execute(
            "SELECT actor_email, ip FROM audit_log WHERE action = ? ORDER BY id", (action,))
        return [dict(r) for r in rows]
    finally:
        inst.close()


def session_ips(instance: Path) -> list[str]:
    """Client addresses recorded on the clerk's sessions."""
    inst = Instance.open(instance, environ={})
    try:
        rows = inst.db(SLUG).execute(
            "SELECT s.ip FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = ?",
            (CLERK,))
        return [r[0] for r in rows]
    finally:
        inst.close()


@dataclass
class Caller:
    """Someone at one address: HTTP(S) requests to one port, cookies kept, as a browser."""

    address: str
    port: int
    tls: ssl.SSLContext | None = None
    host: str = DOMAIN
    cookies: dict = field(default_factory=dict)
    last: str = ""

    def request(self, method: str, path: str, form: dict | None = None,
                headers: dict | None = None, body: bytes | None = None
                ) -> http.client.HTTPResponse:
        """One request (a form, url-encoded, or a ready body); the response is read (body in
        .text) and its cookies kept."""
        kw = {"timeout": 30, "source_address": (self.address, 0)}
        conn = (http.client.HTTPSConnection("127.0.0.1", self.port, context=self.tls, **kw)
                if self.tls else http.client.HTTPConnection("127.0.0.1", self.port, **kw))
        scheme = "https" if self.tls else "http"
        sent = {"Host": self.host, "X-Forwarded-For": FORGED, "X-Forwarded-Proto": "https",
                "User-Agent": "test-behind-nginx", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urllib.parse.urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Referer"] = f"{scheme}://{self.host}{path}"
        try:
            conn.request(method, path, body, sent)
            resp = conn.getresponse()
            resp.text = resp.read().decode(errors="replace")
        finally:
            conn.close()
        for header in resp.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        self.last = resp.text
        return resp

    def token(self, path: str) -> str:
        """The CSRF token of a form page."""
        resp = self.request("GET", path)
        assert resp.status == 200, (resp.status, resp.text[:300])
        return _CSRF.search(resp.text).group(1)

    def password_step(self, email: str, password: str) -> http.client.HTTPResponse:
        """Step one of sign-in."""
        token = self.token(f"/{SLUG}/login")
        return self.request("POST", f"/{SLUG}/login",
                            {"csrf_token": token, "email": email, "password": password})


@contextmanager
def nginx_in_front(work: Path, upstream_port: int):
    """Debian's nginx running deploy/nginx.conf in front of 127.0.0.1:upstream_port, with
    a throwaway certificate: yields (https port, http port, certificate file)."""
    if not os.access(NGINX, os.X_OK):
        pytest.fail(f"{NGINX} is missing: these tests run Debian's nginx. Run `make test` "
                    "(it installs it) or `sudo apt-get install nginx`.", pytrace=False)
    http_port, https_port = free_port(), free_port()
    cert, key = throwaway_certificate(work)
    site = work / "gvo-site.conf"
    site.write_text(render_site(DEPLOY_NGINX.read_text(), http_port=http_port,
                                https_port=https_port, cert=cert, key=key,
                                upstream_port=upstream_port))
    conf = work / "nginx.conf"
    conf.write_text(main_conf(work, site))
    nginx = subprocess.Popen([NGINX, "-p", f"{work}/", "-c", str(conf), "-e",
                              str(work / "error.log")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(https_port, nginx, "nginx")
        yield https_port, http_port, cert
    finally:
        stop(nginx, signal.SIGQUIT)  # nginx's graceful shutdown


@pytest.fixture(scope="module")
def behind_nginx(tmp_path_factory):
    """(instance, https port, http port, TLS context, TOTP secret) of GVO behind nginx."""
    work = tmp_path_factory.mktemp("behind-nginx")
    instance = work / "instance"
    secret = make_office(instance)
    gvo_port = free_port()
    gvo = gvo_serve(instance, gvo_port, GVO_TRUSTED_PROXIES="1",
                    GVO_BASE_URL=f"https://{DOMAIN}")
    try:
        with nginx_in_front(work, gvo_port) as (https_port, http_port, cert):
            tls = ssl.create_default_context(cafile=str(cert))
            yield instance, https_port, http_port, tls, secret
    finally:
        stop(gvo)


def test_plain_http_is_redirected_to_https(behind_nginx):
    _instance, _https, http_port, _tls, _secret = behind_nginx
    resp = Caller("127.0.0.2", http_port).request("GET", f"/{SLUG}/login")
    assert resp.status == 301
    assert resp.headers["Location"] == f"https://{DOMAIN}/{SLUG}/login"


def test_the_session_cookie_is_host_prefixed_and_secure_and_hsts_is_sent(behind_nginx):
    _instance, https_port, _http, tls, _secret = behind_nginx
    resp = Caller("127.0.0.2", https_port, tls).request("GET", f"/{SLUG}/login")
    assert resp.status == 200
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith(f"__Host-gvo-{SLUG}="), cookie
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path"} <= attributes and "domain" not in attributes


def test_gvo_records_the_callers_address_not_the_proxys_nor_a_forged_one(behind_nginx):
    instance, https_port, _http, tls, secret = behind_nginx
    clerk = Caller("127.0.0.2", https_port, tls)
    resp = clerk.password_step(CLERK, PASSWORD)
    assert resp.status == 302 and resp.headers["Location"].endswith("/login/verify")
    token = clerk.token(f"/{SLUG}/login/verify")
    resp = clerk.request("POST", f"/{SLUG}/login/verify",
                         {"csrf_token": token, "code": pyotp.TOTP(secret).now()})
    assert resp.status == 302, resp.text[:500]
    assert clerk.request("GET", f"/{SLUG}/").status == 200
    assert [r["ip"] for r in audit_rows(instance, "login.success")] == ["127.0.0.2"]
    assert set(session_ips(instance)) == {"127.0.0.2"}


def test_throttling_counts_callers_apart(behind_nginx):
    instance, https_port, _http, tls, _secret = behind_nginx
    guesser = Caller("127.0.0.3", https_port, tls)
    for n in range(throttle.MAX_FAILURES_PER_ADDRESS):
        resp = guesser.password_step(f"guess{n}@example.org", "wrong-password-000")
        assert resp.status == 422 and "Too many" not in resp.text
    resp = guesser.password_step(CLERK, PASSWORD)
    assert "Too many failed sign-ins from your network" in resp.text
    failures = audit_rows(instance, "login.failure")
    assert {r["ip"] for r in failures if r["actor_email"].startswith("guess")} == {"127.0.0.3"}
    # The clerk, elsewhere, is not locked out by someone else's guesses.
    resp = Caller("127.0.0.4", https_port, tls).password_step(CLERK, PASSWORD)
    assert resp.status == 302 and resp.headers["Location"].endswith("/login/verify")


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
        resp = caller.password_step(CLERK, "wrong-password-000")
        assert resp.status == 422
        assert [r["ip"] for r in audit_rows(instance, "login.failure")] == ["127.0.0.5"]
    finally:
        stop(gvo)
