"""Attendance: members' replies before a meeting, the clerk's attendance register, quorum,
the report."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from gvo.board import bodies
from gvo.core import audit, clock, dates, events, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound
from gvo.core.identity import Identity
from gvo.governance import places
from gvo.meetings import records
from gvo.meetings.meetings import get, has_started, parse_stamp
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection

REPLIES = ("attending", "apologies")
STATUSES = {
    "present": "Present",
    "apologies_accepted": "Apologies accepted",
    "apologies_not_accepted": "Apologies not accepted",
    "absent": "Absent",
}
# A member whose attendance the clerk has not recorded (and who did not reply): never
# presumed absent.
NOT_RECORDED = "Not recorded"
GUEST_KINDS = ("guest", "observer")
REASON_NEEDED = "Please give a reason with your apologies."


def reply(conn: Connection, actor: Identity, meeting_id: int, user_id: int, answer: str,
          reason: str = "") -> None:
    """A member says they are attending, or sends apologies (with a reason)."""
    meeting = get(conn, meeting_id)
    if answer not in REPLIES:
        raise InvalidInput("Answer attending or apologies.")
    reason = text.one_line(reason)
    if answer == "apologies" and not reason:
        raise InvalidInput(REASON_NEEDED)
    if meeting["status"] == "cancelled":
        raise InvalidInput("The meeting is cancelled.")
    if meeting["attendance_register_locked_at"]:
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
        audit.record(conn, actor, "attendance.reply", f"meeting:{meeting_id}", user=user_id,
                     reply=answer)


@reads.once
def replies(conn: Connection, meeting_id: int) -> dict[int, dict]:
    """Each member's reply, by user id."""
    return {r["user_id"]: dict(r) for r in conn.execute(
        "SELECT * FROM attendance_replies WHERE meeting_id = ?", (meeting_id,))}


@reads.once
def attendance_register(conn: Connection, meeting_id: int) -> list[dict]:
    """The attendance register: every member eligible to attend, with their reply and recorded
    status.

    Until the register is locked, eligible = the members recorded on it plus the body's current
    active members (a status not yet recorded is suggested from their reply; with no reply it
    is '', "not recorded", never presumed absent). Once locked, the register is what its
    snapshot says (`attendance_register_record`), whatever has changed since.
    Each row: user_id, name, position, category, reply, reason, status, recorded.
    """
    meeting = get(conn, meeting_id)
    if meeting["attendance_register_locked_at"]:
        record = attendance_register_record(conn, meeting)
        return [m | {"recorded": True} for m in record["members"]]
    return _live_attendance_register(conn, meeting)


def _live_attendance_register(conn: Connection, meeting) -> list[dict]:
    """The register as it stands (see `attendance_register`), from live data."""
    meeting_id = meeting["id"]
    recorded = {r["user_id"]: r["status"] for r in conn.execute(
        "SELECT user_id, status FROM attendance_register WHERE meeting_id = ?", (meeting_id,))}
    answers = replies(conn, meeting_id)
    seats = {m["id"]: m for m in bodies.members(conn, meeting["body_id"],
                                                  meeting_day(meeting))}
    people = {r["id"]: r for r in conn.execute(
        "SELECT u.id, u.name FROM attendance_register a JOIN users u ON u.id = a.user_id"
        " WHERE a.meeting_id = ?", (meeting_id,))}
    for m in seats.values():
        if m["role"] != "inactive":
            people.setdefault(m["id"], m)
    rows = []
    for person in sorted(people.values(), key=lambda p: p["name"].casefold()):
        answer = answers.get(person["id"])
        seat = seats.get(person["id"])
        suggested = ""  # not recorded
        if answer:
            suggested = "present" if answer["reply"] == "attending" else "apologies_accepted"
        rows.append({
            "user_id": person["id"], "name": person["name"],
            "position": seat["position"] if seat else "",
            # The label, as the school names the category: a locked register keeps it.
            "category": seat["category_label"] if seat else "",
            "reply": answer["reply"] if answer else "",
            "reason": answer["reason"] if answer else "",
            "status": recorded.get(person["id"], suggested), "recorded": person["id"] in recorded,
        })
    return rows


def attendance_register_record(conn: Connection, meeting) -> dict:
    """The snapshot of a locked register (gvo.meetings.records), taken now if the register was
    locked before snapshots existed. Raises InvalidInput if the register is not locked."""
    if not meeting["attendance_register_locked_at"]:
        raise InvalidInput("The register is not locked.")
    snapshot = records.load(conn, meeting["id"], "attendance_register")
    if snapshot is None:
        snapshot = _freeze_attendance_register(conn, meeting, late=True)
    return snapshot


