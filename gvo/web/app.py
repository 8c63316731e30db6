"""Wiring of the web layer: blueprints, access enforcement, security headers; error pages
and the answers to service errors are gvo.web.errors'."""

from flask import Flask, Request, g, request, session
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.wsgi import ClosingIterator

from gvo.blueprints import (
    actions,
    admin,
    auth,
    auth_devices,
    auth_oidc,
    discussions,
    governance,
    home,
    library,
    meetings,
    passkeys,
    policies,
    profile,
    share,
    site,
    skills,
    training,
    unsubscribe,
)
from gvo.core import audit, dates, numbers
from gvo.security.sessions import SchoolSessionInterface, raise_failure
from gvo.storage import reads
from gvo.web import access, errors, observe, paging
from gvo.web.forms import SignedTokens, csrf

HTMX_FILE = "vendor/htmx-2.0.11.min.js"
# Strict CSP (DESIGN.md, Web): no inline script or style, nothing from other hosts.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


def sqlite_int(value) -> int:
    """A whole number SQLite can store, from text (for `request.args.get(..., type=int)`).

    Raises ValueError for text that is not a whole number or is outside SQLite's signed
    64-bit INTEGER range (so Werkzeug treats it like any other bad value: the default).
    """
    number = int(value)
    if not numbers.SQLITE_MIN <= number <= numbers.SQLITE_MAX:
        raise ValueError(f"{value!r} is out of range")
    return number


class SqliteIntConverter(IntegerConverter):
    """`<int:...>` in every route: a number above SQLite's largest INTEGER matches no route.

    So /library/documents/<2**64> is a 404 like any other missing id, not an OverflowError.
    """

    def __init__(self, map, fixed_digits=0, min=None, max=numbers.SQLITE_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class BoundedMultiDict(ImmutableMultiDict):
    """Query-string and form values where `type=int` also refuses numbers SQLite cannot hold."""

    def get(self, key, default=None, type=None):  # noqa: A002 - Werkzeug's signature
        """As MultiDict.get; with type=int an out-of-range number gives the default."""
        return super().get(key, default, sqlite_int if type is int else type)

    def getlist(self, key, type=None):  # noqa: A002 - Werkzeug's signature
        """As MultiDict.getlist; with type=int out-of-range numbers are left out."""
        return super().getlist(key, sqlite_int if type is int else type)


class GvoRequest(Request):
    """Flask's request, with bounded whole numbers in request.args and request.form."""

    parameter_storage_class = BoundedMultiDict


class ReleaseConnections:
    """WSGI middleware: once a response is over (its body sent, or the client gone), the
    serving thread's school connections go back to the instance's pool.

    Not at Flask's teardown: a streamed body (a document download) still reads the
    school database after the view returned. waitress closes the body in the thread
    that served the request, so the connections released are that request's.

    Also opens the request's memo of pure reads (`gvo.storage.reads.scope`): a service
    marked `@reads.once` reads a fact once per request. A streamed body, read after the
    view returned, reads without it.
    """

    def __init__(self, wsgi_app, instance):
        self.wsgi_app = wsgi_app
        self.instance = instance

    def __call__(self, environ, start_response):
        try:
            with reads.scope():
                body = self.wsgi_app(environ, start_response)
        except BaseException:
            self.instance.release()
            raise
        return ClosingIterator(body, self.instance.release)


def init_app(app: Flask) -> None:
    """Attach GVO's request handling to the app."""
    # Before any blueprint: rules pick their converters when they are added.
    app.url_map.converters["int"] = SqliteIntConverter
    app.request_class = GvoRequest
    app.session_interface = SchoolSessionInterface()
    # First, before CSRF's check too: a session that did not open (a locked database, a
    # school closed for a rekey or moved away) answers alone; before, a form sent then was
    # "This form has expired" (its token is in the session that did not open). Only the
    # request timer (gvo.web.observe) goes earlier: it times the requests that fail here too.
    observe.init_app(app)
    app.before_request(raise_failure)
    csrf.init_app(app)
    access.init_login(app)
    for bp in (site.bp, auth.bp, auth_oidc.bp, passkeys.bp, auth_devices.bp, home.bp,
               profile.bp, admin.bp, library.bp, meetings.bp, actions.bp, discussions.bp,
               policies.bp, governance.bp, skills.bp, training.bp, share.bp, unsubscribe.bp):
        app.register_blueprint(bp)

    app.before_request(_client_ip)
    app.before_request(access.enforce)
    SignedTokens().init_app(app)  # one per app: a token is signed with the app's secret
    app.after_request(_security_headers)
    app.context_processor(_template_globals)
    for name, show in dates.FILTERS.items():  # every date and time on every page
        app.add_template_filter(show, name)
    app.add_template_filter(audit.describe, "audit_entry")
    app.add_template_filter(audit.action_label, "audit_action")
    errors.init_app(app)
    paging.init_app(app)
    app.wsgi_app = ReleaseConnections(app.wsgi_app, app.extensions["gvo"].instance)


def _client_ip() -> None:
    g.client_ip = request.remote_addr or ""


def _template_globals() -> dict:
    return {"htmx_file": HTMX_FILE, "school_slug": g.get("school"),
            "school_name": g.get("school_name"), "draft_owner": access.draft_owner()}


def _public_and_cookieless(response) -> bool:
    """Whether a school's response may stay as its view marked it: one the view declared
    cacheable by anyone (`Cache-Control: public`, the public governance page) whose session
    will set or delete no cookie (the session is saved after this runs, so its state is read
    here, not the headers). Anything else from a school is no-store."""
    return (bool(response.cache_control.public) and not session.modified
            and not getattr(session, "stale_cookie", False))


def _security_headers(response):
    h = response.headers
    if "Content-Security-Policy" not in h:  # files carry their own (downloads.FILE_CSP)
        h["Content-Security-Policy"] = CSP
    h["X-Content-Type-Options"] = "nosniff"
    h["X-Frame-Options"] = "DENY"
    h["Referrer-Policy"] = "same-origin"
    h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.is_secure:
        h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if g.get("school") and request.endpoint != "static" and not _public_and_cookieless(response):
        # Board papers and personal data must not linger in shared caches or the back button.
        h["Cache-Control"] = "no-store"
        h["Pragma"] = "no-cache"
    response.vary.add("HX-Request")
    response.vary.add("Cookie")
    return response
