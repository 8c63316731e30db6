"""Comments on any subject (documents, pages and minutes now; policies, tasks later).

Threaded replies; authors edit or delete their own while nobody has replied;
whoever the subject's feature lets moderate can lock the thread. Who may take
part is the subject's rule (`Subject.may_take_part`), not this module's.
"""

import json
from dataclasses import dataclass, field

from gvo.core import audit, clock, paging
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.discussion import followers, subjects
from gvo.discussion.subjects import Subject
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection

MAX_BODY = 10_000


@dataclass
class Comment:
    """A comment with its replies."""

    row: object
    replies: list = field(default_factory=list)
    continued: bool = False  # a reply shown apart from its parent (on an earlier page)

    def __getattr__(self, name):
        return self.row[name]

    def __getitem__(self, name):
        return self.row[name]


def is_locked(conn: Connection, subject: Subject) -> bool:
    """Whether the subject's comments are locked."""
    return _locked(conn, subject.type, subject.id)


@reads.once
def _locked(conn: Connection, subject_type: str, subject_id: int) -> bool:
    return conn.execute("SELECT 1 FROM comment_locks WHERE subject_type = ? AND subject_id = ?",
                        (subject_type, subject_id)).fetchone() is not None


PAGE_SIZE = 50  # comments per page of a thread
_ORDER = ("c.root_id", "c.id")
# A deleted comment stays as a stub while it has live replies (by the rules nobody can
# delete a comment that has them, so this is a safeguard).
_SHOWN = ("(c.deleted_at IS NULL OR EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = c.id"
          " AND r.deleted_at IS NULL))")
_ROW = ("SELECT c.*, u.name AS author_name, (SELECT count(*) FROM comments r"
        " WHERE r.parent_id = c.id AND r.deleted_at IS NULL) AS reply_count"
        " FROM comments c LEFT JOIN users u ON u.id = c.author_id")


def thread(conn: Connection, subject: Subject, after: str | None = None,
           size: int = PAGE_SIZE) -> paging.Page:
    """One page of the subject's comments, oldest thread first: at most `size` comments,
    as trees (each top-level comment with its replies under it).

    A page ends at the end of a top-level comment's thread unless that thread alone is
    longer than a page; then its later replies come on the next page, at its top, with
    `continued` set (their parent was on an earlier page). `after` is the token of the
    previous page (`Page.after`); InvalidInput for a bad one.
    """
    rows, more = paging.fetch(
        conn, _ROW + " WHERE c.subject_type = :type AND c.subject_id = :id"
        f" AND {_SHOWN} AND {{after}}", {"type": subject.type, "id": subject.id},
        columns=_ORDER, after=paging.decode(after, len(_ORDER)), size=size)
    if more and rows[0]["root_id"] != rows[-1]["root_id"]:
        # Leave the last thread whole for the next page.
        last_root = rows[-1]["root_id"]
        rows = [r for r in rows if r["root_id"] != last_root]
    page = paging.page_of(rows, more, lambda r: (r["root_id"], r["id"]))
    return paging.Page(_tree(rows), page.after)


def _tree(rows: list) -> list[Comment]:
    """Rows in (root, id) order as trees; a reply whose parent is not among them is a tree
    of its own, marked `continued`."""
    nodes = {r["id"]: Comment(r) for r in rows}
    top = []
    for r in rows:
        node = nodes[r["id"]]
        parent = nodes.get(r["parent_id"]) if r["parent_id"] else None
        if parent is not None:
            parent.replies.append(node)
        else:
            node.continued = r["parent_id"] is not None
            top.append(node)
    return top


def one(conn: Connection, subject: Subject, comment_id: int) -> Comment:
    """A live comment of this subject with its author's name and reply count (its replies
    not loaded): what a page shows after the comment was posted or changed. NotFound
    otherwise."""
    row = conn.execute(_ROW + " WHERE c.id = ? AND c.subject_type = ? AND c.subject_id = ?"
                       " AND c.deleted_at IS NULL",
                       (comment_id, subject.type, subject.id)).fetchone()
    if row is None:
        raise NotFound("no such comment")
    return Comment(row)


