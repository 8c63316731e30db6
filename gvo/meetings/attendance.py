"""Attendance: members' replies before a meeting, the clerk's register, quorum, the report."""

import math
from dataclasses import dataclass
from datetime import date

from gvo import board, clock
from gvo.errors import InvalidInput, NotFound
from gvo.meetings.meetings import _audit, get
from gvo.people import Actor
from gvo.storage.sqlcipher import Connection, transaction

REPLIES = ("attending", "apologies")
STATUSES = {
    "present": "Present",
    "apologies_accepted": "Apologies accepted",
    "apologies_not_accepted": "Apologies not accepted",
    "absent": "Absent",
}
GUEST_KINDS = ("guest", "observer")


def reply(conn: Connection, actor: Actor, meeting_id: int, user_id: int, answer: str,
          reason: str = "") -> None:
    """A member says they are attending, or sends apologies (with a reason)."""
    meeting = get(conn, meeting_id)
    if answer not in REPLIES:
        raise InvalidInput("Answer attending or apologies.")
    reason = reason.strip()
    if answer == "apologies" and not reason:
        raise InvalidInput("Please give a reason with your apologies.")
    if meeting["status"] == "cancelled":
        raise InvalidInput("The meeting is cancelled.")
    if meeting["register_locked_at"]:
        raise InvalidInput("The register is locked.")
    if conn.execute("SELECT 1 FROM body_members WHERE body_id = ? AND user_id = ?",
                    (meeting["body_id"], user_id)).fetchone() is None:
        raise InvalidInput("Only members of the board or committee reply to its meetings.")
    with transaction(conn):
        conn.execute(
            "INSERT INTO attendance_replies(meeting_id, user_id, reply, reason, at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(meeting_id, user_id) DO UPDATE SET"
            " reply = excluded.reply, reason = excluded.reason, at = excluded.at",
            (meeting_id, user_id, answer, reason[:500] if answer == "apologies" else "",
             clock.iso()),
        )
        _audit(conn, actor, "attendance.reply", f"meeting:{meeting_id}", user=user_id,
               reply=answer)


def replies(conn: Connection, meeting_id: int) -> dict[int, dict]:
    """Each member's reply, by user id."""
    return {r["user_id"]: dict(r) for r in conn.execute(
        "SELECT * FROM attendance_replies WHERE meeting_id = ?", (meeting_id,))}


def register(conn: Connection, meeting_id: int) -> list[dict]:
    """The register: every member eligible to attend, with their reply and recorded status.

    Until the register is locked, eligible = the members recorded on it plus the body's current
    active members (a status not yet recorded is suggested from their reply); once locked, only
    those recorded.
    """
    meeting = get(conn, meeting_id)
    recorded = {r["user_id"]: r["status"] for r in conn.execute(
        "SELECT user_id, status FROM attendance WHERE meeting_id = ?", (meeting_id,))}
    answers = replies(conn, meeting_id)
    people = {r["id"]: r for r in conn.execute(
        "SELECT u.id, u.name FROM attendance a JOIN users u ON u.id = a.user_id"
        " WHERE a.meeting_id = ?", (meeting_id,))}
    if not meeting["register_locked_at"]:
        for m in board.members(conn, meeting["body_id"]):
            if m["role"] != "inactive":
                people.setdefault(m["id"], m)
    rows = []
    for person in sorted(people.values(), key=lambda p: p["name"].casefold()):
        answer = answers.get(person["id"])
        suggested = "absent"
        if answer:
            suggested = "present" if answer["reply"] == "attending" else "apologies_accepted"
        rows.append({
            "user_id": person["id"], "name": person["name"],
            "reply": answer["reply"] if answer else "",
            "reason": answer["reason"] if answer else "",
            "status": recorded.get(person["id"], suggested), "recorded": person["id"] in recorded,
        })
    return rows


def save_register(conn: Connection, actor: Actor, meeting_id: int,
                  statuses: dict[int, str]) -> None:
    """Record each member's attendance; refused once the register is locked."""
    meeting = get(conn, meeting_id)
    if meeting["register_locked_at"]:
        raise InvalidInput("The register is locked and cannot change.")
    if meeting["status"] == "cancelled":
        raise InvalidInput("The meeting is cancelled.")
    eligible = {r["user_id"] for r in register(conn, meeting_id)}
    unknown = set(statuses) - eligible
    if unknown:
        raise InvalidInput("Only members of the board or committee are on the register.")
    if any(s not in STATUSES for s in statuses.values()):
        raise InvalidInput("Unknown attendance status.")
    with transaction(conn):
        for user_id, status in statuses.items():
            conn.execute(
                "INSERT INTO attendance(meeting_id, user_id, status) VALUES (?, ?, ?)"
                " ON CONFLICT(meeting_id, user_id) DO UPDATE SET status = excluded.status",
                (meeting_id, user_id, status),
            )
        _audit(conn, actor, "attendance.register", f"meeting:{meeting_id}",
               statuses={str(k): v for k, v in sorted(statuses.items())})


