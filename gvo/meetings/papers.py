"""Meeting papers: library documents and pages attached to agenda items.

Every read and write goes through the library's public functions, so its
access rules (restricted folders, rooms) apply to papers exactly as in the
library: a paper someone may not open is not listed, linked or packed for them.

Folders: each meeting gets a folder under a top-level "Meeting papers"
folder. Papers of confidential items are uploaded into a restricted
"Confidential (part 2)" sub-folder whose access list is everyone who may see
confidential items (`rules.sees_confidential`) when the paper is added; the
list is refreshed each time a confidential paper is added, so the library's
own listings and search never show those papers to anyone else. The list is a
copy, re-derived whenever a confidential paper is added, the meeting, its
agenda or its register is saved, and at once when a role, a capability or a
board or committee membership changes (`follow_access_change`, subscribed to
`gvo.core.events.ACCESS_CHANGED`). Making the
top-level folder needs a Manager in the library; holding "manage meetings"
grants that for the meeting folders only (`_library_viewer(elevate=True)`).
Policies are not in the library yet: a paper is a document or a page.
"""

from dataclasses import dataclass

from gvo.core import events
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound
from gvo.library import approvals, blobs, comments, documents, folders, pages, subjects
from gvo.library.access import Forbidden
from gvo.library.access import Viewer as LibraryViewer
from gvo.meetings import agenda, meetings
from gvo.meetings.pdf import text_pdf
from gvo.meetings.rules import Viewer, manages, sees_confidential
from gvo.people.accounts import Actor
from gvo.storage.sqlcipher import Connection

TOP_FOLDER = "Meeting papers"
CONFIDENTIAL_FOLDER = "Confidential (part 2)"
FOLDER_CLOSED = ("This meeting's papers folder in the library (or its confidential room) is not "
                 "open to you, so nothing was added. Ask a Manager who can open it to give you "
                 "access, or to add the paper.")


@dataclass
class PaperView:
    """A paper as a viewer may see it."""

    id: int                 # agenda_papers.id
    item_id: int
    kind: str               # document | page
    ref_id: int
    title: str
    filename: str = ""
    mime: str = ""
    comments: int = 0
    approvals: int = 0
    blob_id: int | None = None


def _library_viewer(viewer: Viewer, actor: Actor | None = None, *,
                    elevate: bool = False) -> LibraryViewer:
    """The person as the library's viewer; with elevate, a meetings manager acts as a Manager
    (only to make and maintain the meeting folders)."""
    role = "manager" if elevate and manages(viewer) else viewer.role
    return LibraryViewer(viewer.user_id, role, actor.email if actor else "",
                         actor.ip if actor else "")


def resolve(conn: Connection, viewer: Viewer, link) -> PaperView | None:
    """A paper link as the viewer sees it, or None if it is gone or they may not open it."""
    lib = _library_viewer(viewer)
    try:
        if link["kind"] == "document":
            doc = documents.get_document(conn, lib, link["ref_id"])
            paper = PaperView(link["id"], link["item_id"], "document", link["ref_id"],
                              doc["title"], doc["filename"], doc["mime"], blob_id=doc["blob_id"])
        elif link["kind"] == "page":
            page = pages.get_page(conn, lib, link["ref_id"])
            paper = PaperView(link["id"], link["item_id"], "page", link["ref_id"], page["title"])
        else:
            return None
        subject = subjects.load(conn, lib, link["kind"], link["ref_id"])
    except NotFound:
        return None
    paper.comments = comments.count(conn, subject)
    paper.approvals = len(approvals.status(conn, subject)[0])
    return paper


def for_item(conn: Connection, viewer: Viewer, item_id: int) -> list[PaperView]:
    """The papers of an item that the viewer may open, in order."""
    return [p for link in agenda.paper_links(conn, item_id)
            if (p := resolve(conn, viewer, link)) is not None]


