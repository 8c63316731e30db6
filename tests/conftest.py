"""Shared fixtures: a real instance with real SQLCipher files, the app, clients, people.

Every test gets its own temporary instance directory; nothing is mocked below
the web layer. `WebClient` behaves like a browser on https://localhost: it
sends the Referer that CSRF's strict HTTPS check wants and reads the CSRF
token from the page it last loaded.
"""

import os
import re
from dataclasses import dataclass

import pyotp
import pytest

from gvo import create_app
from gvo.core import clock as gvo_clock
from gvo.core.identity import Identity
from gvo.people import accounts, signin
from gvo.storage.instance import Instance

# The caller's shell may hold GVO_* settings (the disaster-recovery runbook exports
# GVO_MASTER_KEY, GVO_INSTANCE, GVO_REPLICA_URL). Tests must not depend on them: they are
# removed for the whole session (GVO reads its settings when called, never at import), so
# in-process apps and every subprocess started with os.environ see none. Test knobs, which
# are not settings of GVO, stay.
TEST_KNOBS = frozenset({"GVO_BROWSER_SCREENSHOTS", "GVO_DRILL_SEED", "GVO_FUZZ_EXAMPLES",
                        "GVO_FUZZ_SEED"})
for _name in [n for n in os.environ if n.startswith("GVO_") and n not in TEST_KNOBS]:
    del os.environ[_name]

# Live server + Chromium fixtures for the browser tests of every feature (used on request only).
pytest_plugins = ["browser.fixtures"]

BASE = "https://localhost"
PASSWORD = "correct-horse-battery-staple"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def subprocess_env(**settings: str) -> dict[str, str]:
    """The environment for a GVO subprocess: this process's, no GVO_* setting but those given.

    Built explicitly, so a subprocess never inherits a GVO_* setting from the caller's shell
    even if something put one back into os.environ.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("GVO_") or k in TEST_KNOBS}
    env.update(settings)
    return env


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
def school(instance):
    """A school called Alpha (slug 'alpha'), MFA policy as new schools have it (required)."""
    instance.create_school("alpha", "Alpha Primary")
    return "alpha"


@pytest.fixture
def app(instance):
    """The web app bound to the test instance."""
    return create_app({"TESTING": True, "GVO_BASE_URL": BASE}, instance=instance)


class WebClient:
    """A test client that behaves like a browser: CSRF token from the last page, Referer set."""

    def __init__(self, flask_client):
        self.c = flask_client
        self.last_text = ""
        self.last = None

    def get(self, path, **kw):
        """GET a page and remember its CSRF token."""
        resp = self.c.get(path, base_url=BASE, **kw)
        self.last, self.last_text = resp, resp.get_data(as_text=True)
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
        self.last, self.last_text = resp, resp.get_data(as_text=True)
        return resp

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


@pytest.fixture
def make_user(instance, school):
    """Factory: make_user(slug, role, email=None, mfa=True) -> Person."""
    counter = {"n": 0}

    def make(slug="alpha", role="author", email=None, mfa=True, password=PASSWORD):
        counter["n"] += 1
        email = email or f"{role}{counter['n']}@example.org"
        conn = instance.db(slug)
        uid = accounts.add_user(conn, Identity.operator(), email=email, name=f"Test {role.title()}",
                                role=role, password=password)
        person = Person(uid, email, password, role, slug)
        if mfa:
            secret = pyotp.random_base32(32)
            # Enrol as if 90 s ago, so the code of "now" is still unused for the sign-in.
            real = gvo_clock._clock
            earlier = real() - 90
            gvo_clock.set_clock(lambda: earlier)
            try:
                code = pyotp.TOTP(secret).at(earlier)
                signin.enrol_totp(conn, Identity.operator(), uid, secret, code)
            finally:
                gvo_clock.set_clock(real)
            person.totp_secret = secret
        return person

    return make


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
