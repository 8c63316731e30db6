"""A real `gvo serve` on loopback and callers at different loopback addresses: shared by
the tests that need the real server (headers, cookies, client addresses, signals), the
deploy tests (tests/deploy/) among them.

Callers forge X-Forwarded-For and X-Forwarded-Proto on every request: straight to GVO
(GVO_TRUSTED_PROXIES unset) they must change nothing; behind a proxy, the proxy must
replace them.
"""

import datetime
import http.client
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import pyotp
from conftest import subprocess_env

from gvo.core import clock as gvo_clock
from gvo.core.identity import Identity
from gvo.people import accounts, signin
from gvo.storage.instance import Instance

DOMAIN = "gvo.example.org"
SLUG = "alpha"
PASSWORD = "correct-horse-battery-staple"
CLERK = "clerk@example.org"
FORGED = "203.0.113.9"  # what a client claims in its own X-Forwarded-For
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


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


def audit_rows(instance: Path, action: str, environ: dict | None = None) -> list[dict]:
    """The school's audit entries of one action, oldest first (read while GVO runs);
    `environ` says where the master key is (none: the instance's key file)."""
    inst = Instance.open(instance, environ=environ or {})
    try:
        rows = inst.db(SLUG).execute(
            "SELECT actor_email, ip FROM audit_log WHERE action = ? ORDER BY id", (action,))
        return [dict(r) for r in rows]
    finally:
        inst.close()


def session_ips(instance: Path, email: str = CLERK, environ: dict | None = None) -> list[str]:
    """Client addresses recorded on one member's sessions (the clerk's unless told)."""
    inst = Instance.open(instance, environ=environ or {})
    try:
        rows = inst.db(SLUG).execute(
            "SELECT s.ip FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = ?",
            (email,))
        return [r[0] for r in rows]
    finally:
        inst.close()


class _TLSConnection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 that names DOMAIN in the handshake (SNI), as a browser would."""

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=DOMAIN)


@dataclass
class Caller:
    """Someone at one address: HTTP(S) requests to one port, cookies kept, as a browser."""

    address: str
    port: int
    tls: ssl.SSLContext | None = None
    host: str = DOMAIN
    cookies: dict = field(default_factory=dict)
    last: str = ""

    def connection(self) -> http.client.HTTPConnection:
        """A new connection from this caller's address (HTTPS naming DOMAIN, as a browser)."""
        kw = {"timeout": 60, "source_address": (self.address, 0)}
        if self.tls:
            return _TLSConnection("127.0.0.1", self.port, context=self.tls, **kw)
        return http.client.HTTPConnection("127.0.0.1", self.port, **kw)

    def headers(self, extra: dict | None = None) -> dict:
        """What this caller sends: the forged X-Forwarded-* headers, its cookies, `extra`."""
        sent = {"Host": self.host, "X-Forwarded-For": FORGED, "X-Forwarded-Proto": "https",
                "User-Agent": "test-behind-a-proxy", **(extra or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return sent

    def referer(self, path: str) -> dict:
        """The Referer a browser sends from a page of this site (CSRF's strict check)."""
        return {"Referer": f"{'https' if self.tls else 'http'}://{self.host}{path}"}

    def keep_cookies(self, resp: http.client.HTTPResponse) -> None:
        """Keep the cookies a response sets."""
        for header in resp.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value

    def request(self, method: str, path: str, form: dict | None = None,
                headers: dict | None = None, body: bytes | None = None
                ) -> http.client.HTTPResponse:
        """One request (a form, url-encoded, or a ready body); the response is read (body in
        .text) and its cookies kept."""
        sent = self.headers(headers)
        if form is not None:
            body = urllib.parse.urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent.update(self.referer(path))
        conn = self.connection()
        try:
            conn.request(method, path, body, sent)
            resp = conn.getresponse()
            resp.text = resp.read().decode(errors="replace")
        finally:
            conn.close()
        self.keep_cookies(resp)
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

    def sign_in(self, email: str, secret: str) -> http.client.HTTPResponse:
        """Both steps of sign-in with PASSWORD and the authenticator's code of now; returns
        the answer to the code."""
        resp = self.password_step(email, PASSWORD)
        assert resp.status == 302 and resp.headers["Location"].endswith("/login/verify"), \
            (resp.status, resp.text[:300])
        token = self.token(f"/{SLUG}/login/verify")
        return self.request("POST", f"/{SLUG}/login/verify",
                            {"csrf_token": token, "code": pyotp.TOTP(secret).now()})

