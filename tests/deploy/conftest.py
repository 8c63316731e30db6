"""The deploy in deploy/, run: GVO as deploy/gvo.service starts it, behind real proxies.

`office` (one per session) is a throwaway instance served by a real `gvo serve` started
with deploy/gvo.service's Environment= and ExecStart= (only the program's path, the
instance and replica paths and the port changed) and its master key handed over as
systemd's LoadCredential= does: a copy in a private folder named by $CREDENTIALS_DIRECTORY,
none in the instance. The proxy modules put their own proxy process in front of it.
"""

import datetime
import http.client
import ipaddress
import re
import shlex
import shutil
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
import pytest
from conftest import subprocess_env
from replication.conftest import free_port

from gvo.core import clock as gvo_clock
from gvo.core.identity import Identity
from gvo.library import folders
from gvo.people import accounts, settings, signin
from gvo.storage import keys
from gvo.storage.instance import Instance

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "gvo.service"
DOMAIN = "gvo.example.org"
SLUG = "alpha"
PASSWORD = "correct-horse-battery-staple"
FORGED = "203.0.113.9"  # what a client claims in its own X-Forwarded-For
UPLOAD_MB = 250  # the upload limit the office is given (GVO's default is 50)
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


# -- deploy/gvo.service ----------------------------------------------------------------------


def unit_settings(text: str) -> dict[str, list[str]]:
    """The [Service] section of a unit file: each key's values, in order (systemd.syntax(7);
    no line continuations or quoting are used in deploy/gvo.service)."""
    found: dict[str, list[str]] = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def replace_once(text: str, old: str, new: str, where: str) -> str:
    """`text` with `old` replaced by `new`; fails unless `old` occurs exactly once, so a
    deploy file that changes shape fails the test instead of quietly testing something else."""
    n = text.count(old)
    assert n == 1, f"{where}: expected one {old!r}, found {n}"
    return text.replace(old, new)


@dataclass
class ServiceRun:
    """How the unit runs GVO, with this test's paths: the command and its environment."""

    argv: list[str]
    environment: dict[str, str]
    credentials: dict[str, Path]  # credential name -> the file systemd would copy


def service_run(*, program: Path, instance: Path, replica: Path, port: int,
                key_file: Path) -> ServiceRun:
    """deploy/gvo.service's ExecStart=, Environment= and LoadCredential=, with this test's
    program, instance, replica folder, port and key file in place of the unit's."""
    unit = unit_settings(UNIT.read_text())
    (exec_start,) = unit["ExecStart"]
    exec_start = replace_once(exec_start, "/opt/gvo/.venv/bin/gvo ", f"{program} ", "ExecStart=")
    exec_start = replace_once(exec_start, " /srv/gvo ", f" {instance} ", "ExecStart")
    exec_start = replace_once(exec_start, "--port 8000", f"--port {port}", "ExecStart")
    environment = {}
    for assignment in unit["Environment"]:
        name, _, value = assignment.partition("=")
        if name == "GVO_REPLICA_URL":
            value = replace_once(value, "file:///srv/gvo-replica", replica.as_uri(), name)
        environment[name] = value
    credentials = {}
    for entry in unit["LoadCredential"]:
        name, _, source = entry.partition(":")
        credentials[name] = key_file if source == "/etc/gvo/master.key" else Path(source)
    return ServiceRun(shlex.split(exec_start), environment, credentials)


def hand_over_credentials(run: ServiceRun, folder: Path) -> dict[str, str]:
    """Copy each credential into `folder` as systemd does (a private folder, files 0400)
    and return the environment naming it ($CREDENTIALS_DIRECTORY)."""
    folder.mkdir(mode=0o700)
    for name, source in run.credentials.items():
        shutil.copyfile(source, folder / name)
        (folder / name).chmod(0o400)
    return {keys.CREDENTIALS_ENV: str(folder)}


# -- processes -------------------------------------------------------------------------------


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


def throwaway_certificate(work: Path) -> tuple[Path, Path]:
    """A self-signed certificate for DOMAIN and 127.0.0.1, valid for a day."""
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


# -- the office ------------------------------------------------------------------------------


@dataclass
class Office:
    """A throwaway instance and the `gvo serve` of deploy/gvo.service serving it."""

    instance: Path
    port: int
    environ: dict  # what opens the instance from this process (its key file)
    folder_id: int
    members: dict = field(default_factory=dict)  # e-mail -> TOTP secret

    def open(self) -> Instance:
        """The instance, opened alongside the running server."""
        return Instance.open(self.instance, environ=self.environ)

    def audit_rows(self, action: str) -> list[dict]:
        """The school's audit entries of one action, oldest first."""
        inst = self.open()
        try:
            rows = inst.db(SLUG).execute(
                "SELECT actor_email, ip FROM audit_log WHERE action = ? ORDER BY id", (action,))
            return [dict(r) for r in rows]
        finally:
            inst.close()

    def session_ips(self, email: str) -> set[str]:
        """Client addresses recorded on one member's sessions."""
        inst = self.open()
        try:
            rows = inst.db(SLUG).execute(
                "SELECT s.ip FROM sessions s JOIN users u ON u.id = s.user_id"
                " WHERE u.email = ?", (email,))
            return {r[0] for r in rows}
        finally:
            inst.close()


