"""Meetings: create, edit, cancel, list, the month calendar and what is coming up."""

import calendar
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gvo.board import bodies
from gvo.core import audit, clock, dates, events, paging, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound
from gvo.core.identity import Identity
from gvo.meetings.rules import sees_confidential
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection

# Meetings are held, and their times stored, in the school's local time.
SCHOOL_TZ = dates.ZONE
STAMP = "%Y-%m-%dT%H:%M"
MAX_TEXT = 4000
log = logging.getLogger(__name__)


def local_now() -> datetime:
    """Now in the school's time zone, without tzinfo (as meetings are stored)."""
    return clock.utcnow().astimezone(SCHOOL_TZ).replace(tzinfo=None, second=0, microsecond=0)


def stamp(value: datetime) -> str:
    """A local datetime as stored: 'YYYY-MM-DDTHH:MM', the year always four digits (strftime
    writes year 226 as '226', which sorts after '2026' and reads back as nothing)."""
    return value.isoformat(timespec="minutes")[:16]


def parse_stamp(value: str) -> datetime:
    """A stored or submitted local time ('YYYY-MM-DDTHH:MM') as a datetime; InvalidInput if
    it is not one."""
    try:
        return datetime.strptime(value.strip()[:16], STAMP)
    except (ValueError, AttributeError):
        raise InvalidInput(f"{value!r} is not a date and time (YYYY-MM-DDTHH:MM)") from None


def read_stamp(value: str) -> datetime | None:
    """A stored local time as a datetime, or None (logged) for a value that is not one (a
    row written before years were checked, '226-03-04T18:00'): a page, a calendar or a feed
    shows the rest and leaves that time out, never an error page."""
    try:
        return parse_stamp(value)
    except InvalidInput:
        log.warning("a stored meeting time is not a date and time: %r", value)
        return None


def has_started(meeting) -> bool:
    """Whether the meeting's start time (school's local time) has come (False for a stored
    time that is not one)."""
    start = read_stamp(meeting["starts_at"])
    return start is not None and start <= local_now()


@dataclass
class MeetingInput:
    """What a person enters for a meeting: its times are the school's local times, each with
    its fold (which reading of a time in the hour repeated when the clocks go back: 0 the
    first, 1 the second; None when the person has not said, which `check` refuses for such
    a time; see gvo.core.dates)."""

    body_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str = ""
    online_link: str = ""
    description: str = ""
    starts_fold: int | None = None
    ends_fold: int | None = None

    def check(self, conn: Connection) -> None:
        """Raise InvalidInput if any rule is broken."""
        bodies.get_body(conn, self.body_id)
        self.title = text.one_line(self.title)
        self.location = text.one_line(self.location)
        self.online_link = text.one_line(self.online_link)
        if not self.title or len(self.title) > 200:
            raise InvalidInput("A title of 1-200 characters is required.", field="title")
        for field, what in (("starts_at", "The start"), ("ends_at", "The end")):
            try:
                clock.check_year(getattr(self, field), what)
                fold = dates.resolve(getattr(self, field), getattr(self, field[:-3] + "_fold"),
                                     what)
            except InvalidInput as exc:
                exc.field = field
                raise
            setattr(self, field[:-3] + "_fold", fold)
        start = dates.to_utc(self.starts_at, self.starts_fold)
        end = dates.to_utc(self.ends_at, self.ends_fold)
        if end <= start:
            raise InvalidInput("The meeting must end after it starts.", field="ends_at")
        if end - start > timedelta(hours=24):
            raise InvalidInput("A meeting lasts at most 24 hours.", field="ends_at")
        if not (self.location or self.online_link):
            raise InvalidInput("Give a location, an online link, or both.", field="location")
        if self.online_link and not self.online_link.startswith("https://"):
            raise InvalidInput("The online link must start with https://", field="online_link")
        for field, what, most in (("location", "The location", 300),
                                  ("online_link", "The online link", 500),
                                  ("description", "The description", MAX_TEXT)):
            if len(getattr(self, field)) > most:
                raise InvalidInput(f"{what} is at most {most:,} characters.", field=field)


