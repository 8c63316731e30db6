"""The school's audit log: who did what, when, from where; hash-chained.

Each entry's hash covers the previous entry's hash and the entry's own fields,
so editing or deleting an entry breaks the chain at that point, which
`verify` reports. Entries never hold secrets (passwords, codes, keys).

Services record their changes with `record`, in the transaction of the change;
views never write entries.
"""

import hashlib
import json
from dataclasses import dataclass

from gvo.core import clock, paging
from gvo.core.identity import Identity
from gvo.storage.sqlcipher import Connection

GENESIS = "0" * 64
_FIELDS = ("at", "actor_id", "actor_email", "action", "target", "detail", "ip")


def _entry_hash(prev_hash: str, entry: dict) -> str:
    canonical = json.dumps([prev_hash] + [entry[f] for f in _FIELDS], separators=(",", ":"))
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
        (*[entry[f] for f in _FIELDS], prev, _entry_hash(prev, entry)),
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


def verify(conn: Connection) -> ChainReport:
    """Recompute the chain and report the first entry whose link or content does not match."""
    prev = GENESIS
    count = 0
    for row in conn.execute("SELECT * FROM audit_log ORDER BY id"):
        count += 1
        entry = {f: row[f] for f in _FIELDS}
        if row["prev_hash"] != prev:
            return ChainReport(count, row["id"], "its link to the previous entry does not match")
        if _entry_hash(prev, entry) != row["hash"]:
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