def count(conn: Connection, subject: Subject) -> int:
    """How many live comments a subject has."""
    return conn.execute("SELECT count(*) FROM comments WHERE subject_type = ? AND subject_id = ?"
                        " AND deleted_at IS NULL", (subject.type, subject.id)).fetchone()[0]


def counts(conn: Connection, subject_type: str, subject_ids: list[int]) -> dict[int, int]:
    """How many live comments each of several subjects of one kind has, in one statement:
    {subject id: count}, subjects without comments left out."""
    return dict(conn.execute(
        "SELECT subject_id, count(*) FROM comments WHERE subject_type = ?"
        " AND subject_id IN (SELECT value FROM json_each(?)) AND deleted_at IS NULL"
        " GROUP BY subject_id", (subject_type, json.dumps(list(subject_ids)))).fetchall())


def may_comment(conn: Connection, viewer: Identity, subject: Subject) -> bool:
    """Whoever the subject lets take part may comment while the thread is not locked."""
    return subject.may_take_part(viewer) and not is_locked(conn, subject)


def _on_text(conn: Connection, subject: Subject, comment_id: int, body: str | None) -> None:
    if subject.on_text is not None:
        subject.on_text(conn, comment_id, body)


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body or len(body) > MAX_BODY:
        raise InvalidInput(f"A comment of 1-{MAX_BODY:,} characters is required.")
    return body


def add(conn: Connection, viewer: Identity, subject: Subject, body: str,
        parent_id: int | None = None) -> int:
    """Comment on a subject, or reply to one of its comments."""
    if not subject.may_take_part(viewer):
        raise NotPermitted("you may not comment here")
    if is_locked(conn, subject):
        raise NotPermitted("comments on this item are locked")
    body = _check_body(body)
    parent = None
    if parent_id is not None:
        parent = conn.execute("SELECT * FROM comments WHERE id = ? AND subject_type = ?"
                              " AND subject_id = ? AND deleted_at IS NULL",
                              (parent_id, subject.type, subject.id)).fetchone()
        if parent is None:
            raise NotFound("no such comment")
    with transaction(conn):
        comment_id = conn.execute(
            "INSERT INTO comments(subject_type, subject_id, parent_id, root_id, author_id,"
            " body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (subject.type, subject.id, parent_id, parent["root_id"] if parent else None,
             viewer.user_id, body, clock.iso())).lastrowid
        if parent is None:  # a top-level comment is the root of its own thread
            conn.execute("UPDATE comments SET root_id = id WHERE id = ?", (comment_id,))
        _on_text(conn, subject, comment_id, body)
        audit.record(conn, viewer, "comment.add", f"comment:{comment_id}",
                     subject=f"{subject.type}:{subject.id}", parent=parent_id)
        _tell(conn, viewer, subject, parent)
    return comment_id


def _tell(conn: Connection, viewer: Identity, subject: Subject, parent) -> None:
    """Mail the subject's followers (and, for a reply, the author of the comment replied
    to) of a new comment: the item's title and a link, never the comment's words."""
    name = viewer.name or "Someone"
    if parent is None:
        followers.tell(conn, viewer, subject, kind="comment",
                       headline=f"{name} commented on",
                       subject_line=f"New comment on “{subject.title}”",
                       gathered=f"{{n}} new comments on “{subject.title}”")
    else:
        followers.tell(conn, viewer, subject, kind="reply",
                       headline=f"{name} replied to a comment on",
                       subject_line=f"New reply on “{subject.title}”",
                       gathered=f"{{n}} new replies on “{subject.title}”",
                       also=[parent["author_id"]] if parent["author_id"] else [],
                       also_why="someone replied to your comment")


def get_comment(conn: Connection, subject: Subject, comment_id: int):
    """A live comment of this subject; NotFound otherwise."""
    row = conn.execute("SELECT c.*, (SELECT count(*) FROM comments r WHERE r.parent_id = c.id"
                       " AND r.deleted_at IS NULL) AS reply_count FROM comments c"
                       " WHERE c.id = ? AND c.subject_type = ? AND c.subject_id = ?"
                       " AND c.deleted_at IS NULL",
                       (comment_id, subject.type, subject.id)).fetchone()
    if row is None:
        raise NotFound("no such comment")
    return row


