"""A school's settings: name, MFA policy, demo flag, upload limit, e-mail reply-to."""

from gvo.core import addresses, audit
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.mail import outbox
from gvo.storage.sqlcipher import Connection

MFA_POLICIES = {
    "required": "Required for everyone",
    "suggested": "Suggested: people are reminded until they set it up",
    "optional": "Optional",
}
DEFAULTS = {"mfa_policy": "required", "demo": "0"}
REPLY_TO_KEY = outbox.REPLY_TO_KEY  # where replies to the school's e-mail go (its clerk)


def get(conn: Connection, key: str) -> str:
    """One setting's value (or its default)."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return row["value"] if row else DEFAULTS.get(key, "")


def put(conn: Connection, key: str, value: str) -> None:
    """Store a setting (inside the caller's transaction if there is one)."""
    conn.execute(
        "INSERT INTO settings(key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def record_creation(conn: Connection, actor: Identity, slug: str) -> None:
    """Begin a new school's audit log: `actor` created the school `slug`."""
    with transaction(conn):
        audit.record(conn, actor, "school.create", slug)


def is_demo(conn: Connection) -> bool:
    """Whether this is the demo school (its sign-in page says so)."""
    return get(conn, "demo") == "1"


def set_mfa_policy(conn: Connection, actor: Identity, policy: str) -> None:
    """Change who must use two-step sign-in (Managers and Editors always must); InvalidInput
    for a policy that is not one of MFA_POLICIES."""
    if policy not in MFA_POLICIES:
        raise InvalidInput(f"unknown MFA policy {policy!r}: choose {', '.join(MFA_POLICIES)}")
    with transaction(conn):
        old = get(conn, "mfa_policy")
        put(conn, "mfa_policy", policy)
        audit.record(conn, actor, "school.mfa_policy", "school", old=old, new=policy)


def mfa_required(conn: Connection, role: str) -> bool:
    """Whether a user of this role must pass TOTP to sign in."""
    if is_demo(conn):
        return False
    if role in ("manager", "editor"):
        return True
    return get(conn, "mfa_policy") == "required"


def suggests_mfa(conn: Connection, user_id: int) -> bool:
    """Whether to remind this person to set up two-step sign-in: the school suggests it and
    they have not."""
    row = conn.execute("SELECT mfa_enrolled_at FROM users WHERE id = ?", (user_id,)).fetchone()
    return row is not None and row["mfa_enrolled_at"] is None and get(
        conn, "mfa_policy") == "suggested"


def set_reply_to(conn: Connection, actor: Identity, address: str) -> None:
    """Set the address replies to the school's e-mail go to (its clerk's), or clear it with
    ""; audited as "school.mail_reply_to". InvalidInput for text that is not an address."""
    address = address.strip()
    if address:
        address = addresses.check(address)
    with transaction(conn):
        old = get(conn, REPLY_TO_KEY)
        put(conn, REPLY_TO_KEY, address)
        audit.record(conn, actor, "school.mail_reply_to", "school", old=old, new=address)
