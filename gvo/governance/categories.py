"""The categories of governor a school uses (table `governor_categories`): the DfE's list,
seeded by migration 0019, which a Manager may extend.

A category says whether its holders vote (`votes` 0 for associate members, who neither vote
nor count towards the quorum: The School Governance (Constitution) (England) Regulations
2012, and the Roles, Procedures and Allowances Regulations 2013, reg. 14) and whether its
place is held ex officio (`ex_officio` 1 for the headteacher: no term of office).
"""

import re

from anyascii import anyascii

from gvo.core import audit, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotPermitted
from gvo.core.identity import Identity
from gvo.storage.sqlcipher import Connection

CLERK = "clerk"  # the clerk's record: not a governor (no vote, no place, no term)
NOT_RECORDED = "—"  # what a record with no category ('') shows
CLERK = "clerk"  # the clerk's category: not a governor (reg. 9), keeps no register of interests


def all_categories(conn: Connection) -> list:
    """Every category (key, label, votes, ex_officio, builtin, sort_order), in the order
    the school lists them."""
    return conn.execute("SELECT * FROM governor_categories ORDER BY sort_order, label"
                        ).fetchall()


def labels(conn: Connection) -> dict[str, str]:
    """{key: label} of every category, and '' (none recorded) as NOT_RECORDED: what forms
    offer and pages show."""
    return {"": NOT_RECORDED} | {r["key"]: r["label"] for r in all_categories(conn)}


def get(conn: Connection, key: str):
    """One category's row, or None for '' or a key the school does not have."""
    return conn.execute("SELECT * FROM governor_categories WHERE key = ?", (key,)).fetchone()


def is_ex_officio(conn: Connection, key: str) -> bool:
    """Whether a place of category `key` is held ex officio (no term of office)."""
    row = get(conn, key)
    return bool(row and row["ex_officio"])


def find(conn: Connection, typed: str) -> str | None:
    """The key of the category `typed` names, by key or by label (case and spacing
    ignored: "Parent governor", "parent", "PARENT"), or None. '' for an empty `typed`."""
    wanted = " ".join((typed or "").split()).casefold()
    if not wanted:
        return ""
    for row in all_categories(conn):
        if wanted in (row["key"].casefold(), row["label"].casefold()):
            return row["key"]
    return None


def _key_of(label: str) -> str:
    """A category's key made from its label: lower case ASCII words joined by '-'."""
    return re.sub(r"[^a-z0-9]+", "-", anyascii(label).lower()).strip("-")[:40]


def add(conn: Connection, actor: Identity, *, label: str, votes: bool = True,
        ex_officio: bool = False) -> str:
    """Add a category the school uses (a Manager's decision): its key, made from `label`.

    Raises NotPermitted for anyone but a Manager, InvalidInput (field "label") for an empty
    or over-long label or one the school already has.
    """
    if not actor.acts_as_manager:
        raise NotPermitted("Only a Manager adds a category of governor.")
    label = text.one_line(label or "")
    if not label or len(label) > 80:
        raise InvalidInput("A label of 1-80 characters is required.", field="label")
    key = _key_of(label)
    if not key:
        raise InvalidInput("Write the label with at least one letter or digit.", field="label")
    if find(conn, label) is not None or get(conn, key) is not None:
        raise InvalidInput(f"There is already a category called “{label}”.", field="label")
    with transaction(conn):
        order = conn.execute("SELECT coalesce(max(sort_order), 0) + 10 FROM governor_categories"
                             ).fetchone()[0]
        conn.execute("INSERT INTO governor_categories(key, label, votes, ex_officio, builtin,"
                     " sort_order) VALUES (?, ?, ?, ?, 0, ?)",
                     (key, label, int(bool(votes)), int(bool(ex_officio)), order))
        audit.record(conn, actor, "governance.category_add", f"category:{key}", label=label,
                     votes=bool(votes), ex_officio=bool(ex_officio))
    return key
