"""Trusted devices: after a two-step sign-in, a browser may be trusted for the school's
number of days, so that account's later sign-ins there ask only for the password.

What it is (issue 18; README, "Signing in"):

- The school's Managers choose the number of days (`trust_days`, 0 = never, at most
  MAX_TRUST_DAYS); a person who has just passed the code step (authenticator or recovery
  code) may tick "trust this device".
- The browser gets a cookie of the school (`cookie_name`) holding a random token (256 bits);
  the database keeps only its SHA-256, with the account, when it was made and last used,
  the client addresses and a short description of the browser.
- The device skips only the code step: the password step comes first and is throttled and
  audited as always (gvo.people.signin.check_password); only for its own account, in its
  own school (each school's database holds its own devices); only until it expires, on the
  server (`expires_at`, and never longer than the school's days now allow; 0 turns every
  device off).
- It stops working when it is removed: by its owner (profile page), by a Manager, or by any
  event that ends the account's credentials (gvo.people.accounts.CREDENTIAL_EVENTS: sign
  out everywhere, a new password by any route, a reset of two-step sign-in, sessions ended
  by a Manager, made inactive).
- Managers and Editors always sign in strongly: a trusted device counts as their second
  step only because it was earned by one (a code step), and it goes with every reset of
  that step.

Every use, refusal, trust and removal is audited (ASVS 2.5, 3.3; issue 18 acceptance 4).
"""

import hashlib
import secrets
from dataclasses import dataclass

from gvo.core import audit, clock, events
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.people.accounts import get_user, may_act_on
from gvo.storage.sqlcipher import Connection

TRUST_DAYS_KEY = "trusted_device_days"
MAX_TRUST_DAYS = 90
DAY = 24 * 3600
SUMMARY_CHARS = 60


def cookie_name(slug: str, secure: bool) -> str:
    """The school's trusted-device cookie: `__Host-gvo-<slug>_device` over HTTPS (Secure,
    Path=/, no Domain), else `gvo-<slug>_device`. The underscore keeps it apart from every
    school's session cookie (gvo.security.sessions.cookie_name: slugs hold none)."""
    return f"__Host-gvo-{slug}_device" if secure else f"gvo-{slug}_device"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def trust_days(conn: Connection) -> int:
    """For how many days a browser may be trusted in this school (0: never)."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?",
                       (TRUST_DAYS_KEY,)).fetchone()
    try:
        return max(0, min(MAX_TRUST_DAYS, int(row["value"]))) if row else 0
    except ValueError:
        return 0


def set_trust_days(conn: Connection, actor: Identity, days: int) -> None:
    """A Manager sets for how many days a browser may be trusted (0 to MAX_TRUST_DAYS; 0
    turns trusted devices off, and every device trusted before stops working); audited as
    "school.trusted_device_days". InvalidInput outside that range."""
    if not isinstance(days, int) or not 0 <= days <= MAX_TRUST_DAYS:
        raise InvalidInput(f"Give a number of days from 0 to {MAX_TRUST_DAYS}.")
    with transaction(conn):
        old = trust_days(conn)
        conn.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key)"
                     " DO UPDATE SET value = excluded.value", (TRUST_DAYS_KEY, str(days)))
        audit.record(conn, actor, "school.trusted_device_days", "school", old=old, new=days)


def summary(user_agent: str) -> str:
    """A short description of a browser from its User-Agent ("Mobile Safari on iOS"), by
    ua-parser's rules; "Unknown browser" when they know it not."""
    from ua_parser import parse

    found = parse(user_agent or "")
    browser = found.user_agent.family if found.user_agent else ""
    system = found.os.family if found.os else ""
    words = " on ".join(w for w in (browser, system) if w and w != "Other")
    return (words or "Unknown browser")[:SUMMARY_CHARS]


@dataclass(frozen=True)
class Trusted:
    """A device just trusted: the cookie's token (shown to no one but the browser) and
    for how long it lasts (seconds, the cookie's Max-Age)."""

    token: str
    max_age: int


def _account(conn: Connection, user_id: int, credential_version: int):
    """The account, if its credentials are still those its sign-in saw; else None."""
    row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None or row["role"] == "inactive" or row["credential_version"] != credential_version:
        return None
    return row


