"""Dates and times as people read and type them, in the school's time zone (Europe/London).

Every page, PDF, calendar description and message shows a time through this module: "Wed 9
Dec 2026, 6 pm", "Wed 9 Dec 2026, 6:30 pm" (Babel's CLDR data for British English, not
hand-made strftime formats). Two kinds of stored value come in:

- a meeting's local time, stored as 'YYYY-MM-DDTHH:MM' without a zone (what the clerk typed,
  in the school's time zone), with a `fold` (0 or 1) that says which of a repeated hour
  was meant (PEP 495);
- an instant, stored as ISO 8601 UTC ('YYYY-MM-DDTHH:MM:SSZ', `gvo.core.clock.iso`): shown
  in the school's local time.

A value that cannot be read (a row written before years were checked) is shown as stored,
never an error.

Local times that do not exist or are ambiguous: in the UK, clocks go forward from 01:00 GMT
to 02:00 BST on the last Sunday in March, and back from 02:00 BST to 01:00 GMT on the last
Sunday in October (The Summer Time Act 1972 as amended by the Summer Time Order 2002,
implementing Directive 2000/84/EC). A meeting at 01:30 on the March day does not exist
(`NonexistentTime`); one at 01:30 on the October day happens twice (`AmbiguousTime`): the
person must say which, never a silent pick.
"""

import calendar
import re
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from gvo.core import clock
from gvo.core.errors import InvalidInput

ZONE = ZoneInfo("Europe/London")
LOCALE = "en_GB"
_DAY = "EEE d MMM y"          # Wed 9 Dec 2026
_HOUR, _MINUTE = "h a", "h:mm a"  # 6 pm, 6:30 pm


def today() -> date:
    """Today's date in the school's time zone (from the injectable clock, gvo.core.clock):
    what "date appointed", "term ends" and "due on" are compared with."""
    return clock.utcnow().astimezone(ZONE).date()


class NonexistentTime(InvalidInput):
    """A local time skipped when the clocks go forward (01:00-01:59 on the last Sunday in
    March in London)."""


class AmbiguousTime(InvalidInput):
    """A local time that happens twice when the clocks go back (01:00-01:59 on the last
    Sunday in October in London); `zones` are its two readings' abbreviations, first one
    first (('BST', 'GMT'))."""

    def __init__(self, message: str, zones: tuple[str, str]):
        super().__init__(message)
        self.zones = zones


def _local(value) -> datetime | None:
    """A stored local time (text or datetime) as a naive datetime, or None."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value
    return _local_text(str(value))


@lru_cache(maxsize=4096)
def _local_text(value: str) -> datetime | None:
    # strptime costs about 20 µs and a page reads the same few stamps many times.
    try:
        return datetime.strptime(value.strip()[:16], "%Y-%m-%dT%H:%M")
    except ValueError:
        return None


def _instant(value) -> datetime | None:
    """A stored UTC instant (text or aware datetime) as an aware datetime in ZONE, or None."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZONE)


def zones(value: datetime) -> tuple[str, str]:
    """The zone abbreviations of a local time's first and second readings (('BST', 'GMT')
    for a time in October's repeated hour; the same name twice for any other, the first
    reading's for a time in March's skipped hour)."""
    naive = value.replace(tzinfo=None)
    if not is_ambiguous(naive):
        name = naive.replace(tzinfo=ZONE).tzname() or ""
        return name, name
    return (naive.replace(tzinfo=ZONE, fold=0).tzname() or "",
            naive.replace(tzinfo=ZONE, fold=1).tzname() or "")


def zone_name(value, fold: int = 0) -> str:
    """The zone abbreviation of a stored local time's reading `fold` ('GMT'); '' if the value
    is not a time."""
    local = _local(value)
    return "" if local is None else zones(local)[1 if fold else 0]


def is_ambiguous(value: datetime) -> bool:
    """Whether a local (naive) time happens twice in the school's zone (October's repeated
    hour). False in March's skipped hour, where the two readings differ too (PEP 495: a
    time in a gap reads with the offset before the change at fold 0, after it at fold 1) but
    the time does not happen at all."""
    naive = value.replace(tzinfo=None)
    return exists(naive) and (naive.replace(tzinfo=ZONE, fold=0).utcoffset()
                              != naive.replace(tzinfo=ZONE, fold=1).utcoffset())


def exists(value: datetime) -> bool:
    """Whether a local (naive) time happens at all in the school's zone (False in the hour
    skipped in March)."""
    naive = value.replace(tzinfo=None, fold=0)
    back = naive.replace(tzinfo=ZONE).astimezone(UTC).astimezone(ZONE).replace(tzinfo=None)
    return back == naive


def resolve(value: datetime, zone: str | int | None = None, what: str = "The time") -> int:
    """Check a local time a person typed and return its fold (0: the first reading, 1: the
    second; 0 for a time that happens once).

    `zone` is the reading the person chose for a time in the repeated hour: its abbreviation
    ('BST' or 'GMT') or its fold (0 or 1); None or '' when they have not chosen.
    Raises NonexistentTime for a time in the skipped hour, AmbiguousTime (naming both
    readings) for a time in the repeated hour with no choice made; `what` names the field.
    """
    if not exists(value):
        raise NonexistentTime(
            f"{what}: {clock_time(value)} does not exist on {day(value)}: the clocks go "
            "forward an hour that night. Choose a time before or after the change.")
    if not is_ambiguous(value):
        return 0
    names = zones(value)
    for fold, name in enumerate(names):
        if zone in (fold, str(fold), name):
            return fold
    raise AmbiguousTime(
        f"{what}: {clock_time(value)} happens twice on {day(value)}, as the clocks go back: "
        f"choose {names[0]} (the first {clock_time(value)}) or {names[1]} (the second).",
        names)


