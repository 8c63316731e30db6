"""Meeting mail: papers published, minutes circulated and approved, and the reminder to
members who have not said whether they will attend.

Each message names the meeting (its title and date) and links to its page in the office;
it never holds a paper's or the minutes' words. It goes to the members of the meeting's
board or committee (active accounts), who may read all of the meeting, its confidential
(Part 2) items included (`rules.sees_confidential`); never to the person who acted.
Mail goes through `gvo.mail.outbox.notify` (kinds "papers_published",
"minutes_circulated", "minutes_approved", "attendance_reminder").

The reminder goes REMINDER_SETTING days (a school setting, default DEFAULT_REMINDER_DAYS;
0 for none) before the meeting starts, once per meeting and person, to members who have
not replied: `due_reminders(conn, now)` does that work and is safe to call at any time and
any number of times (`gvo serve`'s scheduler calls it when it visits the school, through
`gvo.mail.periodic`, and `next_reminder` tells it when the next one falls due).
"""

from datetime import UTC, datetime, timedelta

from gvo.core import audit, clock, dates
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.mail import about, outbox, periodic, refs
from gvo.meetings.meetings import SCHOOL_TZ, get, has_started, stamp
from gvo.storage.sqlcipher import Connection

REMINDER_SETTING = "meetings.reply_reminder_days"
DEFAULT_REMINDER_DAYS = 3
MAX_REMINDER_DAYS = 60
REPUBLISH_SECONDS = 60.0  # "Publish papers" again within this: a repeat, ignored
SYSTEM = Identity.system("meeting reminders")
WHY_MEMBER = "you are a member of {body}"


def _members(conn: Connection, body_id: int, but: int | None = None) -> list[int]:
    """The active members of a body, `but` left out."""
    return [r[0] for r in conn.execute(
        "SELECT m.user_id FROM body_members m JOIN users u ON u.id = m.user_id"
        " WHERE m.body_id = ? AND u.role != 'inactive' ORDER BY m.user_id", (body_id,))
        if r[0] != but]


def _meeting_exists(conn: Connection, _who: Identity, meeting_id: int) -> bool:
    """Mail about a meeting names its title and date, which every member may see (its
    Part 2 is never in the mail): the check is that the meeting is still there."""
    return get(conn, meeting_id) is not None


refs.register("meeting", _meeting_exists)


def _tell_members(conn: Connection, actor: Identity, meeting, *, kind: str, subject: str,
                  headline: str, path: str, note: str = "", people: list[int] | None = None,
                  gathered: str = "") -> list[int]:
    """Mail a meeting's body members (or `people`) about it, inside the caller's
    transaction (`gathered`: see gvo.mail.compose.Letter)."""
    if not outbox.enabled(conn):
        return []
    people = _members(conn, meeting["body_id"], actor.user_id) if people is None else people
    letter = about.item_letter(
        conn, subject=subject, why=WHY_MEMBER.format(body=meeting["body_name"]),
        headline=headline, title=meeting["title"], path=path,
        when=dates.when(meeting["starts_at"], meeting["starts_fold"] or 0), note=note,
        ref=("meeting", meeting["id"]), gathered=gathered)
    return outbox.notify(conn, actor, people, letter, kind=kind)


def publish_papers(conn: Connection, actor: Identity, meeting_id: int) -> str:
    """The clerk publishes the meeting's papers: the time (UTC ISO 8601, returned) is stored
    as the meeting's `papers_published_at` and the body's members are told. The first
    publication is also kept, once, as `papers_first_published_at`. Publishing again (papers
    changed) records the new time as `papers_published_at` and tells them again, but leaves
    the first alone: the statutory notice check (papers sent at least 7 clear days before;
    School Governance (Roles, Procedures and Allowances) (England) Regulations 2013,
    reg. 13(4); gvo.governance.compliance.papers_notice) reads the first, and notes a later
    correction separately. Audited as "meeting.papers_published". InvalidInput for a
    cancelled meeting or one that started.

    Idempotent under a race: the publication is claimed in the write transaction that
    tells the members, so a second "Publish papers" within REPUBLISH_SECONDS of the last
    (a double click, a retried request, two tabs) records nothing and sends nothing, and
    returns the time already recorded. Members who get mail at once hear of repeated
    publishing at most once per gvo.mail.outbox.COALESCE_SECONDS (the notices gather).
    """
    meeting = get(conn, meeting_id)
    if meeting["status"] == "cancelled":
        raise InvalidInput("The meeting is cancelled.")
    if has_started(meeting):
        raise InvalidInput("The meeting has started: its papers can no longer be published.")
    with transaction(conn):
        now = clock.now()
        when = clock.iso(now)
        last = conn.execute("SELECT papers_published_at FROM meetings WHERE id = ?",
                            (meeting_id,)).fetchone()["papers_published_at"]
        if last is not None and now - datetime.fromisoformat(last).timestamp() \
                < REPUBLISH_SECONDS:
            return last
        again = last is not None
        conn.execute("UPDATE meetings SET papers_published_at = ?, papers_published_by = ?,"
                     " papers_first_published_at = COALESCE(papers_first_published_at, ?)"
                     " WHERE id = ?", (when, actor.user_id, when, meeting_id))
        audit.record(conn, actor, "meeting.papers_published", f"meeting:{meeting_id}",
                     again=again)
        _tell_members(conn, actor, meeting, kind="papers_published",
                      gathered=f"Papers updated: {meeting['title']}",
                      subject=(f"Papers updated: {meeting['title']}" if again
                               else f"Papers published: {meeting['title']}"),
                      headline=("The papers for this meeting were updated" if again
                                else "The papers for this meeting are ready"),
                      path=f"/meetings/{meeting_id}#agenda",
                      note="Please read them before the meeting, and say whether you will "
                           "attend.")
    return when


