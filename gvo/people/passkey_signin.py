"""Signing in with a passkey: as the second step after the password, or, where the school
allows it (the setting PASSKEY_SIGNIN), on its own. Throttled and audited like password
sign-in (gvo.security.throttle; "login.success", "login.failure", "login.mfa_failure",
"login.throttled"). The ceremony itself is gvo.security.passkeys.
"""

from gvo.core import audit
from gvo.core.atomic import transaction
from gvo.core.identity import Identity
from gvo.people import settings
from gvo.people.signin import VERIFY, SignInVoid, _still_pending, pending_account
from gvo.security import passkeys, throttle
from gvo.security.passkeys import PasskeyRefused, RelyingParty
from gvo.storage.sqlcipher import Connection

PASSKEY_SIGNIN = "passkey_signin"  # school setting: "1" lets people sign in with a passkey alone


def signin_allowed(conn: Connection) -> bool:
    """Whether this school lets people sign in with a passkey alone (off unless a Manager
    turns it on)."""
    return settings.get(conn, PASSKEY_SIGNIN) == "1"


def set_signin_allowed(conn: Connection, actor: Identity, allowed: bool) -> None:
    """A Manager lets people sign in with a passkey alone, or stops it; audited
    "school.passkey_signin"."""
    with transaction(conn):
        old = signin_allowed(conn)
        settings.put(conn, PASSKEY_SIGNIN, "1" if allowed else "0")
        audit.record(conn, actor, "school.passkey_signin", "school", old=old, new=allowed)


def second_factor(conn: Connection, rp: RelyingParty, user_id, credential_version, kept,
                  credential_json: str, ip: str) -> None:
    """The second step of the sign-in whose password step saw `credential_version`, with one
    of that account's passkeys (the browser's answer as JSON, to the challenge `kept`).

    Raises SignInVoid if that sign-in can no longer finish, Throttled (the code step's
    rules), PasskeyRefused (audited "login.mfa_failure" and counted as a failed code). On
    success audits "login.success" with factor "passkey".
    """
    user = pending_account(conn, user_id, credential_version, VERIFY)
    throttle.check(conn, user["email"], ip, step=throttle.CODE, audit_as="login.throttled",
                   user_id=user_id)
    who = Identity.of_account(user, ip=ip)
    row = passkeys.claimed(conn, credential_json)
    if row is not None and row["user_id"] != user_id:
        row = None  # another account's passkey proves nothing about this one
    try:
        passkeys.verify_assertion(conn, rp, kept, credential_json, row, who)
    except PasskeyRefused as exc:
        throttle.record_failure(conn, user["email"], ip, "login.mfa_failure",
                                step=throttle.CODE, user_id=user_id, factor="passkey",
                                reason=exc.reason[:200])
        raise
    with transaction(conn):
        _still_pending(conn, user_id, credential_version)
        audit.record(conn, who, "login.success", f"user:{user_id}", factor="passkey",
                     passkey=row["id"])


def sign_in(conn: Connection, rp: RelyingParty, kept, credential_json: str,
            ip: str) -> tuple[int, int]:
    """Sign in with a passkey alone (a discoverable credential with user verification, so
    two factors in one): returns (user id, credential version) of its account.

    Raises SignInVoid if the school does not allow it, Throttled (the password step's
    rules, by the account the passkey names and the address), PasskeyRefused for a passkey
    that is unknown, of an inactive account or does not verify (each audited
    "login.failure" and counted as a failed password). On success audits "login.success"
    with factor "passkey-only".
    """
    if not signin_allowed(conn):
        raise SignInVoid("This school does not let people sign in with a passkey alone. "
                         "Sign in with your password.")
    row = passkeys.claimed(conn, credential_json)
    user = conn.execute("SELECT * FROM users WHERE id = ?",
                        (row["user_id"],)).fetchone() if row is not None else None
    email, user_id = (user["email"], user["id"]) if user is not None else ("", None)
    throttle.check(conn, email, ip, step=throttle.PASSWORD, audit_as="login.throttled",
                   user_id=user_id)
    try:
        if user is not None and user["role"] == "inactive":
            raise PasskeyRefused("That passkey is not registered here (it may have been "
                                 "removed).", "inactive account")
        who = Identity.of_account(user, ip=ip) if user is not None else Identity.claimed(
            None, "", ip)
        passkeys.verify_assertion(conn, rp, kept, credential_json, row, who)
    except PasskeyRefused as exc:
        throttle.record_failure(conn, email, ip, "login.failure", step=throttle.PASSWORD,
                                user_id=user_id, factor="passkey", reason=exc.reason[:200])
        raise
    with transaction(conn):
        audit.record(conn, who, "login.success", f"user:{user_id}", factor="passkey-only",
                     passkey=row["id"])
    return user_id, user["credential_version"]
