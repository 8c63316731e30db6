"""Who may see and change what in the library: one rule, used by every query.

A folder is visible to a member when every restricted folder on its path from
the top (itself included) lists that member, directly or through a group.
Restriction binds Managers too: a restricted folder whose list leaves the
Manager out is a private room (pay panel, headteacher appraisal), and its
existence is hidden from everyone outside it (404, never 403). Within what a
member can see, the role decides what they may do: Readers read, Authors add
and change their own items, Editors change anyone's, Managers also make
top-level folders and empty the wastebin back. A feature that keeps its own folders
(the meetings' papers) names the capability that lets its people make and maintain
them (`grant`), in place of the Manager's or Editor's role; nobody else gains by it.

Who is asking is always a `gvo.core.identity.Identity` (its user id and role).
"""

import json

from gvo.core.errors import NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection

_ALLOWED = (
    "(f.restricted = 0 OR EXISTS (SELECT 1 FROM folder_access a WHERE a.folder_id = f.id"
    " AND (a.user_id = :viewer_id OR a.group_id IN"
    " (SELECT gm.group_id FROM group_members gm WHERE gm.user_id = :viewer_id))))"
)


def visible_cte(viewer: Identity, *, include_deleted: bool = False) -> tuple[str, dict]:
    """A `WITH RECURSIVE visible_folders(id)` clause and its parameters for this viewer.

    With include_deleted the wastebin's folders count too (restrictions still apply).
    The system (`Identity.system`, no person) sees every folder, so a feature can keep the
    rooms it owns up to date whoever they are open to.
    """
    alive = "" if include_deleted else " AND f.deleted_at IS NULL"
    allowed = "1" if viewer.is_system else _ALLOWED
    sql = (
        "WITH RECURSIVE visible_folders(id) AS ("
        f" SELECT f.id FROM folders f WHERE f.parent_id IS NULL AND {allowed}{alive}"
        " UNION ALL"
        " SELECT f.id FROM folders f JOIN visible_folders v ON f.parent_id = v.id"
        f" WHERE {allowed}{alive}) "
    )
    return sql, {"viewer_id": viewer.user_id}


@reads.once
def visible_folder_ids(conn: Connection, viewer: Identity, *,
                       include_deleted: bool = False) -> set[int]:
    """The ids of every folder the viewer may open."""
    cte, params = visible_cte(viewer, include_deleted=include_deleted)
    return {r[0] for r in conn.execute(cte + "SELECT id FROM visible_folders", params)}


@reads.once
def can_see_folder(conn: Connection, viewer: Identity, folder_id: int, *,
                   include_deleted: bool = False) -> bool:
    """Whether the viewer may open this folder (and so what it holds)."""
    cte, params = visible_cte(viewer, include_deleted=include_deleted)
    params["folder_id"] = folder_id
    row = conn.execute(cte + "SELECT 1 FROM visible_folders WHERE id = :folder_id",
                       params).fetchone()
    return row is not None


def require_folder(conn: Connection, viewer: Identity, folder_id: int, *,
                   include_deleted: bool = False) -> None:
    """Raise NotFound unless the viewer may open the folder: a room hides its existence."""
    if not can_see_folder(conn, viewer, folder_id, include_deleted=include_deleted):
        raise NotFound("no such folder")


def may_write(viewer: Identity) -> bool:
    """Whether the role may add items (folders, files, pages, comments) where it can see."""
    return viewer.at_least("author")


def may_change(viewer: Identity, owner_id: int | None) -> bool:
    """Whether the viewer may edit or delete an item: its owner (Author+) or an Editor."""
    if viewer.at_least("editor"):
        return True
    return viewer.at_least("author") and owner_id == viewer.user_id


@reads.once
def managed_by(conn: Connection, folder_id: int) -> str | None:
    """The feature that keeps this folder or one of its ancestors ("training": the
    training certificates), or None for an ordinary folder. Such a folder is the feature's:
    the library refuses to edit, delete or re-open it (`require_not_managed`), and only
    the Managers and the feature itself add anything in it (`may_add_in`)."""
    current, seen = folder_id, set()
    while current is not None and current not in seen:
        seen.add(current)
        row = conn.execute("SELECT parent_id, managed_by FROM folders WHERE id = ?",
                           (current,)).fetchone()
        if row is None:
            return None
        if row["managed_by"]:
            return row["managed_by"]
        current = row["parent_id"]
    return None


MANAGED_LABELS = {"training": "Training"}


def _managed_message(feature: str) -> str:
    label = MANAGED_LABELS.get(feature, feature)
    return (f"This folder is kept by {label}: it is system-managed, so its details and who "
            f"may open it cannot be changed here, and only {label} and the Managers add "
            "anything to it.")


def require_not_managed(conn: Connection, viewer: Identity, folder_id: int) -> None:
    """Raise NotPermitted (with a message saying which feature keeps it) when the folder is
    system-managed (`managed_by`) and `viewer` is not the office itself: its details,
    access and place in the wastebin are the feature's to keep."""
    feature = managed_by(conn, folder_id)
    if feature is not None and not viewer.is_system:
        raise NotPermitted(_managed_message(feature))


def may_add_in(conn: Connection, viewer: Identity, folder_id: int,
               keeper: str | None = None) -> bool:
    """Whether the viewer may add a folder, file, page or topic in a folder they can see:
    Authors and up (`may_write`), except in a system-managed folder (`managed_by`), where
    only the Managers, the office itself and the feature keeping it (`keeper` naming it:
    the training feature storing a person's own certificate) may."""
    feature = managed_by(conn, folder_id)
    if feature is None:
        return may_write(viewer)
    return viewer.is_system or viewer.acts_as_manager or keeper == feature