def trust(conn: Connection, user_id: int, credential_version: int, ip: str,
          user_agent: str) -> Trusted | None:
    """Trust this browser for the account `user_id`, which has just passed its code step
    (with `credential_version`, the account's at its password step). Returns the token and
    lifetime for the cookie; None when the school does not allow trusted devices or the
    account's credentials changed meanwhile. Audited as "device.trust"."""
    days = trust_days(conn)
    if days == 0:
        return None
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with transaction(conn):
        user = _account(conn, user_id, credential_version)
        if user is None:
            return None
        cur = conn.execute(
            "INSERT INTO trusted_devices(user_id, token_hash, created_at, expires_at, ip,"
            " last_ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (user_id, _hash(token), now, now + days * DAY, ip, ip, summary(user_agent)))
        audit.record(conn, Identity.of_account(user, ip=ip), "device.trust", f"user:{user_id}",
                     device=cur.lastrowid, days=days)
    return Trusted(token, days * DAY)


def _refusal(row, user_id: int, days: int, now: float) -> str | None:
    """Why a stored device may not stand for the code step of `user_id`, or None."""
    if row is None:
        return "unknown or removed"
    if row["user_id"] != user_id:
        return "another account's"
    if days == 0:
        return "trusted devices are off"
    if now >= min(row["expires_at"], row["created_at"] + days * DAY):
        return "expired"
    return None


def sign_in(conn: Connection, token: str, user_id: int, credential_version: int,
            ip: str) -> bool:
    """Whether the device whose cookie holds `token` stands for the code step of the
    sign-in of `user_id`, whose password step (throttled, audited) has just passed with
    `credential_version`. If it does, its use is recorded (when, from where) and the
    sign-in audited as "login.success" with factor "trusted_device"; if a token is given
    but may not stand (unknown or removed, another account's, expired, trusted devices
    off), that is audited as "device.refused" and the code step is asked for."""
    if not token:
        return False
    now = clock.now()
    with transaction(conn):
        user = _account(conn, user_id, credential_version)
        if user is None:
            return False
        who = Identity.of_account(user, ip=ip)
        row = conn.execute("SELECT * FROM trusted_devices WHERE token_hash = ?",
                           (_hash(token),)).fetchone()
        why = _refusal(row, user_id, trust_days(conn), now)
        if why is not None:
            audit.record(conn, who, "device.refused", f"user:{user_id}", reason=why)
            return False
        conn.execute("UPDATE trusted_devices SET last_used_at = ?, last_ip = ? WHERE id = ?",
                     (now, ip, row["id"]))
        audit.record(conn, who, "login.success", f"user:{user_id}", factor="trusted_device",
                     device=row["id"])
    return True


def list_for(conn: Connection, user_id: int) -> list[dict]:
    """An account's devices that still work, newest use first, for its profile page: id,
    created_at, last_used_at (None if not used since), expires_at (UTC ISO 8601), ip (the
    client address when trusted), last_ip (when last used), user_agent (a summary)."""
    days = trust_days(conn)
    now = clock.now()
    rows = conn.execute(
        "SELECT id, user_id, created_at, last_used_at, expires_at, ip, last_ip, user_agent"
        " FROM trusted_devices WHERE user_id = ?"
        " ORDER BY coalesce(last_used_at, created_at) DESC, id DESC", (user_id,)).fetchall()
    return [dict(r) | {"created_at": clock.iso(r["created_at"]),
                       "last_used_at": r["last_used_at"] and clock.iso(r["last_used_at"]),
                       "expires_at": clock.iso(min(r["expires_at"],
                                                   r["created_at"] + days * DAY))}
            for r in rows if _refusal(r, user_id, days, now) is None]


def remove(conn: Connection, actor: Identity, user_id: int, device_id: int) -> None:
    """Stop one device of the account `user_id` from working (its owner, or someone who may
    act on the account: gvo.people.accounts.may_act_on); audited as "device.revoke".
    NotFound if the account has no such device, NotPermitted if the actor may not."""
    user = get_user(conn, user_id)
    if not may_act_on(conn, actor, user):
        raise NotPermitted("Only a Manager may change a Manager's account, and only someone "
                           "who holds as much as this person may change theirs.")
    with transaction(conn):
        cur = conn.execute("DELETE FROM trusted_devices WHERE id = ? AND user_id = ?",
                           (device_id, user_id))
        if cur.rowcount == 0:
            raise NotFound("That device is no longer trusted.")
        audit.record(conn, actor, "device.revoke", f"user:{user_id}", device=device_id)


def remove_with_credentials(conn: Connection, *, user_id: int, reason: str, actor: Identity,
                            **_details) -> None:
    """CREDENTIALS_ENDED: every device of the account stops working (inside the event's
    transaction); audited as "device.revoke" with the `reason` and how many."""
    cur = conn.execute("DELETE FROM trusted_devices WHERE user_id = ?", (user_id,))
    if cur.rowcount:
        audit.record(conn, actor, "device.revoke", f"user:{user_id}", reason=reason,
                     devices=cur.rowcount)


events.subscribe(events.CREDENTIALS_ENDED, remove_with_credentials)
