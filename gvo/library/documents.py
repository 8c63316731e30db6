"""Documents: uploaded files with versions, kept as chunked BLOBs.

Uploads arrive as an iterator of parts (name + chunks) straight from the
request body. Every file is first read and checked with no transaction open
(`gvo.library.intake`: size limit, type from its bytes, caps on what a ZIP
holds), and only then copied into the database, all files in one transaction:
a refused or oversized file leaves nothing behind and never holds the school's
write lock. Its text is extracted for search afterwards, outside any
transaction and under limits (`gvo.library.extract`), and indexed in a short
transaction of its own. Until then (and for good, if extraction hits a limit)
search finds the document by its title and file name.
"""

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from gvo.core import audit, clock, paging
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound
from gvo.core.identity import Identity
from gvo.discussion import subjects
from gvo.library import blobs, extract, intake, search, wastebin
from gvo.library._util import (
    clean_title,
    folder_subject,
    require_visible,
    visible_items,
)
from gvo.library.access import (
    require_add_in,
    require_change,
    visible_cte,
)
from gvo.people import settings
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection, OperationalError, is_busy

DEFAULT_LIMIT_MB = 50
MAX_FILES = 20
# Text extraction of one upload's files stops starting new files after this many seconds;
# the rest are found by title and file name ('limit:time').
EXTRACT_BATCH_SECONDS = 120

log = logging.getLogger(__name__)


@dataclass
class Stored:
    """What storing one file produced."""

    blob_id: int
    filename: str
    mime: str
    size: int


def upload_limit(conn: Connection, ceiling: int | None = None) -> int:
    """The school's per-file limit in bytes (setting upload_limit_mb), capped by the server's."""
    value = settings.get(conn, "upload_limit_mb") or str(DEFAULT_LIMIT_MB)
    try:
        limit = int(value) * 1024 * 1024
    except ValueError:
        limit = DEFAULT_LIMIT_MB * 1024 * 1024
    return min(limit, ceiling) if ceiling else limit


def _title_from(name: str) -> str:
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return (stem.replace("_", " ").strip() or name)[:200]


def _store(conn: Connection, checked: intake.Checked) -> Stored:
    """Copy a checked file into a new blob (inside the caller's transaction)."""
    writer = blobs.BlobWriter(conn)
    for chunk in checked.chunks():
        writer.write(chunk)
    return Stored(writer.close(), checked.filename, checked.mime, checked.size)


def _about(filename: str, description: str) -> str:
    """What the search index's `about` column holds for a document."""
    return "\n".join(x for x in (filename, description) if x)


def _require_upload(conn: Connection, viewer: Identity, folder_id: int,
                    keeper: str | None = None) -> None:
    require_add_in(conn, viewer, folder_id, keeper)


def add_files(conn: Connection, viewer: Identity, folder_id: int,
              parts: Iterable[intake.UploadPart], *, limit: int) -> list[int]:
    """Upload one or many files into a folder as new documents; all or nothing.

    The files are read and checked first (`intake.receive`, no transaction open), stored
    in one transaction, and their text is indexed after it commits. Raises as
    `intake.receive` and `store_files` do.
    """
    _require_upload(conn, viewer, folder_id)
    with intake.receive(parts, limit=limit, max_files=MAX_FILES) as files:
        stored_files = store_files(conn, viewer, folder_id, files)
    index_text(conn, stored_files)
    return [doc_id for doc_id, _ in stored_files]


def store_files(conn: Connection, viewer: Identity, folder_id: int,
                files: list[intake.Checked], *, keeper: str | None = None
                ) -> list[tuple[int, Stored]]:
    """Store files already checked by `intake.receive` (called before the transaction opens)
    as new documents of a folder; (document id, what was stored) for each, to pass to
    `index_text` once the caller's transaction has committed (extraction never runs inside
    a write transaction).

    `keeper`: the feature storing into a folder it keeps (`access.may_add_in`).
    Raises InvalidInput (no file) or NotPermitted; then nothing is stored.
    """
    _require_upload(conn, viewer, folder_id, keeper)
    stored_files = []
    now = clock.iso()
    with transaction(conn), blobs.small_cache(conn):
        for checked in files:
            stored = _store(conn, checked)
            title = _title_from(stored.filename)
            doc_id = conn.execute(
                "INSERT INTO documents(folder_id, title, owner_id, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)", (folder_id, title, viewer.user_id, now, now)
            ).lastrowid
            _add_version_row(conn, viewer, doc_id, 1, stored, now)
            search.index(conn, "document", doc_id, folder_id, title, "",
                         about=_about(stored.filename, ""))
            audit.record(conn, viewer, "library.document.upload", f"document:{doc_id}",
                         folder=folder_id, filename=stored.filename, mime=stored.mime,
                         size=stored.size)
            stored_files.append((doc_id, stored))
        if not stored_files:
            raise InvalidInput("Choose at least one file to upload.")
    return stored_files


