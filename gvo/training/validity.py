"""How long a completed course counts, and a governor's status on a mandatory course.

**Expiry.** A course valid for N months, completed on day D, expires on D plus N calendar
months (dateutil's `relativedelta`): completed 31 January 2024, valid 36 months, it expires
on 31 January 2027. When that month is shorter the day is the month's last (31 August plus
6 months: 28 February, or 29 in a leap year; 29 February 2024 plus 12 months: 28 February
2025). **The expiry day is still valid**: the training counts up to and including its expiry
date and has expired from the day after (so a course is never counted for less than its N
months). A course with no validity never expires.

**Status** on `today` (the school's date, gvo.core.dates.today()), from the latest
completion of the course:

- "never": no completion recorded;
- "expired": the expiry date is before today;
- "expiring": the expiry date is today or within the next EXPIRING_DAYS (60) days;
- "valid": otherwise (or the course never expires).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

EXPIRING_DAYS = 60
VALID, EXPIRING, EXPIRED, NEVER = "valid", "expiring", "expired", "never"
LABELS = {VALID: "Valid", EXPIRING: "Expiring soon", EXPIRED: "Expired", NEVER: "Never done"}
RAG = {VALID: "green", EXPIRING: "amber", EXPIRED: "red", NEVER: "red"}
ORDER = {NEVER: 0, EXPIRED: 1, EXPIRING: 2, VALID: 3}  # worst first


def expires_on(completed_on: date, validity_months: int | None) -> date | None:
    """The last day a completion counts: `completed_on` plus `validity_months` calendar
    months, the day clamped to the end of a shorter month; None when the course never
    expires (`validity_months` None or 0)."""
    if not validity_months:
        return None
    return completed_on + relativedelta(months=validity_months)


@dataclass(frozen=True)
class Standing:
    """A person's status on one course on a day: `status` (VALID, EXPIRING, EXPIRED or
    NEVER), the latest completion's date and its expiry date (None: never expires, or
    never done)."""

    status: str
    completed_on: date | None = None
    expires: date | None = None

    @property
    def label(self) -> str:
        """The status in words ("Expiring soon")."""
        return LABELS[self.status]

    @property
    def rag(self) -> str:
        """The status as red, amber or green (the badge's colour; the words say it too)."""
        return RAG[self.status]


def standing(latest: date | None, validity_months: int | None, today: date) -> Standing:
    """The status on `today` of a course last completed on `latest` (None: never)."""
    if latest is None:
        return Standing(NEVER)
    expires = expires_on(latest, validity_months)
    if expires is None or expires > today + timedelta(days=EXPIRING_DAYS):
        status = VALID
    elif expires >= today:
        status = EXPIRING
    else:
        status = EXPIRED
    return Standing(status, latest, expires)