def to_utc(value, fold: int = 0) -> datetime | None:
    """A stored local time (and its fold) as an aware UTC datetime; None if it is not one."""
    local = _local(value)
    if local is None:
        return None
    return local.replace(tzinfo=ZONE, fold=fold or 0).astimezone(UTC)


# Babel formats a date in about 20 µs and a page shows dozens; the text of a calendar day
# and of a time of day never changes, so each is formatted once (a few thousand days and
# the 1,440 minutes of a day at most: bounded caches).
@lru_cache(maxsize=4096)
def _day_text(value: date) -> str:
    return format_date(value, _DAY, locale=LOCALE)


@lru_cache(maxsize=2048)
def _clock_text(hour_of_day: int, minute: int) -> str:
    # The patterns hold only the hour, the minute and am/pm: nothing else of the time shows.
    return format_time(datetime(2000, 1, 1, hour_of_day, minute),
                       _MINUTE if minute else _HOUR, locale=LOCALE)


def day(value) -> str:
    """'Wed 9 Dec 2026' for a date, a local time or a stored stamp (text as stored if it is
    not one)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return _day_text(value)
    local = _local(value)
    if local is None:
        try:
            return _day_text(date.fromisoformat(str(value)[:10]))
        except ValueError:
            return str(value)
    return _day_text(local.date())


def clock_time(value: datetime) -> str:
    """'6 pm' on the hour, else '6:30 pm'."""
    return _clock_text(value.hour, value.minute)


def hour(value) -> str:
    """The time of day of a stored local time: '6 pm', '6:30 pm' (as stored if not one)."""
    local = _local(value)
    return str(value) if local is None else clock_time(local)


def _zone_note(local: datetime, fold: int) -> str:
    return f" {zones(local)[1 if fold else 0]}" if is_ambiguous(local) else ""


def when(value, fold: int = 0) -> str:
    """'Wed 9 Dec 2026, 6 pm' for a stored local time (a time in the repeated hour says which:
    '... 1:30 am GMT'); as stored if it is not one."""
    local = _local(value)
    if local is None:
        return str(value).replace("T", " ")
    return f"{day(local)}, {clock_time(local)}{_zone_note(local, fold)}"


def span(starts, ends, starts_fold: int = 0, ends_fold: int = 0) -> str:
    """'Wed 9 Dec 2026, 6 pm to 8 pm' (the day again when it ends on another day) for stored
    local times; as stored if either is not one."""
    start, end = _local(starts), _local(ends)
    if start is None or end is None:
        return f"{starts} to {ends}".replace("T", " ")
    tail = f"{clock_time(end)}{_zone_note(end, ends_fold)}"
    if end.date() != start.date():
        tail = f"{day(end)}, {tail}"
    return f"{when(start, starts_fold)} to {tail}"


def meeting_span(meeting) -> str:
    """A meeting's (row or snapshot's) span: `span` of its starts_at and ends_at, with its
    folds where it has them."""
    keys = meeting.keys()
    folds = [meeting[k] if k in keys and meeting[k] else 0 for k in ("starts_fold", "ends_fold")]
    return span(meeting["starts_at"], meeting["ends_at"], *folds)


def moment(value) -> str:
    """A stored UTC instant in the school's local time: 'Wed 9 Dec 2026, 6:04 pm' (as stored
    if it is not one)."""
    local = _instant(value)
    if local is None:
        return str(value)
    return f"{day(local)}, {clock_time(local)}"


def moment_day(value) -> str:
    """The local day of a stored UTC instant: 'Wed 9 Dec 2026' (as stored if not one)."""
    local = _instant(value)
    return str(value) if local is None else day(local)


def local_date(value) -> date | None:
    """The school's calendar date of a stored UTC instant (text or datetime); None if it is
    not one."""
    local = _instant(value)
    return None if local is None else local.date()


FILTERS = {"day": day, "hour": hour, "when": when, "span": span, "meeting_span": meeting_span,
           "moment": moment, "moment_day": moment_day}



_ISO_PARTS = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def not_a_day(text: str, otherwise: str = "Give a date as YYYY-MM-DD (for example "
                                          "2027-03-01).") -> str:
    """Why `text` (what a person sent for a date, YYYY-MM-DD, perhaps with a time after it)
    is not a date, in words: "29 February 2027 is not a date: 2027 is not a leap year.",
    "31 April 2027 is not a date: April has 30 days.", else how to write one. For the form
    fields' message (gvo.web.forms.DayField, LocalTimeField), never WTForms' "Not a valid
    date value."; `otherwise` when no such reason is found)."""
    found = _ISO_PARTS.match(text.strip())
    if found:
        year, month, day_ = (int(x) for x in found.groups())
        if 1 <= month <= 12 and day_ >= 1:
            name = calendar.month_name[month]
            length = calendar.monthrange(year, month)[1] if year >= 1 else 31
            if day_ > length:
                if month == 2 and day_ == 29:
                    return (f"29 February {year} is not a date: {year} is not a leap "
                            "year.")
                return f"{day_} {name} {year} is not a date: {name} has {length} days."
        if not 1 <= month <= 12:
            return f"There is no month {month}: give a month from 1 to 12."
    return otherwise
