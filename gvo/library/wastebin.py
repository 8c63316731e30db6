"""The wastebin: deleted folders, documents, pages and discussion topics, restored by a
Manager.

Deleting only stamps `deleted_at`, so an item comes back to the folder it was
in with the restrictions it had. The wastebin applies restrictions like every
other listing: a Manager outside a room never sees what was deleted in it.
"""

from gvo.core import audit, clock
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.library.access import folder_audience, visible_cte
from gvo.storage.sqlcipher import Connection

KINDS = {"folder": "folders", "document": "documents", "page": "pages", "topic": "topics"}


def discard(conn: Connection, viewer: Identity, kind: str, item) -> None:
    """Move a folder, document, page or topic to the wastebin (the caller has checked who may)."""
    with transaction(conn):
        conn.execute(f"UPDATE {KINDS[kind]} SET deleted_at = ?, deleted_by = ? WHERE id = ?",
                     (clock.iso(), viewer.user_id, item["id"]))
        audit.record(conn, viewer, f"library.{kind}.delete", f"{kind}:{item['id']}",
                     title=item["title"])


def items(conn: Connection, viewer: Identity) -> list:
    """Deleted items the viewer could open if they were restored, newest first."""
    cte, params = visible_cte(viewer, include_deleted=True)
    return conn.execute(
        cte + "SELECT 'folder' AS kind, f.id, f.title, f.deleted_at, u.name AS deleted_by_name,"
        " f.parent_id AS folder_id FROM folders f LEFT JOIN users u ON u.id = f.deleted_by"
        " WHERE f.deleted_at IS NOT NULL AND f.id IN (SELECT id FROM visible_folders)"
        " UNION ALL SELECT 'document', d.id, d.title, d.deleted_at, u.name, d.folder_id"
        " FROM documents d LEFT JOIN users u ON u.id = d.deleted_by"
        " WHERE d.deleted_at IS NOT NULL AND d.folder_id IN (SELECT id FROM visible_folders)"
        " UNION ALL SELECT 'page', p.id, p.title, p.deleted_at, u.name, p.folder_id"
        " FROM pages p LEFT JOIN users u ON u.id = p.deleted_by"
        " WHERE p.deleted_at IS NOT NULL AND p.folder_id IN (SELECT id FROM visible_folders)"
        " UNION ALL SELECT 'topic', t.id, t.title, t.deleted_at, u.name, t.folder_id"
        " FROM topics t LEFT JOIN users u ON u.id = t.deleted_by"
        " WHERE t.deleted_at IS NOT NULL AND t.folder_id IN (SELECT id FROM visible_folders)"
        " ORDER BY 4 DESC", params).fetchall()


def restore(conn: Connection, viewer: Identity, kind: str, item_id: int) -> None:
    """Put a deleted item back where it was (Managers only)."""
    if not viewer.at_least("manager"):
        raise NotPermitted("only a Manager may restore from the wastebin")
    if kind not in KINDS:
        raise NotFound("no such item")
    match = [r for r in items(conn, viewer) if r["kind"] == kind and r["id"] == item_id]
    if not match:
        raise NotFound("no such item in the wastebin")
    item = match[0]
    parent = item["folder_id"]
    if parent is not None:
        row = conn.execute("SELECT deleted_at, title FROM folders WHERE id = ?",
                           (parent,)).fetchone()
        if row["deleted_at"] is not None:
            raise InvalidInput(f"Its folder “{row['title']}” is in the wastebin too: "
                               "restore that first.")
    with transaction(conn):
        conn.execute(f"UPDATE {KINDS[kind]} SET deleted_at = NULL, deleted_by = NULL"
                     " WHERE id = ?", (item_id,))
        audit.record(conn, viewer, f"library.{kind}.restore", f"{kind}:{item_id}",
                     title=item["title"])


def restore_note(conn: Connection, folder_id: int, it: str = "it") -> str:
    """What the delete question and its answer may promise about getting an item in
    `folder_id` back (`it`: "it" or "them"): a Manager restores from the wastebin only what
    they may open, so in a room that leaves every Manager out no one can (ATTACK11)."""
    if any(u["role"] == "manager" for u in folder_audience(conn, folder_id)):
        return f"A Manager can restore {it} from the wastebin."
    return (f"No Manager can open this room, so no one can restore {it} from the wastebin "
            "(ask for a Manager to be added to the room first if it may be needed again).")
