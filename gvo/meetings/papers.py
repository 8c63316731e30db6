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
`gvo.core.events.ACCESS_CHANGED`; that re-derivation is the office's own work, done as
`Identity.system`). Making the top-level folder needs a Manager in the library;
the library lets holders of "manage meetings" make and maintain the meetings' folders
(`GRANT`, the library's `grant`), and nothing else: everyone acts as who they are.
A paper of kind "policy" is a policy of the register (gvo.policies): listed to those who may
see it there, linking to its page, where its draft is approved (gvo.policies.lifecycle).
The folders are found by the ids GVO stored when it made them (the school's setting
`meetings.papers_folder`, the meeting's `folder_id` and `confidential_folder_id`), never
by title: a folder anyone else makes, whatever it is called, never receives papers.
"""

from dataclasses import dataclass

from gvo.core import dates, events
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.discussion import approvals, comments
from gvo.library import blobs, documents, folders, intake, pages, pdf_copies, sniff
from gvo.meetings import agenda, meetings
from gvo.meetings.pdf import html_pdf
from gvo.meetings.rules import sees_confidential
from gvo.people import settings
from gvo.policies import register as policy_register
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection

# The policies `who` may see (gvo.policies.register.listing), read once per request: the
# agenda's papers and the paper picker both need them.
_policies = reads.once(policy_register.listing)

PDF = "application/pdf"
TOP_FOLDER = "Meeting papers"
CONFIDENTIAL_FOLDER = "Confidential (part 2)"
# The capability whose holders make and maintain the meetings' folders in the library.
GRANT = "manage_meetings"
TOP_FOLDER_SETTING = "meetings.papers_folder"
FOLDER_CLOSED = ("This meeting's papers folder in the library (or its confidential room) is not "
                 "open to you, so nothing was added. Ask a Manager who can open it to give you "
                 "access, or to add the paper.")


@dataclass
class PaperView:
    """A paper as a viewer may see it."""

    id: int                 # agenda_papers.id
    item_id: int
    kind: str               # document | page | policy
    ref_id: int
    title: str
    filename: str = ""
    mime: str = ""
    comments: int = 0
    approvals: int = 0
    blob_id: int | None = None
    size: int = 0           # bytes of a document's latest version

    @property
    def opens_in_browser(self) -> bool:
        """Whether the paper opens in the browser itself: a page, or a PDF or image document
        (`sniff.INLINE`); other documents (Word, Excel...) are downloaded."""
        return self.kind == "page" or self.mime in sniff.INLINE

    @property
    def type_label(self) -> str:
        """What kind of paper it is, in words ("PDF", "Word", "library page", "policy")."""
        if self.kind == "policy":
            return "policy"
        return sniff.label(self.mime) if self.kind == "document" else "library page"


def for_item(conn: Connection, who: Identity, item_id: int) -> list[PaperView]:
    """The papers of an item that `who` may open, in order."""
    return for_items(conn, who, [item_id]).get(item_id, [])


def for_items(conn: Connection, who: Identity, item_ids: list[int]) -> dict[int, list[PaperView]]:
    """The papers of several items that `who` may open: {item id: its papers, in order}.

    The same papers as `resolve` gives one by one (the library's rule decides which
    `who` may open), read in a fixed number of statements (links, documents, pages,
    comment and approval counts), whatever the number of items and papers.
    """
    links = agenda.papers_of(conn, item_ids)
    wanted = {kind: [link["ref_id"] for link in links if link["kind"] == kind]
              for kind in ("document", "page")}
    found = {
        "document": {d["id"]: d for d in documents.get_many(conn, who, wanted["document"])}
        if wanted["document"] else {},
        "page": {p["id"]: p for p in pages.get_many(conn, who, wanted["page"])}
        if wanted["page"] else {},
    }
    counted = {kind: (comments.counts(conn, kind, list(found[kind])),
                      approvals.counts(conn, kind, list(found[kind])))
               for kind in found if found[kind]}
    if any(link["kind"] == "policy" for link in links):  # the register's rule decides
        found["policy"] = {p["id"]: p | {"title": p["name"]}
                           for p in _policies(conn, who)}
        counted["policy"] = ({}, {})
    by_item: dict[int, list[PaperView]] = {item_id: [] for item_id in item_ids}
    for link in links:
        row = found.get(link["kind"], {}).get(link["ref_id"])
        if row is None:
            continue
        paper = PaperView(link["id"], link["item_id"], link["kind"], link["ref_id"],
                          row["title"])
        if link["kind"] == "document":
            paper.filename, paper.mime = row["filename"], row["mime"]
            paper.blob_id, paper.size = row["blob_id"], row["size"]
        comment_counts, approval_counts = counted[link["kind"]]
        paper.comments = comment_counts.get(link["ref_id"], 0)
        paper.approvals = approval_counts.get(link["ref_id"], 0)
        by_item[link["item_id"]].append(paper)
    return by_item


def content(conn: Connection, who: Identity, paper: PaperView, school: pdf_copies.School, *,
            converter: str = pdf_copies.PROGRAM) -> tuple[bytes | None, str]:
    """What goes into a pack for a paper `who` may open, and how it was had: a PDF document's
    latest version as stored ('pdf'); a Word, Excel, PowerPoint or OpenDocument one's PDF copy
    ('converted': `gvo.library.pdf_copies`); a page rendered from its Markdown ('page').
    (None, why) when there is nothing to merge: the paper is gone or hidden ('gone'), is of
    another kind ('other'), or has no copy ('converting': queued for `school`'s conversions
    with the LibreOffice program `converter`, never waited for; 'missing': LibreOffice is
    not installed; or the copy's status): the pack lists it as provided separately."""
    try:
        if paper.kind == "document":
            doc = documents.get_document(conn, who, paper.ref_id)
            if doc["mime"] == PDF:
                return blobs.read_all(conn, doc["blob_id"]), "pdf"
            copy = pdf_copies.pdf_copy(conn, doc["blob_id"], doc["mime"], doc["size"], school,
                                       program=converter)
            return copy.data, "converted" if copy.data else copy.status
        if paper.kind == "page":
            page = pages.get_page(conn, who, paper.ref_id)
            return html_pdf(page["title"], pages.render(page["body"]),
                            f"Library page, updated {dates.moment_day(page['updated_at'])}"), "page"
    except NotFound:
        return None, "gone"
    return None, "other"


def convert_later(conn: Connection, who: Identity, doc_ids: list[int],
                  school: pdf_copies.School, *, converter: str = pdf_copies.PROGRAM) -> None:
    """Make the PDF copies of the Word, Excel, PowerPoint and OpenDocument papers just
    uploaded (`doc_ids`, which `who` may open) in the background, so the next board pack finds
    them ready (`gvo.library.pdf_copies.convert_in_background`: queued for `school`'s turn
    of the one conversion worker). Call it after the upload has committed."""
    versions = []
    for doc_id in doc_ids:
        doc = documents.get_document(conn, who, doc_id)
        versions.append((doc["blob_id"], doc["mime"], doc["size"]))
    pdf_copies.convert_in_background(school, versions, program=converter)


def _confidential_audience(conn: Connection, body_id: int) -> list[int]:
    users = conn.execute("SELECT id FROM users WHERE role != 'inactive'").fetchall()
    return [u["id"] for u in users
            if (v := Identity.load(conn, u["id"])) and sees_confidential(conn, v, body_id)]


def _live(conn: Connection, folder_id: int | None) -> bool:
    """Whether the folder is there and not in the wastebin."""
    return folder_id is not None and conn.execute(
        "SELECT 1 FROM folders WHERE id = ? AND deleted_at IS NULL", (folder_id,)
    ).fetchone() is not None


def _top_folder(conn: Connection, who: Identity) -> int:
    """The top-level folder of all meetings' papers, by its stored id (made on first use)."""
    stored = settings.get(conn, TOP_FOLDER_SETTING)
    if stored.isdigit() and _live(conn, int(stored)):
        return int(stored)
    with transaction(conn):
        folder_id = folders.create_folder(
            conn, who, parent_id=None, title=TOP_FOLDER, grant=GRANT,
            description="Papers of the board's and committees' meetings.")
        settings.put(conn, TOP_FOLDER_SETTING, str(folder_id))
    return folder_id


def ensure_folder(conn: Connection, who: Identity, meeting_id: int) -> int:
    """The library folder for a meeting's papers, made on first use."""
    meeting = meetings.get(conn, meeting_id)
    if _live(conn, meeting["folder_id"]):
        return meeting["folder_id"]
    title = f"{meeting['starts_at'][:10]} {meeting['title']} ({meeting['body_name']})"
    folder_id = folders.create_folder(conn, who, parent_id=_top_folder(conn, who),
                                      title=title[:200], grant=GRANT)
    meetings.set_folder(conn, who, meeting_id, folder_id)
    return folder_id


def _sync_room(conn: Connection, who: Identity, meeting) -> int | None:
    """Bring the meeting's confidential room's access list up to date; its id, or None if it
    has none. NotFound or NotPermitted if the room is not open to `who`."""
    room = meeting["confidential_folder_id"]
    if not _live(conn, room):
        return None
    row = folders.get_folder(conn, who, room)
    audience = _confidential_audience(conn, meeting["body_id"])
    users, groups = folders.access_list(conn, room)
    if sorted(users) != sorted(audience) or groups or not row["restricted"]:
        folders.update_folder(conn, who, room, title=row["title"],
                              description=row["description"], sort_order=row["sort_order"],
                              restricted=True, users=audience, grant=GRANT)
    return room


def sync_confidential_access(conn: Connection, who: Identity, meeting_id: int) -> None:
    """Re-open the meeting's confidential papers to exactly those who may now see confidential
    items (called after the meeting, its agenda or its register changes)."""
    meeting = meetings.get(conn, meeting_id)
    if not meeting["folder_id"] or not folders.exists(conn, meeting["folder_id"]):
        return
    try:
        _sync_room(conn, who, meeting)
    except (NotFound, NotPermitted):
        return  # not this person's to maintain (a room that leaves them out)


def follow_access_change(conn: Connection, body_id: int | None = None, **_details) -> None:
    """Re-derive the confidential paper rooms after a role, capability or membership change
    (of one body's meetings, or all), so nobody keeps or waits for access to them. The
    office does it by itself: as the system, holding `GRANT` only."""
    who = Identity.system("access change", {GRANT})
    query = "SELECT id FROM meetings WHERE folder_id IS NOT NULL"
    rows = (conn.execute(query + " AND body_id = ?", (body_id,)) if body_id is not None
            else conn.execute(query)).fetchall()
    for row in rows:
        sync_confidential_access(conn, who, row["id"])


events.subscribe(events.ACCESS_CHANGED, follow_access_change)


def follow_meeting_change(conn: Connection, meeting_id: int, who: Identity,
                          **_details) -> None:
    """After a meeting, its agenda or its register changed: re-open its confidential papers to
    exactly those who may now see confidential items, as the person who made the change."""
    sync_confidential_access(conn, who, meeting_id)


events.subscribe(events.MEETING_CHANGED, follow_meeting_change)


def _confidential_folder(conn: Connection, who: Identity, meeting) -> int:
    """The meeting's restricted sub-folder, its access list brought up to date."""
    parent = ensure_folder(conn, who, meeting["id"])
    meeting = meetings.get(conn, meeting["id"])
    found = _sync_room(conn, who, meeting)
    if found is not None:
        return found
    audience = _confidential_audience(conn, meeting["body_id"])
    with transaction(conn):
        room = folders.create_folder(
            conn, who, parent_id=parent, title=CONFIDENTIAL_FOLDER, restricted=True,
            users=audience, grant=GRANT,
            description=f"Papers of confidential items: open to members of "
                        f"{meeting['body_name']}, Editors and Managers.")
        meetings.set_folder(conn, who, meeting["id"], room, confidential=True)
    return room


def upload(conn: Connection, who: Identity, item_id: int, parts, *, limit: int,
           fields: dict | None = None) -> list[int]:
    """Upload files into the meeting's folder (or its confidential sub-folder) and attach them
    to the item; returns the new document ids. `parts` stream in (the library's upload parts)
    and are read and checked before any transaction opens (`intake.receive`); `fields` fills
    with the form's other fields as they pass (a 'title' renames one file)."""
    fields = {} if fields is None else fields
    item = agenda.get_item(conn, item_id, who)
    meeting = meetings.get(conn, item["meeting_id"])
    agenda.check_open(meeting)
    # Every file is read and checked first, with no transaction open; then one
    # transaction: a refused file (or title) leaves no folder made for it, no file
    # stored and nothing attached.
    with (intake.receive(parts, limit=limit, max_files=documents.MAX_FILES) as files,
          transaction(conn)):
        try:
            if item["confidential"]:
                folder_id = _confidential_folder(conn, who, meeting)
            else:
                folder_id = ensure_folder(conn, who, meeting["id"])
            stored = documents.store_files(conn, who, folder_id, files)
            title = fields.get("title", "").strip()
            if title and len(stored) == 1:
                documents.update_document(conn, who, stored[0][0], title=title,
                                          description="")
        except NotFound:
            raise InvalidInput(FOLDER_CLOSED) from None
        except NotPermitted as exc:
            raise InvalidInput(f"The library refused the upload: {exc}. "
                               f"{FOLDER_CLOSED}") from None
        for doc_id, _ in stored:
            agenda.attach(conn, who, item_id, "document", doc_id)
    documents.index_text(conn, stored)
    return [doc_id for doc_id, _ in stored]


def stored_names(conn: Connection, who: Identity, doc_ids: list[int]) -> list[str]:
    """The file names papers just uploaded are stored under (to show the uploader)."""
    return documents.stored_names(conn, who, doc_ids)


def link(conn: Connection, who: Identity, item_id: int, kind: str, ref_id: int) -> int:
    """Attach an existing library document or page that the person may open."""
    item = agenda.get_item(conn, item_id, who)
    try:
        if kind == "document":
            documents.get_document(conn, who, ref_id)
        elif kind == "page":
            pages.get_page(conn, who, ref_id)
        elif kind == "policy":
            policy_register.get(conn, who, ref_id)
        else:
            raise InvalidInput("A paper is a library document or page, or a policy.")
    except NotFound:
        raise InvalidInput("That document, page or policy is not there.") from None
    with transaction(conn):  # a refused link leaves no room made or changed for it
        if item["confidential"]:
            # Keep the confidential room's list current for the new paper's readers.
            try:
                _confidential_folder(conn, who, meetings.get(conn, item["meeting_id"]))
            except (NotFound, NotPermitted):
                raise InvalidInput(FOLDER_CLOSED) from None
        return agenda.attach(conn, who, item_id, kind, ref_id)


def linkable(conn: Connection, who: Identity) -> list[tuple[str, str]]:
    """Documents and pages `who` may open, as ('kind:id', label), by folder and title; then
    the policies of the register `who` may see."""
    docs, pages_in = {}, {}
    for doc in documents.all_visible(conn, who):  # three statements, however many folders
        docs.setdefault(doc["folder_id"], []).append(doc)
    for page in pages.all_visible(conn, who):
        pages_in.setdefault(page["folder_id"], []).append(page)
    found = []
    for folder in folders.all_visible(conn, who):
        for doc in docs.get(folder["id"], []):
            found.append((f"document:{doc['id']}", f"{doc['title']} (in {folder['title']})"))
        for page in pages_in.get(folder["id"], []):
            found.append((f"page:{page['id']}", f"{page['title']} (page in {folder['title']})"))
    for policy in _policies(conn, who):
        found.append((f"policy:{policy['id']}", f"{policy['name']} (policy)"))
    return found