def _take_attendance_register(conn: Connection, meeting, *, late: bool = False) -> dict:
    """What the register says now, as a snapshot (see gvo.meetings.records)."""
    body = bodies.get_body(conn, meeting["body_id"])
    rows = [r for r in _live_attendance_register(conn, meeting) if r["recorded"]]
    members = [{k: r[k] for k in ("user_id", "name", "position", "category", "status", "reply",
                                  "reason")} for r in rows]
    q = _live_quorum(conn, meeting, {r["user_id"]: r["status"] for r in rows})
    return {
        "version": records.REGISTER_VERSION, "taken_at": clock.iso(), "late": late,
        "body": {"id": body["id"], "name": body["name"], "kind": body["kind"],
                 "quorum_setting": body["quorum"]},
        "members": members,
        "guests": [dict(g) for g in _live_guests(conn, meeting["id"])],
        "quorum": q.snapshot(),
    }


def _freeze_attendance_register(conn: Connection, meeting, *, late: bool) -> dict:
    """Take and store the register's snapshot (in the caller's transaction, or its own)."""
    with records.writing(conn):
        records.store(conn, meeting["id"], "attendance_register",
                      _take_attendance_register(conn, meeting, late=late))
        if late:
            audit.record(conn, records.LATE, "attendance.snapshot",
                         f"meeting:{meeting['id']}", late=True)
    return records.load(conn, meeting["id"], "attendance_register")


def save_attendance_register(conn: Connection, actor: Identity, meeting_id: int,
                  statuses: dict[int, str]) -> None:
    """Record each member's attendance (a status of '' takes a recorded one back to "not
    recorded"); refused once the register is locked."""
    meeting = get(conn, meeting_id)
    if meeting["attendance_register_locked_at"]:
        raise InvalidInput("The register is locked and cannot change.")
    if meeting["status"] == "cancelled":
        raise InvalidInput("The meeting is cancelled.")
    eligible = {r["user_id"] for r in attendance_register(conn, meeting_id)}
    unknown = set(statuses) - eligible
    if unknown:
        raise InvalidInput("Only members of the board or committee are on the register.")
    if any(s and s not in STATUSES for s in statuses.values()):
        raise InvalidInput("Unknown attendance status.")
    with transaction(conn):
        for user_id, status in statuses.items():
            if not status:
                conn.execute("DELETE FROM attendance_register WHERE meeting_id = ? AND user_id = ?",
                             (meeting_id, user_id))
                continue
            conn.execute(
                "INSERT INTO attendance_register(meeting_id, user_id, status) VALUES (?, ?, ?)"
                " ON CONFLICT(meeting_id, user_id) DO UPDATE SET status = excluded.status",
                (meeting_id, user_id, status),
            )
        audit.record(conn, actor, "attendance.register", f"meeting:{meeting_id}",
                     statuses={str(k): v for k, v in sorted(statuses.items())})
    events.publish(events.MEETING_CHANGED, conn, meeting_id=meeting_id, who=actor)


def lock_attendance_register(conn: Connection, actor: Identity, meeting_id: int) -> None:
    """Lock the register once the meeting has started: from then on it cannot change, and what
    it says (members, positions, categories, attendance, guests, quorum) is frozen in a
    snapshot that every page, PDF and report of the meeting reads. The caller asks the person
    to confirm first (the register page does)."""
    meeting = get(conn, meeting_id)
    if meeting["attendance_register_locked_at"]:
        raise InvalidInput("The register is already locked.")
    if meeting["status"] == "cancelled":
        raise InvalidInput("The meeting is cancelled.")
    if not has_started(meeting):
        raise InvalidInput("The register can be locked once the meeting has started "
                           f"({dates.when(meeting['starts_at'], meeting['starts_fold'])}).")
    if conn.execute("SELECT count(*) FROM attendance_register WHERE meeting_id = ?",
                    (meeting_id,)).fetchone()[0] == 0:
        raise InvalidInput("Save the register before locking it.")
    with transaction(conn):
        conn.execute("UPDATE meetings SET attendance_register_locked_at = ?,"
                     " attendance_register_locked_by = ?"
                     " WHERE id = ? AND attendance_register_locked_at IS NULL",
                     (clock.iso(), actor.user_id, meeting_id))
        snapshot = _freeze_attendance_register(conn, get(conn, meeting_id), late=False)
        audit.record(conn, actor, "attendance.lock", f"meeting:{meeting_id}",
                     present=snapshot["quorum"]["present"], needed=snapshot["quorum"]["needed"])