def require_add_in(conn: Connection, viewer: Identity, folder_id: int,
                   keeper: str | None = None) -> None:
    """Raise NotFound for a folder the viewer may not open, NotPermitted unless
    `may_add_in`."""
    require_folder(conn, viewer, folder_id)
    if not may_add_in(conn, viewer, folder_id, keeper):
        feature = managed_by(conn, folder_id)
        raise NotPermitted(_managed_message(feature) if feature else "Readers cannot add here")


def require_change(viewer: Identity, owner_id: int | None) -> None:
    """Raise NotPermitted unless `may_change`."""
    if not may_change(viewer, owner_id):
        raise NotPermitted("only its owner or an Editor may change this")


def folder_audience(conn: Connection, folder_id: int) -> list:
    """Active members who may open a folder (used for 'who has not approved'), by name."""
    users = conn.execute(
        "SELECT id, name, email, role FROM users WHERE role != 'inactive'"
        " ORDER BY name COLLATE NOCASE"
    ).fetchall()
    allowed = {u["id"] for u in users}
    current = folder_id
    while current is not None:
        row = conn.execute("SELECT parent_id, restricted FROM folders WHERE id = ?",
                           (current,)).fetchone()
        if row is None:
            break
        if row["restricted"]:
            listed = {r[0] for r in conn.execute(
                "SELECT a.user_id FROM folder_access a WHERE a.folder_id = ? AND a.user_id"
                " IS NOT NULL UNION SELECT gm.user_id FROM folder_access a JOIN group_members"
                " gm ON gm.group_id = a.group_id WHERE a.folder_id = ?", (current, current))}
            allowed &= listed
        current = row["parent_id"]
    return [u for u in users if u["id"] in allowed]


# -- what the audit page may say about an entry --------------------------------------------

# Where each kind of library item (an audit entry's "kind:id" target, or a reference in its
# detail) lives: a statement giving the folder whose rule decides who may open it (NULL: not
# in the library). A comment is decided by the subject it is on.
_PLACE_OF = {
    "folder": "SELECT id FROM folders WHERE id = ?",
    "document": "SELECT folder_id FROM documents WHERE id = ?",
    "page": "SELECT folder_id FROM pages WHERE id = ?",
    "topic": "SELECT folder_id FROM topics WHERE id = ?",
    "task": "SELECT COALESCE(t.folder_id, m.folder_id) FROM tasks t"
            " LEFT JOIN meetings m ON m.id = t.meeting_id WHERE t.id = ?",
    "training_completion": "SELECT d.folder_id FROM training_completions c"
                           " LEFT JOIN documents d ON d.id = c.document_id WHERE c.id = ?",
}
# Detail names that hold the id of a folder or of a document (a certificate, an attachment).
_FOLDER_DETAILS = ("folder", "folder_id", "parent")
_DOCUMENT_DETAILS = ("certificate", "document", "documents", "doc_id", "doc_ids")
HIDDEN_ENTRY = "(an item in a room you cannot open)"


def _refs(entry) -> list[tuple[str, int]]:
    """The library items an audit entry names: its target and the items in its detail."""
    found = []

    def ref(value: str) -> None:
        kind, _, ident = str(value).partition(":")
        if (kind in _PLACE_OF or kind == "comment") and ident.isdigit():
            found.append((kind, int(ident)))

    def ids(kind: str, value) -> None:
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, int) and not isinstance(v, bool):
                found.append((kind, v))

    def walk(detail: dict) -> None:
        for key, value in detail.items():
            if key in _FOLDER_DETAILS:
                ids("folder", value)
            elif key in _DOCUMENT_DETAILS:
                ids("document", value)
            elif isinstance(value, dict):
                walk(value)
            elif isinstance(value, str):
                ref(value)
        if detail.get("kind") in _PLACE_OF:
            ids(detail["kind"], detail.get("ref"))

    ref(entry["target"])
    try:
        detail = json.loads(entry["detail"] or "{}")
    except ValueError:
        detail = {}
    if isinstance(detail, dict):
        walk(detail)
    return found


def _place(conn: Connection, kind: str, item_id: int, depth: int = 0) -> tuple[bool, int | None]:
    """(known, folder id) of a library item: known False when no such item is stored."""
    if kind == "comment":
        row = conn.execute("SELECT subject_type, subject_id FROM comments WHERE id = ?",
                           (item_id,)).fetchone()
        if row is None or row["subject_type"] not in _PLACE_OF or depth > 2:
            return row is not None, None
        return _place(conn, row["subject_type"], row["subject_id"], depth + 1)
    row = conn.execute(_PLACE_OF[kind], (item_id,)).fetchone()
    return (False, None) if row is None else (True, row[0])


def hidden_entries(conn: Connection, viewer: Identity, entries) -> set[int]:
    """The ids of those audit entries (rows of `gvo.core.audit.page`) that name a library item
    (a folder, document, page, topic, task, comment on one, certificate...) in a folder the
    viewer may not open, the wastebin included: the library's one rule (a room hides what it
    holds, its title included, from everyone outside it, Managers too). The audit page shows
    such an entry's action and time, and `HIDDEN_ENTRY` in place of its target and detail;
    the stored entry is untouched (the log is hash-chained). An item no longer stored decides
    nothing; the other items the entry names still do."""
    open_ids = visible_folder_ids(conn, viewer, include_deleted=True)
    places: dict[tuple[str, int], int | None] = {}
    hidden = set()
    for entry in entries:
        for ref in _refs(entry):
            if ref not in places:
                known, folder_id = _place(conn, *ref)
                places[ref] = folder_id if known else None
            if places[ref] is not None and places[ref] not in open_ids:
                hidden.add(entry["id"])
                break
    return hidden
