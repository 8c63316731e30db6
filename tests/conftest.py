"""Shared fixtures: a real instance with real SQLCipher files, the app, clients, people.

Every test gets its own temporary instance directory; nothing is mocked below
the web layer. `WebClient` behaves like a browser on https://localhost: it
sends the Referer that CSRF's strict HTTPS check wants and reads the CSRF
token from the page it last loaded.
"""

import functools
import importlib.util
import os
import re
import shutil
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import jinja2
import jinja2.bccache
import pyotp
import pytest
from argon2 import PasswordHasher

from gvo import create_app
from gvo.core import clock as gvo_clock
from gvo.core.identity import Identity
from gvo.mail import config as mail_config
from gvo.people import accounts, signin
from gvo.security import passwords
from gvo.storage.instance import Instance

# The caller's shell may hold GVO_* settings (the disaster-recovery runbook exports
# GVO_MASTER_KEY, GVO_INSTANCE, GVO_REPLICA_URL). Tests must not depend on them: they are
# removed for the whole session (GVO reads its settings when called, never at import), so
# in-process apps and every subprocess started with os.environ see none. Test knobs, which
# are not settings of GVO, stay.
TEST_KNOBS = frozenset({"GVO_BROWSER_SCREENSHOTS", "GVO_DRILL_SEED", "GVO_FUZZ_EXAMPLES",
                        "GVO_FUZZ_SEED"})
# systemd's CREDENTIALS_DIRECTORY (where GVO finds the master key under deploy/gvo.service)
# goes too.
for _name in [n for n in os.environ
              if (n.startswith("GVO_") and n not in TEST_KNOBS) or n == "CREDENTIALS_DIRECTORY"]:
    del os.environ[_name]

# Live server + Chromium fixtures for the browser tests of every feature (used on request only).
pytest_plugins = ["browser.fixtures"]

BASE = "https://localhost"
PASSWORD = "correct-horse-battery-staple"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def subprocess_env(**settings: str) -> dict[str, str]:
    """The environment for a GVO subprocess: this process's, no GVO_* setting (nor systemd's
    CREDENTIALS_DIRECTORY) but those given.

    Built explicitly, so a subprocess never inherits a GVO_* setting from the caller's shell
    even if something put one back into os.environ.
    """
    env = {k: v for k, v in os.environ.items()
           if (not k.startswith("GVO_") or k in TEST_KNOBS) and k != "CREDENTIALS_DIRECTORY"}
    env.update(settings)
    return env


# Argon2id at its cheapest (1 pass over 8 KiB, one lane): the people tests make are hashed and
# checked in well under a millisecond instead of ~0.2 s each. Only this process's hasher is
# replaced; every `gvo` subprocess (serve, the entry-point tests) hashes with production's
# parameters, which tests/test_password_hashing.py proves. A cheap hash a test user carries
# into a real server is upgraded there at sign-in, as any outdated hash is.
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """The test process hashes passwords with TEST_HASHER (restored at the end)."""
    patch = pytest.MonkeyPatch()
    patch.setattr(passwords, "_hasher", TEST_HASHER)
    yield TEST_HASHER
    patch.undo()


@pytest.fixture(autouse=True)
def no_mail_settings_between_tests():
    """Each test starts with the process's mail settings unset (an app a test made with
    GVO_SMTP_URL configures the process: gvo.mail.config), and leaves them so."""
    mail_config.configure(None)
    yield
    mail_config.configure(None)


@dataclass
class CommandResult:
    """What a `gvo` command did, named as subprocess.run and Click's runner name it."""

    returncode: int
    stdout: str
    stderr: str
    output: str  # stdout and stderr as they were interleaved

    @property
    def exit_code(self) -> int:
        """The exit status (Click's name for it)."""
        return self.returncode


def gvo_command(*args: str, input_text: str | None = None, **settings: str) -> CommandResult:
    """Run the `gvo` command in this process, through its entry point `gvo.cli.main`.

    It sees what it would as a process: its own stdin (`input_text`), stdout and stderr
    (Click's CliRunner isolation), this process's environment (no GVO_* setting) plus
    `settings`, and argv `gvo ARGS`. Afterwards, as a process's exit would, every instance
    it opened is closed and the umask it set is put back. What needs a real process (serve,
    signals, the umask, the installed entry point) runs `gvo` as a subprocess instead.
    """
    from click.testing import CliRunner

    from gvo.cli import main

    opened: list[Instance] = []
    real_init = Instance.__init__

    def init_and_remember(self, *a, **kw):
        real_init(self, *a, **kw)
        opened.append(self)

    patch = pytest.MonkeyPatch()
    patch.setattr(Instance, "__init__", init_and_remember)
    patch.setattr(sys, "argv", ["gvo", *args])
    umask = os.umask(0o077)
    os.umask(umask)
    code = 0
    try:
        with CliRunner().isolation(input=input_text, env=settings) as (out, err, mixed):
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            texts = [stream.getvalue().decode() for stream in (out, err, mixed)]
    finally:
        patch.undo()
        os.umask(umask)
        for inst in opened:
            inst.close()
    return CommandResult(code, *texts)