def index_text(conn: Connection, stored_files: list[tuple[int, Stored]]) -> None:
    """Extract each stored file's text (no transaction open) and index it (a short one).

    Only a document's latest version is indexed; each version records how it went.
    """
    if conn.in_transaction:
        raise RuntimeError("text is extracted after the upload's transaction, never inside")
    deadline = time.monotonic() + EXTRACT_BATCH_SECONDS
    for doc_id, stored in stored_files:
        if time.monotonic() < deadline:
            found = extract.extract(conn, stored.blob_id, stored.mime, stored.size)
        else:
            found = extract.Extracted("", "limit:time")
        try:
            _save_text(conn, doc_id, stored.blob_id, found)
        except OperationalError as exc:
            if not is_busy(exc):
                raise
            # The files are saved; only their text waits ('pending', found by title).
            log.warning("text of document %s not indexed: the database stayed busy", doc_id)


def _save_text(conn: Connection, doc_id: int, blob_id: int, found: extract.Extracted) -> None:
    with transaction(conn):
        conn.execute("UPDATE document_versions SET text_status = ? WHERE blob_id = ?",
                     (found.status, blob_id))
        doc = conn.execute(_DOC + " WHERE d.id = ?", (doc_id,)).fetchone()
        if doc is not None and doc["blob_id"] == blob_id:
            search.index(conn, "document", doc_id, doc["folder_id"], doc["title"], found.text,
                         about=_about(doc["filename"], doc["description"]))


def _add_version_row(conn, viewer, doc_id, number, stored: Stored, now) -> int:
    return conn.execute(
        "INSERT INTO document_versions(document_id, number, blob_id, filename, mime, size,"
        " uploaded_by, uploaded_at, text_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
        (doc_id, number, stored.blob_id, stored.filename, stored.mime, stored.size,
         viewer.user_id, now)).lastrowid


def add_version(conn: Connection, viewer: Identity, doc_id: int,
                parts: Iterable[intake.UploadPart], *, limit: int) -> int:
    """Upload a new version of a document (its owner or an Editor) from the first file of
    `parts`; returns its number.

    The whole upload is read and its file checked before the version's transaction opens
    (any further files are read and ignored), so one that breaks after the file (cut
    short, malformed) keeps nothing and none holds the write lock. Raises InvalidInput
    when there is no file, and as `intake.receive` does.
    """
    doc = get_document(conn, viewer, doc_id)
    require_change(viewer, doc["owner_id"])
    with intake.receive(parts, limit=limit, max_files=1, first_only=True) as files:
        if not files:
            raise InvalidInput("Choose a file for the new version.")
        now = clock.iso()
        with transaction(conn), blobs.small_cache(conn):
            stored = _store(conn, files[0])
            number = conn.execute("SELECT coalesce(max(number), 0) + 1 FROM document_versions"
                                  " WHERE document_id = ?", (doc_id,)).fetchone()[0]
            _add_version_row(conn, viewer, doc_id, number, stored, now)
            conn.execute("UPDATE documents SET updated_at = ? WHERE id = ?", (now, doc_id))
            # The earlier version's text stays searchable until this one's is read.
            search.index(conn, "document", doc_id, doc["folder_id"], doc["title"], None,
                         about=_about(stored.filename, doc["description"]))
            audit.record(conn, viewer, "library.document.version", f"document:{doc_id}",
                         version=number, filename=stored.filename, mime=stored.mime,
                         size=stored.size)
    index_text(conn, [(doc_id, stored)])
    return number


_DOC = (
    "SELECT d.*, v.number AS version, v.filename, v.mime, v.size, v.uploaded_at,"
    " v.blob_id, v.text_status, u.name AS owner_name FROM documents d"
    " JOIN document_versions v ON v.document_id = d.id AND v.number ="
    "  (SELECT max(number) FROM document_versions WHERE document_id = d.id)"
    " LEFT JOIN users u ON u.id = d.owner_id"
)


