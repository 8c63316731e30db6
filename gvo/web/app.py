"""Wiring of the web layer: blueprints, access enforcement, security headers, error pages."""

import logging

from flask import Flask, Request, g, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter
from werkzeug.wsgi import ClosingIterator

from gvo.core import numbers
from gvo.security.sessions import SchoolSessionInterface
from gvo.storage.sqlcipher import OperationalError, is_busy
from gvo.web import access
from gvo.web.forms import csrf

log = logging.getLogger("gvo.web")

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
ERROR_TEXT = {
    400: ("Something in that request was wrong", "Go back, check what you entered and try again."),
    403: ("You can't open this page",
          "Your role does not include it. Ask your clerk if you need it."),
    404: ("Page not found", "The address may be mistyped, or the item was removed."),
    405: ("That action is not allowed here", "Go back and use the buttons on the page."),
    413: ("That file is too large", "The file is over this school's upload limit."),
    503: ("The office is busy", "Another change is being saved just now, so yours was not "
          "saved yet. Wait a few seconds and try again."),
    500: ("Something went wrong on our side", "Nothing you did. Try again in a minute; if it "
          "keeps happening, tell your clerk."),
}


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
    """

    def __init__(self, wsgi_app, instance):
        self.wsgi_app = wsgi_app
        self.instance = instance

    def __call__(self, environ, start_response):
        try:
            body = self.wsgi_app(environ, start_response)
        except BaseException:
            self.instance.release()
            raise
        return ClosingIterator(body, self.instance.release)


def init_app(app: Flask) -> None:
    """Attach GVO's request handling to the app."""
    from gvo.blueprints import admin, auth, home, library, meetings, profile, site

    # Before any blueprint: rules pick their converters when they are added.
    app.url_map.converters["int"] = SqliteIntConverter
    app.request_class = GvoRequest
    app.session_interface = SchoolSessionInterface()
    csrf.init_app(app)
    access.init_login(app)
    for bp in (site.bp, auth.bp, home.bp, profile.bp, admin.bp, library.bp, meetings.bp):
        app.register_blueprint(bp)

    app.before_request(_client_ip)
    app.before_request(access.enforce)
    app.after_request(_security_headers)
    app.context_processor(_template_globals)
    for code in ERROR_TEXT:
        app.register_error_handler(code, _error_page)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(OverflowError, _overflow)
    app.register_error_handler(OperationalError, _database_busy)
    app.wsgi_app = ReleaseConnections(app.wsgi_app, app.extensions["gvo"].instance)


def _client_ip() -> None:
    g.client_ip = request.remote_addr or ""


def _template_globals() -> dict:
    return {"htmx_file": HTMX_FILE, "school_slug": g.get("school"),
            "school_name": g.get("school_name")}


def _security_headers(response):
    h = response.headers
    h["Content-Security-Policy"] = CSP
    h["X-Content-Type-Options"] = "nosniff"
    h["X-Frame-Options"] = "DENY"
    h["Referrer-Policy"] = "same-origin"
    h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.is_secure:
        h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if g.get("school") and request.endpoint != "static":
        # Board papers and personal data must not linger in shared caches or the back button.
        h["Cache-Control"] = "no-store"
        h["Pragma"] = "no-cache"
    response.vary.add("HX-Request")
    response.vary.add("Cookie")
    return response


def _error_page(error):
    code = getattr(error, "code", 500) or 500
    title, hint = ERROR_TEXT.get(code, ERROR_TEXT[500])
    if code == 413 and request.blueprint:
        limit = request.max_content_length or 0
        hint = f"The most this school accepts is {limit // (1024 * 1024)} MB."
    signed = bool(g.get("school")) and current_user.is_authenticated
    return render_template("error.html", code=code, title=title, hint=hint,
                           signed_in=signed), code


def _overflow(error):
    """A number too large for SQLite that a view parsed by hand: bad input (400), not a 500.

    Routes and request.args/request.form refuse such numbers before a view runs; this is
    the backstop for numbers a view reads itself (e.g. int() of a form field, arithmetic).
    """
    log.warning("400 for %s %s: %s", request.method, request.path, error)
    return _error_page(BadRequest())


def _csrf_error(error):
    return render_template(
        "error.html", code=400, title="This form has expired",
        hint="For your security, forms stop working after a while or after signing in again. "
             "Go back, reload the page and try again.", signed_in=False,
    ), 400


RETRY_AFTER_SECONDS = 5
# Fields never shown back: secrets and the form's own token.
_UNSHOWN = ("csrf", "password", "code", "token", "secret")


def _database_busy(error):
    """A write that waited the whole busy timeout for the school's lock: 503, try again, with
    what the person typed shown back so nothing is lost. Any other database error is a 500."""
    if not is_busy(error):
        raise error
    title, hint = ERROR_TEXT[503]
    typed = []
    if request.mimetype == "application/x-www-form-urlencoded":
        typed = [(name, value) for name, value in request.form.items(multi=True)
                 if value.strip() and not any(word in name.lower() for word in _UNSHOWN)]
    signed = bool(g.get("school")) and current_user.is_authenticated
    body = render_template("busy.html", code=503, title=title, hint=hint, typed=typed,
                           signed_in=signed)
    return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