def create(conn: Connection, actor: Identity, data: MeetingInput,
           folder_id: int | None = None) -> int:
    """Schedule a meeting; returns its id."""
    data.check(conn)
    now = clock.iso()
    with transaction(conn):
        meeting_id = conn.execute(
            "INSERT INTO meetings(body_id, title, starts_at, ends_at, starts_fold, ends_fold,"
            " location, online_link, description, folder_id, created_by, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (data.body_id, data.title, stamp(data.starts_at), stamp(data.ends_at),
             data.starts_fold, data.ends_fold, data.location, data.online_link,
             data.description, folder_id, actor.user_id, now, now),
        ).lastrowid
        audit.record(conn, actor, "meeting.create", f"meeting:{meeting_id}", title=data.title,
                     body=data.body_id, starts_at=stamp(data.starts_at))
    return meeting_id


def approvals_recorded_at(conn: Connection, meeting_id: int) -> list:
    """Meetings whose minutes were recorded as approved at this one (id, title, starts_at)."""
    return conn.execute("SELECT id, title, starts_at FROM meetings"
                        " WHERE minutes_approved_meeting_id = ? ORDER BY starts_at",
                        (meeting_id,)).fetchall()


def update(conn: Connection, actor: Identity, meeting_id: int, data: MeetingInput) -> None:
    """Change a meeting's details, as far as the statutory record allows: once its register
    is locked its board, title and times are part of the register (in England the School
    Governance (Roles, Procedures and Allowances) Regulations 2013 make the signed minutes,
    with who attended, the meeting's record) and stay; once minutes were approved at it, it
    is the meeting those minutes name, so it is not moved either. InvalidInput says which.
    Each change adds one to the meeting's `sequence` (its calendar entry's SEQUENCE)."""
    meeting = get(conn, meeting_id)
    if meeting["status"] == "cancelled":
        raise InvalidInput("A cancelled meeting cannot be changed.")
    if meeting["minutes_status"] in ("approved", "locked"):
        raise InvalidInput("The minutes are approved: the meeting's details are part of the "
                           "record and cannot change.")
    data.check(conn)
    moved = (stamp(data.starts_at), stamp(data.ends_at), data.starts_fold, data.ends_fold) != (
        meeting["starts_at"], meeting["ends_at"], meeting["starts_fold"], meeting["ends_fold"])
    if meeting["attendance_register_locked_at"]:
        if data.body_id != meeting["body_id"]:
            raise InvalidInput("The register is locked: the meeting stays with "
                               f"{meeting['body_name']}.")
        if data.title != meeting["title"] or moved:
            raise InvalidInput("The register is locked: the meeting's title, date and times "
                               "are part of its record and cannot change. The location, link "
                               "and description still can.")
    approved_here = approvals_recorded_at(conn, meeting_id)
    if approved_here and (moved or data.body_id != meeting["body_id"]):
        raise InvalidInput(f"The minutes of “{approved_here[0]['title']}” were approved at "
                           "this meeting: it cannot move to another date, time or board.")
    with transaction(conn):
        conn.execute(
            "UPDATE meetings SET body_id = ?, title = ?, starts_at = ?, ends_at = ?,"
            " starts_fold = ?, ends_fold = ?, location = ?, online_link = ?, description = ?,"
            " sequence = sequence + 1, updated_at = ? WHERE id = ?",
            (data.body_id, data.title, stamp(data.starts_at), stamp(data.ends_at),
             data.starts_fold, data.ends_fold, data.location, data.online_link,
             data.description, clock.iso(), meeting_id),
        )
        audit.record(conn, actor, "meeting.update", f"meeting:{meeting_id}", title=data.title,
                     starts_at=stamp(data.starts_at))
    events.publish(events.MEETING_CHANGED, conn, meeting_id=meeting_id, who=actor)


def set_folder(conn: Connection, actor: Identity, meeting_id: int, folder_id: int, *,
               confidential: bool = False) -> None:
    """Record the library folder that holds the meeting's papers (with confidential=True, the
    restricted room for its confidential items' papers), inside the caller's transaction if
    there is one. Papers are filed by these ids only, never by a folder's title."""
    column = "confidential_folder_id" if confidential else "folder_id"
    with transaction(conn):
        conn.execute(f"UPDATE meetings SET {column} = ? WHERE id = ?", (folder_id, meeting_id))
        audit.record(conn, actor, "meeting.folder", f"meeting:{meeting_id}", folder=folder_id,
                     confidential=confidential)


