"""The public policy viewer: the policies a school publishes, for anyone, no sign-in.

Switched on per school (setting `policies.public`, off until a policy manager switches it
on). It shows a policy only when all hold: the school has switched the viewer on; the
policy is live and marked "publish publicly"; it has a live (approved) version; that
version's text is in the library, not in the wastebin, and in no restricted folder (a room)
on its path, decided by the library's own rule for someone not signed in
(`gvo.library.access`). Never a draft, never an archived version, and always the text as
approved: a document's version pinned when it was approved, whatever was uploaded since; a
page's title and text as copied into the version at approval (gvo.policies.lifecycle), not
the library page as it may read today.

Reads only: a visit writes nothing to the school (tests/test_anonymous_reads.py).
"""

from gvo.core import audit
from gvo.core.atomic import transaction
from gvo.core.errors import NotFound
from gvo.core.identity import Identity
from gvo.library import access, pages
from gvo.people import settings
from gvo.policies import register
from gvo.storage.sqlcipher import Connection

PUBLIC_SETTING = "policies.public"
_NOBODY = Identity.anonymous()


def is_on(conn: Connection) -> bool:
    """Whether the school publishes its policies at /<slug>/policies."""
    return settings.get(conn, PUBLIC_SETTING) == "1"


def switch(conn: Connection, who: Identity, on: bool) -> None:
    """Switch the public viewer on or off. Audited as "policy.public_viewer"."""
    register.require_manager(who)
    with transaction(conn):
        settings.put(conn, PUBLIC_SETTING, "1" if on else "0")
        audit.record(conn, who, "policy.public_viewer", "school", on=bool(on))


_PUBLISHED = (
    "SELECT p.id, p.name, p.effective_on, p.next_review_on, t.name AS type_name,"
    " v.number, v.item_kind, v.item_id, v.doc_version, v.approved_on, v.approved_title,"
    " v.approved_body,"
    f" {register.folder_of('v')} AS folder_id"
    " FROM policies p JOIN policy_versions v ON v.policy_id = p.id AND v.state = 'live'"
    " LEFT JOIN policy_types t ON t.id = p.type_id"
    " WHERE p.status = 'live' AND p.publish_publicly = 1"
)


def published(conn: Connection) -> list[dict]:
    """The policies the public viewer shows, by name (empty when it is switched off)."""
    if not is_on(conn):
        return []
    open_folders = access.visible_folder_ids(conn, _NOBODY)
    rows = conn.execute(_PUBLISHED + " ORDER BY p.name COLLATE NOCASE, p.id").fetchall()
    return [dict(r) for r in rows if r["folder_id"] in open_folders]


def get(conn: Connection, policy_id: int) -> dict:
    """One published policy with its text as approved: for a page `title`, `body` and
    `html` (rendered, sanitised); for a document the pinned version's `blob_id`, `mime`,
    `filename`, `size`.
    NotFound for anything the viewer does not show (see the module's rule)."""
    if not is_on(conn):
        raise NotFound("no such policy")
    row = conn.execute(_PUBLISHED + " AND p.id = ?", (policy_id,)).fetchone()
    if row is None or row["folder_id"] is None or not access.can_see_folder(
            conn, _NOBODY, row["folder_id"]):
        raise NotFound("no such policy")
    entry = dict(row)
    if row["item_kind"] == "page":
        if row["approved_body"] is None:
            raise NotFound("no such policy")
        entry |= {"title": row["approved_title"] or row["name"], "body": row["approved_body"],
                  "html": pages.render_web(row["approved_body"])}
    else:
        version = conn.execute("SELECT blob_id, mime, filename, size FROM document_versions"
                               " WHERE document_id = ? AND number = ?",
                               (row["item_id"], row["doc_version"])).fetchone()
        if version is None:
            raise NotFound("no such policy")
        entry |= dict(version)
    return entry
