"""The weekly newsletter and the daily digest: what they say, to whom, and when.

**When.** Each school sets a day of the week and an hour (Europe/London; admin Settings,
`set_schedule`); the newsletter goes out then, and the daily digest at that hour every
day. The times come from APScheduler's CronTrigger in the school's time zone, so they
follow the clocks' changes. `send_due` is called by the one scheduler of `gvo serve`
(gvo.newsletter.schedule). What is recorded is the school's week (the newsletter: the ISO
week, Monday to Sunday, in Europe/London) or day (the digest: the date in Europe/London)
last sent, not the time slot: `send_due` sends when the last time due falls in a later
week (day) than the one recorded, and records it in the same transaction as queueing the
messages. So a newsletter missed while the server was down goes out once when it comes
back (only the latest missed one), never twice, and at most one goes out in a school week
whatever the clerk does to the schedule (moving Friday 16:00 to Monday 09:00 after
Friday's went sends the next on Monday of the next week; moving it to a time already
passed in a week whose newsletter has not gone sends it at once). The same holds for the
digest per day. A school's first check records the current week and day without sending
(a new school starts at its next slot).

**What.** The newsletter is personal: for each active person who wants mail (volume not
"none", the newsletter not unsubscribed), built only from functions that apply the
owning module's access rule (library: `gvo.library.news`, which reads through
`gvo.library.access`; meetings: their confidentiality rule; discussion: each subject's
loader), so it never names a room, a Part 2 item or a restricted folder the person may
not open:

- waiting for you: approvals, meetings awaiting your reply (gvo.newsletter.facts);
- coming up in the next 14 days: meetings (your actions due: gvo.actions.newsletter);
- the last 7 days: new in the library (documents, versions, pages, comments), new
  meetings, replies to your comments;
- notifications held for you (volume "digest" or "newsletter"), each checked again for the
  person now (gvo.mail.volume.deliverable: one whose item they may no longer open, or
  that is gone, is left out), several about one item as one line;
- sections other modules add (`register_section`), by default for Managers only.

A newsletter with nothing to say is not sent. The digest goes to people whose volume is
"digest" and who have held notifications; it lists them (subject and link).

Mail holds titles and links, never content.
"""

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from gvo.core import audit, clock, dates, events
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.discussion import topics  # noqa: F401  (registers the mail reference 'topic')
from gvo.library import news
from gvo.mail import outbox, volume
from gvo.mail.compose import Letter, Recipient
from gvo.meetings import meetings
from gvo.newsletter import facts
from gvo.storage.sqlcipher import Connection, after_commit

DAY_KEY, HOUR_KEY = "newsletter_day", "newsletter_hour"
DEFAULT_DAY, DEFAULT_HOUR = 4, 16  # Friday, 4 p.m.
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NEWSLETTER_DONE, DIGEST_DONE = "newsletter_last_week", "digest_last_day"
# Before attack 6's fix the time slot last sent was recorded (UTC ISO 8601): read once.
_OLD_DONE = {NEWSLETTER_DONE: "newsletter_last_period", DIGEST_DONE: "digest_last_period"}
LOOK_BACK_DAYS = 7
LOOK_AHEAD_DAYS = 14
MAX_LINES = 15  # per section; "and N more" beyond
SYSTEM = Identity.system("newsletter")