def add_guest(conn: Connection, actor: Identity, meeting_id: int, name: str, kind: str,
              organisation: str = "") -> int:
    """Add a guest or an observer to the meeting's record."""
    meeting = get(conn, meeting_id)
    if meeting["attendance_register_locked_at"]:
        raise InvalidInput("The register is locked and cannot change.")
    name, organisation = text.one_line(name), text.one_line(organisation)
    if not name or len(name) > 120:
        raise InvalidInput("A guest needs a name of 1-120 characters.")
    if kind not in GUEST_KINDS:
        raise InvalidInput("A guest is a guest or an observer.")
    with transaction(conn):
        guest_id = conn.execute(
            "INSERT INTO meeting_guests(meeting_id, name, kind, organisation) VALUES (?, ?, ?, ?)",
            (meeting_id, name, kind, organisation[:120]),
        ).lastrowid
        audit.record(conn, actor, "attendance.guest_add", f"meeting:{meeting_id}", name=name,
                     kind=kind)
    return guest_id


def remove_guest(conn: Connection, actor: Identity, guest_id: int) -> None:
    """Take a guest off the record (before the register is locked)."""
    row = conn.execute("SELECT * FROM meeting_guests WHERE id = ?", (guest_id,)).fetchone()
    if row is None:
        raise NotFound("no such guest")
    if get(conn, row["meeting_id"])["attendance_register_locked_at"]:
        raise InvalidInput("The register is locked and cannot change.")
    with transaction(conn):
        conn.execute("DELETE FROM meeting_guests WHERE id = ?", (guest_id,))
        audit.record(conn, actor, "attendance.guest_remove", f"meeting:{row['meeting_id']}",
                     name=row["name"])


@reads.once
def guests(conn: Connection, meeting_id: int) -> list[dict]:
    """Guests and observers, in the order added (once locked, as the register's snapshot has
    them): id, name, kind, organisation."""
    meeting = get(conn, meeting_id)
    if meeting["attendance_register_locked_at"]:
        return attendance_register_record(conn, meeting)["guests"]
    return [dict(g) for g in _live_guests(conn, meeting_id)]


def _live_guests(conn: Connection, meeting_id: int) -> list:
    return conn.execute("SELECT id, name, kind, organisation FROM meeting_guests"
                        " WHERE meeting_id = ? ORDER BY id", (meeting_id,)).fetchall()


@dataclass
class Quorum:
    """Whether enough governors were present (see gvo.governance.places for the law).

    `present`: governors counted towards the quorum (voting governors in office on the
    meeting's date who sit on the body and are present, less any excluded); `needed`: the
    quorum; `rule`: the rule in words with its numbers; `counted`: the user ids counted
    (empty for a register locked before version 2 snapshots, which did not keep them);
    `detail`: the rule's numbers (gvo.governance.places.QuorumRule.as_dict), {} for old
    snapshots.
    """

    present: int
    needed: int
    rule: str
    counted: frozenset[int] = frozenset()
    detail: dict = field(default_factory=dict)

    @property
    def quorate(self) -> bool:
        """True when at least `needed` governors are present."""
        return self.present >= self.needed

    def snapshot(self) -> dict:
        """The quorum as a locked register keeps it (version 2): present, needed, rule,
        counted (sorted ids) and the rule's numbers, so later changes to places, records or
        the body's setting never change it."""
        return {"present": self.present, "needed": self.needed, "rule": self.rule,
                "counted": sorted(self.counted), "detail": self.detail}


def quorum(conn: Connection, meeting_id: int, excluding: frozenset[int] | set[int] = frozenset()
           ) -> Quorum:
    """The quorum of a meeting: from the locked register's snapshot, or else from the rule
    (gvo.governance.places.quorum_rule, on the meeting's local date) and the register as it
    stands (recorded statuses, suggested ones for the rest).

    `excluding`: user ids left out of the count of those present (for one agenda item, the
    governors who declared an interest in it and withdrew): `needed` stays as it is, the
    present count drops by those of them who were counted. For a register locked before
    snapshots kept who was counted (version 1), everyone recorded present was counted.
    Raises NotFound for an unknown meeting."""
    meeting = get(conn, meeting_id)
    if meeting["attendance_register_locked_at"]:
        record = attendance_register_record(conn, meeting)
        return _from_snapshot(record, frozenset(excluding))
    statuses = {r["user_id"]: r["status"] for r in attendance_register(conn, meeting_id)}
    return _live_quorum(conn, meeting, statuses, frozenset(excluding))


