"""One search box over folders, documents, pages and comments (FTS5 in the school DB).

`search_items` maps each item to an FTS5 rowid and to the folder that decides
who may see it; every query joins the viewer's visible folders, so a result
never names something the viewer may not open. The index lives inside the
encrypted database, like everything else.
"""

import re
from dataclasses import dataclass

from gvo.library.access import Viewer, visible_cte
from gvo.storage.sqlcipher import Connection

MARK_START, MARK_END = "\x02", "\x03"
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_RESULTS = 50


def index(conn: Connection, kind: str, item_id: int, folder_id: int | None,
          title: str, body: str = "") -> None:
    """Add or replace an item in the search index (inside the caller's transaction)."""
    row = conn.execute("SELECT id FROM search_items WHERE kind = ? AND item_id = ?",
                       (kind, item_id)).fetchone()
    if row is None:
        rowid = conn.execute(
            "INSERT INTO search_items(kind, item_id, folder_id) VALUES (?, ?, ?)",
            (kind, item_id, folder_id)).lastrowid
    else:
        rowid = row["id"]
        conn.execute("UPDATE search_items SET folder_id = ? WHERE id = ?", (folder_id, rowid))
        conn.execute("DELETE FROM search_fts WHERE rowid = ?", (rowid,))
    conn.execute("INSERT INTO search_fts(rowid, title, body) VALUES (?, ?, ?)",
                 (rowid, title, body))


def unindex(conn: Connection, kind: str, item_id: int) -> None:
    """Remove an item from the search index."""
    row = conn.execute("SELECT id FROM search_items WHERE kind = ? AND item_id = ?",
                       (kind, item_id)).fetchone()
    if row is not None:
        conn.execute("DELETE FROM search_fts WHERE rowid = ?", (row["id"],))
        conn.execute("DELETE FROM search_items WHERE id = ?", (row["id"],))


def match_expression(text: str) -> str:
    """The user's words as an FTS5 query: every word must match, each as a prefix."""
    words = _WORD.findall(text)[:12]
    return " ".join(f'"{w}"*' for w in words)


@dataclass
class Result:
    """One search hit."""

    kind: str
    item_id: int
    title: str
    snippet: str
    subject_type: str | None = None
    subject_id: int | None = None


_LIVE = (
    "(si.kind = 'folder'"
    " OR (si.kind = 'document' AND EXISTS (SELECT 1 FROM documents d"
    "     WHERE d.id = si.item_id AND d.deleted_at IS NULL))"
    " OR (si.kind = 'page' AND EXISTS (SELECT 1 FROM pages p"
    "     WHERE p.id = si.item_id AND p.deleted_at IS NULL))"
    " OR (si.kind = 'comment' AND EXISTS (SELECT 1 FROM comments c"
    "     LEFT JOIN documents d ON c.subject_type = 'document' AND d.id = c.subject_id"
    "     LEFT JOIN pages p ON c.subject_type = 'page' AND p.id = c.subject_id"
    "     WHERE c.id = si.item_id AND c.deleted_at IS NULL"
    "     AND (d.id IS NOT NULL OR p.id IS NOT NULL)"
    "     AND d.deleted_at IS NULL AND p.deleted_at IS NULL)))"
)


def search(conn: Connection, viewer: Viewer, text: str) -> list[Result]:
    """What the viewer may open that matches the words, best first."""
    expression = match_expression(text)
    if not expression:
        return []
    cte, params = visible_cte(viewer)
    params.update(q=expression, limit=MAX_RESULTS)
    rows = conn.execute(
        cte + "SELECT si.kind, si.item_id, search_fts.title AS title,"
        f" snippet(search_fts, -1, '{MARK_START}', '{MARK_END}', '…', 16) AS snip,"
        " c.subject_type, c.subject_id"
        " FROM search_fts JOIN search_items si ON si.id = search_fts.rowid"
        " LEFT JOIN comments c ON si.kind = 'comment' AND c.id = si.item_id"
        " WHERE search_fts MATCH :q AND si.folder_id IN (SELECT id FROM visible_folders)"
        f" AND {_LIVE} ORDER BY bm25(search_fts, 5.0, 1.0) LIMIT :limit",
        params,
    ).fetchall()
    return [Result(r["kind"], r["item_id"], r["title"], r["snip"] or "",
                   r["subject_type"], r["subject_id"]) for r in rows]


def count(conn: Connection, viewer: Viewer, text: str) -> int:
    """How many items the viewer may open match (same rule as `search`)."""
    expression = match_expression(text)
    if not expression:
        return 0
    cte, params = visible_cte(viewer)
    params["q"] = expression
    return conn.execute(
        cte + "SELECT count(*) FROM search_fts JOIN search_items si ON si.id = search_fts.rowid"
        " WHERE search_fts MATCH :q AND si.folder_id IN (SELECT id FROM visible_folders)"
        f" AND {_LIVE}", params).fetchone()[0]