# -- sections other modules add ------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of a section: its words, the link (a path below the school's address, such
    as "/meetings/4", a full https address, or "" for none), and a note after it ("due 3
    March")."""

    text: str
    path: str = ""
    note: str = ""


@dataclass(frozen=True)
class Period:
    """What a newsletter covers: `now` (epoch seconds, UTC), changes since `since` (epoch
    seconds, LOOK_BACK_DAYS before), and LOOK_AHEAD_DAYS ahead."""

    now: float
    since: float


@dataclass(frozen=True)
class _Section:
    title: str
    fn: Callable[[Connection, Identity, Period], list[Line]]
    managers_only: bool


_sections: dict[str, _Section] = {}


def register_section(name: str, title: str,
                     fn: Callable[[Connection, Identity, Period], list[Line]], *,
                     managers_only: bool = True) -> None:
    """Add a section to every school's newsletter (governor terms ending, interests not
    declared, policies due for review...).

    name: a unique key (registering it again replaces it); title: the heading;
    fn(conn, who, period) -> the lines for person `who` (an empty list leaves the section
    out): it must name only what `who` may open (use the owning module's access rule).
    managers_only (the default): only Managers get it (warnings about the school's
    records). Sections appear in the order registered, after the built-in ones.
    """
    _sections[name] = _Section(title, fn, managers_only)


# -- the school's schedule ---------------------------------------------------------------

def _setting(conn: Connection, key: str) -> str:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return row[0] if row else ""


def _put(conn: Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key)"
                 " DO UPDATE SET value = excluded.value", (key, value))


def schedule_of(conn: Connection) -> tuple[int, int]:
    """(day of the week, 0 = Monday; hour, 0-23) the school's newsletter goes out at
    (Europe/London); the digest goes out at that hour every day."""
    day, hour = _setting(conn, DAY_KEY), _setting(conn, HOUR_KEY)
    return (int(day) if day.isdigit() else DEFAULT_DAY,
            int(hour) if hour.isdigit() else DEFAULT_HOUR)


def set_schedule(conn: Connection, who: Identity, day: int, hour: int) -> None:
    """Set the newsletter's day (0 = Monday ... 6 = Sunday) and hour (0-23, Europe/London);
    audited as "school.newsletter_schedule". InvalidInput for values out of range."""
    if not (isinstance(day, int) and 0 <= day <= 6 and isinstance(hour, int)
            and 0 <= hour <= 23):
        raise InvalidInput("Choose a day of the week and an hour from 0 to 23.")
    slug = outbox.school_slug(conn)
    with transaction(conn):
        old = schedule_of(conn)
        _put(conn, DAY_KEY, str(day))
        _put(conn, HOUR_KEY, str(hour))
        audit.record(conn, who, "school.newsletter_schedule", "school",
                     old=f"{DAYS[old[0]]} {old[1]:02d}:00", new=f"{DAYS[day]} {hour:02d}:00")
        after_commit(conn, lambda: events.publish(events.SCHEDULE_CHANGED, conn, slug=slug))


def _trigger(day: int | None, hour: int) -> CronTrigger:
    return CronTrigger(day_of_week=day if day is not None else "*", hour=hour, minute=0,
                       timezone=dates.ZONE)


def _last_and_next(trigger: CronTrigger, now: datetime, span: timedelta
                   ) -> tuple[datetime, datetime]:
    """The trigger's last time at or before `now`, and its next time after (it fires at
    least once in any `span`)."""
    last = trigger.get_next_fire_time(None, now - span - timedelta(days=1))
    while True:
        nxt = trigger.get_next_fire_time(last, last + timedelta(seconds=1))
        if nxt > now:
            return last, nxt
        last = nxt


def times(conn: Connection, now: float) -> dict[str, tuple[datetime, datetime]]:
    """For 'newsletter' and 'digest': (the last time it was due at or before `now`, the next
    time after), aware datetimes."""
    day, hour = schedule_of(conn)
    at = datetime.fromtimestamp(now, UTC)
    return {volume.NEWSLETTER: _last_and_next(_trigger(day, hour), at, timedelta(days=7)),
            volume.DIGEST: _last_and_next(_trigger(None, hour), at, timedelta(days=1))}


def period_key(kind: str, at: datetime) -> str:
    """The school week ("2026-W49", ISO 8601 weeks in Europe/London) of a newsletter due at
    `at` (aware), or the school day ("2026-12-01", Europe/London) of a digest: what is
    recorded as sent. Keys of one kind sort in time order."""
    local = at.astimezone(dates.ZONE)
    if kind == volume.NEWSLETTER:
        year, week, _day = local.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return local.date().isoformat()