def _from_snapshot(record: dict, excluding: frozenset[int]) -> Quorum:
    """A locked register's quorum, from its snapshot (version 1 or 2, records.py)."""
    q = record["quorum"]
    if "counted" in q:
        counted = frozenset(q["counted"])
    else:  # version 1: everyone recorded present counted
        counted = frozenset(m["user_id"] for m in record["members"] if m["status"] == "present")
    present = q["present"] - len(counted & excluding)
    return Quorum(present, q["needed"], q["rule"], counted - excluding, q.get("detail", {}))


def meeting_day(meeting) -> date:
    """The meeting's local date (whose governors in office count), or today for a time
    stored before years were checked ('226-...'), which cannot be read."""
    try:
        return parse_stamp(meeting["starts_at"]).date()
    except InvalidInput:
        return dates.today()


def _live_quorum(conn: Connection, meeting, statuses: dict[int, str],
                 excluding: frozenset[int] = frozenset()) -> Quorum:
    """The rule for the meeting's body on its date, applied to the statuses."""
    rule, voters = places.quorum_and_voters(conn, meeting["body_id"], meeting_day(meeting))
    counted = frozenset(uid for uid, s in statuses.items()
                        if s == "present" and uid in voters and uid not in excluding)
    return Quorum(len(counted), rule.needed, rule.rule, counted, rule.as_dict())


@dataclass
class ReportRow:
    """One member's attendance over a period: meetings attended, those they sent apologies
    for that were accepted, and absences (no apologies, or apologies not accepted: the
    absences that count towards disqualification after six months, The School Governance
    (Constitution) (England) Regulations 2012, Schedule 4 paragraph 8), out of `eligible`."""

    name: str
    attended: int
    eligible: int
    apologies: int = 0
    absent: int = 0

    @property
    def percent(self) -> int | None:
        """Attended as a whole percentage of eligible, or None when there was nothing to attend."""
        return round(100 * self.attended / self.eligible) if self.eligible else None


def school_year(today: date) -> tuple[date, date]:
    """The school year holding `today`: 1 September to 31 August (England's academic year,
    as governing boards report attendance)."""
    year = today.year if today.month >= 9 else today.year - 1
    return date(year, 9, 1), date(year + 1, 8, 31)


def report(conn: Connection, body_id: int, start: date, end: date) -> tuple[list[ReportRow], int]:
    """Per member of a body: meetings attended / meetings they were on the register for, over
    [start, end] (local dates, inclusive); returns the rows (by name) and the number of
    meetings counted (those with a register taken). A locked register counts as its snapshot
    says; a person is named as the latest register in the period names them."""
    bodies.get_body(conn, body_id)
    clock.check_year(start, "The start date")
    clock.check_year(end, "The end date")
    if end < start:
        raise InvalidInput("The end date is before the start date.")
    held = conn.execute(
        "SELECT * FROM meetings WHERE body_id = ? AND status = 'scheduled'"
        " AND starts_at BETWEEN ? AND ? ORDER BY starts_at",
        (body_id, start.isoformat(), end.isoformat() + "T23:59")).fetchall()
    tally: dict[int, ReportRow] = {}
    counted = 0
    for meeting in held:
        if meeting["attendance_register_locked_at"]:
            rows = attendance_register_record(conn, meeting)["members"]
        else:
            rows = conn.execute(
                "SELECT a.user_id, a.status, u.name FROM attendance_register a JOIN users u"
                " ON u.id = a.user_id WHERE a.meeting_id = ?", (meeting["id"],)).fetchall()
        counted += bool(rows)
        for row in rows:
            line = tally.setdefault(row["user_id"], ReportRow(row["name"], 0, 0))
            line.name = row["name"]
            line.attended += row["status"] == "present"
            line.apologies += row["status"] == "apologies_accepted"
            line.absent += row["status"] in ("absent", "apologies_not_accepted")
            line.eligible += 1
    return sorted(tally.values(), key=lambda r: r.name.casefold()), counted


def report_csv(rows: list[ReportRow]) -> bytes:
    """The attendance report as CSV (UTF-8 with a byte-order mark, for spreadsheets): name,
    attended, apologies accepted, absent, eligible, percentage. A name starting with =, +, -
    or @ (or a tab or carriage return) gets a leading ' so a spreadsheet never reads it as a
    formula (text.spreadsheet_cell: OWASP, CSV injection)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Name", "Attended", "Apologies accepted", "Absent", "Eligible",
                     "Percentage"])
    for r in rows:
        writer.writerow([text.spreadsheet_cell(r.name), r.attended, r.apologies, r.absent,
                         r.eligible, "" if r.percent is None else r.percent])
    return out.getvalue().encode("utf-8-sig")
