"""Signing in: password check, throttling, TOTP and recovery codes, MFA enrolment.

Rules live here; the web views only call these functions and show the result.
"""

from dataclasses import dataclass

from gvo.core import audit, clock
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.core.numbers import ascii_digits, is_digits
from gvo.people import settings
from gvo.people.accounts import get_user
from gvo.security import passwords, totp
from gvo.security.sessions import end_session, end_user_sessions
from gvo.storage.sqlcipher import Connection

WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_PAIR = 5        # one account from one address
MAX_FAILURES_PER_ADDRESS = 20    # one address, all accounts
ACCOUNT_PRESSURE = 10            # one account, all addresses: then every address goes slow
SLOW_SECONDS = 5 * 60            # under pressure: one failure per address per this long


class Throttled(InvalidInput):
    """Too many failed sign-ins; the message says for how long."""


class WrongPassword(InvalidInput):
    """A signed-in person's password, asked again, was not right."""


@dataclass
class PasswordResult:
    """The outcome of the password step."""

    user_id: int
    needs_totp: bool      # enrolled: ask for a code
    must_enrol: bool      # not enrolled but required: enrol before going on


def _minutes(seconds: float) -> int:
    return max(1, int(seconds // 60) + (1 if seconds % 60 else 0))


def check_throttle(conn: Connection, email: str, ip: str) -> None:
    """Raise Throttled if this account failed too often lately from this address, or this
    address failed too often on any accounts.

    Failures of both steps (password and code) count, in a window of 15 minutes:
    - one account from one address: 5, then that address waits;
    - one address over all accounts: 20, then it waits;
    - one account over all addresses: from 10 on, the account is under pressure and every
      address may fail on it only once per 5 minutes. An address with no recent failure
      (the real person on their own network) still gets straight through with the right
      password and code, so nobody can lock an account by failing on it from elsewhere.
    """
    now = clock.now()
    since = now - WINDOW_SECONDS
    rows = conn.execute(
        "SELECT ip, at FROM login_failures WHERE email = ? AND at > ?", (email, since)
    ).fetchall()
    here = sorted(r["at"] for r in rows if r["ip"] == ip)
    if len(here) >= MAX_FAILURES_PER_PAIR:
        _refuse_account(here[-MAX_FAILURES_PER_PAIR] + WINDOW_SECONDS - now)
    if len(rows) >= ACCOUNT_PRESSURE and here and now - here[-1] < SLOW_SECONDS:
        _refuse_account(here[-1] + SLOW_SECONDS - now)
    by_address = conn.execute(
        "SELECT count(*), min(at) FROM login_failures WHERE ip = ? AND at > ?", (ip, since)
    ).fetchone()
    if by_address[0] >= MAX_FAILURES_PER_ADDRESS:
        wait = by_address[1] + WINDOW_SECONDS - now
        raise Throttled(
            "Too many failed sign-ins from your network. Wait "
            f"{_minutes(wait)} minutes and try again."
        )


def _refuse_account(wait: float) -> None:
    raise Throttled(
        "Too many failed sign-ins for this account. For your security, wait "
        f"{_minutes(wait)} minutes and try again, or ask your clerk for help."
    )


def _fail(conn: Connection, email: str, ip: str, action: str, user_id=None, **detail) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT INTO login_failures(email, ip, at) VALUES (?, ?, ?)", (email, ip, clock.now())
        )
        conn.execute("DELETE FROM login_failures WHERE at < ?", (clock.now() - 86400,))
        audit.record(conn, Identity.claimed(user_id, email, ip), action,
                     f"user:{user_id}" if user_id else "", **detail)


def check_password(conn: Connection, email: str, password: str, ip: str) -> PasswordResult:
    """First step of sign-in. Raises InvalidInput with one vague message on any failure."""
    email = email.strip()
    try:
        check_throttle(conn, email, ip)
    except Throttled:
        with transaction(conn):
            audit.record(conn, Identity.claimed(None, email, ip), "login.throttled")
        raise
    user = conn.execute("SELECT * FROM users WHERE email = ?", (email,)).fetchone()
    ok = passwords.verify(user["password_hash"] if user else None, password)
    if not ok or user is None or user["role"] == "inactive":
        reason = "no such account" if user is None else (
            "inactive account" if ok else "wrong password")
        _fail(conn, email, ip, "login.failure", user["id"] if user else None, reason=reason)
        raise InvalidInput("That e-mail address and password do not match an active account.")
    if passwords.needs_rehash(user["password_hash"]):
        with transaction(conn):
            conn.execute("UPDATE users SET password_hash = ? WHERE id = ?",
                         (passwords.hash_password(password), user["id"]))
    enrolled = user["mfa_enrolled_at"] is not None
    required = settings.mfa_required(conn, user["role"])
    return PasswordResult(user["id"], needs_totp=enrolled, must_enrol=required and not enrolled)


def check_second_factor(conn: Connection, user_id: int, code: str, ip: str) -> str:
    """Second step: a TOTP code (once only) or an unused recovery code. Returns which was used."""
    user = get_user(conn, user_id)
    check_throttle(conn, user["email"], ip)
    cleaned = ascii_digits(code)
    if is_digits(cleaned):
        step = totp.matching_step(user["totp_secret"] or "", cleaned, clock.now(),
                                  user["totp_last_step"])
        if step is not None:
            with transaction(conn):
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
    _fail(conn, user["email"], ip, "login.mfa_failure", user_id)
    raise InvalidInput(
        "That code is not right, or was already used. Try the next code your app shows."
    )


def record_password_only_login(conn: Connection, user_id: int, ip: str) -> None:
    """Audit a sign-in that needed no second factor (policy allows it)."""
    user = get_user(conn, user_id)
    with transaction(conn):
        audit.record(conn, Identity.of_account(user, ip=ip), "login.success", f"user:{user_id}",
                     factor="password")


def enrol_totp(conn: Connection, actor: Identity, user_id: int, secret: str,
               code: str) -> list[str]:
    """Confirm a new authenticator with a code from it; returns 10 recovery codes to show once."""
    step = totp.matching_step(secret, code, clock.now(), 0)
    if step is None:
        raise InvalidInput(
            "That code does not match. Check your phone's clock and type the 6-digit code "
            "shown now."
        )
    with transaction(conn):
        conn.execute(
            "UPDATE users SET totp_secret = ?, totp_last_step = ?, mfa_enrolled_at = ?,"
            " updated_at = ? WHERE id = ?",
            (secret, step, clock.iso(), clock.iso(), user_id),
        )
        codes = _replace_recovery_codes(conn, user_id)
        audit.record(conn, actor, "mfa.enrol", f"user:{user_id}")
    return codes


def enrol_to_sign_in(conn: Connection, user_id: int, secret: str, code: str,
                     ip: str) -> list[str]:
    """The enrolment step of a sign-in the school requires two-step sign-in for: confirm the
    new authenticator (as `enrol_totp`) and record the sign-in, in one transaction. Returns
    the 10 recovery codes to show once; InvalidInput for a code that does not match."""
    who = Identity.of_account(get_user(conn, user_id), ip=ip)
    with transaction(conn):
        codes = enrol_totp(conn, who, user_id, secret, code)
        audit.record(conn, who, "login.success", f"user:{user_id}", factor="totp-enrolment")
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


def confirm_password(conn: Connection, actor: Identity, password: str) -> None:
    """Re-authentication: check a signed-in person's password before a change to how they
    sign in. Throttled and logged like a failed sign-in: raises Throttled, or WrongPassword."""
    user = get_user(conn, actor.user_id)
    check_throttle(conn, user["email"], actor.ip)
    if not passwords.verify(user["password_hash"], password):
        _fail(conn, user["email"], actor.ip, "reauth.failure", user["id"])
        raise WrongPassword("Your password is not right.")


def change_authenticator(conn: Connection, actor: Identity, password: str, secret: str,
                         code: str) -> list[str]:
    """A signed-in person sets up an authenticator (again), proving it is them with their
    password; returns 10 new recovery codes. InvalidInput for a wrong password or code."""
    confirm_password(conn, actor, password)
    return enrol_totp(conn, actor, actor.user_id, secret, code)


def regenerate_recovery_codes(conn: Connection, actor: Identity, password: str) -> list[str]:
    """Replace the actor's own recovery codes with 10 new ones (the old ones stop working),
    after checking their password. InvalidInput for a wrong password or no authenticator."""
    confirm_password(conn, actor, password)
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


def sign_out_everywhere(conn: Connection, who: Identity) -> int:
    """Sign `who` out on every device, this one included, and record it, in one
    transaction; returns how many sessions ended."""
    with transaction(conn):
        count = end_user_sessions(conn, who.user_id)
        audit.record(conn, who, "logout.everywhere", f"user:{who.user_id}", sessions=count)
    return count