def _require_own_unanswered(conn, viewer, subject, row) -> None:
    if row["author_id"] != viewer.user_id or not subject.may_take_part(viewer):
        raise NotPermitted("only its author may change a comment")
    if row["reply_count"]:
        raise NotPermitted("a comment cannot change once someone has replied")
    if is_locked(conn, subject):
        raise NotPermitted("comments on this item are locked")


def edit(conn: Connection, viewer: Identity, subject: Subject, comment_id: int,
         body: str) -> None:
    """Change your own comment while nobody has replied."""
    row = get_comment(conn, subject, comment_id)
    _require_own_unanswered(conn, viewer, subject, row)
    body = _check_body(body)
    with transaction(conn):
        conn.execute("UPDATE comments SET body = ?, edited_at = ? WHERE id = ?",
                     (body, clock.iso(), comment_id))
        _on_text(conn, subject, comment_id, body)
        audit.record(conn, viewer, "comment.edit", f"comment:{comment_id}",
                     subject=f"{subject.type}:{subject.id}")


def delete(conn: Connection, viewer: Identity, subject: Subject, comment_id: int) -> None:
    """Delete your own comment while nobody has replied."""
    row = get_comment(conn, subject, comment_id)
    _require_own_unanswered(conn, viewer, subject, row)
    with transaction(conn):
        conn.execute("UPDATE comments SET deleted_at = ? WHERE id = ?", (clock.iso(), comment_id))
        _on_text(conn, subject, comment_id, None)
        audit.record(conn, viewer, "comment.delete", f"comment:{comment_id}",
                     subject=f"{subject.type}:{subject.id}")


def may_lock(viewer: Identity, subject: Subject) -> bool:
    """Whoever the subject lets moderate (library: its owner or an Editor) may lock and
    unlock its comments."""
    return subject.may_moderate(viewer)


def set_locked(conn: Connection, viewer: Identity, subject: Subject, locked: bool) -> None:
    """Lock or unlock a subject's comments."""
    if not may_lock(viewer, subject):
        raise NotPermitted("you may not lock these comments")
    with transaction(conn):
        if locked:
            conn.execute("INSERT OR IGNORE INTO comment_locks(subject_type, subject_id,"
                         " locked_by, locked_at) VALUES (?, ?, ?, ?)",
                         (subject.type, subject.id, viewer.user_id, clock.iso()))
        else:
            conn.execute("DELETE FROM comment_locks WHERE subject_type = ? AND subject_id = ?",
                         (subject.type, subject.id))
        audit.record(conn, viewer, "comment.lock" if locked else "comment.unlock",
                     f"{subject.type}:{subject.id}")


@dataclass(frozen=True)
class Reply:
    """A reply someone else made to one of the viewer's comments: the subject it is on (as
    the viewer may see it), the reply's id, author's name and time (UTC ISO)."""

    subject: Subject
    comment_id: int
    author_name: str
    at: str


def replies_to(conn: Connection, viewer: Identity, since: str, limit: int = 20) -> list[Reply]:
    """Replies by others to the viewer's comments made at or after `since` (UTC ISO), newest
    first, at most `limit`, only on subjects the viewer may still see (each subject's own
    rule, `subjects.load`). For the home page's "For you" and the newsletter."""
    rows = conn.execute(
        "SELECT c.id, c.subject_type, c.subject_id, c.created_at, u.name AS author_name"
        " FROM comments p JOIN comments c ON c.parent_id = p.id"
        " LEFT JOIN users u ON u.id = c.author_id"
        " WHERE p.author_id = ? AND c.author_id IS NOT ? AND c.deleted_at IS NULL"
        " AND c.created_at >= ? ORDER BY c.created_at DESC, c.id DESC "
        + paging.limit_clause(limit), (viewer.user_id, viewer.user_id, since)).fetchall()
    seen: dict[tuple[str, int], Subject | None] = {}
    out = []
    for row in rows:
        key = (row["subject_type"], row["subject_id"])
        if key not in seen:
            try:
                seen[key] = subjects.load(conn, viewer, *key)
            except NotFound:
                seen[key] = None
        if seen[key] is not None:
            out.append(Reply(seen[key], row["id"], row["author_name"] or "Someone",
                             row["created_at"]))
    return out