def cancel(conn: Connection, actor: Identity, meeting_id: int, reason: str) -> None:
    """Cancel a meeting, saying why (a change: `sequence` goes up by one)."""
    meeting = get(conn, meeting_id)
    reason = text.one_line(reason)
    if not reason:
        raise InvalidInput("Say why the meeting is cancelled.")
    if meeting["status"] == "cancelled":
        raise InvalidInput("The meeting is already cancelled.")
    if meeting["attendance_register_locked_at"]:
        raise InvalidInput("The meeting took place: its register is locked.")
    approved_here = approvals_recorded_at(conn, meeting_id)
    if approved_here:
        raise InvalidInput(f"The meeting took place: the minutes of “{approved_here[0]['title']}”"
                           " were approved at it, so it cannot be cancelled.")
    with transaction(conn):
        conn.execute(
            "UPDATE meetings SET status = 'cancelled', cancel_reason = ?,"
            " sequence = sequence + 1, updated_at = ? WHERE id = ?",
            (reason[:500], clock.iso(), meeting_id))
        audit.record(conn, actor, "meeting.cancel", f"meeting:{meeting_id}", reason=reason[:500])


# A meeting with its board or committee's name and kind. Once its register is locked, they
# are as the register's snapshot has them (gvo.meetings.records): a committee renamed later
# does not rename a past meeting anywhere (pages, lists, calendars, feeds, minutes).
_SELECT = (
    "SELECT m.*,"
    " coalesce(json_extract(r.attendance_register, '$.body.name'), b.name) AS body_name,"
    " coalesce(json_extract(r.attendance_register, '$.body.kind'), b.kind) AS body_kind"
    " FROM meetings m JOIN bodies b ON b.id = m.body_id"
    " LEFT JOIN meeting_records r ON r.meeting_id = m.id"
)


@reads.once
def get(conn: Connection, meeting_id: int):
    """One meeting with its body's name and kind (`body_name`, `body_kind`: as its locked
    register's snapshot has them, else the body's own); NotFound if none."""
    row = conn.execute(_SELECT + " WHERE m.id = ?", (meeting_id,)).fetchone()
    if row is None:
        raise NotFound("no such meeting")
    return row


def list_meetings(conn: Connection, viewer: Identity, *, when: str = "all",
                  body_id: int | None = None, query: str = "") -> list:
    """Meetings, soonest first for upcoming and newest first otherwise.

    `query` matches the title, and agenda item titles the viewer may see (a confidential
    item's title is searched only for those who may read it), letters folded as search
    folds them ("Lodz" finds "Łódź").
    """
    where, args = [], []
    now = stamp(local_now())
    if when == "upcoming":
        where.append("m.ends_at >= ?")
        args.append(now)
    elif when == "past":
        where.append("m.ends_at < ?")
        args.append(now)
    if body_id:
        where.append("m.body_id = ?")
        args.append(body_id)
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY m.starts_at" + ("" if when == "upcoming" else " DESC")
    rows = conn.execute(sql, args).fetchall()
    query = text.fold(query)
    if not query:
        return rows
    return [r for r in rows if _matches(conn, viewer, r, query)]


def _matches(conn: Connection, viewer: Identity, meeting, query: str) -> bool:
    if query in text.fold(meeting["title"]) or query in text.fold(meeting["description"]):
        return True
    confidential_ok = sees_confidential(conn, viewer, meeting["body_id"])
    for item in conn.execute("SELECT title, confidential FROM agenda_items WHERE meeting_id = ?",
                             (meeting["id"],)):
        if item["confidential"] and not confidential_ok:
            continue
        if query in text.fold(item["title"]):
            return True
    return False


def starting_from(conn: Connection, since: str) -> list:
    """Meetings (cancelled ones too) starting at or after `since` (a stored local time,
    'YYYY-MM-DDTHH:MM'), soonest first, named as `get` names them."""
    return conn.execute(_SELECT + " WHERE m.starts_at >= ? ORDER BY m.starts_at",
                        (since,)).fetchall()


