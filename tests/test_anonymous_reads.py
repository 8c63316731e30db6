"""Anonymous GETs write nothing to a school's database; every POST still needs its CSRF token.

Through a real `gvo serve` (waitress, replication running), as visitors send them.

Before (issue 11): a visit to a school's sign-in page stored a session row, only to hold
the CSRF token of its form, so every anonymous GET of a form page (sign-in, a set-up
link) was a write, a WAL frame and a segment shipped to the replica; an expired session
was deleted by the request that found it. Now an anonymous session's CSRF token and
messages travel in the signed cookie, and the row is made at the password step.

The routes are read from the app's url_map: a public GET route added later is covered
without changing this test (or the test says which URL argument it cannot fill).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import pytest
from replication.conftest import free_port
from serving import (
    CLERK,
    PASSWORD,
    SLUG,
    Caller,
    add_member,
    gvo_serve,
    make_office,
    stop,
)

from gvo.board import bodies
from gvo.core import clock
from gvo.core.atomic import transaction
from gvo.core.identity import Identity
from gvo.governance import public as governance_page
from gvo.library import documents, folders
from gvo.meetings import agenda, attendance, meetings
from gvo.people import accounts
from gvo.policies import lifecycle, public, register
from gvo.storage import sqlcipher
from gvo.storage.instance import Instance
from gvo.web.access import EXEMPT_ENDPOINTS
from gvo.web.forms import csrf

SETUP_EMAIL = "newcomer@example.org"


@dataclass
class File:
    """A file as documents.add_files takes it."""

    filename: str
    data: bytes

    def chunks(self):
        """The file in one piece."""
        yield self.data

POSTER = "poster@example.org"


def _public_get_rules(app) -> list:
    rules = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        view = app.view_functions[rule.endpoint]
        access = getattr(view, "gvo_access", None)
        if rule.endpoint in EXEMPT_ENDPOINTS or (access is not None and access.kind == "public"):
            rules.append(rule)
    return rules


def public_get_urls(app, setup_token: str, policy_id: int) -> list[str]:
    """Every public GET route of the app, as URLs of school alpha (with a live set-up link,
    a used-up one, `next` on the sign-in page, a published policy and one not there)."""
    values = {"school": [SLUG], "token": [setup_token, "no-such-token"],
              "filename": ["gvo.css", "vendor/no-such-file.js"],
              "policy_id": [policy_id, 999]}
    urls = []
    for rule in _public_get_rules(app):
        unknown = set(rule.arguments) - set(values)
        assert not unknown, f"{rule.rule}: give this test values for {sorted(unknown)}"
        combos = [{}]
        for arg in sorted(rule.arguments):
            combos = [dict(c, **{arg: v}) for c in combos for v in values[arg]]
        with app.test_request_context():
            from flask import url_for

            urls += [url_for(rule.endpoint, **c) for c in combos]
    urls.append(f"/{SLUG}/login?next=/{SLUG}/library/")
    urls.append(f"/{SLUG}/")  # a signed-in page: the anonymous visitor is sent to sign in
    return urls


def school_state(instance, conn) -> tuple:
    """(database file's SHA-256, WAL's SHA-256 or None, PRAGMA data_version of `conn`)."""
    path = Instance.open(instance, environ={})
    try:
        db = path.school_path(SLUG)
    finally:
        path.close()
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    wal = db.with_name(db.name + "-wal")
    wal_digest = hashlib.sha256(wal.read_bytes()).hexdigest() if wal.exists() else None
    return digest, wal_digest, conn.execute("PRAGMA data_version").fetchone()[0]


def wait_until_quiet(instance, conn, caller: Caller) -> tuple:
    """The school's state once the replicator's work on what came before is over (the
    state stays the same over a second and a /healthz)."""
    import time

    state = school_state(instance, conn)
    for _ in range(120):
        time.sleep(1)
        caller.request("GET", "/healthz")
        now = school_state(instance, conn)
        if now == state:
            return now
        state = now
    raise AssertionError("the school's files kept changing with nobody using it")


def existing_ids(conn) -> dict[str, int]:
    """A folder, a document in it, a meeting and its agenda item: ids for POST routes; a
    policy published on the public policy page (a live page), for its public GETs."""
    op = Identity.operator()
    board = bodies.save_body(conn, op, body_id=None, kind="board", name="Board")
    folder = folders.create_folder(conn, op, parent_id=None, title="Governance")
    [doc] = documents.add_files(conn, op, folder, [File("a.txt", b"hello")], limit=1 << 20)
    start = meetings.local_now().replace(hour=18, minute=0) + timedelta(days=7)
    meeting = meetings.create(conn, op, meetings.MeetingInput(
        body_id=board, title="Board", starts_at=start, ends_at=start + timedelta(hours=2),
        location="Hall"))
    item = agenda.add_item(conn, op, meeting, agenda.ItemInput(title="Budget"))
    public.switch(conn, op, True)
    policy = register.create(conn, op, register.PolicyInput(name="Complaints",
                                                            publish_publicly=True))
    with clock.frozen_at(clock.now() - 8 * 86400):  # written before the meeting
        lifecycle.write_page(conn, op, policy, "We listen.")
    past = meetings.local_now().replace(hour=18, minute=0) - timedelta(days=7)
    held = meetings.create(conn, op, meetings.MeetingInput(
        body_id=board, title="Board", starts_at=past, ends_at=past + timedelta(hours=2),
        location="Hall"))
    governor = accounts.add_user(conn, op, email="gov@ex.org", name="Gov", role="reader")
    bodies.add_member(conn, op, board, governor, "member")
    attendance.save_attendance_register(conn, op, held, {governor: "present"})
    attendance.lock_attendance_register(conn, op, held)  # quorate: its one governor came
    approval = agenda.add_item(conn, op, held, agenda.ItemInput(title="Policies"))
    agenda.attach(conn, op, approval, "policy", policy)
    lifecycle.approve_at_meeting(conn, op, policy, approval)
    return {"folder_id": folder, "doc_id": doc, "meeting_id": meeting, "item_id": item,
            "policy_id": policy}


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """(instance, port, set-up token, clerk's TOTP secret, POSTER's, ids of things that exist
    for URL arguments) of a real `gvo serve`."""
    instance = tmp_path_factory.mktemp("anonymous-reads") / "instance"
    secret = make_office(instance)
    inst = Instance.open(instance, environ={})
    try:
        conn = inst.db(SLUG)
        uid = accounts.add_user(conn, Identity.operator(), email=SETUP_EMAIL, name="New Comer",
                                role="reader")
        token = accounts.new_setup_token(conn, Identity.operator(), uid)
        poster = add_member(conn, POSTER, "Po Ster", "manager")
        ids = existing_ids(conn)
    finally:
        inst.close()
    port = free_port()
    # A long idle time: the test's quiet spell must not meet an idle school's last checkpoint.
    gvo = gvo_serve(instance, port, GVO_SCHOOL_IDLE_SECONDS="3600")
    try:
        yield instance, port, token, secret, poster, ids
    finally:
        stop(gvo)


@pytest.fixture
def watcher(office):
    """A connection of the test's own to school alpha (for PRAGMA data_version)."""
    instance = office[0]
    inst = Instance.open(instance, environ={})
    try:
        conn = sqlcipher.connect(inst.school_path(SLUG), inst.school_key(SLUG))
    finally:
        inst.close()
    yield conn
    conn.close()


