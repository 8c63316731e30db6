"""A realistic office to fuzz: the demo school made real, a second school, signed-in people.

Built once per test session into a template instance directory; each route's test works
on its own copy (a few hundred KB of real SQLCipher files), so what one route's requests
change never decides what the next route sees. The sessions of the people signed in here
are rows of the school's database, so a copy holds them too: a client that presents the
cookie is signed in at once, without Argon2 or a TOTP code per route.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pyotp
from conftest import copy_instance, enrol_authenticator
from itsdangerous import BadSignature

from gvo import create_app
from gvo.core import clock
from gvo.core.identity import Identity, capabilities
from gvo.discussion import comments, subjects
from gvo.library import documents, folders, pages
from gvo.mail import config as mail_config
from gvo.mail import outbox, volume
from gvo.mail.compose import Letter
from gvo.meetings import agenda, attendance, calendar_feed, meetings, minutes, papers
from gvo.people import accounts, demo, recovery, settings
from gvo.security import devices
from gvo.security.sessions import client_serializer, cookie_name, is_client_value
from gvo.storage.instance import Instance
from gvo.storage.sqlcipher import transaction

BASE = "https://localhost"
SCHOOL = demo.SLUG            # riverside: where the routes are fuzzed
OTHER = "hillside"            # another school on the same server: its ids must never leak
PASSWORD = demo.PASSWORD
# Tables that legitimately change when a request is refused: the audit log records
# refusals, login_failures throttles, sessions hold the sign-in steps and messages.
REFUSAL_RECORDS = frozenset({"audit_log", "login_failures", "sessions"})
# What the audit log may gain from a refused request: failed and throttled sign-in steps
# (gvo.people.signin). Anything else in it after a refusal records a change that was made.
REFUSAL_ACTIONS = frozenset({"login.failure", "login.mfa_failure", "login.throttled",
                             "reauth.failure", "password.reset_throttled"})
CONFIG = {
    "TESTING": True,
    "GVO_BASE_URL": BASE,
    # A long developer run outlasts the default idle timeout: the sessions made with the
    # template must stay good for the whole run.
    "GVO_IDLE_TIMEOUT": 10**7,
    "GVO_ABSOLUTE_TIMEOUT": 10**8,
    # Mail on (queued, never sent: nothing listens there), so its forms are fuzzed too.
    "GVO_SMTP_URL": "smtp://127.0.0.1:9?starttls=off",
    "GVO_MAIL_FROM": "Office <office@riverside.example>",
}


@dataclass
class Visitor:
    """A person (or nobody) the fuzzer sends requests as."""

    name: str
    email: str = ""
    role: str = ""                  # "" for someone not signed in
    caps: frozenset = frozenset()
    cookie: str | None = None       # the session token of their signed-in session
    csrf: str = ""                  # a CSRF token of that session
    session_row: dict = field(default_factory=dict)   # that session as stored


@dataclass
class Template:
    """The built office: where it is, who is signed in, and what tokens exist."""

    path: Path
    actors: dict[str, Visitor] = field(default_factory=dict)
    setup_token: str = ""
    feed_token: str = ""
    reset_token: str = ""
    unsubscribe_path: str = ""  # a governor's one-click unsubscribe link (its path)
    other_ids: list[int] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)   # TOTP secrets of those at a code step

    def copy_to(self, dest: Path) -> Instance:
        """A copy of the office at `dest`, opened."""
        return copy_instance(self.path, dest)


class _Part:
    def __init__(self, filename: str, data: bytes):
        self.filename, self._data = filename, data

    def chunks(self):
        yield self._data


def _enrich(inst: Instance) -> dict:
    """What the demo lacks for every route to reach its code: a real (not demo) school with
    two-step sign-in, a capability holder who is no Manager, an invitation, a calendar feed,
    a wastebin, a cancelled meeting, comments on circulated minutes, a second school."""
    conn = inst.db(SCHOOL)
    op = Identity.operator()
    ids = {row["email"].split("@")[0]: row["id"]
           for row in conn.execute("SELECT id, email FROM users")}
    with transaction(conn):
        settings.put(conn, "demo", "0")
        settings.put(conn, "mfa_policy", "required")
    accounts.set_capabilities(conn, op, ids["staff"],
                              {"manage_meetings", "manage_board", "manage_users"})
    secrets = {name: enrol_authenticator(conn, ids[name],
                                         Identity(ids[name], "", email=f"{name}@riverside.example"))
               for name in ("clerk", "chair", "governor", "staff", "inspector")}
    # "parent" is left without an authenticator: signing in makes them set one up.
    invited = accounts.add_user(conn, op, email="new@riverside.example", name="Nia New",
                                role="author")
    setup_token = accounts.new_setup_token(conn, op, invited)
    feed_token = calendar_feed.new_token(conn, op, ids["governor"])
    # A "forgotten password" link, and a message the mail server refused.
    recovery.request_link(conn, "governor@riverside.example", "127.0.0.1")
    body = conn.execute("SELECT message FROM mail_outbox WHERE kind = 'password_reset'"
                        ).fetchone()[0]
    reset_token = re.search(rb"/password/reset/([\w-]+)", bytes(body)).group(1).decode()
    outbox.mark_failed(conn, outbox.notify(conn, op, [ids["chair"]], Letter(
        "test", "Papers", "a test"), kind="test")[0], "550 5.1.1 mailbox unavailable")
    unsubscribe_path = "/" + outbox.unsubscribe_url(conn, ids["governor"], "test").split(
        "/", 3)[3]
    # The governor stopped one kind of mail: their profile offers to start it again.
    volume.unsubscribe(conn, outbox.unsubscribe_url(conn, ids["governor"], "newsletter")
                       .rsplit("/", 1)[1])

    # A trusted device and a passkey of the governor's: their profile offers to remove and
    # rename them, and the clerk (a Manager) sees the device on the governor's page.
    devices.set_trust_days(conn, op, 30)
    version = conn.execute("SELECT credential_version FROM users WHERE id = ?",
                           (ids["governor"],)).fetchone()[0]
    devices.trust(conn, ids["governor"], version, "127.0.0.1", "Mozilla/5.0 (iPhone)")
    with transaction(conn):
        conn.execute("INSERT INTO passkeys(user_id, credential_id, public_key, name,"
                     " created_at) VALUES (?, ?, ?, 'Phone', ?)",
                     (ids["governor"], b"fuzz-credential", b"not a real key", clock.iso()))

    clerk = Identity(ids["clerk"], "manager", email="clerk@riverside.example")
    bin_folder = folders.create_folder(conn, clerk, parent_id=None, title="Old papers",
                                       sort_order=7)
    [old_doc] = documents.add_files(conn, clerk, bin_folder,
                                    [_Part("old minutes.txt", b"Old minutes\n")],
                                    limit=1024 * 1024)
    old_page = pages.create_page(conn, clerk, bin_folder, title="Old note", body="*old*")
    documents.delete_document(conn, clerk, old_doc)
    pages.delete_page(conn, clerk, old_page)
    gone = folders.create_folder(conn, clerk, parent_id=bin_folder, title="Gone folder")
    folders.delete_folder(conn, clerk, gone)

    clerk_actor = Identity(ids["clerk"], "manager", email="clerk@riverside.example")
    board_id = conn.execute("SELECT id FROM bodies WHERE kind = 'board'").fetchone()[0]
    start = meetings.local_now().replace(hour=18, minute=0, second=0,
                                         microsecond=0) + timedelta(days=40)
    cancelled = meetings.create(conn, clerk_actor, meetings.MeetingInput(
        body_id=board_id, title="Extraordinary meeting", starts_at=start,
        ends_at=start + timedelta(hours=1), location="Hall"))
    agenda.add_item(conn, clerk_actor, cancelled, agenda.ItemInput(
        title="Exclusion review", purpose="decision", presenter="Chair", minutes=30,
        confidential=True))
    meetings.cancel(conn, clerk_actor, cancelled, "The review was withdrawn.")
    circulated = conn.execute("SELECT id FROM meetings WHERE minutes_status = 'circulated'"
                              ).fetchone()[0]
    # Minutes approved but not yet locked, and a meeting going on now (its register open,
    # a guest on it, earlier minutes waiting for its approval).
    autumn = conn.execute("SELECT id FROM meetings WHERE minutes_status = 'locked'"
                          ).fetchone()[0]
    now = meetings.local_now().replace(second=0, microsecond=0)
    winter = meetings.create(conn, clerk_actor, meetings.MeetingInput(
        body_id=board_id, title="Winter board", starts_at=now - timedelta(days=120),
        ends_at=now - timedelta(days=120, hours=-2), location="Library"))
    winter_item = agenda.add_item(conn, clerk_actor, winter, agenda.ItemInput(
        title="Budget", purpose="decision", presenter="Chair", minutes=20, confidential=False))
    minutes.save_item(conn, clerk_actor, winter_item, "Discussed.", "Agreed.")
    attendance.save_attendance_register(conn, clerk_actor, winter, {
        r["user_id"]: "present" for r in attendance.attendance_register(conn, winter)})
    attendance.lock_attendance_register(conn, clerk_actor, winter)
    minutes.circulate(conn, clerk_actor, winter)
    minutes.approve(conn, clerk_actor, winter, autumn, demo.NAME)
    today = meetings.create(conn, clerk_actor, meetings.MeetingInput(
        body_id=board_id, title="Board today", starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1), location="Hall"))
    agenda.add_item(conn, clerk_actor, today, agenda.ItemInput(
        title="Headteacher's report", purpose="discussion", presenter="Head", minutes=20,
        confidential=False))
    agenda.add_item(conn, clerk_actor, today, agenda.ItemInput(
        title="Staffing", purpose="decision", presenter="Head", minutes=10, confidential=True))
    attendance.add_guest(conn, clerk_actor, today, "Jo Bursar", "guest", "Business manager")
    papers.ensure_folder(conn, clerk_actor, today)
    minutes.add_comment(conn, Identity(ids["chair"], "editor", email="chair@riverside.example"),
                        circulated, "Item 4: please add the figure agreed.")
    # A page linked as a paper (the demo only uploads one).
    page_id = conn.execute("SELECT id FROM pages WHERE deleted_at IS NULL").fetchone()[0]
    upcoming_item = conn.execute(
        "SELECT a.id FROM agenda_items a JOIN meetings m ON m.id = a.meeting_id"
        " WHERE m.minutes_status = 'draft' AND m.status = 'scheduled' AND a.confidential = 0"
        " ORDER BY a.id LIMIT 1").fetchone()[0]
    papers.link(conn, clerk_actor, upcoming_item, "page", page_id)
    # A comment of the author's own that nobody answered (they may edit and delete it).
    governor = Identity(ids["governor"], "author", email="governor@riverside.example")
    comments.add(conn, governor, subjects.load(conn, governor, "page", page_id),
                 "Could we add the dates?")

    inst.create_school(OTHER, "Hillside Academy")
    other = inst.db(OTHER)
    head = accounts.add_user(other, op, email="head@hillside.example", name="Hal Head",
                             role="manager", password=PASSWORD)
    lib = Identity(head, "manager", email="head@hillside.example")
    # Enough rows that the other school's ids run past this school's.
    for n in range(60):
        folders.create_folder(other, lib, parent_id=None, title=f"Hillside folder {n}")
    other_ids = [r[0] for r in other.execute(
        "SELECT id FROM folders ORDER BY id DESC LIMIT 5")]
    return {"ids": ids, "secrets": secrets, "setup_token": setup_token,
            "feed_token": feed_token, "reset_token": reset_token, "other_ids": other_ids,
            "unsubscribe_path": unsubscribe_path}


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _form_token(client, path: str) -> str:
    """Open a page of the school and return its form's CSRF token."""
    return _token(client.get(f"/{SCHOOL}{path}", base_url=BASE).get_data(as_text=True))


