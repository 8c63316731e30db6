"""Error pages, and the one mapping of service errors to responses, for every blueprint.

A school closed for a moment by its server (a live rekey, a move's last sync) is a 503
"back in a moment" with Retry-After; a school that moved to another server a 410 page
saying where it went. Services raise `gvo.core.errors`: NotFound (none, or hidden from this
person) is a 404, NotPermitted (their role does not allow it) a 403 saying who may, and
InvalidInput that no view handled a 400 with its message. A write that waited the whole
busy timeout for the school's lock is a 503 that shows back what was typed. Views catch
these only to do something else (show the message beside a form field); otherwise they
let them through.
"""

import logging

from flask import Flask, current_app, g, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest

from gvo.core.errors import InvalidInput, NotFound, NotPermitted, SchoolMoved, SchoolUnavailable
from gvo.storage.sqlcipher import OperationalError, is_busy
from gvo.web.access import login_manager, to_sign_in

log = logging.getLogger("gvo.web")

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
RETRY_AFTER_SECONDS = 5
# Fields never shown back: secrets and the form's own token.
_UNSHOWN = ("csrf", "password", "code", "token", "secret")


def init_app(app: Flask) -> None:
    """Register the error pages and the service-error mapping on the whole app."""
    for code in ERROR_TEXT:
        app.register_error_handler(code, _http_error)
    app.register_error_handler(NotFound, lambda exc: error_page(404))
    app.register_error_handler(NotPermitted, _not_permitted)
    app.register_error_handler(InvalidInput, _invalid_input)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(OverflowError, _overflow)
    app.register_error_handler(OperationalError, _database_busy)
    app.register_error_handler(SchoolUnavailable, _school_unavailable)
    app.register_error_handler(SchoolMoved, _school_moved)


def error_page(code: int, hint: str | None = None, *, text: tuple[str, str] | None = None):
    """The error page for HTTP status `code`: its title and hint (ERROR_TEXT; for a code it
    lacks, `text`, else a 500's), the hint replaced by `hint` when given. Returns (body, code).
    """
    title, default = ERROR_TEXT.get(code, text or ERROR_TEXT[500])
    return _render_error("error.html", code, title=title, hint=hint or default,
                         signed_in=_signed_in()), code


def _needs_member() -> bool:
    """Whether this request is for a school's page that only signed-in members may use."""
    view = current_app.view_functions.get(request.endpoint or "")
    rule = getattr(view, "gvo_access", None)
    return bool(g.get("school")) and rule is not None and rule.kind != "public"


def _signed_in() -> bool:
    """Whether a member of this request's school is signed in, for an error page.

    Never raises: finding out reads the database, which may be what failed (it stayed
    locked). Then the page is shown as to someone not signed in.
    """
    try:
        return bool(g.get("school")) and current_user.is_authenticated
    except Exception:  # noqa: BLE001 - an error page must not fail in turn
        log.warning("error page for %s shown as signed out: the member could not be read",
                    request.path)
        login_manager._update_request_context_with_user()  # anonymous for the page
        return False


def _render_error(template: str, code: int, **context) -> str:
    """An error page; if even that fails (the database that failed is read again while
    rendering), the same words on a bare page, so the answer is still the right one."""
    try:
        return render_template(template, code=code, **context)
    except Exception:  # noqa: BLE001 - an error page must not fail in turn
        log.exception("error page %s for %s failed; a bare one was sent", code, request.path)
        return current_app.jinja_env.get_template("bare_error.html").render(
            code=code, title=context["title"], hint=context["hint"])


def _http_error(error):
    original = getattr(error, "original_exception", None)
    if original is not None and is_busy(original):
        return _database_busy(original)  # an unhandled busy error: the busy page, not a 500
    code = getattr(error, "code", 500) or 500
    hint = None
    if code == 413 and request.blueprint:
        limit = request.max_content_length or 0
        hint = f"The most this school accepts is {limit // (1024 * 1024)} MB."
    return error_page(code, hint)


def _not_permitted(exc: NotPermitted):
    return error_page(403, f"You can't do that here: {str(exc).rstrip('.')}.")


def _invalid_input(exc: InvalidInput):
    """Bad input no view showed beside its form: 400 with the service's message."""
    log.warning("400 for %s %s: %s", request.method, request.path, exc)
    return error_page(400, str(exc))


def _overflow(error):
    """A number too large for SQLite that a view parsed by hand: bad input (400), not a 500.

    Routes and request.args/request.form refuse such numbers before a view runs; this is
    the backstop for numbers a view reads itself (e.g. int() of a form field, arithmetic).
    """
    log.warning("400 for %s %s: %s", request.method, request.path, error)
    return _http_error(BadRequest())


def _csrf_error(error):
    """A form or in-page action without a valid CSRF token. Where a member's page was acted on
    by someone no longer signed in (their session ended, so its token went with it), the
    answer is the sign-in page, as a whole page (`access.to_sign_in`); otherwise the form
    has expired (400)."""
    if _needs_member() and not _signed_in():
        return to_sign_in()
    return _render_error(
        "error.html", 400, title="This form has expired",
        hint="For your security, forms stop working after a while or after signing in again. "
             "Go back, reload the page and try again.", signed_in=False,
    ), 400


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
    body = _render_error("busy.html", 503, title=title, hint=hint, typed=typed,
                         signed_in=_signed_in())
    return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def _school_unavailable(_error):
    """The school's server closed it for a moment (gvo.replication.live): 503 with
    Retry-After, on a page that reads no school database (it is closed)."""
    body = render_template("bare_error.html", code=503, title="Back in a moment",
                           hint="The office is being looked after just now. Wait a few "
                                "seconds and try again: nothing you saved is lost.")
    return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def _school_moved(error: SchoolMoved):
    """The school moved to another server (`gvo school move`): every request, reads and
    writes, answers 410 with a page linking to where it is served now."""
    body = render_template("bare_error.html", code=410, title="This office has moved",
                           hint="It is now served at another address. Use the link below; "
                                "if it brings you back here, try again in a few minutes.",
                           moved_to=error.moved_to)
    return body, 410