def visit_all(urls: list[str], caller: Caller) -> dict[str, int]:
    return {url: caller.request("GET", url).status for url in urls}


def test_anonymous_gets_of_every_public_route_write_nothing(office, watcher, app):
    instance, port, token, _secret, _poster, ids = office
    urls = public_get_urls(app, token, ids["policy_id"])
    host = f"127.0.0.1:{port}"
    returning = Caller("127.0.0.70", port, host=host)
    statuses = visit_all(urls, returning)  # a first visit (the school opens, replicates)
    assert statuses[f"/{SLUG}/login"] == 200 and statuses[f"/{SLUG}/setup/{token}"] == 200
    assert statuses[f"/{SLUG}/setup/no-such-token"] == 410 and statuses["/healthz"] == 200
    published = f"/{SLUG}/policies/public/{ids['policy_id']}"
    assert statuses[f"/{SLUG}/policies"] == 200 and statuses[published] == 200
    assert statuses[published + "/pdf"] == 200 and statuses[f"/{SLUG}/policies/public/999"] == 404
    # A visitor whose session expired while signed in, and one with an unknown token.
    expired = Caller("127.0.0.71", port, host=host)
    assert expired.password_step(CLERK, PASSWORD).status == 302
    inst = Instance.open(instance, environ={})
    try:
        inst.db(SLUG).execute("UPDATE sessions SET last_seen = last_seen - 7200")
    finally:
        inst.close()
    stranger = Caller("127.0.0.72", port, host=host,
                      cookies={f"gvo-{SLUG}": secrets.token_urlsafe(32)})
    forged = Caller("127.0.0.73", port, host=host,
                    cookies={f"gvo-{SLUG}": "eyJjc3JmX3Rva2VuIjoiYSJ9.aaaa.bbbb"})

    before = wait_until_quiet(instance, watcher, returning)
    for caller in (Caller("127.0.0.74", port, host=host), returning, expired, stranger,
                   forged, returning):
        seen = visit_all(urls, caller)
        assert all(code < 500 for code in seen.values()), seen
    after = school_state(instance, watcher)
    assert after[2] == before[2], "a commit to the school during anonymous GETs"
    assert after[:2] == before[:2], "the school's database or WAL changed"
    # The anonymous pages still work as forms.
    assert 'name="csrf_token"' in returning.request("GET", f"/{SLUG}/login").text


