"""Throttling of secret checks: sign-in's password and code steps, and the password asked
again of a signed-in person (to change it, or how they sign in).

Every failure is one row of `login_failures` (account e-mail, client address, time, step),
kept for a day. Within 15 minutes (README, "Security, in short"):

- one account from one address: 5 failures, then that address waits;
- one address over all accounts: 20 failures, then it waits;
- one account over all addresses: from 10 failures on, the account is under pressure and
  every address may fail on it only once per 5 minutes. An address with no recent failure
  (the real person on their own network) still gets straight through with the right
  password and code, so nobody can lock an account by failing on it from elsewhere.

And within 24 hours, one account's wrong codes (authenticator or recovery code) over all
addresses: 10, then the code step of that account is refused from everywhere. Only someone
who knows the password reaches the code step, so only they can cause this; a new password
(a set-up link from the clerk) ends it. Without it, the password and a few thousand
addresses would guess a 6-digit code within days (ASVS 2.2.1, anti-automation).
"""

import math
from pathlib import Path

from gvo.core import audit, clock
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.ops import metrics
from gvo.storage.sqlcipher import Connection, after_commit, database_path

WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_PAIR = 5        # one account from one address
MAX_FAILURES_PER_ADDRESS = 20    # one address, all accounts
ACCOUNT_PRESSURE = 10            # one account, all addresses: then every address goes slow
SLOW_SECONDS = 5 * 60            # under pressure: one failure per address per this long
CODE_WINDOW_SECONDS = 24 * 3600
MAX_CODE_FAILURES_PER_ACCOUNT = 10  # wrong codes of one account, all addresses, in a day
KEEP_SECONDS = 24 * 3600         # failures older than this are deleted

PASSWORD, CODE = "password", "code"  # the step that failed
# "Forgotten password" requests (gvo.people.recovery) are counted too, each one (it sends
# mail), apart from sign-in failures: at most MAX_RESETS_PER_ACCOUNT per account over all
# addresses and MAX_RESETS_PER_ADDRESS per address over all accounts, within the window.
RESET = "reset"
MAX_RESETS_PER_ACCOUNT = 3
MAX_RESETS_PER_ADDRESS = 10


class Throttled(InvalidInput):
    """Too many failures; the message says for how long. `limit` names the rule that
    refused (for the audit log)."""

    def __init__(self, message: str, limit: str):
        super().__init__(message)
        self.limit = limit


def _wait_words(seconds: float) -> str:
    """A wait in words: whole minutes, rounded up ("1 minute", "15 minutes"), or hours
    (rounded up) when it is over two hours."""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes > 120:
        return f"{math.ceil(minutes / 60)} hours"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _refuse_account(wait: float, limit: str) -> None:
    raise Throttled(
        "Too many failed sign-ins for this account. For your security, wait "
        f"{_wait_words(wait)} and try again, or ask your clerk for help.", limit)


def _reset_refusal(conn: Connection, email: str, ip: str) -> None:
    """Raise Throttled if one more "forgotten password" request would be too many."""
    now = clock.now()
    since = now - WINDOW_SECONDS
    for column, value, most, words in (
            ("email", email, MAX_RESETS_PER_ACCOUNT, "for this address"),
            ("ip", ip, MAX_RESETS_PER_ADDRESS, "from your network")):
        row = conn.execute(
            f"SELECT count(*), min(at) FROM login_failures WHERE {column} = ? AND step = ?"
            " AND at > ?", (value, RESET, since)).fetchone()
        if row[0] >= most:
            raise Throttled(f"Too many requests for a new password {words}. Wait "
                            f"{_wait_words(row[1] + WINDOW_SECONDS - now)} and try again.",
                            f"reset {column}")