@reads.once
def get_document(conn: Connection, viewer: Identity, doc_id: int, *,
                 include_deleted: bool = False):
    """A document the viewer may open (with its latest version); NotFound otherwise."""
    row = conn.execute(_DOC + " WHERE d.id = ?", (doc_id,)).fetchone()
    return require_visible(conn, viewer, row, "document", include_deleted=include_deleted)


def get_many(conn: Connection, viewer: Identity, doc_ids: list[int]) -> list:
    """The documents among `doc_ids` the viewer may open (with their latest versions), in
    one statement whatever their number; missing, deleted and hidden ones are left out."""
    return visible_items(conn, viewer, _DOC, "d", doc_ids)


def all_visible(conn: Connection, viewer: Identity) -> list:
    """Every document the viewer may open, by title (for pickers), in one statement."""
    return visible_items(conn, viewer, _DOC, "d")


def stored_names(conn: Connection, viewer: Identity, doc_ids: list[int]) -> list[str]:
    """The file names the documents' latest versions are stored under (as the library shows
    and sends them), in the order of `doc_ids`."""
    return [get_document(conn, viewer, doc_id)["filename"] for doc_id in doc_ids]


_IN_FOLDER = (" WHERE d.folder_id = :folder AND d.deleted_at IS NULL"
              " AND d.folder_id IN (SELECT id FROM visible_folders)")
_BY_TITLE = ("d.title COLLATE NOCASE", "d.id")


def in_folder(conn: Connection, viewer: Identity, folder_id: int) -> list:
    """All the documents in a folder the viewer may open, by title."""
    cte, params = visible_cte(viewer)
    params["folder"] = folder_id
    return conn.execute(cte + _DOC + _IN_FOLDER + f" ORDER BY {', '.join(_BY_TITLE)}",
                        params).fetchall()


def folder_page(conn: Connection, viewer: Identity, folder_id: int, after: str | None = None,
                size: int = paging.SIZE) -> paging.Page:
    """A page of the documents in a folder the viewer may open, by title, after the
    position `after` (`Page.after` of the page before; InvalidInput for a bad one)."""
    cte, params = visible_cte(viewer)
    params["folder"] = folder_id
    return paging.keyset(conn, cte + _DOC + _IN_FOLDER + " AND {after}", params,
                         columns=_BY_TITLE, key_of=lambda r: (r["title"], r["id"]),
                         after=after, size=size)


def versions(conn: Connection, doc_id: int) -> list:
    """Every version of a document, newest first, with who uploaded it."""
    return conn.execute(
        "SELECT v.*, u.name AS uploader FROM document_versions v LEFT JOIN users u"
        " ON u.id = v.uploaded_by WHERE v.document_id = ? ORDER BY v.number DESC",
        (doc_id,)).fetchall()


def get_version(conn: Connection, viewer: Identity, doc_id: int, number: int | None):
    """One version (default: the latest) of a document the viewer may open."""
    doc = get_document(conn, viewer, doc_id)
    number = doc["version"] if number is None else number
    row = conn.execute("SELECT * FROM document_versions WHERE document_id = ? AND number = ?",
                       (doc_id, number)).fetchone()
    if row is None:
        raise NotFound("no such version")
    return row


def update_document(conn: Connection, viewer: Identity, doc_id: int, *, title: str,
                    description: str) -> None:
    """Rename a document or change its description (owner or Editor)."""
    doc = get_document(conn, viewer, doc_id)
    require_change(viewer, doc["owner_id"])
    title = clean_title(title)
    with transaction(conn):
        conn.execute("UPDATE documents SET title = ?, description = ?, updated_at = ?"
                     " WHERE id = ?", (title, description.strip(), clock.iso(), doc_id))
        search.index(conn, "document", doc_id, doc["folder_id"], title, None,
                     about=_about(doc["filename"], description.strip()))
        audit.record(conn, viewer, "library.document.update", f"document:{doc_id}", title=title)


def delete_document(conn: Connection, viewer: Identity, doc_id: int) -> None:
    """Move a document to the wastebin (owner or Editor)."""
    doc = get_document(conn, viewer, doc_id)
    require_change(viewer, doc["owner_id"])
    wastebin.discard(conn, viewer, "document", doc)


def subject_of(conn: Connection, doc) -> subjects.Subject:
    """The document `get_document` returned, as the subject of its comments and approval
    (for a view that has it already: no second read)."""
    return folder_subject(conn, "document", doc, "library.show_document", "doc_id")


def _subject(conn: Connection, viewer: Identity, doc_id: int) -> subjects.Subject:
    return subject_of(conn, get_document(conn, viewer, doc_id))


subjects.register("document", _subject)