def _post(client, path: str, data: dict):
    """Send a page's form as a browser does (its token, the page as Referer)."""
    return client.post(f"/{SCHOOL}{path}", base_url=BASE,
                       data=data | {"csrf_token": _form_token(client, path)},
                       headers={"Referer": f"{BASE}/{SCHOOL}{path}"})


def sign_in(client, email: str, secret: str | None) -> bool:
    """Sign in through the real pages; True once signed in (TOTP step included)."""
    resp = _post(client, "/login", {"email": email, "password": PASSWORD})
    if resp.status_code == 302 and resp.headers["Location"].endswith("/login/verify"):
        resp = _post(client, "/login/verify", {"code": pyotp.TOTP(secret).at(clock.now())})
    return resp.status_code == 302 and "/login" not in resp.headers["Location"]


def session_cookie(client) -> str | None:
    """The client's session token for the fuzzed school."""
    cookie = client.get_cookie(cookie_name(SCHOOL, True), domain="localhost")
    return cookie.value if cookie else None


def build(path: Path) -> tuple[Template, object]:
    """Make the office at `path`; returns it and an app on it (for the crawl)."""
    mail_config.configure(mail_config.from_mapping(CONFIG))
    inst = Instance.init(path, environ={})
    demo.create(inst)
    made = _enrich(inst)
    conn = inst.db(SCHOOL)
    roles = {r["email"].split("@")[0]: r["role"]
             for r in conn.execute("SELECT email, role FROM users")}
    template = Template(path, setup_token=made["setup_token"], feed_token=made["feed_token"],
                        reset_token=made["reset_token"], other_ids=made["other_ids"],
                        unsubscribe_path=made["unsubscribe_path"])
    app = create_app(dict(CONFIG), instance=inst)
    # Not signed in, on the sign-in page (so holding an anonymous session, all in its
    # signed cookie, and its CSRF token).
    client = app.test_client()
    template.actors["anonymous"] = Visitor("anonymous", csrf=_form_token(client, "/login"),
                                           cookie=session_cookie(client))
    for name, secret in made["secrets"].items():
        email = f"{name}@riverside.example"
        client = app.test_client()
        assert sign_in(client, email, secret), f"{name} could not sign in"
        template.actors[name] = Visitor(
            name, email, roles[name], frozenset(capabilities(conn, made["ids"][name])),
            cookie=session_cookie(client), csrf=_form_token(client, "/profile"))
    # Not signed in yet: past the password, at the code (chair) or at setting up an
    # authenticator, which the school requires (parent).
    for name, email, step in (("verifying", "chair@riverside.example", "/login/verify"),
                              ("enrolling", "parent@riverside.example", "/mfa/enrol")):
        client = app.test_client()
        resp = _post(client, "/login", {"email": email, "password": PASSWORD})
        assert resp.headers["Location"].endswith(step), resp.headers.get("Location")
        template.actors[name] = Visitor(name, email, csrf=_form_token(client, step),
                                        cookie=session_cookie(client))
    template.codes = [made["secrets"]["chair"]]
    return template, app


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def snapshot_sessions(template: Template, app) -> None:
    """Keep each visitor's session row as it is now, to put back before every request."""
    conn = app.extensions["gvo"].instance.db(SCHOOL)
    for actor in template.actors.values():
        if actor.cookie and not is_client_value(actor.cookie):  # anonymous: the cookie is all
            row = conn.execute("SELECT * FROM sessions WHERE id_hash = ?",
                               (_hash(actor.cookie),)).fetchone()
            actor.session_row = dict(row)
            secret = (json.loads(row["data"]).get("signin") or {}).get("enrol_secret")
            if secret:  # the authenticator being set up at the enrolment step
                template.codes.append(secret)


