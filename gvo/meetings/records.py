"""Locked records, frozen: the snapshot of a locked register and of approved minutes.

A locked register and approved (or locked) minutes are statutory records. What they say is
taken once, when the register is locked or the minutes approved, and stored as JSON in
`meeting_records`; pages, PDFs and reports of a locked record read only that snapshot, so
later changes to the board (members joining or leaving, a new quorum, a renamed person or
committee) never change it. The approved minutes PDF is stored byte for byte with its
sha256, which the audit log also holds, so anyone can show that a copy is the approved one.

Attendance register snapshot (version 2): {"version", "taken_at" (UTC ISO), "late" (true when taken
after the lock, for a register locked before snapshots existed), "body": {"id", "name",
"kind", "quorum_setting"}, "members": [{"user_id", "name", "position", "category", "status",
"reply", "reason"}], "guests": [{"id", "name", "kind", "organisation"}], "quorum":
{"present", "needed", "rule", "counted" (the user ids counted towards the quorum: voting
governors in office who were present), "detail" (the rule's numbers:
gvo.governance.places.QuorumRule: "needed", "rule", "basis", "in_office", "places",
"vacancies", "source")}}. Version 1 (still read) had "quorum": {"present", "needed",
"rule"} only, counting everyone recorded present against half the members on the register.

Minutes snapshot (version 1): {"version", "taken_at", "late", "meeting": {"title",
"body_name", "starts_at", "ends_at", "location"}, "part1": [...], "part2": [...] (items with
"id", "number", "title", "confidential", "discussion", "decisions", "actions": [{"text",
"owner_name", "due_on"}], "declarations": [{"user_id", "name", "interest", "withdrew"}]
(absent from snapshots taken before declarations were recorded: read as none)),
"approval": {"when", "by", "meeting": {"id", "title", "starts_at"}}}.
"""

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager

from gvo.core.atomic import transaction
from gvo.core.identity import Identity
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection

VERSION = 1  # the minutes snapshot
REGISTER_VERSION = 2  # the attendance register snapshot (version 1 is still read)
# Who takes a snapshot late (wherever it is first read, for a record locked before snapshots
# existed): the office itself, not the person who happened to read it.
LATE = Identity.system("late snapshot")


def load(conn: Connection, meeting_id: int, part: str) -> dict | None:
    """A meeting's stored snapshot `part` ('attendance_register' or 'minutes'), or None if
    not taken."""
    stored = _stored(conn, meeting_id, _column(part))
    return json.loads(stored) if stored else None


@reads.once
def _stored(conn: Connection, meeting_id: int, column: str) -> str | None:
    """The snapshot's stored JSON text, or None (read once per request: `load` parses a
    fresh copy for each caller, which may change it)."""
    row = conn.execute(f"SELECT {column} FROM meeting_records WHERE meeting_id = ?",
                       (meeting_id,)).fetchone()
    return row[0] if row else None


def store(conn: Connection, meeting_id: int, part: str, snapshot: dict) -> None:
    """Store a snapshot (inside the caller's transaction); one taken already stays as it is."""
    conn.execute("INSERT OR IGNORE INTO meeting_records(meeting_id) VALUES (?)", (meeting_id,))
    column = _column(part)
    conn.execute(f"UPDATE meeting_records SET {column} = ? WHERE meeting_id = ?"
                 f" AND {column} IS NULL",
                 (json.dumps(snapshot, ensure_ascii=False, sort_keys=True), meeting_id))


def store_pdf(conn: Connection, meeting_id: int, data: bytes) -> str:
    """Store the approved minutes PDF (inside the caller's transaction); returns its sha256."""
    digest = sha256(data)
    conn.execute("INSERT OR IGNORE INTO meeting_records(meeting_id) VALUES (?)", (meeting_id,))
    conn.execute("UPDATE meeting_records SET minutes_pdf = ?, minutes_sha256 = ?"
                 " WHERE meeting_id = ? AND minutes_pdf IS NULL", (data, digest, meeting_id))
    return digest


def approved_pdf(conn: Connection, meeting_id: int) -> tuple[bytes, str] | None:
    """The approved minutes PDF as stored and its sha256, or None if none is stored."""
    row = conn.execute("SELECT minutes_pdf, minutes_sha256 FROM meeting_records"
                       " WHERE meeting_id = ?", (meeting_id,)).fetchone()
    return (bytes(row[0]), row[1]) if row and row[0] is not None else None


def sha256(data: bytes) -> str:
    """The hex sha256 of a file, as the audit log records it."""
    return hashlib.sha256(data).hexdigest()


@contextmanager
def writing(conn: Connection) -> Iterator[Connection]:
    """The caller's transaction if it is in one, else a new one: a snapshot taken late (for a
    record locked before snapshots existed) is written wherever it is first read."""
    if conn.in_transaction:
        yield conn
    else:
        with transaction(conn):
            yield conn


def _column(part: str) -> str:
    if part not in ("attendance_register", "minutes"):
        raise ValueError(f"no snapshot called {part!r}")
    return part
