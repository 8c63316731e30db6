"""What's new: the latest documents, versions, pages, discussion topics and comments a member
may see."""

from gvo.core import paging
from gvo.core.identity import Identity
from gvo.library.access import visible_cte
from gvo.storage.sqlcipher import Connection

PAGE_SIZE = 10
# Each source is read newest first through its own index and cut at a page (so no source
# is read whole); the key (at, src, item_id) orders the merged news uniquely.
_KEY = ("at", "src", "item_id")
_SOURCES = (
    "SELECT CASE WHEN v.number = 1 THEN 'document' ELSE 'version' END AS kind,"
    " v.uploaded_at AS at, 0 AS src, v.id AS item_id, 'document' AS subject_type,"
    " d.id AS subject_id, d.title, v.number, u.name AS who FROM document_versions v"
    " JOIN documents d ON d.id = v.document_id LEFT JOIN users u ON u.id = v.uploaded_by"
    " WHERE d.deleted_at IS NULL AND +d.folder_id IN (SELECT id FROM visible_folders)",
    "SELECT 'page' AS kind, p.created_at AS at, 1 AS src, p.id AS item_id,"
    " 'page' AS subject_type, p.id AS subject_id, p.title, NULL AS number, u.name AS who"
    " FROM pages p LEFT JOIN users u ON u.id = p.owner_id"
    " WHERE p.deleted_at IS NULL AND +p.folder_id IN (SELECT id FROM visible_folders)",
    "SELECT 'comment' AS kind, c.created_at AS at, 2 AS src, c.id AS item_id,"
    " c.subject_type, c.subject_id, coalesce(d.title, p.title, t.title) AS title,"
    " NULL AS number, u.name AS who FROM comments c"
    " LEFT JOIN documents d ON c.subject_type = 'document' AND d.id = c.subject_id"
    " LEFT JOIN pages p ON c.subject_type = 'page' AND p.id = c.subject_id"
    " LEFT JOIN topics t ON c.subject_type = 'topic' AND t.id = c.subject_id"
    " LEFT JOIN users u ON u.id = c.author_id"
    " WHERE c.deleted_at IS NULL AND coalesce(d.deleted_at, p.deleted_at, t.deleted_at) IS NULL"
    " AND coalesce(d.folder_id, p.folder_id, t.folder_id) IN (SELECT id FROM visible_folders)",
    # Discussion topics (gvo.discussion.topics) live in the library's folders.
    "SELECT 'topic' AS kind, t.created_at AS at, 3 AS src, t.id AS item_id,"
    " 'topic' AS subject_type, t.id AS subject_id, t.title, NULL AS number, u.name AS who"
    " FROM topics t LEFT JOIN users u ON u.id = t.owner_id"
    " WHERE t.deleted_at IS NULL AND +t.folder_id IN (SELECT id FROM visible_folders)",
)


def page(conn: Connection, viewer: Identity, after: str | None = None,
         size: int = PAGE_SIZE) -> paging.Page:
    """A page of the newest uploads, versions, pages, discussion topics and comments in
    folders the viewer may open, newest first, after the position `after` (`Page.after` of
    the page before; InvalidInput for a bad one). Rows: kind, at (UTC ISO), subject_type,
    subject_id, title, number (a version's), who."""
    cte, params = visible_cte(viewer)
    newest = (f" ORDER BY {paging.order_clause(_KEY, descending=True)} "
              + paging.limit_clause(size + 1))
    branches = " UNION ALL ".join(
        f"SELECT * FROM (SELECT * FROM ({source}) WHERE {{after}}{newest})"
        for source in _SOURCES)
    return paging.keyset(conn, cte + f"SELECT * FROM ({branches}) WHERE {{after}}", params,
                         columns=_KEY, key_of=lambda r: (r["at"], r["src"], r["item_id"]),
                         after=after, size=size, descending=True)

