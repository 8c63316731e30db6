"""Signing in: password check, TOTP and recovery codes, MFA enrolment (throttling is
gvo.security.throttle).

Rules live here; the web views only call these functions and show the result.
"""

from dataclasses import dataclass

from gvo.core import addresses, audit, clock
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.core.numbers import ascii_digits, is_digits
from gvo.people import oidc_signin, settings
from gvo.people.accounts import WrongPassword as WrongPassword  # re-exported: views catch it here
from gvo.people.accounts import confirm_password, get_user, notify_account
from gvo.security import passkeys, passwords, throttle, totp
from gvo.security.sessions import end_session
from gvo.security.throttle import Throttled as Throttled  # re-exported, as WrongPassword
from gvo.storage.sqlcipher import Connection

VERIFY, ENROL = "verify", "enrol"  # the step a sign-in in progress is at, after the password


class SignInVoid(InvalidInput):
    """A sign-in in progress can no longer finish (the account changed since its password
    step); the message says why and to sign in again."""


@dataclass
class PasswordResult:
    """The outcome of the password step."""

    user_id: int
    needs_totp: bool      # enrolled (authenticator app or passkey): ask for the second step
    must_enrol: bool      # not enrolled but required: enrol before going on
    credential_version: int  # the account's, now: the next step finishes only if unchanged


def check_password(conn: Connection, email: str, password: str, ip: str) -> PasswordResult:
    """First step of sign-in. Raises InvalidInput with one vague message on any failure."""
    email = addresses.lookup_form(email)
    throttle.check(conn, email, ip, step=throttle.PASSWORD, audit_as="login.throttled")
    user = conn.execute("SELECT * FROM users WHERE email = ?", (email,)).fetchone()
    ok = passwords.verify(user["password_hash"] if user else None, password)
    if not ok or user is None or user["role"] == "inactive":
        reason = "no such account" if user is None else (
            "inactive account" if ok else "wrong password")
        throttle.record_failure(conn, email, ip, "login.failure", step=throttle.PASSWORD,
                                user_id=user["id"] if user else None, reason=reason)
        raise InvalidInput("That e-mail address and password do not match an active account.")
    oidc_signin.check_password_allowed(conn, user, ip)
    if passwords.needs_rehash(user["password_hash"]):
        # Hashed before the transaction (Argon2id takes a good part of a second), so the
        # school's write lock is held only for the UPDATE; a password changed meanwhile wins.
        fresh = passwords.hash_password(password)
        with transaction(conn):
            conn.execute("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?",
                         (fresh, user["id"], user["password_hash"]))
    enrolled = has_second_factor(conn, user)
    required = settings.mfa_required(conn, user["role"])
    return PasswordResult(user["id"], needs_totp=enrolled, must_enrol=required and not enrolled,
                          credential_version=user["credential_version"])


def pending_account(conn: Connection, user_id, credential_version, step: str):
    """The account of a sign-in in progress (its password step passed) if that sign-in may
    still finish at `step` (VERIFY or ENROL); else SignInVoid, whose message says why.

    It may not if the account is gone or inactive, if its credential version is not the
    one the password step saw (a password was set, sessions were ended everywhere, two-step
    sign-in was reset: accounts.CREDENTIAL_EVENTS), or if the step's premise went: VERIFY
    needs an authenticator, ENROL needs none (never replace one without the password again).
    """
    row = None
    if isinstance(user_id, int):  # from the session: never trusted to be the right type
        row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None or row["role"] == "inactive":
        raise SignInVoid("Please sign in again.")
    enrolled = has_second_factor(conn, row)
    if step == VERIFY and not enrolled:
        raise SignInVoid("Two-step sign-in was reset for your account. Sign in again with "
                         "your password to set it up on your phone.")
    if step == ENROL and enrolled:
        raise SignInVoid("Two-step sign-in is already set up for your account. Sign in again "
                         "and type the code from your authenticator app.")
    if row["credential_version"] != credential_version:
        raise SignInVoid("Your account's sign-in details changed since you typed your "
                         "password (a new password, or a sign-out everywhere). Please sign "
                         "in again.")
    return row


def has_second_factor(conn: Connection, user) -> bool:
    """Whether a users row has a second step to pass: an authenticator app, or a passkey."""
    return (user["mfa_enrolled_at"] is not None and bool(user["totp_secret"])) or \
        passkeys.has_any(conn, user["id"])


def _still_pending(conn: Connection, user_id: int, credential_version: int) -> None:
    """Inside the transaction that finishes a sign-in: its account's credentials are still
    those of its password step (a change committed meanwhile voids it)."""
    now = conn.execute("SELECT credential_version FROM users WHERE id = ?",
                       (user_id,)).fetchone()
    if now is None or now[0] != credential_version:
        raise SignInVoid("Your account's sign-in details changed since you typed your "
                         "password. Please sign in again.")