def upcoming(conn: Connection, limit: int = 5, within: timedelta | None = None) -> list:
    """The next meetings that are not cancelled, soonest first (home page); with `within`,
    only those starting before now + within (the newsletter's next two weeks)."""
    now = local_now()
    until = stamp(now + within) if within is not None else "9999"
    return conn.execute(
        _SELECT + " WHERE m.ends_at >= ? AND m.starts_at < ? AND m.status = 'scheduled'"
        " ORDER BY m.starts_at " + paging.limit_clause(limit), (stamp(now), until),
    ).fetchall()


def awaiting_reply(conn: Connection, user_id: int, limit: int = 20) -> list:
    """Meetings waiting for the person to say whether they will attend, soonest first (at
    most `limit`): not cancelled, not yet ended (school's local time), attendance register
    not locked, of a board or committee they are a member of, and no reply from them. Rows
    as `get` gives them. For the home page's "For you" and the newsletter."""
    return conn.execute(
        _SELECT + " WHERE m.status = 'scheduled' AND m.ends_at >= ?"
        " AND m.attendance_register_locked_at IS NULL"
        " AND EXISTS (SELECT 1 FROM body_members bm WHERE bm.body_id = m.body_id"
        " AND bm.user_id = ?) AND NOT EXISTS (SELECT 1 FROM attendance_replies ar"
        " WHERE ar.meeting_id = m.id AND ar.user_id = ?) ORDER BY m.starts_at "
        + paging.limit_clause(limit), (stamp(local_now()), user_id, user_id)).fetchall()


def created_since(conn: Connection, since: str, limit: int = 20) -> list:
    """Meetings scheduled (created) at or after `since` (UTC ISO), not cancelled, newest
    first, at most `limit` (the newsletter's "new meetings")."""
    return conn.execute(
        _SELECT + " WHERE m.created_at >= ? AND m.status = 'scheduled'"
        " ORDER BY m.created_at DESC, m.id DESC " + paging.limit_clause(limit),
        (since,)).fetchall()


@dataclass
class MonthView:
    """A month calendar: weeks of days, each day with its meetings."""

    year: int
    month: int
    weeks: list            # [[(date, [meetings]) ...7] ...]
    today: date

    @property
    def title(self) -> str:
        """'March 2027'."""
        return f"{calendar.month_name[self.month]} {self.year}"

    @property
    def previous(self) -> tuple[int, int] | None:
        """The month before, as (year, month); None before clock.FIRST_YEAR."""
        before = (self.year - 1, 12) if self.month == 1 else (self.year, self.month - 1)
        return before if before[0] >= clock.FIRST_YEAR else None

    @property
    def next(self) -> tuple[int, int] | None:
        """The month after, as (year, month); None after clock.LAST_YEAR."""
        after = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return after if after[0] <= clock.LAST_YEAR else None


def month(conn: Connection, year: int | None = None, month_number: int | None = None) -> MonthView:
    """The calendar for a month (this month by default), weeks starting on Monday."""
    today = local_now().date()
    year = year or today.year
    month_number = month_number or today.month
    if not (1 <= month_number <= 12 and clock.FIRST_YEAR <= year <= clock.LAST_YEAR):
        raise InvalidInput("No such month.")
    days = list(calendar.Calendar(firstweekday=0).itermonthdates(year, month_number))
    first, last = days[0], days[-1] + timedelta(days=1)
    by_day: dict[date, list] = {}
    for row in conn.execute(_SELECT + " WHERE m.starts_at >= ? AND m.starts_at < ?"
                            " ORDER BY m.starts_at", (first.isoformat(), last.isoformat())):
        start = read_stamp(row["starts_at"])
        if start is not None:
            by_day.setdefault(start.date(), []).append(row)
    weeks = [[(d, by_day.get(d, [])) for d in days[i:i + 7]] for i in range(0, len(days), 7)]
    return MonthView(year, month_number, weeks, today)


def previous_meetings_awaiting_approval(conn: Connection, meeting) -> list:
    """Earlier meetings of the same body whose minutes are circulated and await approval."""
    return conn.execute(
        _SELECT + " WHERE m.body_id = ? AND m.starts_at < ? AND m.minutes_status = 'circulated'"
        " AND m.status = 'scheduled' ORDER BY m.starts_at",
        (meeting["body_id"], meeting["starts_at"]),
    ).fetchall()