def add_member(conn, email: str, name: str, role: str) -> str:
    """A member of the school with PASSWORD and an authenticator; returns its key."""
    uid = accounts.add_user(conn, Identity.operator(), email=email, name=name, role=role,
                            password=PASSWORD)
    secret = pyotp.random_base32(32)
    # Enrolled with the previous step's code, so the code of now is unused.
    signin.enrol_totp(conn, Identity.operator(), uid, secret,
                      pyotp.TOTP(secret).at(gvo_clock.now() - 30))
    return secret


CLERKS = {"nginx": "clerk-nginx@example.org", "caddy": "clerk-caddy@example.org"}


@pytest.fixture(scope="session")
def office(tmp_path_factory):
    """School alpha (a clerk per proxy, a folder, uploads up to UPLOAD_MB) served as
    deploy/gvo.service serves it; the instance holds no master key."""
    work = tmp_path_factory.mktemp("deploy")
    instance, replica, key_file = work / "srv-gvo", work / "srv-gvo-replica", work / "master.key"
    replica.mkdir(mode=0o700)
    environ = {keys.MASTER_KEY_FILE_ENV: str(key_file)}
    inst = Instance.init(instance, environ=environ)  # writes a new key to key_file
    try:
        inst.create_school(SLUG, "Alpha Primary")
        conn = inst.db(SLUG)
        members = {email: add_member(conn, email, f"Clerk {proxy}", "manager")
                   for proxy, email in CLERKS.items()}
        settings.put(conn, "upload_limit_mb", str(UPLOAD_MB))
        folder_id = folders.create_folder(conn, Identity.operator(), parent_id=None,
                                          title="Papers")
    finally:
        inst.close()
    assert not (instance / keys.MASTER_KEY_FILE).exists()
    port = free_port()
    run = service_run(program=Path(sys.executable).with_name("gvo"), instance=instance,
                      replica=replica, port=port, key_file=key_file)
    # GVO_MAX_UPLOAD_MB as an operator puts it in /etc/gvo/gvo.env (EnvironmentFile=).
    env = subprocess_env(**run.environment, GVO_MAX_UPLOAD_MB=str(UPLOAD_MB),
                         **hand_over_credentials(run, work / "credentials"))
    proc = subprocess.Popen(run.argv, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        wait_for_port(port, proc, "gvo serve (deploy/gvo.service)")
        yield Office(instance, port, environ, folder_id, members)
    finally:
        stop(proc)


# -- callers ---------------------------------------------------------------------------------


class _TLSConnection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 that names DOMAIN in the handshake (SNI), as a browser would."""

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=DOMAIN)


@dataclass
class Caller:
    """Someone at one address: HTTP(S) requests to one port, cookies kept, as a browser.

    Every request also forges X-Forwarded-For (FORGED) and X-Forwarded-Proto, which the
    proxy must replace."""

    address: str
    port: int
    tls: ssl.SSLContext | None = None
    host: str = DOMAIN
    cookies: dict = field(default_factory=dict)

    def connection(self) -> http.client.HTTPConnection:
        """A new connection from this caller's address."""
        kw = {"timeout": 60, "source_address": (self.address, 0)}
        if self.tls:
            return _TLSConnection("127.0.0.1", self.port, context=self.tls, **kw)
        return http.client.HTTPConnection("127.0.0.1", self.port, **kw)

    def headers(self, path: str, extra: dict | None = None) -> dict:
        """What a browser sends (with a Referer on this site) plus the forged headers."""
        scheme = "https" if self.tls else "http"
        sent = {"Host": self.host, "X-Forwarded-For": FORGED, "X-Forwarded-Proto": "https",
                "User-Agent": "tests-deploy", "Referer": f"{scheme}://{self.host}{path}",
                **(extra or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return sent

    def keep_cookies(self, resp: http.client.HTTPResponse) -> None:
        """Keep the cookies a response sets."""
        for header in resp.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value

    def request(self, method: str, path: str, form: dict | None = None,
                headers: dict | None = None) -> http.client.HTTPResponse:
        """One request (a form is url-encoded); the response is read (body in .text) and its
        cookies kept."""
        sent = self.headers(path, headers)
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        conn = self.connection()
        try:
            conn.request(method, path, body, sent)
            resp = conn.getresponse()
            resp.text = resp.read().decode(errors="replace")
        finally:
            conn.close()
        self.keep_cookies(resp)
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
        """Both steps of sign-in; returns the answer to the code."""
        resp = self.password_step(email, PASSWORD)
        assert resp.status == 302 and resp.headers["Location"].endswith("/login/verify"), \
            (resp.status, resp.text[:300])
        token = self.token(f"/{SLUG}/login/verify")
        return self.request("POST", f"/{SLUG}/login/verify",
                            {"csrf_token": token, "code": pyotp.TOTP(secret).now()})
