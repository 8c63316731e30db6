"""The school's audit log: who did what, when, from where; hash-chained.

Each entry's hash covers the previous entry's hash and the entry's own fields,
so editing or deleting an entry breaks the chain at that point, which
`verify` reports. Entries never hold secrets (passwords, codes, keys).

Services record their changes with `record`, in the transaction of the change;
views never write entries.
"""

import hashlib
import json
import re
from dataclasses import dataclass

from gvo.core import clock, dates, paging
from gvo.core.identity import Identity
from gvo.storage.sqlcipher import Connection

GENESIS = "0" * 64
FIELDS = ("at", "actor_id", "actor_email", "action", "target", "detail", "ip")


def entry_hash(prev_hash: str, entry: dict) -> str:
    """The chain's hash of an entry (a dict of FIELDS) after the entry whose hash is
    prev_hash: sha256 of the canonical JSON of both. The operator log of the control
    database (gvo.lifecycle.operator_log) chains its entries the same way."""
    canonical = json.dumps([prev_hash] + [entry[f] for f in FIELDS], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(conn: Connection, who: Identity, action: str, /, target: str = "",
           **detail) -> None:
    """Append an entry: `who` did `action` (such as "user.role") to `target` (such as
    "user:7"), with `detail` (any JSON-able values, stored as JSON; a detail may have any
    name but `target`). The entry's actor is who.user_id, who.email and who.ip.

    The one way anything is audited. It must be called inside the transaction that makes
    the change it records, so the change and its entry are kept or lost together: outside
    a transaction it raises RuntimeError and writes nothing.
    """
    if not conn.in_transaction:
        raise RuntimeError(f"audit entry {action!r} outside a transaction: record it in the "
                           "transaction that makes the change")
    entry = {
        "at": clock.iso(),
        "actor_id": who.user_id,
        "actor_email": who.email,
        "action": action,
        "target": str(target),
        "detail": json.dumps(detail, sort_keys=True, default=str),
        "ip": who.ip,
    }
    last = conn.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    prev = last["hash"] if last else GENESIS
    conn.execute(
        "INSERT INTO audit_log(at, actor_id, actor_email, action, target, detail, ip,"
        " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*[entry[f] for f in FIELDS], prev, entry_hash(prev, entry)),
    )


@dataclass
class ChainReport:
    """The result of checking the chain: how many entries, and the first broken one."""

    entries: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """True when every link holds."""
        return self.broken_at is None


CHAINED_TABLES = ("audit_log", "operator_log")  # a school's; the control database's


def verify(conn: Connection, table: str = "audit_log") -> ChainReport:
    """Recompute the chain of `table` (one of CHAINED_TABLES) and report the first entry whose
    link or content does not match."""
    if table not in CHAINED_TABLES:
        raise ValueError(f"no hash chain in {table!r}")
    prev = GENESIS
    count = 0
    for row in conn.execute(f"SELECT * FROM {table} ORDER BY id"):
        count += 1
        entry = {f: row[f] for f in FIELDS}
        if row["prev_hash"] != prev:
            return ChainReport(count, row["id"], "its link to the previous entry does not match")
        if entry_hash(prev, entry) != row["hash"]:
            return ChainReport(count, row["id"], "its content was changed after it was written")
        prev = row["hash"]
    return ChainReport(count)


PAGE_SIZE = 100  # entries per page of the Manager's audit page


def page(conn: Connection, after: str | None = None, size: int = PAGE_SIZE) -> paging.Page:
    """A page of entries, newest first, after the position `after` (`Page.after` of the
    page before; InvalidInput for a bad one), for the Manager's audit page."""
    return paging.keyset(conn, "SELECT * FROM audit_log WHERE {after}", {}, columns=("id",),
                         key_of=lambda r: (r["id"],), after=after, size=size, descending=True)


def recent(conn: Connection, limit: int = PAGE_SIZE) -> list:
    """The newest `limit` entries, newest first."""
    return page(conn, None, limit).items


# What each action did, as the audit page says it; an action not named here is said from
# its name ("library.folder.create": "Library folder create").
ACTIONS = {
    "meeting.create": "Scheduled a meeting", "meeting.update": "Changed a meeting",
    "meeting.cancel": "Cancelled a meeting", "meeting.folder": "Filed a meeting's papers",
    "agenda.add": "Added an agenda item", "agenda.update": "Changed an agenda item",
    "agenda.delete": "Deleted an agenda item", "agenda.move": "Moved an agenda item",
    "agenda.paper_attach": "Added a paper", "agenda.paper_detach": "Removed a paper",
    "attendance.reply": "Answered whether attending", "attendance.register": "Took the register",
    "attendance.lock": "Locked the register", "attendance.guest_add": "Added a guest",
    "attendance.guest_remove": "Removed a guest",
    "attendance.snapshot": "Recorded a locked register's snapshot",
    "minutes.save": "Saved minutes", "minutes.approve": "Recorded minutes as approved",
    "minutes.action_add": "Added an action", "minutes.action_delete": "Deleted an action",
    "login.success": "Signed in", "logout": "Signed out", "mfa.enrol": "Set up two-step sign-in",
    "mfa.recovery_codes": "Made new recovery codes", "user.add": "Invited a person",
    "user.role": "Changed a person's role", "user.profile": "Changed their details",
    "user.setup_link": "Sent a set-up link", "calendar.feed_new": "Made a calendar feed address",
    "calendar.feed_revoke": "Stopped a calendar feed address",
    "device.trust": "Trusted a device", "device.revoke": "Removed a trusted device",
    "device.refused": "A trusted device was refused (the code was asked)",
    "school.trusted_device_days": "Changed how long a device may be trusted",
    "comment.add": "Commented", "comment.edit": "Edited a comment",
    "comment.delete": "Deleted a comment",
    "policy.create": "Added a policy", "policy.update": "Changed a policy",
    "policy.draft_text": "Gave a policy's draft its text",
    "policy.review_start": "Started a policy review",
    "policy.approve": "Recorded a policy's approval at a meeting",
    "policy.withdraw": "Withdrew a policy", "policy.type_add": "Added a policy type",
    "policy.settings": "Changed the policy settings",
    "policy.statutory_added": "Added the statutory policies the school lacked",
    "policy.public_viewer": "Switched the public policy page",
}
DETAILS = {"body": "board or committee #", "user": "person #", "item": "item #",
           "folder": "folder #", "device": "device #", "starts_at": "starts", "reply": "answer"}
_LOCAL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _value(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items()) or "none"
    if isinstance(value, str):
        if _INSTANT.fullmatch(value):
            return dates.moment(value)
        if _LOCAL.fullmatch(value):
            return dates.when(value)
        return f"“{value}”"
    return str(value)


def action_label(entry) -> str:
    """What an audit entry's action did, as the audit page says it ("Scheduled a meeting";
    an action without its own words from its name: "Library folder create")."""
    action = entry["action"]
    return ACTIONS.get(action) or action.replace(".", " ").replace("_", " ").capitalize()


def describe(entry) -> str:
    """An audit entry (a row of `recent`) as a sentence for people: "Scheduled a meeting:
    board or committee #1, starts Tue 4 Mar 2031, 6 pm, title “Summer board”." Times in
    the details are shown in the school's local time (gvo.core.dates); a detail that is not
    JSON is shown as stored."""
    said = action_label(entry)
    try:
        detail = json.loads(entry["detail"] or "{}")
    except ValueError:
        return f"{said}: {entry['detail']}"
    if not isinstance(detail, dict) or not detail:
        return f"{said}."
    parts = []
    for key, value in detail.items():
        label = DETAILS.get(key, key.replace("_", " "))
        parts.append(f"{label}{_value(value)}" if label.endswith("#") else
                     f"{label} {_value(value)}")
    return f"{said}: {', '.join(parts)}."