def content(conn: Connection, viewer: Viewer, paper: PaperView) -> bytes | None:
    """What goes into a pack for a paper the viewer may open: a document's latest version as
    stored, a page drawn as a PDF of its text; None if it is gone or hidden."""
    lib = _library_viewer(viewer)
    try:
        if paper.kind == "document":
            return blobs.read_all(conn, documents.get_document(conn, lib, paper.ref_id)["blob_id"])
        if paper.kind == "page":
            page = pages.get_page(conn, lib, paper.ref_id)
            return text_pdf(page["title"], page["body"], f"Library page, updated "
                            f"{page['updated_at'][:10]}")
    except NotFound:
        return None
    return None


def _confidential_audience(conn: Connection, body_id: int) -> list[int]:
    users = conn.execute("SELECT id FROM users WHERE role != 'inactive'").fetchall()
    return [u["id"] for u in users
            if (v := Viewer.load(conn, u["id"])) and sees_confidential(conn, v, body_id)]


def _top_folder(conn: Connection, lib: LibraryViewer) -> int:
    for row in folders.children(conn, lib, None):
        if row["title"] == TOP_FOLDER and not row["restricted"]:
            return row["id"]
    return folders.create_folder(conn, lib, parent_id=None, title=TOP_FOLDER,
                                 description="Papers of the board's and committees' meetings.")


def ensure_folder(conn: Connection, actor: Actor, viewer: Viewer, meeting_id: int) -> int:
    """The library folder for a meeting's papers, made on first use."""
    meeting = meetings.get(conn, meeting_id)
    lib = _library_viewer(viewer, actor, elevate=True)
    if meeting["folder_id"] and folders.exists(conn, meeting["folder_id"]):
        return meeting["folder_id"]
    title = f"{meeting['starts_at'][:10]} {meeting['title']} ({meeting['body_name']})"
    folder_id = folders.create_folder(conn, lib, parent_id=_top_folder(conn, lib),
                                      title=title[:200])
    meetings.set_folder(conn, actor, meeting_id, folder_id)
    return folder_id


def _sync_room(conn: Connection, lib: LibraryViewer, parent: int, body_id: int) -> int | None:
    """Bring the confidential sub-folder's access list up to date; its id, or None if none."""
    audience = _confidential_audience(conn, body_id)
    for row in folders.children(conn, lib, parent):
        if row["title"] == CONFIDENTIAL_FOLDER and row["restricted"]:
            users, groups = folders.access_list(conn, row["id"])
            if sorted(users) != sorted(audience) or groups:
                folders.update_folder(conn, lib, row["id"], title=row["title"],
                                      description=row["description"],
                                      sort_order=row["sort_order"], restricted=True,
                                      users=audience)
            return row["id"]
    return None


def sync_confidential_access(conn: Connection, actor: Actor, viewer: Viewer,
                             meeting_id: int) -> None:
    """Re-open the meeting's confidential papers to exactly those who may now see confidential
    items (called after the meeting, its agenda or its register changes)."""
    meeting = meetings.get(conn, meeting_id)
    if not meeting["folder_id"] or not folders.exists(conn, meeting["folder_id"]):
        return
    lib = _library_viewer(viewer, actor, elevate=True)
    try:
        _sync_room(conn, lib, meeting["folder_id"], meeting["body_id"])
    except (NotFound, Forbidden):
        return  # not this person's to maintain (a room that leaves them out)


def follow_access_change(conn: Connection, body_id: int | None = None, **_details) -> None:
    """Re-derive the confidential paper rooms after a role, capability or membership change
    (of one body's meetings, or all), so nobody keeps or waits for access to them."""
    manager = conn.execute("SELECT id FROM users WHERE role = 'manager' ORDER BY id LIMIT 1"
                           ).fetchone()
    viewer = Viewer.load(conn, manager["id"]) if manager else None
    if viewer is None:
        return
    actor = Actor(None, "system (access change)")
    query = "SELECT id FROM meetings WHERE folder_id IS NOT NULL"
    rows = (conn.execute(query + " AND body_id = ?", (body_id,)) if body_id is not None
            else conn.execute(query)).fetchall()
    for row in rows:
        sync_confidential_access(conn, actor, viewer, row["id"])


events.subscribe(events.ACCESS_CHANGED, follow_access_change)


