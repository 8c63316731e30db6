"""Who may use each route, declared on the view, enforced before every request.

Every view carries one declaration (`@public`, `@signed_in`, `@requires_role`,
`@requires`); a request to a view without one is refused, and a test walks
`app.url_map` so a route without a declaration never ships. School pages live
under `/<school>/`: the school comes from the URL and the connection from the
school, so a query can only ever reach that one school's file.
"""

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from flask import Blueprint, abort, current_app, flash, g, request, session, url_for
from flask_login import LoginManager, current_user

from gvo.core.errors import NotFound
from gvo.core.identity import CAPABILITIES, RANK, Identity
from gvo.people.accounts import Ended
from gvo.web.htmx import full_page_redirect, is_htmx

EXEMPT_ENDPOINTS = {"static"}
CREDENTIALS_KEY = "_credentials"  # session: the account's credential version at sign-in
MAX_NEXT_LENGTH = 2000
# Unicode categories refused in a `next` target: controls, format characters (such as
# bidi overrides), line and paragraph separators, surrogates, private-use, unassigned.
_INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


@dataclass(frozen=True)
class Rule:
    """A route's access declaration."""

    kind: str                 # public | signed_in | role | capability
    value: str = ""

    def describe(self) -> str:
        """The rule in words, for the route inventory."""
        return {
            "public": "anyone",
            "signed_in": "any signed-in member",
            "role": f"{self.value} or above",
            "capability": f"Managers and holders of {self.value}",
        }[self.kind]


def _declare(rule: Rule):
    def decorate(view):
        view.gvo_access = rule
        return view

    return decorate


def public(view):
    """Anyone, signed in or not (sign-in pages, health check)."""
    return _declare(Rule("public"))(view)


def signed_in(view):
    """Any active member of this school who has completed sign-in."""
    return _declare(Rule("signed_in"))(view)


def requires_role(role: str):
    """Members whose role is at least `role` (reader < author < editor < manager)."""
    if role not in RANK:
        raise ValueError(role)
    return _declare(Rule("role", role))


def requires(capability: str):
    """Managers, and members granted this capability."""
    if capability not in CAPABILITIES:
        raise ValueError(capability)
    return _declare(Rule("capability", capability))


login_manager = LoginManager()


def init_login(app) -> None:
    """Flask-Login for the app: its user object (`current_user`) is the request's Identity,
    an anonymous one for a visitor who has not signed in."""
    login_manager.init_app(app)
    login_manager.session_protection = None  # sessions are server-side and rotated at sign-in
    login_manager.user_loader(load_identity)
    login_manager.anonymous_user = lambda: Identity.anonymous(g.get("client_ip", ""))


def load_identity(user_id: str) -> Identity | None:
    """Flask-Login's user loader, run once per request: the signed-in person as an Identity,
    from the current school's database only (None outside a school, or for an unknown or
    inactive account)."""
    if not g.get("school"):
        return None
    # A session signed in before the account's credentials ended is not signed in, even if
    # it was saved after they ended (its code step finished just before): see
    # accounts.CREDENTIAL_EVENTS. Sessions from before versions were kept hold none.
    return Identity.load(db(), int(user_id), g.get("client_ip", ""),
                         credential_version=session.get(CREDENTIALS_KEY))


def db():
    """The current school's database connection (this thread's pooled connection)."""
    return current_app.extensions["gvo"].instance.db(g.school)


def current_identity() -> Identity:
    """The person acting in this request: the signed-in person, or an anonymous visitor
    (Flask-Login's `current_user`, built once per request)."""
    return current_user._get_current_object()


def draft_owner() -> str:
    """Who the text a browser keeps for "put back" belongs to: an opaque value per person and
    school (an HMAC of school and member id under the app's secret, 16 hex digits), or "" for
    someone not signed in. forms.js keys its drafts by it and drops the drafts of anyone else,
    so words typed by one person are never offered to the next person signing in on the same
    tab; the value names nobody and differs between schools and instances."""
    if not g.get("school") or not current_user.is_authenticated:
        return ""
    message = f"gvo-draft-owner:{g.school}:{current_user.id}".encode()
    return hmac.new(current_app.secret_key.encode(), message, hashlib.sha256).hexdigest()[:16]


