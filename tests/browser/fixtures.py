"""Browser fixtures: a live GVO on waitress, one Chromium per session, a fresh context per test.

A pytest plugin (tests/conftest.py names it in `pytest_plugins`), so the browser tests of
every feature (tests/browser, tests/library, ...) share one server and one Chromium.

The server is the real thing: a temporary instance with real SQLCipher files,
the app built by `create_app` (not in TESTING mode) and served by waitress on
127.0.0.1 and a free port, in a background thread. Over plain http on
loopback the session cookie is `gvo-<slug>` and CSRF's strict-referer check
does not apply, as for `gvo serve` without a proxy.

Chromium is Debian's /usr/bin/chromium (`make test` installs it). When it is
missing the browser tests fail with a message saying so: they never skip.
"""

import contextlib
import itertools
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyotp
import pytest
import waitress
from waitress import wasyncore

from gvo import create_app
from gvo.core import clock as gvo_clock
from gvo.core import identity
from gvo.core.identity import Identity
from gvo.people import accounts, signin
from gvo.storage.instance import Instance

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SLUG = "alpha"
SCHOOL_NAME = "Alpha Primary"
PASSWORD = "correct-horse-battery-staple"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
# Set GVO_BROWSER_SCREENSHOTS=/some/dir to keep screenshots of key pages (never committed).
SCREENSHOTS = os.environ.get("GVO_BROWSER_SCREENSHOTS")


@dataclass
class LiveServer:
    """The running office: its origin, its instance, and a way to add people."""

    origin: str
    instance: Instance
    slug: str = SLUG
    _n: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, path: str = "/") -> str:
        """An absolute URL on the server for a path inside the school (e.g. '/login')."""
        return f"{self.origin}/{self.slug}{path}"

    def add_person(self, role: str = "author", *, mfa: bool = True, name: str | None = None,
                   email: str | None = None) -> "BrowserPerson":
        """A new member of the school who can sign in; with mfa, an authenticator is enrolled.

        Name and e-mail address are made up (and unique) unless given.
        """
        n = next(self._n)
        email = email or f"{role}{n}@example.org"
        name = name or f"Sam {role.title()} {n}"
        conn = self.instance.db(self.slug)
        uid = accounts.add_user(conn, Identity.operator(), email=email, name=name, role=role,
                                password=PASSWORD)
        secret = None
        if mfa:
            secret = pyotp.random_base32(32)
            # Enrol with the previous step's code (accepted: one step either side), so the
            # code of "now" is still unused when the browser signs in, without moving the clock
            # of a server that is running.
            previous = pyotp.TOTP(secret).at(gvo_clock.now() - 30)
            signin.enrol_totp(conn, Identity.operator(), uid, secret, previous)
        return BrowserPerson(uid, email, name, role, PASSWORD, secret)


@dataclass
class BrowserPerson:
    """Someone the browser signs in as."""

    id: int
    email: str
    name: str
    role: str
    password: str
    totp_secret: str | None

    @property
    def role_label(self) -> str:
        """The role as the pages show it."""
        return identity.ROLE_LABELS[self.role]

    def code(self) -> str:
        """The authenticator code of now."""
        assert self.totp_secret, f"{self.email} has no authenticator"
        return pyotp.TOTP(self.totp_secret).now()


@contextlib.contextmanager
def serve(inst: Instance, name: str = "127.0.0.1") -> Iterator[str]:
    """Serve `inst` with GVO on waitress at 127.0.0.1:<free port>, in a background thread;
    yields the origin ("http://NAME:PORT", NAME the address or a name for it, such as
    "localhost": passkeys need a name) and stops the server cleanly afterwards."""
    app = create_app({}, instance=inst)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4, ident="GVO")
    origin = f"http://{name}:{server.effective_port}"
    app.config["GVO_BASE_URL"] = origin  # for set-up links; known once the port is
    thread = threading.Thread(target=server.run, name="gvo-waitress", daemon=True)
    thread.start()
    try:
        yield origin
    finally:
        # Close every socket from inside the server's own loop, so it ends cleanly.
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
        inst.close()
        assert not thread.is_alive(), "the waitress thread did not stop"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """GVO served by waitress on 127.0.0.1:<free port> from a temporary instance."""
    inst = Instance.init(tmp_path_factory.mktemp("browser") / "instance", environ={})
    inst.create_school(SLUG, SCHOOL_NAME)
    with serve(inst) as origin:
        yield LiveServer(origin, inst)


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The demo office (Riverside Primary, as `gvo demo` makes it), served like live_server.

    Its people sign in with `demo.PASSWORD` and no second step (the demo relaxes it)."""
    from gvo.people import demo

    inst = Instance.init(tmp_path_factory.mktemp("demo") / "instance", environ={})
    demo.create(inst)
    with serve(inst) as origin:
        yield LiveServer(origin, inst, slug=demo.SLUG)


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole session."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium. "
            "Run `make test` (it installs it) or `sudo apt-get install chromium`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                      headless=True)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        pw.stop()


@pytest.fixture
def new_context(browser):
    """Factory of fresh browser contexts (own cookies and storage); closed after the test."""
    made = []

    def make(**options):
        options.setdefault("locale", "en-GB")
        ctx = browser.new_context(**options)
        ctx.set_default_timeout(10_000)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture
def page(new_context):
    """A page in a fresh desktop-sized context."""
    return new_context(viewport={"width": 1280, "height": 800}).new_page()


def sign_in(page, server: LiveServer, person: BrowserPerson) -> None:
    """Sign in through the real pages as a person would, ending on the home page."""
    page.goto(server.url("/login"))
    fill_password_step(page, person)
    page.wait_for_url(server.url("/login/verify"))
    page.get_by_label("Code").fill(person.code())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url("/"))


def end_session_elsewhere(context, server: LiveServer, other=None) -> None:
    """End the session of `context` from another tab (`other`, else a new one, closed after):
    "Sign out" there, as someone would in a second tab."""
    tab = other or context.new_page()
    tab.goto(server.url("/"))
    tab.get_by_role("button", name="Sign out").click()
    tab.wait_for_url("**/login")
    if other is None:
        tab.close()


def sign_in_here(page, person: BrowserPerson, code: str) -> None:
    """Both sign-in steps on the sign-in page `page` already shows, with `code` (an
    authenticator code or a recovery code)."""
    fill_password_step(page, person)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()


def fill_password_step(page, person: BrowserPerson) -> None:
    """Step one of sign-in: e-mail and password, then Continue."""
    page.get_by_label("E-mail address").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Continue").click()


def screenshot(page, name: str) -> None:
    """Keep a full-page screenshot when GVO_BROWSER_SCREENSHOTS names a directory."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)