def _done(conn: Connection, kind: str, done_key: str) -> str:
    """The week (day) last recorded as sent, "" for none (a slot recorded by an older
    version is read as its week or day)."""
    done = _setting(conn, done_key)
    if not done and (old := _setting(conn, _OLD_DONE[done_key])):
        done = period_key(kind, datetime.fromisoformat(old))
    return done


# -- building ---------------------------------------------------------------------------


@dataclass
class Newsletter:
    """One person's newsletter: sections of (title, lines, how many more were left out),
    and the held notifications it carries (their ids are released when it is queued)."""

    sections: list[tuple[str, list[Line], int]] = field(default_factory=list)
    held_ids: list[int] = field(default_factory=list)

    def add(self, title: str, lines: list[Line]) -> None:
        """Add a section unless it has no lines (at most MAX_LINES, counting the rest)."""
        if lines:
            self.sections.append((title, lines[:MAX_LINES], max(0, len(lines) - MAX_LINES)))

    def __bool__(self) -> bool:
        return bool(self.sections)


# Where each kind of the library's news is shown (gvo.library.news: subject_type).
_NEWS_PATHS = {"document": "/library/documents/{}", "page": "/library/pages/{}",
               "topic": "/discussions/{}"}


def _library_lines(conn: Connection, who: Identity, since: str) -> list[Line]:
    rows = [n for n in news.page(conn, who, size=MAX_LINES + 1) if n["at"] >= since]
    lines = []
    for n in rows:
        path = _NEWS_PATHS[n["subject_type"]].format(n["subject_id"])
        if n["kind"] == "comment":
            lines.append(Line(f"{n['who'] or 'Someone'} commented on {n['title']}",
                              path + "#comments"))
        elif n["kind"] == "version":
            lines.append(Line(n["title"], path, f"version {n['number']}"))
        elif n["kind"] == "topic":
            lines.append(Line(n["title"], path, "new discussion"))
        else:
            lines.append(Line(n["title"], path, "added"))
    return lines


@functools.lru_cache(maxsize=512)
def _span(starts: str, ends: str, starts_fold: int, ends_fold: int) -> str:
    """dates.span, kept: every person's newsletter names the same meetings."""
    return dates.span(starts, ends, starts_fold, ends_fold)


def _meeting_line(m) -> Line:
    return Line(m["title"], f"/meetings/{m['id']}",
                _span(m["starts_at"], m["ends_at"], m["starts_fold"], m["ends_fold"]))


def build(conn: Connection, who: Identity, period: Period,
          outbox_id: int | None = None) -> Newsletter:
    """The newsletter for `who` (see the module's docstring), its sections in order; given
    `outbox_id` (a queued newsletter built again as it is sent), the held notifications it
    carries rather than those waiting."""
    letter = Newsletter()
    since_iso = clock.iso(period.since)
    mine = facts.for_you(conn, who, replies_since=period.since)
    letter.add("Waiting for your approval",
               [Line(s.title, facts.subject_path(s)) for s in mine.approvals])
    letter.add("Will you attend?", [_meeting_line(m) for m in mine.meetings])
    ahead = timedelta(days=LOOK_AHEAD_DAYS)
    coming = [_meeting_line(m) for m in meetings.upcoming(conn, limit=MAX_LINES + 1,
                                                          within=ahead)]
    letter.add("Coming up in the next two weeks", coming)
    letter.add("New in the library", _library_lines(conn, who, since_iso))
    letter.add("New meetings", [_meeting_line(m) for m in meetings.created_since(
        conn, since_iso, MAX_LINES + 1)])
    letter.add("Replies to your comments",
               [Line(f"{r.author_name} replied to you on {r.subject.title}",
                     facts.subject_path(r.subject) + "#comments") for r in mine.replies])
    held, letter.held_ids = volume.deliverable(conn, who.user_id, outbox_id)
    letter.add("Notifications kept for this newsletter", _held_lines(conn, held))
    for section in _sections.values():
        if section.managers_only and not who.acts_as_manager:
            continue
        letter.add(section.title, section.fn(conn, who, period))
    return letter


