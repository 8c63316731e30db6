"""Calendar feeds: an .ics file per meeting, and a private iCalendar feed URL per person.

The feed URL carries a random token: only its sha256 is stored, so a stolen
database does not give anyone's feed away. Revoking (or making a new one)
stops the old URL at once, and so does every event that ends the person's
credentials (a password set, signing out everywhere, a two-step sign-in reset,
a Manager ending their sessions, being made inactive): the feed is a way into
the office without signing in, so it ends with the sessions. Their profile then
says when and why. A feed shows a meeting's title, time, place, body and status,
never agenda items, papers or minutes; and the person's own actions they may still see
(title, due date, status), each on its due date.
"""

import hashlib
import secrets
from datetime import date, timedelta

import icalendar

from gvo.actions import tasks
from gvo.core import audit, clock, dates, events, text
from gvo.core.atomic import transaction
from gvo.core.identity import Identity
from gvo.core.text import one_line
from gvo.meetings import meetings
from gvo.people import accounts
from gvo.storage.sqlcipher import Connection

PRODID = "-//GVO//Governors' Virtual Office//EN"
PAST_DAYS = 180


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(conn: Connection, actor: Identity, user_id: int) -> str:
    """Make (or replace) a person's feed token; returned once, stored only hashed."""
    token = secrets.token_urlsafe(32)
    with transaction(conn):
        conn.execute(
            "INSERT INTO calendar_feeds(user_id, token_hash, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET token_hash = excluded.token_hash,"
            " created_at = excluded.created_at, stopped_at = NULL, stopped_reason = ''",
            (user_id, _hash(token), clock.iso()))
        audit.record(conn, actor, "calendar.feed_new", f"user:{user_id}")
    return token


def revoke(conn: Connection, actor: Identity, user_id: int) -> None:
    """Stop a person's feed URL from working."""
    with transaction(conn):
        conn.execute("DELETE FROM calendar_feeds WHERE user_id = ?", (user_id,))
        audit.record(conn, actor, "calendar.feed_revoke", f"user:{user_id}")


def stop_with_credentials(conn: Connection, *, user_id: int, reason: str, actor: Identity,
                          **_details) -> str | None:
    """CREDENTIALS_ENDED: stop the person's feed address (inside the event's transaction),
    keeping when and why (`reason`, a key of accounts.CREDENTIAL_EVENTS) for their profile.
    Returns "calendar feed address" if one stopped, else None."""
    cur = conn.execute(
        "UPDATE calendar_feeds SET stopped_at = ?, stopped_reason = ?"
        " WHERE user_id = ? AND stopped_at IS NULL", (clock.iso(), reason, user_id))
    if cur.rowcount == 0:
        return None
    audit.record(conn, actor, "calendar.feed_revoke", f"user:{user_id}", reason=reason)
    return "calendar feed address"


events.subscribe(events.CREDENTIALS_ENDED, stop_with_credentials)


def webcal(url: str) -> str:
    """A feed's https (or http) address as a `webcal://` link, which phones and calendar
    programs open as "subscribe" (the scheme is a de facto convention, not an RFC: the same
    address with webcal in place of http or https)."""
    scheme, sep, rest = url.partition("://")
    return f"webcal://{rest}" if sep and scheme in ("http", "https") else url


def feed_created(conn: Connection, user_id: int) -> str | None:
    """When the person's working feed URL was made (ISO 8601, UTC), or None if they have
    none."""
    row = conn.execute("SELECT created_at FROM calendar_feeds WHERE user_id = ?"
                       " AND stopped_at IS NULL", (user_id,)).fetchone()
    return row["created_at"] if row else None


def feed_stopped(conn: Connection, user_id: int) -> tuple[str, str] | None:
    """(when, why) the person's feed address was stopped by an event that ended their
    credentials: when in ISO 8601 UTC, why in words ("your password was changed"); None if
    their feed works, they have none, or they stopped it themselves."""
    row = conn.execute("SELECT stopped_at, stopped_reason FROM calendar_feeds"
                       " WHERE user_id = ? AND stopped_at IS NOT NULL", (user_id,)).fetchone()
    if row is None:
        return None
    why = accounts.CREDENTIAL_EVENTS.get(row["stopped_reason"], "your sign-in details changed")
    return row["stopped_at"], why


def viewer_for_token(conn: Connection, token: str) -> Identity | None:
    """The (active) person a working feed token belongs to, or None."""
    if not token or len(token) > 100:
        return None
    row = conn.execute("SELECT user_id FROM calendar_feeds WHERE token_hash = ?"
                       " AND stopped_at IS NULL", (_hash(token),)).fetchone()
    return Identity.load(conn, row["user_id"]) if row else None