@functools.cache
def bench_script(name: str) -> types.ModuleType:
    """scripts/bench/<name>.py as a module, loaded once: its harnesses (a real `gvo serve`,
    files to upload, process probes) serve the tests that need a live server."""
    path = Path(__file__).resolve().parents[1] / "scripts" / "bench" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"gvo_bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeClock:
    """A clock tests can move; starts at the real time."""

    def __init__(self):
        import time

        self.t = time.time()

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.t += seconds


@pytest.fixture
def clock():
    """An injectable clock for the whole application (restored afterwards)."""
    fake = FakeClock()
    gvo_clock.set_clock(fake)
    yield fake
    gvo_clock.set_clock(None)


@pytest.fixture
def instance(tmp_path):
    """A fresh instance directory with its own master key file."""
    inst = Instance.init(tmp_path / "instance", environ={})
    yield inst
    inst.close()


@pytest.fixture
def upgraded_school(instance, monkeypatch):
    """upgrade(before, sql, slug="old"): a school as a release before school migration
    `before` left it, with `sql` run in it, then opened (and so upgraded) by this release:
    its connection."""
    from gvo.storage import sqlcipher

    every = sqlcipher.migrations("school")

    def upgrade(before: int, sql: str, slug: str = "old"):
        monkeypatch.setattr(sqlcipher, "migrations",
                            lambda kind: [m for m in every if kind != "school" or m[0] < before])
        instance.create_school(slug, "Old School")
        instance.close_school(slug)
        conn = sqlcipher.connect(instance.school_path(slug), instance.school_key(slug))
        conn.executescript(sql)
        conn.close()
        monkeypatch.setattr(sqlcipher, "migrations", lambda kind: every)
        return instance.db(slug)

    return upgrade


@pytest.fixture
def school(instance):
    """A school called Alpha (slug 'alpha'), MFA policy as new schools have it (required)."""
    instance.create_school("alpha", "Alpha Primary")
    return "alpha"


def copy_instance(template: Path, dest: Path) -> Instance:
    """A copy of a (closed) instance directory made once for many tests, opened at `dest`.

    Every test that starts from it changes only its own copy; the people signed in when it
    was made stay signed in (their sessions are rows of the school's database).
    """
    shutil.copytree(template, dest)
    return Instance.open(dest, environ={})