def restore_session(inst: Instance, actor: Visitor) -> None:
    """Put the visitor's session back as it was made: signed in (or at their sign-in step,
    started now), no messages left over. A request may have signed them out, rotated the
    session or left a message; the next request starts from the same place."""
    if not actor.session_row:  # no session, or an anonymous one (all in its cookie)
        return
    row = dict(actor.session_row)
    data = json.loads(row["data"])
    if "signin" in data:
        data["signin"]["started_at"] = clock.now()
    row.update(data=json.dumps(data), created_at=clock.now(), last_seen=clock.now())
    inst.db(SCHOOL).execute(
        "INSERT OR REPLACE INTO sessions(id_hash, user_id, data, created_at, last_seen, ip,"
        " user_agent) VALUES (:id_hash, :user_id, :data, :created_at, :last_seen, :ip,"
        " :user_agent)", row)


def flashes(app, token: str | None) -> list[tuple[str, str]]:
    """The messages waiting in the session with this cookie value (a stored session's token,
    or an anonymous session's signed data): (category, text)."""
    if not token:
        return []
    if is_client_value(token):
        try:
            data = client_serializer(app, SCHOOL).loads(token)
        except BadSignature:
            return []
    else:
        row = app.extensions["gvo"].instance.db(SCHOOL).execute(
            "SELECT data FROM sessions WHERE id_hash = ?", (_hash(token),)).fetchone()
        data = json.loads(row["data"]) if row else {}
    return [tuple(f) for f in data.get("_flashes", [])]


