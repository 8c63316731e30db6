"""Through a real `gvo serve`: the unsubscribe link's pages set no cookie (attack 6: a page
for people who are not signed in and carries no form makes no session), while the sign-in
page, which has a form, still does."""

import urllib.error
import urllib.request

import pytest
from replication.conftest import free_port
from serving import SLUG, gvo_serve, stop

from gvo.mail import volume

from .conftest import serve_ready_office


def _fetch(url: str, data: bytes | None = None):
    req = urllib.request.Request(url, data=data)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - loopback
            return resp.status, resp.headers.get_all("Set-Cookie") or [], resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get_all("Set-Cookie") or [], exc.read()


@pytest.mark.slow
def test_the_unsubscribe_pages_set_no_cookie(tmp_path, smtp_server):
    instance, settings, token = serve_ready_office(
        tmp_path, smtp_server, lambda conn, clerk: volume.token(conn, clerk.user_id, "comment"))
    port = free_port()
    server = gvo_serve(instance, port, **settings)
    base = f"http://127.0.0.1:{port}/{SLUG}"
    try:
        status, cookies, body = _fetch(f"{base}/mail/unsubscribe/{token}")
        assert (status, cookies) == (200, []) and b"Stop these e-mails" in body
        status, cookies, _ = _fetch(f"{base}/mail/unsubscribe/{token[:-3]}xyz")
        assert (status, cookies) == (404, [])
        status, cookies, body = _fetch(f"{base}/mail/unsubscribe/{token}",
                                       data=b"List-Unsubscribe=One-Click")
        assert (status, cookies) == (200, []) and b"Done" in body
        status, cookies, _ = _fetch(f"{base}/login")
        assert status == 200 and any(c.startswith(f"gvo-{SLUG}=") for c in cookies)
    finally:
        stop(server)
