"""Behind each documented proxy, through the real server: what the deploy must do.

The `office` (conftest: a real `gvo serve` started as deploy/gvo.service starts it) behind
Debian's nginx running deploy/nginx.conf and behind Debian's Caddy running deploy/Caddyfile,
each with only its ports, a throwaway certificate (no ACME) and the upstream port changed.
Each proxy is the test's own process (nginx `daemon off`, Caddy `caddy run` with its admin
API off), on loopback, one at a time: every test here runs once per proxy. Clients connect
from different loopback addresses (127.0.N.2, 127.0.N.3, ...), as different people would,
and forge X-Forwarded-For and X-Forwarded-Proto, which the proxy must replace.

`make test` installs nginx and Caddy when missing; without them these tests fail, never skip.
"""

import hashlib
import http.client
import http.server
import re
import socket
import ssl
import threading
import warnings
from dataclasses import dataclass

import pyotp
import pytest
from proxies import start_proxy, stop_proxy
from serving import (
    DOMAIN,
    FORGED,
    PASSWORD,
    SLUG,
    Caller,
    add_member,
    audit_rows,
    session_ips,
    throwaway_certificate,
)

from gvo.core.identity import Identity
from gvo.library import blobs
from gvo.security import devices, throttle
from gvo.storage.instance import Instance

from .conftest import CLERKS

NETWORK = {"nginx": "127.0.1", "caddy": "127.0.2"}  # each proxy's callers, counted apart
UPLOAD_BYTES = 200 * 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class Proxied:
    """The office behind one proxy, and who calls through it."""

    name: str
    office: object
    https_port: int
    http_port: int
    tls: ssl.SSLContext
    clerk: str

    def caller(self, n: int, *, tls: bool = True) -> Caller:
        """A caller at 127.0.N.n (N: this proxy's network)."""
        return Caller(f"{NETWORK[self.name]}.{n}", self.https_port if tls else self.http_port,
                      self.tls if tls else None)


@pytest.fixture(scope="module", params=["nginx", "caddy"])
def proxied(request, office, tmp_path_factory):
    """The office behind nginx, then behind Caddy (one proxy process at a time)."""
    name = request.param
    proc, https_port, http_port, tls = start_proxy(
        name, tmp_path_factory.mktemp(f"proxy-{name}") / name, office.port)
    try:
        yield Proxied(name, office, https_port, http_port, tls, CLERKS[name])
    finally:
        stop_proxy(name, proc)


@pytest.fixture(scope="module")
def clerk(proxied):
    """The proxy's clerk, signed in from 127.0.N.2: (caller, the answer to the code step)."""
    caller = proxied.caller(2)
    resp = caller.sign_in(proxied.clerk, proxied.office.members[proxied.clerk])
    assert resp.status == 302, resp.text[:500]
    return caller, resp


# -- TLS -------------------------------------------------------------------------------------