def school_blueprint(name: str, import_name: str, **kwargs) -> Blueprint:
    """A blueprint whose routes live under /<school>/ and resolve that school first."""
    bp = Blueprint(name, import_name, url_prefix="/<school>", **kwargs)

    @bp.url_value_preprocessor
    def pull_school(endpoint, values):
        slug = (values or {}).pop("school", None)
        if not slug:
            abort(404)
        try:  # one look-up of the school: whether it is there, and its name
            record = current_app.extensions["gvo"].instance.school(slug)
        except NotFound:
            abort(404)
        g.school = slug
        g.school_name = record.name

    @bp.url_defaults
    def add_school(endpoint, values):
        if "school" not in values and g.get("school"):
            values["school"] = g.school

    return bp


def enforce() -> None:
    """before_request: apply the view's declaration; refuse views that declare nothing."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in EXEMPT_ENDPOINTS:
        return None
    view = current_app.view_functions.get(endpoint)
    rule: Rule | None = getattr(view, "gvo_access", None)
    if rule is None:
        abort(403)
    if rule.kind == "public":
        return None
    if not g.get("school"):
        abort(404)
    if not current_user.is_authenticated:
        return to_sign_in()
    if rule.kind == "role" and not current_user.at_least(rule.value):
        abort(403)
    if rule.kind == "capability" and not current_user.can(rule.value):
        abort(403)
    return None


SIGNED_OUT_IDLE = ("You were signed out because the office was left unused for a while. "
                   "Please sign in again.")
SIGNED_OUT = "You are signed out. Please sign in again to carry on where you were."


def to_sign_in():
    """The answer to a request that needs a signed-in member but has none (never signed
    in, the session timed out, or it was ended elsewhere): the sign-in page as a whole page.

    htmx requests get HX-Redirect (gvo.web.htmx), so the sign-in page is never swapped
    into a part of a page. A message says why when a session had ended or the request
    was an in-page action or a form sent. The way back (`next`) is the page asked for
    (GET), else the page the action was taken on (htmx's HX-Current-URL, or the Referer),
    if it is a clean path inside this school (`safe_next`).
    """
    if getattr(session, "expired", False):
        flash(SIGNED_OUT_IDLE, "info")
    elif is_htmx() or request.method != "GET":
        flash(SIGNED_OUT, "info")
    if request.method == "GET" and not is_htmx():
        nxt = request.full_path
    else:
        nxt = _local_path(request.headers.get("HX-Current-URL") or request.referrer)
    return full_page_redirect(url_for("auth.login", next=safe_next(nxt)),
                              302 if request.method == "GET" else 303)


def _local_path(url: str | None) -> str | None:
    """The path and query of `url` if it is on this server's origin, else None."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.netloc and parts.netloc != request.host:
        return None
    if parts.scheme and parts.scheme != request.scheme:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def safe_next(target: str | None) -> str | None:
    """A `next` target only if it is a clean path inside the current school, else None.

    Refused: anything with a scheme or host (open redirect), backslashes, `//`, dot
    segments, and control or other invisible characters, raw or percent-encoded (a CR LF
    would otherwise split the Location header). Never raises.
    """
    if not isinstance(target, str) or not target or not g.get("school"):
        return None
    if len(target) > MAX_NEXT_LENGTH:
        return None
    target = target.rstrip("?")
    decoded = unquote(target)
    if any(unicodedata.category(ch) in _INVISIBLE for ch in target + decoded):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:  # such as an unclosed "[" in a host
        return None
    path = unquote(parts.path)
    if "\\" in decoded or parts.scheme or parts.netloc or parts.fragment:
        return None
    if not path.startswith(f"/{g.school}/") or "//" in path:
        return None
    if any(segment in (".", "..") for segment in path.split("/")):
        return None
    return target


def mark_signed_in(member_id: int, credential_version: int) -> None:
    """Complete sign-in: a new session id holding only the signed-in member.

    Everything the session held before (the sign-in steps' state, half-made forms) is
    dropped so nothing from before sign-in carries over; messages to show are kept. The
    session holds `credential_version`, the account's when its password was checked: if
    the account's is another by now, or changes later, the session is not signed in.
    """
    from flask_login import login_user

    flashes = session.get("_flashes")
    session.rotate()
    session.clear()
    if flashes:
        session["_flashes"] = flashes
    session[CREDENTIALS_KEY] = credential_version
    login_user(Identity.load(db(), member_id, g.get("client_ip", "")))


def keep_signed_in(ended: Ended) -> None:
    """The session that ended its own account's credentials (a password change) and was
    kept: it holds the account's new credential version, so it stays signed in."""
    session[CREDENTIALS_KEY] = ended.credential_version
