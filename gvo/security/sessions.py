"""Server-side sessions, one cookie per school, stored in the school's database.

The cookie holds a random token; the database holds only its SHA-256, the
session data, and when it was made and last used. So a session can be
revoked (sign-out, "sign out everywhere", a Manager, a password change), and
idle and absolute timeouts are enforced on the server. Over HTTPS the cookie
is `__Host-gvo-<slug>` (Secure, HttpOnly, SameSite=Lax, Path=/).

A visitor who has not started signing in has no row: what such a session holds (only
the CSRF token of its forms and messages to show, `CLIENT_KEYS`) travels in the same
cookie, signed with the app's secret for this school (itsdangerous, as Flask's own
cookie sessions). So anonymous GETs (sign-in pages, set-up links) write nothing to
the school's database; the row is made when the session first holds anything else,
at the password step of sign-in, under a new random token (decision 0003).
"""

import hashlib
import json
import logging
import secrets

from flask import Flask, Request, Response, g
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import CallbackDict

from gvo.core import clock
from gvo.core.errors import SchoolMoved, SchoolUnavailable
from gvo.storage.instance import RESERVED_SLUGS, SLUG_RULE
from gvo.storage.sqlcipher import OperationalError, is_busy

log = logging.getLogger("gvo.sessions")

TOUCH_EVERY_SECONDS = 60  # refresh last_seen at most once a minute: fewer writes to replicate
TOUCH_SHARE = 10          # ... and at least 10 times per idle timeout, however short it is
# What an anonymous session may hold in its signed cookie: anything else (a sign-in in
# progress, a signed-in member) makes it a row in the school's database.
CLIENT_KEYS = frozenset({"csrf_token", "_flashes"})


def touch_every(idle_timeout: float) -> float:
    """How stale a session's last_seen may get before a request refreshes it (seconds).

    At most a minute (fewer writes to replicate), and at most a tenth of the idle timeout,
    so a person active more often than the timeout is never signed out as idle.
    """
    return min(TOUCH_EVERY_SECONDS, idle_timeout / TOUCH_SHARE)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    """A session whose data lives in the school database."""

    def __init__(self, initial=None, *, slug=None, token=None, last_seen=0.0, expired=False,
                 failure: Exception | None = None, stale_cookie: bool = False):
        def on_update(_self):
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.slug = slug
        self.token = token
        self.last_seen = last_seen
        self.expired = expired  # the previous session timed out (say so on the sign-in page)
        # The stored session could not be read (say, the database stayed locked): raised by
        # raise_failure once the request runs, where the error pages can answer; the session
        # is never saved, so the person's cookie and stored session are left as they were.
        self.failure = failure
        # The request's cookie names no live session (expired, ended, unknown): the answer
        # drops it, unless it sets another.
        self.stale_cookie = stale_cookie
        self.modified = False
        self.new = token is None
        self.rotate_requested = False
        self.end_requested = False

    def rotate(self) -> None:
        """Give the session a new id (at sign-in) so a planted id is worthless."""
        self.rotate_requested = True
        self.modified = True

    def end(self) -> None:
        """Delete the session (sign-out); anything added afterwards (a flash) starts a new one."""
        self.clear()
        self.end_requested = True
        self.modified = True


def cookie_name(slug: str, secure: bool) -> str:
    """The school's session cookie name."""
    return f"__Host-gvo-{slug}" if secure else f"gvo-{slug}"


def client_serializer(app: Flask, slug: str) -> URLSafeTimedSerializer:
    """Signs an anonymous session's data for the cookie of school `slug` (a value signed
    for one school is refused by every other)."""
    return URLSafeTimedSerializer(app.secret_key, salt=f"gvo-anonymous-session:{slug}")


def is_client_value(value: str) -> bool:
    """Whether a cookie value is signed session data rather than a server token (tokens are
    `secrets.token_urlsafe`, which never holds a dot; signed values always do)."""
    return "." in value


def needs_row(session: "ServerSession") -> bool:
    """Whether the session must live in the database: it has a row already, or holds
    something other than CLIENT_KEYS (a sign-in in progress, a signed-in member)."""
    return session.token is not None or any(key not in CLIENT_KEYS for key in session)