def _held_path(conn: Connection, link: str) -> str:
    """A held notification's link as a path below the school's address when it is one."""
    base = outbox.school_url(conn)
    return link[len(base):] if link.startswith(base + "/") else link


def _held_lines(conn: Connection, held: list[volume.Held]) -> list[Line]:
    """Held notifications (already checked for the person) as lines; several about one
    item are one line, with their number."""
    return [Line(h.subject, _held_path(conn, h.link), f"{h.count} notices" if h.count > 1
                 else "") for h in held]


def _recipients(conn: Connection, kind: str, volumes: tuple[str, ...]) -> list:
    marks = ",".join("?" * len(volumes))
    return conn.execute(
        "SELECT id, role, email, name, (SELECT json_group_array(capability) FROM"
        " user_capabilities c WHERE c.user_id = users.id) AS caps FROM users"
        f" WHERE role != 'inactive' AND mail_volume IN ({marks})"
        " AND NOT EXISTS (SELECT 1 FROM mail_optouts o WHERE o.user_id = users.id"
        " AND o.kind = ?) ORDER BY id", [*volumes, kind]).fetchall()


def _identity(row) -> Identity:
    return Identity.of_account(row, set(json.loads(row["caps"])))


def newsletter_letter(letter: Newsletter, when: datetime) -> Letter:
    """The message of a built newsletter (for `send_newsletters` and the bench)."""
    return Letter("newsletter", f"Your week in the governors' office: {dates.day(when)}",
                  "you are a member of this school's governors' office and get its weekly "
                  "newsletter", {"sections": letter.sections},
                  change="To change how much e-mail you get, open your profile page.")


def _queue_once(conn: Connection, kind: str, done_key: str, period: str,
                ready: list[tuple[outbox.Prepared | None, list[int]]]) -> int:
    """Queue prepared messages, release the held notifications each carries (None: none
    to send, only notices to release) and record `period` as sent, in one short
    transaction; nothing if that period (or a later one) was recorded meanwhile. How many
    were queued."""
    with transaction(conn):
        done = _done(conn, kind, done_key)
        if done and done >= period:
            return 0
        sent = 0
        for prepared, held_ids in ready:
            outbox_id = None
            if prepared is not None:
                outbox_id = outbox.queue_prepared(conn, SYSTEM, prepared)
                sent += 1
            volume.release(conn, held_ids, outbox_id)
        _put(conn, done_key, period)
        audit.record(conn, SYSTEM, f"mail.{kind}", "school", period=period, sent=sent)
    return sent


def _recipient(row) -> Recipient:
    return Recipient(row["name"], row["email"], row["id"])


def send_newsletters(conn: Connection, period: str, now: float) -> int:
    """Build every person's newsletter (reading only), then queue them, release the held
    notifications they carry and record `period` (a `period_key`) as sent, in one
    transaction (a short one: the school's other writers wait for it); how many were
    queued."""
    covers = Period(now, now - LOOK_BACK_DAYS * 86400)
    when = datetime.fromtimestamp(now, UTC)
    ready = []
    for row in _recipients(conn, volume.NEWSLETTER, tuple(volume.VOLUMES.keys() - {"none"})):
        letter = build(conn, _identity(row), covers)
        if letter:
            prepared = outbox.prepare(conn, _recipient(row), newsletter_letter(letter, when),
                                      kind=volume.NEWSLETTER, unsubscribe=True)
            if prepared is not None:
                ready.append((prepared, letter.held_ids))
        elif letter.held_ids:  # held notices about items the person may no longer open
            ready.append((None, letter.held_ids))
    return _queue_once(conn, volume.NEWSLETTER, NEWSLETTER_DONE, period, ready)