def check_second_factor(conn: Connection, user_id: int, credential_version: int, code: str,
                        ip: str) -> str:
    """Second step: a TOTP code (once only) or an unused recovery code, for the sign-in
    whose password step saw `credential_version`. Returns which was used ("totp" or
    "recovery").

    Raises SignInVoid if that sign-in can no longer finish (pending_account), Throttled
    (gvo.security.throttle: per address, and wrong codes per account from all addresses),
    InvalidInput for a wrong or used code (counted as a failure of the code step).
    """
    user = pending_account(conn, user_id, credential_version, VERIFY)
    throttle.check(conn, user["email"], ip, step=throttle.CODE, audit_as="login.throttled",
                   user_id=user_id)
    cleaned = ascii_digits(code)
    if is_digits(cleaned) and user["totp_secret"]:
        step = totp.matching_step(user["totp_secret"], cleaned, clock.now(),
                                  user["totp_last_step"])
        if step is not None:
            with transaction(conn):
                _still_pending(conn, user_id, credential_version)
                # Conditional update: two requests racing with one code cannot both win.
                cur = conn.execute(
                    "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?",
                    (step, user_id, step),
                )
                if cur.rowcount == 1:
                    audit.record(conn, Identity.of_account(user, ip=ip), "login.success",
                                 f"user:{user_id}", factor="totp")
                    return "totp"
    else:
        hashed = totp.hash_recovery_code(cleaned)
        with transaction(conn):
            _still_pending(conn, user_id, credential_version)
            cur = conn.execute(
                "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ?"
                " AND used_at IS NULL",
                (clock.iso(), user_id, hashed),
            )
            if cur.rowcount == 1:
                left = conn.execute(
                    "SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL",
                    (user_id,),
                ).fetchone()[0]
                audit.record(conn, Identity.of_account(user, ip=ip), "login.success",
                             f"user:{user_id}", factor="recovery_code", recovery_codes_left=left)
                return "recovery"
    throttle.record_failure(conn, user["email"], ip, "login.mfa_failure", step=throttle.CODE,
                            user_id=user_id)
    raise InvalidInput(
        "That code is not right, or was already used. Try the next code your app shows."
    )


def record_password_only_login(conn: Connection, user_id: int, ip: str) -> None:
    """Audit a sign-in that needed no second factor (policy allows it)."""
    user = get_user(conn, user_id)
    with transaction(conn):
        audit.record(conn, Identity.of_account(user, ip=ip), "login.success", f"user:{user_id}",
                     factor="password")


def enrol_at_sign_in(conn: Connection, user_id: int, credential_version: int, secret: str,
                     code: str, ip: str) -> list[str]:
    """The enrolment step of a sign-in the school requires two-step sign-in for: confirm the
    new authenticator with a code from it and record the sign-in, in one transaction;
    returns 10 recovery codes to show once. SignInVoid if the sign-in can no longer finish
    (pending_account), InvalidInput for a code that does not match."""
    user = pending_account(conn, user_id, credential_version, ENROL)
    who = Identity.of_account(user, ip=ip)
    with transaction(conn):
        _still_pending(conn, user_id, credential_version)
        codes = enrol_totp(conn, who, user_id, secret, code)
        audit.record(conn, who, "login.success", f"user:{user_id}", factor="totp-enrolment")
    return codes


def enrol_totp(conn: Connection, actor: Identity, user_id: int, secret: str,
               code: str) -> list[str]:
    """Confirm a new authenticator with a code from it; returns 10 recovery codes to show
    once. The owner is told by e-mail (accounts.notify_account)."""
    step = totp.matching_step(secret, code, clock.now(), 0)
    if step is None:
        raise InvalidInput(
            "That code does not match. Check your phone's clock and type the 6-digit code "
            "shown now."
        )
    user = get_user(conn, user_id)
    with transaction(conn):
        conn.execute(
            "UPDATE users SET totp_secret = ?, totp_last_step = ?, mfa_enrolled_at = ?,"
            " updated_at = ? WHERE id = ?",
            (secret, step, clock.iso(), clock.iso(), user_id),
        )
        codes = _replace_recovery_codes(conn, user_id)
        audit.record(conn, actor, "mfa.enrol", f"user:{user_id}")
        notify_account(conn, actor, user, "Two-step sign-in was set up on a new device for "
                       "your account" if user["mfa_enrolled_at"] else
                       "Two-step sign-in was set up for your account")
    return codes



def _replace_recovery_codes(conn: Connection, user_id: int) -> list[str]:
    """Ten new recovery codes stored hashed in place of the old (inside a transaction)."""
    codes = totp.new_recovery_codes()
    conn.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))
    conn.executemany(
        "INSERT INTO recovery_codes(user_id, code_hash) VALUES (?, ?)",
        [(user_id, totp.hash_recovery_code(c)) for c in codes],
    )
    return codes


def change_authenticator(conn: Connection, actor: Identity, password: str, secret: str,
                         code: str) -> list[str]:
    """A signed-in person sets up an authenticator (again), proving it is them with their
    password; returns 10 new recovery codes. InvalidInput for a wrong password or code."""
    confirm_password(conn, actor, password, purpose="new authenticator")
    return enrol_totp(conn, actor, actor.user_id, secret, code)


def regenerate_recovery_codes(conn: Connection, actor: Identity, password: str) -> list[str]:
    """Replace the actor's own recovery codes with 10 new ones (the old ones stop working),
    after checking their password. InvalidInput for a wrong password or no authenticator."""
    confirm_password(conn, actor, password, purpose="new recovery codes")
    user_id = actor.user_id
    if get_user(conn, user_id)["mfa_enrolled_at"] is None:
        raise InvalidInput("Set up two-step sign-in first.")
    with transaction(conn):
        codes = _replace_recovery_codes(conn, user_id)
        audit.record(conn, actor, "mfa.recovery_codes", f"user:{user_id}")
    return codes


def recovery_codes_left(conn: Connection, user_id: int) -> int:
    """How many unused recovery codes a user has."""
    return conn.execute(
        "SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", (user_id,)
    ).fetchone()[0]


def sign_out(conn: Connection, who: Identity, session_token: str | None) -> None:
    """Sign `who` out of this browser: its session (the token it holds) ends and the
    sign-out is recorded, in one transaction."""
    with transaction(conn):
        if session_token:
            end_session(conn, session_token)
        audit.record(conn, who, "logout", f"user:{who.user_id}")

