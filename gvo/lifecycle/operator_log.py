"""The operator log: what an operator did to whole schools, in the control database.

A school's own audit log (gvo.core.audit) goes with the school; deleting a school removes it
too. What the operator did to a school from the command line (deleted it, exported it) is
kept here instead, hash-chained the same way (`gvo.core.audit.entry_hash`), so editing or
removing an entry breaks the chain (`verify`). Entries hold no secrets: no passphrase, no key.
"""

import getpass
import json

from gvo.core import audit, clock
from gvo.storage.sqlcipher import Connection


def operator_name() -> str:
    """The operating-system user running `gvo` (who the entry says did it)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a container): say so
        return "unknown"


def record(control: Connection, action: str, slug: str, **detail) -> None:
    """Append an entry: the operator did `action` ("school.delete") to school `slug`, with
    `detail` (JSON-able). Must run inside the control database's transaction that makes the
    change (RuntimeError otherwise), as `gvo.core.audit.record` must."""
    if not control.in_transaction:
        raise RuntimeError(f"operator log entry {action!r} outside a transaction")
    entry = {"at": clock.iso(), "actor_id": None, "actor_email": operator_name(),
             "action": action, "target": f"school:{slug}",
             "detail": json.dumps(detail, sort_keys=True, default=str), "ip": ""}
    last = control.execute("SELECT hash FROM operator_log ORDER BY id DESC LIMIT 1").fetchone()
    prev = last["hash"] if last else audit.GENESIS
    control.execute(
        "INSERT INTO operator_log(at, actor_id, actor_email, action, target, detail, ip,"
        " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*[entry[f] for f in audit.FIELDS], prev, audit.entry_hash(prev, entry)))


def moved(slug: str, moved_to: str):
    """The entry for a school moved to another server, as an `also(control)` callback for
    `Instance.mark_moved` (written in its transaction)."""
    return lambda control: record(control, "school.move", slug, moved_to=moved_to)


def entries(control: Connection) -> list[dict]:
    """Every entry, oldest first, detail parsed."""
    return [{**dict(r), "detail": json.loads(r["detail"])}
            for r in control.execute("SELECT * FROM operator_log ORDER BY id")]


def verify(control: Connection) -> audit.ChainReport:
    """Recompute the chain; the first entry whose link or content does not match."""
    return audit.verify(control, "operator_log")