class _Text(icalendar.vText):
    """A TEXT value escaped as RFC 5545 section 3.3.11 says: backslash, ';' and ',' each
    behind a backslash, a line break as '\\n'. (icalendar's own vText first reads a typed
    backslash-N as a line break, so a title "Room \\North" came out as two lines.)"""

    def to_ical(self) -> bytes:
        """The escaped value, UTF-8."""
        escaped = (str(self).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
                   .replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n"))
        return escaped.encode(self.encoding)


def _text(value: str) -> icalendar.vText:
    """Text for a calendar property, escaped (`_Text`): every piece of text people typed goes
    out through here."""
    return _Text(value)


def uid_domain(slug: str, host: str) -> str:
    """The part after '@' of the UIDs of a school's calendar entries: the school's slug
    under the server's host name ("riverside.gvo.example"), so meeting 5 of one school and
    meeting 5 of another on the same server are two entries in one calendar app. RFC 5545
    section 3.8.4.7: a UID is globally unique; "unique-id@domain" is the recommended form."""
    return f"{slug}.{host}"


def _event(meeting, school: str, uid_host: str, url: str | None) -> icalendar.Event | None:
    """The meeting as a VEVENT (its UID "meeting-<id>@<uid_host>", `uid_host` from
    `uid_domain`); None for a meeting whose stored time is not one (left out of the feed,
    never breaking it)."""
    if None in [meetings.read_stamp(meeting[k]) for k in ("starts_at", "ends_at")]:
        return None
    event = icalendar.Event()
    event.add("uid", f"meeting-{meeting['id']}@{uid_host}")
    event.add("dtstamp", clock.utcnow())
    # RFC 5545 3.8.7.4: a calendar app replaces its copy when SEQUENCE is higher.
    event.add("sequence", meeting["sequence"])
    # Times go out in UTC: every calendar app reads them, no VTIMEZONE block needed; a time in
    # the repeated October hour as the clerk chose it (its fold).
    for prop, key in (("dtstart", "starts"), ("dtend", "ends")):
        event.add(prop, dates.to_utc(meeting[f"{key}_at"], meeting[f"{key}_fold"]))
    event.add("summary", _text(summary(meeting)))
    where = one_line(", ".join(x for x in (meeting["location"], meeting["online_link"]) if x))
    if where:
        event.add("location", _text(where))
    description = [f"{school}: {meeting['body_name']}"]
    if meeting["online_link"]:
        description.append(f"Join online: {meeting['online_link']}")
    if meeting["status"] == "cancelled":
        event.add("status", "CANCELLED")
        description.append(f"Cancelled: {meeting['cancel_reason']}")
    else:
        event.add("status", "CONFIRMED")
    if url:
        event.add("url", url)
        description.append(f"Agenda and papers: {url}")
    event.add("description", _text("\n".join(description)))
    return event


def summary(meeting) -> str:
    """A meeting's calendar title: its title, followed by its board or committee's name in
    brackets unless the title already names it ("Resources committee", not "Resources
    committee (Resources)"). One line: fields stored before they were normalised may hold
    U+2028 and the like."""
    title, body = one_line(meeting["title"]), one_line(meeting["body_name"])
    if text.fold(body) in text.fold(title):
        return title
    return f"{title} ({body})"


def _calendar(name: str) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    # RFC 5546 section 3.2.1: a published calendar, not an invitation to answer.
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _text(name))
    return cal


def meeting_ics(meeting, school: str, uid_host: str, url: str | None = None) -> bytes:
    """One meeting as an .ics file (`school`: its name; `uid_host`: see `uid_domain`)."""
    cal = _calendar(one_line(f"{school}: {meeting['title']}"))
    event = _event(meeting, school, uid_host, url)
    if event is not None:
        cal.add_component(event)
    return cal.to_ical()


def _task_event(task, uid_host: str, url: str | None) -> icalendar.Event:
    """An action as an all-day VEVENT on its due date (UID "task-<id>@<uid_host>"; RFC 5545
    section 3.6.1: an all-day event is a DATE start and the next day as its end; TRANSP
    TRANSPARENT: it does not make the person busy). Done ones say so in the title; an action
    from a Part 2 (confidential) item is "Confidential action (Part 2)", never its title."""
    event = icalendar.Event()
    event.add("uid", f"task-{task['id']}@{uid_host}")
    event.add("dtstamp", clock.utcnow())
    due = date.fromisoformat(task["due_on"])
    event.add("dtstart", due)
    event.add("dtend", due + timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    done = " (done)" if task["status"] == "done" else ""
    # A feed's address is handed to outside calendar services: a Part 2 (confidential)
    # item's action is not named there, only its due date (the link opens it, signed in).
    what = "Confidential action (Part 2)" if task["confidential"] else one_line(task["title"])
    event.add("summary", _text(f"Action due: {what}{done}"))
    description = [f"Status: {task['status_label']}"]
    if url:
        event.add("url", url)
        description.append(f"The action: {url}")
    event.add("description", _text("\n".join(description)))
    return event


def feed_ics(conn: Connection, viewer: Identity, school: str, uid_host: str,
             url_for_meeting, url_for_task=None) -> bytes:
    """The person's feed: meetings from six months ago onwards (cancelled ones marked), each
    named as its record names it (`meetings.get`), and the person's own actions they may
    see with a due date in that time, as all-day entries on it (gvo.actions.tasks.dated_for);
    `uid_host`: see `uid_domain`; `url_for_task(task_id)`: an action's address, or None."""
    start = meetings.local_now().replace(hour=0, minute=0) - timedelta(days=PAST_DAYS)
    since = meetings.stamp(start)
    cal = _calendar(f"{school}: meetings")
    for row in meetings.starting_from(conn, since):
        event = _event(row, school, uid_host, url_for_meeting(row["id"]))
        if event is not None:
            cal.add_component(event)
    for task in tasks.dated_for(conn, viewer, start.date()):
        cal.add_component(_task_event(task, uid_host,
                                      url_for_task(task["id"]) if url_for_task else None))
    return cal.to_ical()