def _refusal(conn: Connection, email: str, ip: str, step: str) -> None:
    """Raise Throttled if a failure of `step` from `ip` on `email` would be one too many."""
    if step == RESET:
        _reset_refusal(conn, email, ip)
        return
    now = clock.now()
    since = now - WINDOW_SECONDS
    rows = conn.execute(
        "SELECT ip, at, step FROM login_failures WHERE email = ? AND at > ? AND step != ?",
        (email, now - max(WINDOW_SECONDS, CODE_WINDOW_SECONDS), RESET),
    ).fetchall()
    recent = [r for r in rows if r["at"] > since]
    here = sorted(r["at"] for r in recent if r["ip"] == ip)
    if len(here) >= MAX_FAILURES_PER_PAIR:
        _refuse_account(here[-MAX_FAILURES_PER_PAIR] + WINDOW_SECONDS - now, "account+address")
    if step == CODE:
        codes = sorted(r["at"] for r in rows if r["step"] == CODE
                       and r["at"] > now - CODE_WINDOW_SECONDS)
        if len(codes) >= MAX_CODE_FAILURES_PER_ACCOUNT:
            wait = codes[-MAX_CODE_FAILURES_PER_ACCOUNT] + CODE_WINDOW_SECONDS - now
            raise Throttled(
                "Too many wrong codes for this account, from wherever they came. For your "
                f"security, signing in to it is paused for {_wait_words(wait)}. If the codes "
                "were not yours, someone knows your password: ask your clerk for a set-up "
                "link to choose a new one (that also ends the pause).", "account codes")
    if len(recent) >= ACCOUNT_PRESSURE and here and now - here[-1] < SLOW_SECONDS:
        _refuse_account(here[-1] + SLOW_SECONDS - now, "account pressure")
    by_address = conn.execute(
        "SELECT count(*), min(at) FROM login_failures WHERE ip = ? AND at > ? AND step != ?",
        (ip, since, RESET)).fetchone()
    if by_address[0] >= MAX_FAILURES_PER_ADDRESS:
        wait = by_address[1] + WINDOW_SECONDS - now
        raise Throttled(
            "Too many failed sign-ins from your network. Wait "
            f"{_wait_words(wait)} and try again.", "address")


def check(conn: Connection, email: str, ip: str, *, step: str, audit_as: str,
          user_id: int | None = None) -> None:
    """Refuse a secret check before it is made if its account, address or both failed too
    often lately (the rules are in this module's docstring).

    `email` is the account as typed (or the user's), `ip` the client address, `step`
    PASSWORD or CODE. A refusal is audited as `audit_as` (e.g. "login.throttled") with the
    step and the rule, then raised as Throttled, whose message says how long to wait.
    """
    try:
        _refusal(conn, email, ip, step)
    except Throttled as exc:
        with transaction(conn):
            audit.record(conn, Identity.claimed(user_id, email, ip), audit_as,
                         f"user:{user_id}" if user_id else "", step=step, limit=exc.limit)
        raise


def record_failure(conn: Connection, email: str, ip: str, action: str, *, step: str,
                   user_id: int | None = None, **detail) -> None:
    """Count a failed secret check (one transaction with its audit entry `action`, which
    never holds the secret) and forget failures older than a day; counted in the metrics
    (gvo_signin_failures_total) by school and action."""
    path = database_path(conn)
    with transaction(conn):
        count(conn, email, ip, step)
        audit.record(conn, Identity.claimed(user_id, email, ip), action,
                     f"user:{user_id}" if user_id else "", step=step, **detail)
        if path is not None:  # a school's database: its folder is named by the slug
            after_commit(conn, lambda: metrics.signin_failed(Path(path).parent.name, action))


def count(conn: Connection, email: str, ip: str, step: str) -> None:
    """Count one attempt of `step` (a failure, or a RESET request) inside the caller's
    transaction, and forget those older than a day."""
    now = clock.now()
    conn.execute("INSERT INTO login_failures(email, ip, at, step) VALUES (?, ?, ?, ?)",
                 (email, ip, now, step))
    conn.execute("DELETE FROM login_failures WHERE at < ?", (now - KEEP_SECONDS,))


def forget_code_failures(conn: Connection, email: str) -> None:
    """Forget an account's wrong codes (when it gets a new password: whoever guessed codes
    with the old one has to start again from the password)."""
    conn.execute("DELETE FROM login_failures WHERE email = ? AND step = ?", (email, CODE))