class TemplateCode(jinja2.BytecodeCache):
    """Jinja's compiled templates kept in memory for the session, so each test's app does
    not compile them again (a template whose source changed is compiled again: Jinja
    checks the source's checksum against the cached code's)."""

    def __init__(self):
        self.codes: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Fill the bucket from memory, if this template was compiled before."""
        if bucket.key in self.codes:
            bucket.bytecode_from_string(self.codes[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Keep a newly compiled template."""
        self.codes[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = TemplateCode()


def make_app(instance: Instance):
    """The web app as the tests run it (TESTING, on https://localhost), bound to `instance`."""
    app = create_app({"TESTING": True, "GVO_BASE_URL": BASE, "GVO_LIBREOFFICE": "soffice"},
                     instance=instance)
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    return app


@pytest.fixture
def app(instance):
    """The web app bound to the test instance."""
    return make_app(instance)


def page_text(resp) -> str:
    """A response's text: a page's (UTF-8, strictly), or a download's bytes read leniently.

    A real PDF or any other file a test downloads is bytes, not UTF-8; it has no form.
    """
    if resp.mimetype.startswith("text/") or resp.mimetype in ("application/json",
                                                             "application/xml"):
        return resp.get_data(as_text=True)
    return resp.get_data().decode("utf-8", "replace")


class WebClient:
    """A test client that behaves like a browser: CSRF token from the last page, Referer set."""

    def __init__(self, flask_client):
        self.c = flask_client
        self.last_text = ""
        self.last = None

    def get(self, path, **kw):
        """GET a page and remember its CSRF token."""
        resp = self.c.get(path, base_url=BASE, **kw)
        self.last, self.last_text = resp, page_text(resp)
        return resp

    def token(self) -> str:
        """The CSRF token of the last page that had a form."""
        match = _CSRF.search(self.last_text)
        assert match, "no CSRF token on the last page"
        return match.group(1)

    def post(self, path, data=None, *, form_page=None, csrf=True, **kw):
        """POST like a form would: load form_page (or reuse the last page) for the token."""
        data = dict(data or {})
        if csrf:
            if form_page:
                self.get(form_page)
            data.setdefault("csrf_token", self.token())
        headers = {"Referer": BASE + (form_page or path)}
        headers.update(kw.pop("headers", {}))
        resp = self.c.post(path, data=data, base_url=BASE, headers=headers, **kw)
        self.last, self.last_text = resp, page_text(resp)
        return resp

    def download(self, path, **kw):
        """GET a file (PDF, CSV, ics, ...) without making it the last page (no form in it)."""
        return self.c.get(path, base_url=BASE, **kw)

    def cookie(self, name):
        """A cookie the client holds, or None."""
        return self.c.get_cookie(name, domain="localhost")


@pytest.fixture
def client(app):
    """A browser-like client on https://localhost."""
    return WebClient(app.test_client())


@pytest.fixture
def new_client(app):
    """A factory of extra browser-like clients (another device, another person)."""
    return lambda: WebClient(app.test_client())


@dataclass
class Person:
    """A test user with what is needed to sign in as them."""

    id: int
    email: str
    password: str
    role: str
    slug: str
    totp_secret: str | None = None

    def code(self, at: float | None = None) -> str:
        """The TOTP code for now (or a given time)."""
        return pyotp.TOTP(self.totp_secret).at(gvo_clock.now() if at is None else at)


def enrol_authenticator(conn, user_id: int, actor: Identity | None = None) -> str:
    """Give a user an authenticator, enrolled as if 90 s ago, so the code of "now" is still
    unused for the sign-in; returns its secret. The actor defaults to the operator.

    The application's clock is moved back for the enrolment only: not for a server that
    runs in another thread meanwhile (tests/browser/fixtures.py enrols otherwise).
    """
    secret = pyotp.random_base32(32)
    real = gvo_clock._clock
    earlier = real() - 90
    gvo_clock.set_clock(lambda: earlier)
    try:
        signin.enrol_totp(conn, actor or Identity.operator(), user_id, secret,
                           pyotp.TOTP(secret).at(earlier))
    finally:
        gvo_clock.set_clock(real)
    return secret


@pytest.fixture
def make_user(instance, school):
    """Factory: make_user(slug, role, email=None, mfa=True) -> Person."""
    counter = {"n": 0}

    def make(slug="alpha", role="author", email=None, mfa=True, password=PASSWORD):
        counter["n"] += 1
        return add_person(instance, slug, role, email or f"{role}{counter['n']}@example.org",
                          mfa=mfa, password=password)

    return make


def add_person(instance: Instance, slug: str, role: str, email: str, *, mfa: bool = True,
               password: str = PASSWORD) -> Person:
    """A member of the school who can sign in: with a password and, when mfa, an enrolled
    authenticator (make_user's work, for fixtures that are not per test)."""
    conn = instance.db(slug)
    uid = accounts.add_user(conn, Identity.operator(), email=email, name=f"Test {role.title()}",
                            role=role, password=password)
    person = Person(uid, email, password, role, slug)
    if mfa:
        person.totp_secret = enrol_authenticator(conn, uid)
    return person


_NEW_FEED = re.compile(r'id="feed-url"[^>]*value="https://localhost(/[^"]+)"')


def new_feed_path(client, slug: str = "alpha") -> str:
    """Make a new calendar feed address on the profile page and return its path (the page
    shows it once, in a field with a copy button and a webcal:// subscribe link)."""
    client.post(f"/{slug}/profile/calendar-feed", {}, form_page=f"/{slug}/profile")
    return feed_path_in(client.get(f"/{slug}/profile").get_data(as_text=True))


def feed_path_in(page: str) -> str:
    """The path of the new calendar feed address a profile page shows."""
    return _NEW_FEED.search(page).group(1)


def make_pdf(text: str, pages: int = 1) -> bytes:
    """A small real PDF (fpdf2, as GVO's own packs) whose pages say "`text` page N".

    The one PDF maker of the suite: pypdf extracts the text, and a search finds its words.
    """
    from fpdf import FPDF

    doc = FPDF()
    doc.set_compression(False)  # the text stands in the file, as a check for plaintext wants
    doc.set_font("Helvetica", size=12)
    for n in range(pages):
        doc.add_page()
        doc.cell(0, 10, f"{text} page {n + 1}")
    return bytes(doc.output())


def pdf_text(data: bytes) -> str:
    """All the text of a PDF, page after page (pypdf)."""
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def sign_in(client: WebClient, person: Person, *, code: str | None = None) -> object:
    """Sign in through the real pages; returns the last response."""
    slug = person.slug
    resp = client.post(f"/{slug}/login", {"email": person.email, "password": person.password},
                       form_page=f"/{slug}/login")
    if person.totp_secret and resp.status_code == 302 and resp.headers["Location"].endswith(
        "/login/verify"
    ):
        resp = client.post(f"/{slug}/login/verify", {"code": code or person.code()},
                           form_page=f"/{slug}/login/verify")
    return resp


@pytest.fixture
def signed_in(client, make_user):
    """Factory: signed_in(role) -> (client, person), already through both sign-in steps."""

    def make(role="author", slug="alpha", **kw):
        person = make_user(slug, role, **kw)
        resp = sign_in(client, person)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return client, person

    return make