def handshake(port: int, version: ssl.TLSVersion) -> str:
    """Make a TLS handshake offering only `version` (SNI DOMAIN, certificate not checked);
    returns the version agreed, or raises ssl.SSLError."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 and 1.1 are, rightly
        ctx.minimum_version = ctx.maximum_version = version
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let OpenSSL offer the old versions at all
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw, \
            ctx.wrap_socket(raw, server_hostname=DOMAIN) as tls:
        return tls.version()


def old_tls_server(version: ssl.TLSVersion, cert, key) -> tuple[int, threading.Thread]:
    """A loopback server that accepts `version` only, for one handshake: proof that this
    machine's OpenSSL can offer that version, so a proxy's refusal is the proxy's."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ctx.maximum_version = version
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    listener = socket.create_server(("127.0.0.1", 0))

    def accept_one():
        with listener:
            conn, _ = listener.accept()
            try:
                ctx.wrap_socket(conn, server_side=True).close()
            except (ssl.SSLError, OSError):
                conn.close()

    thread = threading.Thread(target=accept_one, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


def test_only_tls_1_2_and_newer_are_accepted(proxied, tmp_path):
    cert, key = throwaway_certificate(tmp_path)
    for old, name in ((ssl.TLSVersion.TLSv1, "TLSv1"), (ssl.TLSVersion.TLSv1_1, "TLSv1.1")):
        port, thread = old_tls_server(old, cert, key)
        assert handshake(port, old) == name  # this machine's client can offer it...
        thread.join()
        with pytest.raises(ssl.SSLError):  # ...and the proxy refuses it
            handshake(proxied.https_port, old)
    assert handshake(proxied.https_port, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    assert handshake(proxied.https_port, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"


def test_plain_http_is_redirected_to_https(proxied):
    resp = proxied.caller(2, tls=False).request("GET", f"/{SLUG}/login")
    assert resp.status in (301, 308)  # nginx: 301; Caddy: 308 (the method kept)
    assert re.fullmatch(rf"https://{re.escape(DOMAIN)}(:\d+)?/{SLUG}/login",
                        resp.headers["Location"]), resp.headers["Location"]


# -- what GVO sees through the proxy ---------------------------------------------------------


def test_hsts_and_a_host_prefixed_secure_session_cookie_after_sign_in(proxied, clerk):
    caller, signed_in = clerk
    cookie = signed_in.headers["Set-Cookie"]
    assert cookie.startswith(f"__Host-gvo-{SLUG}="), cookie
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path"} <= attributes and "domain" not in attributes
    assert signed_in.headers["Strict-Transport-Security"].startswith("max-age=")
    home = caller.request("GET", f"/{SLUG}/")
    assert home.status == 200
    assert home.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_trusted_device_cookie_is_host_prefixed_and_secure(proxied):
    office = proxied.office
    email = f"gwen-{proxied.name}@example.org"
    inst = Instance.open(office.instance, environ=office.environ)
    try:
        devices.set_trust_days(inst.db(SLUG), Identity.operator(), 30)
        secret = add_member(inst.db(SLUG), email, "Gwen Governor", "author")
    finally:
        inst.close()
    home = proxied.caller(5)
    assert home.password_step(email, PASSWORD).status == 302
    token = home.token(f"/{SLUG}/login/verify")
    resp = home.request("POST", f"/{SLUG}/login/verify",
                        {"csrf_token": token, "code": pyotp.TOTP(secret).now(), "trust": "y"})
    assert resp.status == 302, resp.text[:300]
    (cookie,) = [h for h in resp.headers.get_all("Set-Cookie")
                 if h.startswith(f"__Host-gvo-{SLUG}_device=")]
    attributes = {a.strip().split("=")[0].lower(): a.strip() for a in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path", "max-age", "samesite"} <= set(attributes)
    assert "domain" not in attributes and attributes["path"] == "Path=/"
    assert attributes["max-age"] == f"Max-Age={30 * 24 * 3600}"
    name, _, value = cookie.split(";")[0].partition("=")
    away = proxied.caller(6)
    away.cookies[name] = value
    resp = away.password_step(email, PASSWORD)
    assert resp.status == 302 and not resp.headers["Location"].endswith("/login/verify")


def test_gvo_records_the_callers_address_not_the_proxys_nor_a_forged_one(proxied, clerk):
    caller, _ = clerk
    office = proxied.office
    successes = [r["ip"] for r in audit_rows(office.instance, "login.success", office.environ)
                 if r["actor_email"] == proxied.clerk]
    assert successes == [caller.address]
    assert set(session_ips(office.instance, proxied.clerk, office.environ)) == {caller.address}


def test_throttling_counts_callers_apart_whatever_they_forge(proxied):
    guesser = proxied.caller(3)
    forged = [FORGED, "198.51.100.7"]  # two different claims, alternately
    for n in range(throttle.MAX_FAILURES_PER_ADDRESS):
        guesser.cookies.clear()
        token = guesser.token(f"/{SLUG}/login")
        resp = guesser.request("POST", f"/{SLUG}/login",
                               {"csrf_token": token, "email": f"guess{n}-{proxied.name}@x.org",
                                "password": "wrong-password-000"},
                               headers={"X-Forwarded-For": forged[n % 2]})
        assert resp.status == 422 and "Too many" not in resp.text
    resp = guesser.password_step(proxied.clerk, PASSWORD)
    assert "Too many failed sign-ins from your network" in resp.text
    failures = audit_rows(proxied.office.instance, "login.failure", proxied.office.environ)
    assert {r["ip"] for r in failures
            if r["actor_email"].endswith(f"-{proxied.name}@x.org")} == {guesser.address}
    # Someone at another address is not locked out by those guesses.
    resp = proxied.caller(4).password_step(proxied.clerk, PASSWORD)
    assert resp.status == 302 and resp.headers["Location"].endswith("/login/verify")


class _Echo(http.server.BaseHTTPRequestHandler):
    """An upstream that answers with the request's headers as it got them."""

    def do_GET(self):  # noqa: N802 - http.server's name
        body = "".join(f"{k}: {v}\n" for k, v in self.headers.items()).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("HX-Trigger", "echoed")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        """Quiet."""


def test_the_proxy_replaces_forged_forwarding_headers_and_passes_htmx_ones(proxied, tmp_path):
    # The same deploy file, in front of an upstream that shows the headers it received.
    echo = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=echo.serve_forever, daemon=True)
    thread.start()
    proc = None
    try:
        proc, https_port, _http, tls = start_proxy(proxied.name, tmp_path / "echo",
                                                   echo.server_address[1])
        caller = Caller(f"{NETWORK[proxied.name]}.5", https_port, tls)
        for forged in (FORGED, f"{FORGED}, 198.51.100.7"):
            resp = caller.request("GET", "/anything", headers={
                "X-Forwarded-For": forged, "X-Forwarded-Proto": "http",
                "X-Forwarded-Host": "evil.example", "HX-Request": "true",
                "HX-Current-URL": f"https://{DOMAIN}/{SLUG}/library"})
            assert resp.status == 200
            # Header names are case-insensitive (Caddy, in Go, sends "Hx-Request").
            seen = {name.lower(): value for name, value in
                    (line.split(": ", 1) for line in resp.text.splitlines())}
            assert seen["x-forwarded-for"] == caller.address
            assert seen["x-forwarded-proto"] == "https"
            assert seen["x-forwarded-host"] == DOMAIN
            assert seen["hx-request"] == "true"
            assert seen["hx-current-url"] == f"https://{DOMAIN}/{SLUG}/library"
            assert resp.headers["HX-Trigger"] == "echoed"
    finally:
        if proc is not None:
            stop_proxy(proxied.name, proc)
        echo.shutdown()
        echo.server_close()


def test_htmx_requests_keep_their_headers_both_ways(proxied):
    caller = proxied.caller(6)
    # Signed out, an htmx request for a part of a page gets HX-Redirect to the sign-in page,
    # back to the page it came from (GVO read HX-Request and HX-Current-URL).
    resp = caller.request("GET", f"/{SLUG}/", headers={
        "HX-Request": "true", "HX-Current-URL": f"https://{DOMAIN}/{SLUG}/library"})
    assert resp.status == 204, (resp.status, resp.text[:300])
    assert resp.headers["HX-Redirect"] == f"/{SLUG}/login?next=/{SLUG}/library"
    assert "HX-Request" in resp.headers["Vary"]
    # A history restore (HX-History-Restore-Request) needs the whole page: a plain redirect.
    resp = caller.request("GET", f"/{SLUG}/", headers={
        "HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert resp.status == 302 and "HX-Redirect" not in resp.headers


# -- a large upload --------------------------------------------------------------------------


def stream_upload(caller: Caller, path: str, token: str, filename: str, size: int
                  ) -> tuple[http.client.HTTPResponse, str]:
    """POST one file of `size` bytes (a PNG's signature, then a repeated MiB) as a multipart
    form, sent as it is made: never more than a MiB of it in memory. Returns the response and
    the file's SHA-256."""
    boundary = "deploy-test-boundary-7f3a"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
            f"filename=\"{filename}\"\r\nContent-Type: image/png\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    headers = caller.headers({
        **caller.referer(path), "X-CSRFToken": token, "HX-Request": "true",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(len(head) + size + len(tail))})
    block = bytes(range(256)) * 4096  # 1 MiB
    digest = hashlib.sha256()
    conn = caller.connection()
    try:
        conn.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        conn.send(head)
        sent = 0
        while sent < size:
            piece = block[:size - sent]
            if sent == 0:
                piece = PNG_MAGIC + piece[len(PNG_MAGIC):]
            conn.send(piece)
            digest.update(piece)
            sent += len(piece)
        conn.send(tail)
        resp = conn.getresponse()
        resp.text = resp.read().decode(errors="replace")
    finally:
        conn.close()
    return resp, digest.hexdigest()


def stored_file(office, filename: str) -> tuple[int, str]:
    """(size, SHA-256) of the stored document version of that file name."""
    inst = Instance.open(office.instance, environ=office.environ)
    try:
        conn = inst.db(SLUG)
        row = conn.execute("SELECT blob_id, size FROM document_versions WHERE filename = ?",
                           (filename,)).fetchone()
        digest = hashlib.sha256()
        for chunk in blobs.stream(conn, row["blob_id"]):
            digest.update(chunk)
        return row["size"], digest.hexdigest()
    finally:
        inst.close()


@pytest.mark.slow
def test_a_200_mb_upload_passes(proxied, clerk):
    caller, _ = clerk
    folder = f"/{SLUG}/library/folders/{proxied.office.folder_id}"
    token = caller.token(folder)
    filename = f"recording-{proxied.name}.png"
    resp, sent = stream_upload(caller, f"{folder}/upload", token, filename, UPLOAD_BYTES)
    assert resp.status == 200, (resp.status, resp.text[:500])
    assert "Uploaded 1 file" in resp.text
    assert stored_file(proxied.office, filename) == (UPLOAD_BYTES, sent)