def _confidential_folder(conn: Connection, actor: Actor, viewer: Viewer, meeting) -> int:
    """The meeting's restricted sub-folder, its access list brought up to date."""
    lib = _library_viewer(viewer, actor, elevate=True)
    parent = ensure_folder(conn, actor, viewer, meeting["id"])
    found = _sync_room(conn, lib, parent, meeting["body_id"])
    if found is not None:
        return found
    if conn.execute("SELECT 1 FROM folders WHERE parent_id = ? AND title = ? AND restricted = 1"
                    " AND deleted_at IS NULL", (parent, CONFIDENTIAL_FOLDER)).fetchone():
        raise Forbidden("the confidential papers' room is not open to this person")
    audience = _confidential_audience(conn, meeting["body_id"])
    return folders.create_folder(
        conn, lib, parent_id=parent, title=CONFIDENTIAL_FOLDER, restricted=True, users=audience,
        description=f"Papers of confidential items: open to members of {meeting['body_name']},"
                    " Editors and Managers.")


def upload(conn: Connection, actor: Actor, viewer: Viewer, item_id: int, parts, *,
           limit: int, fields: dict | None = None) -> list[int]:
    """Upload files into the meeting's folder (or its confidential sub-folder) and attach them
    to the item; returns the new document ids. `parts` stream in (the library's upload parts);
    `fields` fills with the form's other fields as they pass (a 'title' renames one file)."""
    fields = {} if fields is None else fields
    item = agenda.get_item(conn, item_id, viewer)
    meeting = meetings.get(conn, item["meeting_id"])
    agenda.check_open(meeting)
    lib = _library_viewer(viewer, actor)
    # One transaction: a refused file (or title) leaves no folder made for it, no file
    # stored and nothing attached.
    with transaction(conn):
        try:
            if item["confidential"]:
                folder_id = _confidential_folder(conn, actor, viewer, meeting)
            else:
                folder_id = ensure_folder(conn, actor, viewer, meeting["id"])
            stored = documents.store_files(conn, lib, folder_id, parts, limit=limit)
            title = fields.get("title", "").strip()
            if title and len(stored) == 1:
                documents.update_document(conn, lib, stored[0][0], title=title,
                                          description="")
        except NotFound:
            raise InvalidInput(FOLDER_CLOSED) from None
        except Forbidden as exc:
            raise InvalidInput(f"The library refused the upload: {exc}. "
                               f"{FOLDER_CLOSED}") from None
        for doc_id, _ in stored:
            agenda.attach(conn, actor, item_id, "document", doc_id)
    documents.index_text(conn, stored)
    return [doc_id for doc_id, _ in stored]


def link(conn: Connection, actor: Actor, viewer: Viewer, item_id: int, kind: str,
         ref_id: int) -> int:
    """Attach an existing library document or page that the person may open."""
    item = agenda.get_item(conn, item_id, viewer)
    lib = _library_viewer(viewer, actor)
    try:
        if kind == "document":
            documents.get_document(conn, lib, ref_id)
        elif kind == "page":
            pages.get_page(conn, lib, ref_id)
        else:
            raise InvalidInput("A paper is a library document or page.")
    except NotFound:
        raise InvalidInput("That document or page is not in the library.") from None
    with transaction(conn):  # a refused link leaves no room made or changed for it
        if item["confidential"]:
            # Keep the confidential room's list current for the new paper's readers.
            try:
                _confidential_folder(conn, actor, viewer,
                                     meetings.get(conn, item["meeting_id"]))
            except (NotFound, Forbidden):
                raise InvalidInput(FOLDER_CLOSED) from None
        return agenda.attach(conn, actor, item_id, kind, ref_id)


def linkable(conn: Connection, viewer: Viewer) -> list[tuple[str, str]]:
    """Documents and pages the viewer may open, as ('kind:id', label), by folder and title."""
    lib = _library_viewer(viewer)
    found = []
    for folder in folders.all_visible(conn, lib):
        for doc in documents.in_folder(conn, lib, folder["id"]):
            found.append((f"document:{doc['id']}", f"{doc['title']} (in {folder['title']})"))
        for page in pages.in_folder(conn, lib, folder["id"]):
            found.append((f"page:{page['id']}", f"{page['title']} (page in {folder['title']})"))
    return found