def post_routes(app, ids: dict[str, int]) -> tuple[list[str], list[str], list[str]]:
    """Every POST route of school alpha, ids filled with 1: (those Flask-WTF checks before
    the view, those exempted because they check the token themselves: streamed uploads,
    and those exempted because a signed token in the address is the proof: the one-click
    unsubscribe link of RFC 8058, which a mail program POSTs with no cookie).
    Other ids are 1 (the CSRF check comes first), those of `ids` name things that exist."""
    checked, own, by_link = [], [], []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        values = {arg: (SLUG if arg == "school" else ids.get(arg, 1)) for arg in rule.arguments}
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        view = app.view_functions[rule.endpoint]
        exempt = f"{view.__module__}.{view.__name__}" in csrf._exempt_views
        if exempt and view.gvo_access.kind == "public":
            by_link.append(url)
        else:
            (own if exempt else checked).append(url)
    return checked, own, by_link


def public_paths(app) -> set[str]:
    """The POST paths of school alpha whose route is public (declared `@public`)."""
    paths = set()
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and app.view_functions[rule.endpoint].gvo_access.kind == "public":
            values = {arg: SLUG if arg == "school" else 1 for arg in rule.arguments}
            with app.test_request_context():
                from flask import url_for

                paths.add(url_for(rule.endpoint, **values))
    return paths


def upload(caller: Caller, url: str, token: str | None, *, header: bool = False):
    """A streamed upload (multipart, a file after the token field, or the token in htmx's
    X-CSRFToken header)."""
    boundary = "gvo-test-boundary"
    parts = []
    if token is not None and not header:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"'
                     f"\r\n\r\n{token}\r\n")
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
                 f'filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n'
                 f"--{boundary}--\r\n")
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    if header:
        headers["X-CSRFToken"] = token
    return caller.request("POST", url, body="".join(parts).encode(), headers=headers)


def refused(resp) -> bool:
    return resp.status == 400 and "This form has expired" in resp.text


def sent_to_sign_in(resp) -> bool:
    """Refused by sending the visitor to sign in (a members' page posted by nobody signed
    in: issue 12's "a whole sign-in page, with a message")."""
    return resp.status in (302, 303) and f"/{SLUG}/login" in resp.headers.get("Location", "")


def test_every_post_without_or_with_a_wrong_csrf_token_is_refused(office, watcher, app):
    instance, port, _token, _secret, poster, ids = office
    host = f"127.0.0.1:{port}"
    visitor = Caller("127.0.0.80", port, host=host)
    other = Caller("127.0.0.81", port, host=host)
    mine, theirs = visitor.token(f"/{SLUG}/login"), other.token(f"/{SLUG}/login")
    assert mine != theirs
    before = wait_until_quiet(instance, watcher, visitor)
    checked, own, by_link = post_routes(app, ids)
    assert f"/{SLUG}/login" in checked and f"/{SLUG}/logout" in checked and own
    assert by_link == [f"/{SLUG}/mail/unsubscribe/1"]
    wrong = ({}, {"csrf_token": "not-a-token"}, {"csrf_token": theirs})
    public = public_paths(app)
    for url in checked:
        for form in wrong:
            resp = visitor.request("POST", url, dict(form, email=CLERK, password=PASSWORD))
            # A public form (sign-in) says it expired; a members' page sends nobody to sign in.
            assert refused(resp) if url in public else (refused(resp) or sent_to_sign_in(resp)), (
                url, form, resp.status)
    for url in own:  # the view checks the token, after sign-in is required
        resp = visitor.request("POST", url, {})
        assert sent_to_sign_in(resp), url
    for url in by_link:  # an address whose signed token is not valid does nothing
        assert visitor.request("POST", url, {}).status == 404, url
    # Another visitor's (valid) cookie with my token: the pair must match.
    swapped = Caller("127.0.0.82", port, host=host, cookies=dict(other.cookies))
    resp = swapped.request("POST", f"/{SLUG}/login",
                           {"csrf_token": mine, "email": CLERK, "password": PASSWORD})
    assert resp.status == 400
    assert school_state(instance, watcher)[2] == before[2]  # nothing refused was written
    # The visitor's own token is accepted: the password step makes the session's row.
    resp = visitor.request("POST", f"/{SLUG}/login",
                           {"csrf_token": mine, "email": CLERK, "password": PASSWORD})
    assert resp.status == 302 and resp.headers["Location"].endswith("/login/verify")
    assert school_state(instance, watcher)[2] != before[2]
    # Signed in, the views that check their own token refuse a missing or wrong one too.
    member = Caller("127.0.0.83", port, host=host)
    assert member.password_step(POSTER, PASSWORD).status == 302
    code = member.token(f"/{SLUG}/login/verify")
    resp = member.request("POST", f"/{SLUG}/login/verify",
                          {"csrf_token": code, "code": pyotp.TOTP(poster).now()})
    assert resp.status == 302 and member.request("GET", f"/{SLUG}/").status == 200
    for url in checked:
        if url.endswith(("/logout", "/logout/everywhere")):
            continue
        for form in wrong:
            assert refused(member.request("POST", url, form)), (url, form)
    for url in own:
        for token, header in ((None, False), ("not-a-token", False), (theirs, False),
                              ("not-a-token", True), (theirs, True)):
            resp = upload(member, url, token, header=header)
            assert refused(resp), (url, token, header, resp.status)
    assert member.request("GET", f"/{SLUG}/").status == 200  # still signed in


