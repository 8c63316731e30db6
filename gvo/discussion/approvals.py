"""Approvals: a subject (a document or page now) marked "Approved" or "Read and approved".

Each governor's approval is recorded with name and time; the list shows who
has and who has not yet approved (everyone in the subject's audience who is not a
Reader); whoever the subject lets moderate (library: the owner or an Editor) asks
for it and can lock it; whoever it lets take part approves.
"""

import json

from gvo.core import audit, clock
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.discussion import followers, subjects
from gvo.discussion.subjects import Subject
from gvo.storage.sqlcipher import Connection

MODES = {"approved": "Approved", "read_approved": "Read and approved"}


def get(conn: Connection, subject: Subject):
    """The subject's approval request, or None."""
    return conn.execute("SELECT * FROM approvals WHERE subject_type = ? AND subject_id = ?",
                        (subject.type, subject.id)).fetchone()


def request_approval(conn: Connection, viewer: Identity, subject: Subject, mode: str) -> None:
    """Mark a subject for approval (whoever the subject lets moderate)."""
    if mode not in MODES:
        raise InvalidInput(f"choose one of: {', '.join(MODES.values())}")
    if not subject.may_moderate(viewer):
        raise NotPermitted("you may not ask for approval here")
    with transaction(conn):
        existing = get(conn, subject)
        if existing is not None and existing["locked_at"]:
            raise NotPermitted("the approval is locked")
        conn.execute(
            "INSERT INTO approvals(subject_type, subject_id, mode, requested_by, requested_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(subject_type, subject_id) DO UPDATE"
            " SET mode = excluded.mode",
            (subject.type, subject.id, mode, viewer.user_id, clock.iso()))
        audit.record(conn, viewer, "approval.request", f"{subject.type}:{subject.id}", mode=mode)
        if existing is None:  # a new request (changing its kind tells nobody again)
            _tell(conn, viewer, subject, mode)


def _tell(conn: Connection, viewer: Identity, subject: Subject, mode: str) -> None:
    """Mail the subject's followers and the people whose approval is asked (its audience,
    Readers apart, as `status` counts them) that it awaits approval."""
    approvers = [u["id"] for u in (subject.audience() if subject.audience else [])
                 if u["role"] != "reader"]
    followers.tell(conn, viewer, subject, kind="approval_request",
                   headline=f"{viewer.name or 'Someone'} asks for “{MODES[mode]}” on",
                   subject_line=f"Approval requested: “{subject.title}”",
                   also=approvers, also_why="your approval is asked for",
                   note="Open it to read it and record your approval.")


def approve(conn: Connection, viewer: Identity, subject: Subject) -> None:
    """Record the viewer's approval (whoever the subject lets take part, once, while it is
    open)."""
    if not subject.may_take_part(viewer):
        raise NotPermitted("you may not approve this")
    approval = get(conn, subject)
    if approval is None:
        raise InvalidInput("This item is not waiting for approval.")
    if approval["locked_at"]:
        raise NotPermitted("the approval is locked")
    with transaction(conn):
        cur = conn.execute("INSERT OR IGNORE INTO approval_marks(subject_type, subject_id,"
                           " user_id, at) VALUES (?, ?, ?, ?)",
                           (subject.type, subject.id, viewer.user_id, clock.iso()))
        if cur.rowcount:
            audit.record(conn, viewer, "approval.mark", f"{subject.type}:{subject.id}",
                         mode=approval["mode"])


def set_locked(conn: Connection, viewer: Identity, subject: Subject, locked: bool) -> None:
    """Lock (or reopen) an approval: whoever the subject lets moderate."""
    if not subject.may_moderate(viewer):
        raise NotPermitted("you may not lock this approval")
    if get(conn, subject) is None:
        raise InvalidInput("This item is not waiting for approval.")
    with transaction(conn):
        conn.execute("UPDATE approvals SET locked_at = ?, locked_by = ? WHERE subject_type = ?"
                     " AND subject_id = ?",
                     (clock.iso() if locked else None, viewer.user_id if locked else None,
                      subject.type, subject.id))
        audit.record(conn, viewer, "approval.lock" if locked else "approval.unlock",
                     f"{subject.type}:{subject.id}")


def status(conn: Connection, subject: Subject) -> tuple[list, list]:
    """(who approved, with time; who has not yet) among those who may open the subject."""
    marks = {r["user_id"]: r for r in conn.execute(
        "SELECT m.user_id, m.at, u.name FROM approval_marks m JOIN users u ON u.id = m.user_id"
        " WHERE m.subject_type = ? AND m.subject_id = ? ORDER BY m.at",
        (subject.type, subject.id))}
    audience = subject.audience() if subject.audience else []
    pending = [u for u in audience if u["id"] not in marks and u["role"] != "reader"]
    return list(marks.values()), pending


def counts(conn: Connection, subject_type: str, subject_ids: list[int]) -> dict[int, int]:
    """How many people approved each of several subjects of one kind (as `status`'s first
    list counts them), in one statement: {subject id: count}, unapproved ones left out."""
    return dict(conn.execute(
        "SELECT m.subject_id, count(DISTINCT m.user_id) FROM approval_marks m"
        " JOIN users u ON u.id = m.user_id WHERE m.subject_type = ?"
        " AND m.subject_id IN (SELECT value FROM json_each(?)) GROUP BY m.subject_id",
        (subject_type, json.dumps(list(subject_ids)))).fetchall())


def has_approved(conn: Connection, viewer: Identity, subject: Subject) -> bool:
    """Whether the viewer's approval is recorded."""
    return conn.execute("SELECT 1 FROM approval_marks WHERE subject_type = ? AND subject_id = ?"
                        " AND user_id = ?", (subject.type, subject.id, viewer.user_id)
                        ).fetchone() is not None


def awaiting(conn: Connection, viewer: Identity) -> list[Subject]:
    """Subjects waiting for the viewer's approval, oldest request first: open (not locked),
    not yet approved by them, and each one's own rules (`subjects.load`, `may_take_part`)
    letting them see it and approve (so a room, a Part 2 item or a restricted folder they
    may not open is never named). For the home page's "For you" and the newsletter."""
    rows = conn.execute(
        "SELECT a.subject_type, a.subject_id FROM approvals a WHERE a.locked_at IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM approval_marks m WHERE m.subject_type = a.subject_type"
        " AND m.subject_id = a.subject_id AND m.user_id = ?)"
        " ORDER BY a.requested_at, a.subject_type, a.subject_id", (viewer.user_id,)).fetchall()
    out = []
    for row in rows:
        try:
            subject = subjects.load(conn, viewer, row["subject_type"], row["subject_id"])
        except NotFound:
            continue
        if subject.may_take_part(viewer):
            out.append(subject)
    return out