def minutes_circulated(conn: Connection, actor: Identity, meeting) -> None:
    """Tell the body's members that the meeting's minutes are circulated for comment
    (inside the caller's transaction)."""
    _tell_members(conn, actor, meeting, kind="minutes_circulated",
                  subject=f"Minutes circulated: {meeting['title']}",
                  headline="The draft minutes of this meeting are circulated for comment",
                  path=f"/meetings/{meeting['id']}#minutes",
                  note="Read them and comment before they are approved.")


def minutes_approved(conn: Connection, actor: Identity, meeting) -> None:
    """Tell the body's members that the meeting's minutes were approved (inside the
    caller's transaction)."""
    _tell_members(conn, actor, meeting, kind="minutes_approved",
                  subject=f"Minutes approved: {meeting['title']}",
                  headline="The minutes of this meeting were approved",
                  path=f"/meetings/{meeting['id']}#minutes")


def reminder_days(conn: Connection) -> int:
    """How many days before a meeting members who have not replied are reminded (0: none)."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?",
                       (REMINDER_SETTING,)).fetchone()
    try:
        return max(0, min(MAX_REMINDER_DAYS, int(row["value"]))) if row else \
            DEFAULT_REMINDER_DAYS
    except ValueError:
        return DEFAULT_REMINDER_DAYS


def set_reminder_days(conn: Connection, actor: Identity, days: int) -> None:
    """Set the reminder's days before a meeting (0-MAX_REMINDER_DAYS; 0 for none); audited
    as "school.reply_reminder_days". InvalidInput outside that range."""
    if not 0 <= days <= MAX_REMINDER_DAYS:
        raise InvalidInput(f"Give a number of days from 0 to {MAX_REMINDER_DAYS}.")
    with transaction(conn):
        conn.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key)"
                     " DO UPDATE SET value = excluded.value", (REMINDER_SETTING, str(days)))
        audit.record(conn, actor, "school.reply_reminder_days", "school", days=days)


def _local(now: float) -> datetime:
    """Epoch seconds as the school's local time without tzinfo (as meetings are stored)."""
    return datetime.fromtimestamp(now, UTC).astimezone(SCHOOL_TZ).replace(tzinfo=None)


def due_reminders(conn: Connection, now: float) -> int:
    """Remind the members who have not said whether they will attend a meeting that starts
    within the school's reminder days of `now` (epoch seconds, UTC) and has not started:
    once per meeting and person (table meeting_reminders), whenever and however often this
    runs. Meetings cancelled or with a locked register are left alone. Returns how many
    people were reminded; 0 (and nothing recorded) while the office sends no mail.
    Audited as "meeting.reply_reminder" by the system, one entry per meeting."""
    days = reminder_days(conn)
    if days == 0 or not outbox.enabled(conn):
        return 0
    start = _local(now)
    rows = conn.execute(
        "SELECT m.id, u.id AS user_id FROM meetings m"
        " JOIN body_members b ON b.body_id = m.body_id JOIN users u ON u.id = b.user_id"
        " WHERE m.status = 'scheduled' AND m.attendance_register_locked_at IS NULL"
        " AND m.starts_at > ? AND m.starts_at <= ? AND u.role != 'inactive'"
        " AND NOT EXISTS (SELECT 1 FROM attendance_replies r WHERE r.meeting_id = m.id"
        " AND r.user_id = u.id) AND NOT EXISTS (SELECT 1 FROM meeting_reminders s"
        " WHERE s.meeting_id = m.id AND s.user_id = u.id) ORDER BY m.id, u.id",
        (stamp(start), stamp(start + timedelta(days=days)))).fetchall()
    by_meeting: dict[int, list[int]] = {}
    for row in rows:
        by_meeting.setdefault(row["id"], []).append(row["user_id"])
    at = clock.iso()
    for meeting_id, people in by_meeting.items():
        meeting = get(conn, meeting_id)
        with transaction(conn):
            conn.executemany("INSERT OR IGNORE INTO meeting_reminders(meeting_id, user_id,"
                             " sent_at) VALUES (?, ?, ?)",
                             [(meeting_id, uid, at) for uid in people])
            audit.record(conn, SYSTEM, "meeting.reply_reminder", f"meeting:{meeting_id}",
                         to=people)
            _tell_members(conn, SYSTEM, meeting, kind="attendance_reminder",
                          subject=f"Will you attend? {meeting['title']}",
                          headline="You have not yet said whether you will attend",
                          path=f"/meetings/{meeting_id}#attendance",
                          note="Open the meeting and answer “attending” or send apologies.",
                          people=people)
    return sum(len(p) for p in by_meeting.values())


def next_reminder(conn: Connection, now: float) -> float | None:
    """When the next reminder falls due (epoch seconds): the reminder days before the
    soonest scheduled meeting that starts after that window; None for none (or no mail).
    A meeting added later is found at the scheduler's next regular visit."""
    days = reminder_days(conn)
    if days == 0 or not outbox.enabled(conn):
        return None
    row = conn.execute(
        "SELECT min(starts_at) FROM meetings WHERE status = 'scheduled'"
        " AND attendance_register_locked_at IS NULL AND starts_at > ?",
        (stamp(_local(now) + timedelta(days=days)),)).fetchone()
    if row[0] is None:
        return None
    starts = datetime.fromisoformat(row[0]).replace(tzinfo=SCHOOL_TZ)
    return (starts - timedelta(days=days)).timestamp()


periodic.register("meetings.due_reminders", due_reminders, next_reminder)
