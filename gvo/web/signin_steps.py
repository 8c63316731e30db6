"""The sign-in in progress in this browser, between its first step (a password, or the
school's OpenID Connect provider) and the second (a code, a passkey, or setting up an
authenticator), shared by the routes of every way of signing in (gvo/blueprints/auth.py,
auth_oidc.py, passkeys.py). Blueprints never import one another, so it lives here.
"""

from flask import flash, redirect, session, url_for

from gvo.core import clock
from gvo.people import signin
from gvo.people.signin import ENROL, VERIFY
from gvo.web.access import mark_signed_in, safe_next

SIGNIN_SECONDS = 10 * 60


def start(result: signin.PasswordResult, step: str, next_target: str | None) -> None:
    """Record a passed password step as the one sign-in in progress in this browser.

    The whole state lives in one session entry, `signin`: whose sign-in, the account's
    credential version then (the next step finishes only if it is unchanged), which step
    comes next (VERIFY a code, or ENROL an authenticator), when it started, where to go
    after, and the key being enrolled. Each password step replaces it whole, so nothing of
    an earlier attempt (another person's step, key or target, a passkey challenge) carries
    into this one.
    """
    session["signin"] = {"user_id": result.user_id, "credentials": result.credential_version,
                         "step": step, "started_at": clock.now(), "next": next_target,
                         "enrol_secret": None}


def pending(step: str) -> dict | None:
    """The sign-in in progress if it is at `step` and started in the last 10 minutes."""
    state = session.get("signin")
    if not isinstance(state, dict) or state.get("step") != step:
        return None
    if not 0 <= clock.now() - state.get("started_at", 0) < SIGNIN_SECONDS:
        return None
    return state


def finish(user_id: int, credential_version: int, next_target: str | None):
    """Complete a sign-in: the signed-in session, then the page asked for (or home)."""
    target = safe_next(next_target) or url_for("home.index")
    # Clears the sign-in state with the rest of the session.
    mark_signed_in(user_id, credential_version)
    return redirect(target)


def void(exc: signin.SignInVoid):
    """End a sign-in in progress that can no longer finish: back to step one, saying why."""
    session.pop("signin", None)
    flash(str(exc), "info")
    return redirect(url_for("auth.login"))


def next_step(result, next_target: str | None):
    """After a first step passed (`result` with `user_id`, `credential_version`,
    `needs_totp`, `must_enrol`): the code step, the authenticator's set-up, or signed in."""
    if result.needs_totp:
        start(result, VERIFY, next_target)
        return redirect(url_for("auth.verify"))
    if result.must_enrol:
        start(result, ENROL, next_target)
        return redirect(url_for("auth.enrol"))
    return finish(result.user_id, result.credential_version, next_target)