def school_from_path(path: str) -> str | None:
    """The first path segment, the school's slug under /<school>/..., if it can be one."""
    first = path.lstrip("/").split("/", 1)[0]
    return first or None


class SchoolSessionInterface(SessionInterface):
    """Loads and saves ServerSession objects for the school named in the URL."""

    def _db(self, app: Flask, slug: str):
        inst = app.extensions["gvo"].instance
        if slug in RESERVED_SLUGS or not SLUG_RULE.match(slug) or not inst.has_school(slug):
            return None
        return inst.db(slug)

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        """The session for this request's school, or an empty one that is never saved.

        Never raises: Flask opens the session before its error handling starts, so an
        exception here was a bare 500 whose error page failed too (no session to render
        with). The error is kept in the session (`failure`, never saved) and raised when
        the request runs (raise_failure): a locked database then answers with the "office
        is busy" page (503), like any other request that meets the lock, anything else with
        the error page.
        """
        # Sessions open before URL matching, so the school is read from the path itself.
        slug = school_from_path(request.path)
        if not slug:
            return ServerSession()
        try:
            return self._open(app, request, slug)
        except Exception as exc:  # noqa: BLE001 - every failure is raised again, later
            if not is_busy(exc) and not isinstance(exc, (SchoolUnavailable, SchoolMoved)):
                log.exception("session for %s could not be opened", slug)
            return ServerSession(slug=slug, failure=exc)

    def _open(self, app: Flask, request: Request, slug: str) -> ServerSession:
        conn = self._db(app, slug)
        if conn is None:
            return ServerSession()
        token = request.cookies.get(cookie_name(slug, request.is_secure))
        if not token:
            return ServerSession(slug=slug)
        cfg = app.config
        if is_client_value(token):
            return self._open_client(app, slug, token)
        row = conn.execute("SELECT * FROM sessions WHERE id_hash = ?", (_hash(token),)).fetchone()
        if row is None:
            return ServerSession(slug=slug, stale_cookie=True)
        now = clock.now()
        if (now - row["last_seen"] > cfg["GVO_IDLE_TIMEOUT"]
                or now - row["created_at"] > cfg["GVO_ABSOLUTE_TIMEOUT"]):
            # Not deleted here (a read must not write): refused from now on, and pruned
            # when the next session of the school is stored.
            return ServerSession(slug=slug, expired=row["user_id"] is not None,
                                 stale_cookie=True)
        try:
            data = json.loads(row["data"])
        except ValueError:
            data = None
        if not isinstance(data, dict):  # unreadable: as if there were none (sign in again)
            log.warning("session data of %s unreadable: ignored", slug)
            return ServerSession(slug=slug)
        return ServerSession(data, slug=slug, token=token, last_seen=row["last_seen"])

    @staticmethod
    def _open_client(app: Flask, slug: str, value: str) -> ServerSession:
        """An anonymous session from its signed cookie; a bad or old signature, or data
        beyond CLIENT_KEYS, is no session (a new one starts)."""
        try:
            data = client_serializer(app, slug).loads(
                value, max_age=app.config["GVO_ABSOLUTE_TIMEOUT"])
        except BadSignature:  # SignatureExpired included
            return ServerSession(slug=slug, stale_cookie=True)
        if not isinstance(data, dict) or not set(data) <= CLIENT_KEYS:
            return ServerSession(slug=slug, stale_cookie=True)
        return ServerSession(data, slug=slug)

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:
        """Write the session back (or delete it) and set the cookie.

        When the school's database stays locked past the busy timeout (a long write holds
        it), the session is left as it was rather than turning a finished answer into an
        error: a missed `last_seen` touch is harmless, and a changed session (a new sign-in
        step, a message) is retried by the person's next request.
        """
        try:
            self._save(app, session, response)
        except OperationalError as exc:
            if not is_busy(exc):
                raise
            log.warning("session for %s not saved: the database stayed locked", session.slug)

    def _save(self, app: Flask, session: ServerSession, response: Response) -> None:
        if not isinstance(session, ServerSession) or not session.slug or session.failure:
            return
        conn = self._db(app, session.slug)
        if conn is None:
            return
        from flask import request

        secure = request.is_secure
        name = cookie_name(session.slug, secure)
        now = clock.now()
        if session.end_requested:
            if session.token:
                end_session(conn, session.token)
                session.token = None
            if not session:
                response.delete_cookie(name, path="/", secure=secure, httponly=True,
                                       samesite="Lax")
                return
        if session.rotate_requested and session.token:
            end_session(conn, session.token)
            session.token = None
        if not needs_row(session):
            self._save_client(app, session, response, name, secure)
            return
        user_id = session.get("_user_id")
        if session.token is None:
            session.token = secrets.token_urlsafe(32)
            conn.execute(
                "INSERT INTO sessions(id_hash, user_id, data, created_at, last_seen, ip,"
                " user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (_hash(session.token), int(user_id) if user_id else None,
                 json.dumps(dict(session)), now, now, g.get("client_ip", ""),
                 (request.user_agent.string or "")[:200]),
            )
            # Sessions past their idle or absolute timeout are pruned as new ones are made
            # (reading an expired session does not delete it: a read writes nothing).
            conn.execute(
                "DELETE FROM sessions WHERE last_seen < ? OR created_at < ?",
                (now - app.config["GVO_IDLE_TIMEOUT"], now - app.config["GVO_ABSOLUTE_TIMEOUT"]),
            )
        elif session.modified:
            cur = conn.execute(
                "UPDATE sessions SET data = ?, user_id = ?, last_seen = ? WHERE id_hash = ?",
                (json.dumps(dict(session)), int(user_id) if user_id else None, now,
                 _hash(session.token)),
            )
            if cur.rowcount == 0:  # revoked while this request ran: do not resurrect it
                response.delete_cookie(name, path="/", secure=secure, httponly=True,
                                       samesite="Lax")
                return
        elif now - session.last_seen >= touch_every(app.config["GVO_IDLE_TIMEOUT"]):
            conn.execute("UPDATE sessions SET last_seen = ? WHERE id_hash = ?",
                         (now, _hash(session.token)))
            return
        else:
            return
        response.set_cookie(name, session.token, path="/", secure=secure, httponly=True,
                            samesite="Lax")

    @staticmethod
    def _save_client(app: Flask, session: ServerSession, response: Response, name: str,
                     secure: bool) -> None:
        """An anonymous session: its data into the signed cookie, the database untouched."""
        if session:
            if session.modified or session.stale_cookie:
                value = client_serializer(app, session.slug).dumps(dict(session))
                response.set_cookie(name, value, path="/", secure=secure, httponly=True,
                                    samesite="Lax")
        elif session.stale_cookie or session.modified:
            response.delete_cookie(name, path="/", secure=secure, httponly=True,
                                   samesite="Lax")