def client_for(app, actor: Visitor):
    """A test client holding the actor's session (or nothing, for someone signed out)."""
    client = app.test_client()
    if actor.cookie:
        client.set_cookie(cookie_name(SCHOOL, True), actor.cookie, domain="localhost")
    return client


def audit_mark(inst: Instance) -> dict[str, int]:
    """Each school's last audit entry id (to read what a request added after it)."""
    return {r.slug: inst.db(r.slug).execute("SELECT coalesce(max(id), 0) FROM audit_log"
                                            ).fetchone()[0] for r in inst.schools()}


def audited_since(inst: Instance, mark: dict[str, int]) -> list[str]:
    """The actions audited after `mark`, in every school."""
    return [row[0] for r in inst.schools() for row in inst.db(r.slug).execute(
        "SELECT action FROM audit_log WHERE id > ? ORDER BY id", (mark.get(r.slug, 0),))]


def digest(inst: Instance) -> dict[str, str]:
    """A fingerprint of every table of every school (but the refusal records), by table:
    of its rows as a set, so rows written again as they were count as unchanged."""
    out = {}
    for record in inst.schools():
        conn = inst.db(record.slug)
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for table in tables:
            if table in REFUSAL_RECORDS:
                continue
            rows = []
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                h = hashlib.sha256()
                for value in row:
                    h.update(value if isinstance(value, bytes) else repr(value).encode())
                    h.update(b"\x1f")
                rows.append(h.digest())
            out[f"{record.slug}.{table}"] = hashlib.sha256(b"".join(sorted(rows))).hexdigest()
    return out