def lock_register(conn: Connection, actor: Actor, meeting_id: int) -> None:
    """Lock the register: from then on it cannot change."""
    meeting = get(conn, meeting_id)
    if meeting["register_locked_at"]:
        raise InvalidInput("The register is already locked.")
    if conn.execute("SELECT count(*) FROM attendance WHERE meeting_id = ?",
                    (meeting_id,)).fetchone()[0] == 0:
        raise InvalidInput("Save the register before locking it.")
    with transaction(conn):
        conn.execute("UPDATE meetings SET register_locked_at = ?, register_locked_by = ?"
                     " WHERE id = ?", (clock.iso(), actor.user_id, meeting_id))
        _audit(conn, actor, "attendance.lock", f"meeting:{meeting_id}")


def add_guest(conn: Connection, actor: Actor, meeting_id: int, name: str, kind: str,
              organisation: str = "") -> int:
    """Add a guest or an observer to the meeting's record."""
    meeting = get(conn, meeting_id)
    if meeting["register_locked_at"]:
        raise InvalidInput("The register is locked and cannot change.")
    name = name.strip()
    if not name or len(name) > 120:
        raise InvalidInput("A guest needs a name of 1-120 characters.")
    if kind not in GUEST_KINDS:
        raise InvalidInput("A guest is a guest or an observer.")
    with transaction(conn):
        guest_id = conn.execute(
            "INSERT INTO meeting_guests(meeting_id, name, kind, organisation) VALUES (?, ?, ?, ?)",
            (meeting_id, name, kind, organisation.strip()[:120]),
        ).lastrowid
        _audit(conn, actor, "attendance.guest_add", f"meeting:{meeting_id}", name=name, kind=kind)
    return guest_id


def remove_guest(conn: Connection, actor: Actor, guest_id: int) -> None:
    """Take a guest off the record (before the register is locked)."""
    row = conn.execute("SELECT * FROM meeting_guests WHERE id = ?", (guest_id,)).fetchone()
    if row is None:
        raise NotFound("no such guest")
    if get(conn, row["meeting_id"])["register_locked_at"]:
        raise InvalidInput("The register is locked and cannot change.")
    with transaction(conn):
        conn.execute("DELETE FROM meeting_guests WHERE id = ?", (guest_id,))
        _audit(conn, actor, "attendance.guest_remove", f"meeting:{row['meeting_id']}",
               name=row["name"])


def guests(conn: Connection, meeting_id: int) -> list:
    """Guests and observers, in the order added."""
    return conn.execute("SELECT * FROM meeting_guests WHERE meeting_id = ? ORDER BY id",
                        (meeting_id,)).fetchall()


@dataclass
class Quorum:
    """Whether enough members were present."""

    present: int
    needed: int
    rule: str

    @property
    def quorate(self) -> bool:
        """True when at least `needed` members are present."""
        return self.present >= self.needed


def quorum(conn: Connection, meeting_id: int, statuses: dict[int, str] | None = None) -> Quorum:
    """The quorum from the body's rule and the members present (recorded, or `statuses`)."""
    meeting = get(conn, meeting_id)
    body = board.get_body(conn, meeting["body_id"])
    if statuses is None:
        statuses = {r["user_id"]: r["status"] for r in register(conn, meeting_id)}
    present = sum(1 for s in statuses.values() if s == "present")
    if body["quorum"]:
        rule = f"{body['quorum']} members, as set for {body['name']}"
        needed = body["quorum"]
    else:
        eligible = len(statuses) or len(board.members(conn, body["id"]))
        needed = max(1, math.ceil(eligible / 2))
        rule = f"half of the {eligible} current members, rounded up"
    return Quorum(present, needed, rule)


@dataclass
class ReportRow:
    """One member's attendance over a period."""

    name: str
    attended: int
    eligible: int

    @property
    def percent(self) -> int | None:
        """Attended as a whole percentage of eligible, or None when there was nothing to attend."""
        return round(100 * self.attended / self.eligible) if self.eligible else None


def report(conn: Connection, body_id: int, start: date, end: date) -> tuple[list[ReportRow], int]:
    """Per member of a body: meetings attended / meetings they were on the register for, over
    [start, end]; returns the rows and the number of meetings counted (registers taken)."""
    board.get_body(conn, body_id)
    if end < start:
        raise InvalidInput("The end date is before the start date.")
    bounds = (body_id, start.isoformat(), end.isoformat() + "T23:59")
    rows = conn.execute(
        "SELECT u.name, sum(a.status = 'present') AS attended, count(*) AS eligible"
        " FROM attendance a JOIN meetings m ON m.id = a.meeting_id JOIN users u ON u.id = a.user_id"
        " WHERE m.body_id = ? AND m.status = 'scheduled' AND m.starts_at BETWEEN ? AND ?"
        " GROUP BY a.user_id ORDER BY u.name COLLATE NOCASE", bounds).fetchall()
    meetings = conn.execute(
        "SELECT count(DISTINCT m.id) FROM meetings m JOIN attendance a ON a.meeting_id = m.id"
        " WHERE m.body_id = ? AND m.status = 'scheduled' AND m.starts_at BETWEEN ? AND ?",
        bounds).fetchone()[0]
    return [ReportRow(r["name"], r["attended"], r["eligible"]) for r in rows], meetings