def end_session(conn, token: str) -> None:
    """Delete the session whose cookie holds `token`."""
    conn.execute("DELETE FROM sessions WHERE id_hash = ?", (_hash(token),))


def raise_failure() -> None:
    """before_request (the first): raise the database error that kept this request's
    session from opening (ServerSession.failure), so the error handlers answer it."""
    from flask import session

    failure = getattr(session, "failure", None)
    if failure is not None:
        raise failure


def end_user_sessions(conn, user_id: int, *, except_token: str | None = None) -> int:
    """Delete a user's sessions (all, or all but the current one); returns how many."""
    if except_token:
        cur = conn.execute("DELETE FROM sessions WHERE user_id = ? AND id_hash != ?",
                           (user_id, _hash(except_token)))
    else:
        cur = conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
    return cur.rowcount


def active_sessions(conn, user_id: int) -> list:
    """A user's live sessions, newest use first (for the profile page)."""
    return conn.execute(
        "SELECT id_hash, created_at, last_seen, ip, user_agent FROM sessions"
        " WHERE user_id = ? ORDER BY last_seen DESC", (user_id,)
    ).fetchall()


def is_current(session: ServerSession, id_hash: str) -> bool:
    """Whether a stored session row is this request's own session."""
    return bool(session.token) and _hash(session.token) == id_hash