def test_the_session_row_is_made_at_sign_in_under_a_new_token(office):
    instance, port, _token, secret, _poster = office[:5]
    host = f"127.0.0.1:{port}"
    visitor = Caller("127.0.0.90", port, host=host)
    visitor.token(f"/{SLUG}/login")
    anonymous = visitor.cookies[f"gvo-{SLUG}"]
    assert "." in anonymous  # signed data, not a token naming a row
    resp = visitor.password_step(CLERK, PASSWORD)
    assert resp.status == 302
    pending = visitor.cookies[f"gvo-{SLUG}"]
    assert pending != anonymous and "." not in pending
    code = visitor.token(f"/{SLUG}/login/verify")
    resp = visitor.request("POST", f"/{SLUG}/login/verify",
                           {"csrf_token": code, "code": pyotp.TOTP(secret).now()})
    assert resp.status == 302, resp.text[:300]
    signed_in = visitor.cookies[f"gvo-{SLUG}"]
    assert signed_in not in (pending, anonymous)  # a planted id is worthless
    assert visitor.request("GET", f"/{SLUG}/").status == 200
    # The anonymous cookie (or the pending one) does not reach the signed-in pages.
    for old in (anonymous, pending):
        planted = Caller("127.0.0.91", port, host=host, cookies={f"gvo-{SLUG}": old})
        assert planted.request("GET", f"/{SLUG}/").status == 302


def test_the_public_governance_page_switched_on_writes_nothing(office, watcher, app):
    """Issue 14: with the public governance page on (the tests above see it off: 404), its
    page, CSV and JSON write nothing either, a register locked before snapshots existed
    included (reading it must not take the late snapshot)."""
    instance, port, token = office[:3]
    inst = Instance.open(instance, environ={})
    try:
        conn = inst.db(SLUG)
        op = Identity.operator()
        board = conn.execute("SELECT id FROM bodies WHERE kind = 'board'").fetchone()[0]
        governor = accounts.add_user(conn, op, email="ada@example.org", name="Ada Governor",
                                     role="author")
        bodies.add_member(conn, op, board, governor, "chair", "parent")
        start = meetings.local_now().replace(hour=18, minute=0) - timedelta(days=380)
        held = meetings.create(conn, op, meetings.MeetingInput(
            body_id=board, title="Board", starts_at=start, ends_at=start + timedelta(hours=2),
            location="Hall"))
        attendance.save_attendance_register(conn, op, held, {governor: "present"})
        attendance.lock_attendance_register(conn, op, held)
        with transaction(conn):
            conn.execute("DELETE FROM meeting_records WHERE meeting_id = ?", (held,))
        governance_page.set_publishing(conn, op, True, "governance@example.org")
    finally:
        inst.close()
    urls = public_get_urls(app, token, 999)
    host = f"127.0.0.1:{port}"
    visitor = Caller("127.0.0.75", port, host=host)
    assert visitor.request("GET", f"/{SLUG}/governance").status == 200
    before = wait_until_quiet(instance, watcher, visitor)
    for caller in (Caller("127.0.0.76", port, host=host), visitor):
        seen = visit_all(urls, caller)
        assert all(code < 500 for code in seen.values()), seen
        for path in ("/governance", "/governance.csv", "/governance.json"):
            assert seen[f"/{SLUG}{path}"] == 200, path
    after = school_state(instance, watcher)
    assert after[2] == before[2], "a commit to the school during anonymous GETs"
    assert after[:2] == before[:2], "the school's database or WAL changed"
    resp = Caller("127.0.0.77", port, host=host).request("GET", f"/{SLUG}/governance")
    assert "Set-Cookie" not in resp.headers and "Ada Governor" in resp.text