def send_digests(conn: Connection, period: str, now: float) -> int:
    """A digest to each person whose volume is "digest" and who has held notifications:
    built first, then queued (releasing them) with `period` recorded as sent, in one
    transaction; how many were queued."""
    when = datetime.fromtimestamp(now, UTC)
    ready = []
    for row in _recipients(conn, volume.DIGEST, ("digest",)):
        held, held_ids = volume.deliverable(conn, row["id"])
        if not held:
            if held_ids:  # all about items the person may no longer open: never named
                ready.append((None, held_ids))
            continue
        prepared = outbox.prepare(conn, _recipient(row), digest_letter(conn, held, when),
                                  kind=volume.DIGEST, unsubscribe=True)
        if prepared is not None:
            ready.append((prepared, held_ids))
    return _queue_once(conn, volume.DIGEST, DIGEST_DONE, period, ready)


def digest_letter(conn: Connection, held: list[volume.Held], when: datetime) -> Letter:
    """The message of a daily digest listing `held` (already checked for the person)."""
    return Letter("digest", f"Today in the governors' office: {dates.day(when)}",
                  "you asked for one e-mail a day gathering this school's notifications",
                  {"items": _held_lines(conn, held)},
                  change="To change how much e-mail you get, open your profile page.")


# -- built again when sent ----------------------------------------------------------------


def _rebuild_newsletter(conn: Connection, row, who: Identity) -> outbox.Prepared | None:
    """A queued newsletter (an outbox row) built again for its person as it is sent: what
    they may open now, over the seven days before now, with the held notifications it
    carries checked again; None if nothing is left to say (gvo.mail.outbox.recheck)."""
    now = clock.now()
    letter = build(conn, who, Period(now, now - LOOK_BACK_DAYS * 86400), row["id"])
    if not letter:
        return None
    when = datetime.fromtimestamp(row["created_at"], UTC)
    return outbox.prepare(conn, outbox.user_recipient(conn, who.user_id),
                          newsletter_letter(letter, when), kind=volume.NEWSLETTER,
                          unsubscribe=True)


def _rebuild_digest(conn: Connection, row, who: Identity) -> outbox.Prepared | None:
    """A queued digest built again as it is sent: the held notifications it carries that
    its person may still open; None if none is left (gvo.mail.outbox.recheck)."""
    held, _ids = volume.deliverable(conn, who.user_id, row["id"])
    if not held:
        return None
    return outbox.prepare(conn, outbox.user_recipient(conn, who.user_id),
                          digest_letter(conn, held, datetime.fromtimestamp(row["created_at"],
                                                                           UTC)),
                          kind=volume.DIGEST, unsubscribe=True)


outbox.register_rebuild(volume.NEWSLETTER, _rebuild_newsletter)
outbox.register_rebuild(volume.DIGEST, _rebuild_digest)


def send_due(conn: Connection, now: float | None = None) -> float:
    """Send the school's newsletter and digest if one is due and not yet sent (see the
    module's docstring); returns when the next one is due (epoch seconds). Does nothing
    but answer when mail is off."""
    now = clock.now() if now is None else now
    due = times(conn, now)
    if outbox.enabled(conn):
        # The digest first: a notification held for a digest goes in it, not in the
        # newsletter due at the same hour.
        for kind, done_key, send in ((volume.DIGEST, DIGEST_DONE, send_digests),
                                     (volume.NEWSLETTER, NEWSLETTER_DONE, send_newsletters)):
            last = period_key(kind, due[kind][0])
            done = _done(conn, kind, done_key)
            if not done:  # the school's first check: start from the next slot
                with transaction(conn):
                    _put(conn, done_key, last)
                    audit.record(conn, SYSTEM, f"mail.{kind}_start", "school", period=last)
            elif done < last:
                send(conn, last, now)
    return min(nxt for _last, nxt in due.values()).timestamp()
