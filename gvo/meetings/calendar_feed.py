"""Calendar feeds: an .ics file per meeting, and a private iCalendar feed URL per person.

The feed URL carries a random token: only its sha256 is stored, so a stolen
database does not give anyone's feed away. Revoking (or making a new one)
stops the old URL at once. A feed shows a meeting's title, time, place, body
and status, never agenda items, papers or minutes.
"""

import hashlib
import secrets
from datetime import UTC, timedelta

import icalendar

from gvo.core import audit, clock
from gvo.core.atomic import transaction
from gvo.core.identity import Identity
from gvo.meetings import meetings
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
            " created_at = excluded.created_at", (user_id, _hash(token), clock.iso()))
        audit.record(conn, actor, "calendar.feed_new", f"user:{user_id}")
    return token


def revoke(conn: Connection, actor: Identity, user_id: int) -> None:
    """Stop a person's feed URL from working."""
    with transaction(conn):
        conn.execute("DELETE FROM calendar_feeds WHERE user_id = ?", (user_id,))
        audit.record(conn, actor, "calendar.feed_revoke", f"user:{user_id}")


def feed_created(conn: Connection, user_id: int) -> str | None:
    """When the person's current feed URL was made, or None if they have none."""
    row = conn.execute("SELECT created_at FROM calendar_feeds WHERE user_id = ?",
                       (user_id,)).fetchone()
    return row["created_at"] if row else None


def viewer_for_token(conn: Connection, token: str) -> Identity | None:
    """The (active) person a feed token belongs to, or None."""
    if not token or len(token) > 100:
        return None
    row = conn.execute("SELECT user_id FROM calendar_feeds WHERE token_hash = ?",
                       (_hash(token),)).fetchone()
    return Identity.load(conn, row["user_id"]) if row else None


def _text(value: str) -> icalendar.vText:
    """Text for a calendar property, escaped by icalendar (line breaks, ';', ',', '\\'):
    RFC 5545 section 3.3.11. Every piece of text people typed goes out through here."""
    return icalendar.vText(value)


def _event(meeting, school: str, uid_host: str, url: str | None) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"meeting-{meeting['id']}@{uid_host}")
    event.add("dtstamp", clock.utcnow())
    # Times go out in UTC: every calendar app reads them, no VTIMEZONE block needed.
    for prop, stamp in (("dtstart", meeting["starts_at"]), ("dtend", meeting["ends_at"])):
        local = meetings.parse_stamp(stamp).replace(tzinfo=meetings.SCHOOL_TZ)
        event.add(prop, local.astimezone(UTC))
    event.add("summary", _text(f"{meeting['title']} ({meeting['body_name']})"))
    where = ", ".join(x for x in (meeting["location"], meeting["online_link"]) if x)
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


def _calendar(name: str) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", _text(name))
    return cal


def meeting_ics(meeting, school: str, uid_host: str, url: str | None = None) -> bytes:
    """One meeting as an .ics file."""
    cal = _calendar(f"{school}: {meeting['title']}")
    cal.add_component(_event(meeting, school, uid_host, url))
    return cal.to_ical()


def feed_ics(conn: Connection, viewer: Identity, school: str, uid_host: str,
             url_for_meeting) -> bytes:
    """The person's feed: meetings from six months ago onwards (cancelled ones marked)."""
    since = meetings.stamp(meetings.local_now().replace(hour=0, minute=0)
                           - timedelta(days=PAST_DAYS))
    rows = conn.execute(
        "SELECT m.*, b.name AS body_name FROM meetings m JOIN bodies b ON b.id = m.body_id"
        " WHERE m.starts_at >= ? ORDER BY m.starts_at", (since,)).fetchall()
    cal = _calendar(f"{school}: meetings")
    for row in rows:
        cal.add_component(_event(row, school, uid_host, url_for_meeting(row["id"])))
    return cal.to_ical()
