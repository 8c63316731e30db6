"""What's new: the latest documents, versions and comments a member may see."""

from gvo.core.identity import Identity
from gvo.library.access import visible_cte
from gvo.storage.sqlcipher import Connection


def latest(conn: Connection, viewer: Identity, limit: int = 10) -> list:
    """The newest uploads, versions, pages and comments in folders the viewer may open."""
    cte, params = visible_cte(viewer)
    params["limit"] = limit
    return conn.execute(
        cte + "SELECT * FROM ("
        " SELECT CASE WHEN v.number = 1 THEN 'document' ELSE 'version' END AS kind,"
        "  v.uploaded_at AS at, 'document' AS subject_type, d.id AS subject_id, d.title,"
        "  v.number, u.name AS who FROM document_versions v"
        "  JOIN documents d ON d.id = v.document_id LEFT JOIN users u ON u.id = v.uploaded_by"
        "  WHERE d.deleted_at IS NULL AND d.folder_id IN (SELECT id FROM visible_folders)"
        " UNION ALL SELECT 'page', p.created_at, 'page', p.id, p.title, NULL, u.name"
        "  FROM pages p LEFT JOIN users u ON u.id = p.owner_id"
        "  WHERE p.deleted_at IS NULL AND p.folder_id IN (SELECT id FROM visible_folders)"
        " UNION ALL SELECT 'comment', c.created_at, c.subject_type, c.subject_id,"
        "  coalesce(d.title, p.title), NULL, u.name FROM comments c"
        "  LEFT JOIN documents d ON c.subject_type = 'document' AND d.id = c.subject_id"
        "  LEFT JOIN pages p ON c.subject_type = 'page' AND p.id = c.subject_id"
        "  LEFT JOIN users u ON u.id = c.author_id"
        "  WHERE c.deleted_at IS NULL AND coalesce(d.deleted_at, p.deleted_at) IS NULL"
        "  AND coalesce(d.folder_id, p.folder_id) IN (SELECT id FROM visible_folders)"
        ") ORDER BY at DESC LIMIT :limit", params).fetchall()
