"""Signing in: password check, throttling, TOTP and recovery codes, MFA enrolment.

Rules live here; the web views only call these functions and show the result.
"""

from dataclasses import dataclass

from gvo import audit, clock, school_settings
from gvo.errors import InvalidInput
from gvo.people import Actor, get_user
from gvo.security import passwords, totp
from gvo.storage.sqlcipher import Connection, transaction

WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


class Throttled(InvalidInput):
    """Too many failed sign-ins; the message says for how long."""


@dataclass
class PasswordResult:
    """The outcome of the password step."""

    user_id: int
    needs_totp: bool      # enrolled: ask for a code
    must_enrol: bool      # not enrolled but required: enrol before going on


def _minutes(seconds: float) -> int:
    return max(1, int(seconds // 60) + (1 if seconds % 60 else 0))


def check_throttle(conn: Connection, email: str, ip: str) -> None:
    """Raise Throttled if this account or this address failed too often lately."""
    since = clock.now() - WINDOW_SECONDS
    by_account = conn.execute(
        "SELECT count(*), min(at) FROM login_failures WHERE email = ? AND at > ?", (email, since)
    ).fetchone()
    if by_account[0] >= MAX_FAILURES_PER_ACCOUNT:
        wait = by_account[1] + WINDOW_SECONDS - clock.now()
        raise Throttled(
            "Too many failed sign-ins for this account. For your security, wait "
            f"{_minutes(wait)} minutes and try again, or ask your clerk for help."
        )
    by_address = conn.execute(
        "SELECT count(*), min(at) FROM login_failures WHERE ip = ? AND at > ?", (ip, since)
    ).fetchone()
    if by_address[0] >= MAX_FAILURES_PER_ADDRESS:
        wait = by_address[1] + WINDOW_SECONDS - clock.now()
        raise Throttled(
            "Too many failed sign-ins from your network. Wait "
            f"{_minutes(wait)} minutes and try again."
        )


def _fail(conn: Connection, email: str, ip: str, action: str, user_id=None, **detail) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT INTO login_failures(email, ip, at) VALUES (?, ?, ?)", (email, ip, clock.now())
        )
        conn.execute("DELETE FROM login_failures WHERE at < ?", (clock.now() - 86400,))
        audit.record(conn, action, target=f"user:{user_id}" if user_id else "",
                     actor_id=user_id, actor_email=email, ip=ip, **detail)


def check_password(conn: Connection, email: str, password: str, ip: str) -> PasswordResult:
    """First step of sign-in. Raises InvalidInput with one vague message on any failure."""
    email = email.strip()
    try:
        check_throttle(conn, email, ip)
    except Throttled:
        audit.record(conn, "login.throttled", actor_email=email, ip=ip)
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
    required = school_settings.mfa_required(conn, user["role"])
    return PasswordResult(user["id"], needs_totp=enrolled, must_enrol=required and not enrolled)


def check_second_factor(conn: Connection, user_id: int, code: str, ip: str) -> str:
    """Second step: a TOTP code (once only) or an unused recovery code. Returns which was used."""
    user = get_user(conn, user_id)
    check_throttle(conn, user["email"], ip)
    cleaned = "".join(code.split())
    if cleaned.isdigit():
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
                    audit.record(conn, "login.success", target=f"user:{user_id}",
                                 actor_id=user_id, actor_email=user["email"], ip=ip, factor="totp")
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
                audit.record(conn, "login.success", target=f"user:{user_id}", actor_id=user_id,
                             actor_email=user["email"], ip=ip, factor="recovery_code",
                             recovery_codes_left=left)
                return "recovery"
    _fail(conn, user["email"], ip, "login.mfa_failure", user_id)
    raise InvalidInput(
        "That code is not right, or was already used. Try the next code your app shows."
    )


def record_password_only_login(conn: Connection, user_id: int, ip: str) -> None:
    """Audit a sign-in that needed no second factor (policy allows it)."""
    user = get_user(conn, user_id)
    audit.record(conn, "login.success", target=f"user:{user_id}", actor_id=user_id,
                 actor_email=user["email"], ip=ip, factor="password")


def enrol_totp(conn: Connection, actor: Actor, user_id: int, secret: str, code: str) -> list[str]:
    """Confirm a new authenticator with a code from it; returns 10 recovery codes to show once."""
    step = totp.matching_step(secret, code, clock.now(), 0)
    if step is None:
        raise InvalidInput(
            "That code does not match. Check your phone's clock and type the 6-digit code "
            "shown now."
        )
    codes = totp.new_recovery_codes()
    with transaction(conn):
        conn.execute(
            "UPDATE users SET totp_secret = ?, totp_last_step = ?, mfa_enrolled_at = ?,"
            " updated_at = ? WHERE id = ?",
            (secret, step, clock.iso(), clock.iso(), user_id),
        )
        conn.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))
        conn.executemany(
            "INSERT INTO recovery_codes(user_id, code_hash) VALUES (?, ?)",
            [(user_id, totp.hash_recovery_code(c)) for c in codes],
        )
        audit.record(conn, "mfa.enrol", target=f"user:{user_id}", actor_id=actor.user_id,
                     actor_email=actor.email, ip=actor.ip)
    return codes


def regenerate_recovery_codes(conn: Connection, actor: Actor, user_id: int) -> list[str]:
    """Replace a user's recovery codes with 10 new ones (the old ones stop working)."""
    codes = totp.new_recovery_codes()
    with transaction(conn):
        conn.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))
        conn.executemany(
            "INSERT INTO recovery_codes(user_id, code_hash) VALUES (?, ?)",
            [(user_id, totp.hash_recovery_code(c)) for c in codes],
        )
        audit.record(conn, "mfa.recovery_codes", target=f"user:{user_id}",
                     actor_id=actor.user_id, actor_email=actor.email, ip=actor.ip)
    return codes


def recovery_codes_left(conn: Connection, user_id: int) -> int:
    """How many unused recovery codes a user has."""
    return conn.execute(
        "SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", (user_id,)
    ).fetchone()[0]
