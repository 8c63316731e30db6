"""The compliance rules: the board checked against the law, from its records and meetings.

Each rule is a small function `(conn, today) -> Result` whose docstring names its legal
source; `RULES` lists them in the order the dashboard shows them. `today` is the school's
calendar date (gvo.core.dates.today()); a rule never reads the clock for the date.

**Adding a rule** (issue 15's "statutory policies missing or overdue"): write the function in
its own module, with its source in its docstring, and register it once at import:

    from gvo.governance import compliance

    def policies(conn, today):
        \"\"\"... source: ... \"\"\"
        return compliance.Result(compliance.PASS, "All 12 statutory policies are current.")

    compliance.register(compliance.Rule(
        key="policies", title="Statutory policies in place and reviewed",
        source="DfE, Statutory policies for schools and academy trusts", check=policies,
        link=compliance.Link("library.index")))

then import that module where the app starts (as gvo.blueprints.governance.compliance
imports this one). The dashboard, the home page's summary and the tests that walk `RULES`
pick it up.

**Reads of other modules' tables.** Governor records, positions, places and interest returns
are read here with small read-only queries, each a function named `_q_...` at the end of
this module, so they can be swapped for the services (gvo.governance.records, places,
interests) when those are merged.

**Settings** (table `settings`): `governance_warning_days` (the warning period for terms
ending and DBS checks, default 60 days; Managers change it, audited) and
`interests_reconfirm_from` ('MM-DD', default '09-01': the day each year from which
governors reconfirm their interests; the register of interests' own setting).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from gvo.core import audit, clock, dates
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.meetings import attendance
from gvo.storage.sqlcipher import Connection

PASS, WARN, FAIL, NA = "pass", "warn", "fail", "na"
STATUS_LABELS = {PASS: "Met", WARN: "Needs attention", FAIL: "Not met", NA: "Not applicable"}
_SEVERITY = {FAIL: 0, WARN: 1, PASS: 2, NA: 3}

WARNING_DAYS_KEY = "governance_warning_days"
DEFAULT_WARNING_DAYS, MIN_WARNING_DAYS, MAX_WARNING_DAYS = 60, 1, 366
RECONFIRM_KEY = "interests_reconfirm_from"
DEFAULT_RECONFIRM = "09-01"
MEETINGS_PER_YEAR = 3
CLEAR_DAYS = 7
DBS_DAYS = 21
COMMITTEE_GOVERNORS = 3
# GVO's choice, not the law's (which sets no deadline): a governor has this many days from
# the reconfirmation date, or from their appointment, to make their return before it counts
# as missing ("Not met") rather than due ("Needs attention").
RECONFIRM_GRACE_DAYS = 28


@dataclass(frozen=True)
class Finding:
    """One fact behind a result (one meeting, one governor, one committee), with its own
    status."""

    status: str
    text: str


@dataclass(frozen=True)
class Result:
    """A rule's verdict today: `status` (PASS, WARN, FAIL or NA), `facts` (today's facts in
    one sentence), `todo` (what to do; '' when nothing) and the `findings` behind it."""

    status: str
    facts: str
    todo: str = ""
    findings: tuple[Finding, ...] = ()

    @property
    def label(self) -> str:
        """The status in words ("Met", "Needs attention", "Not met", "Not applicable")."""
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class Link:
    """Where to act on a rule: a view (endpoint) and its values (a rule registered later
    names its own module's page)."""

    endpoint: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """A compliance rule: its key, its title (what it asks), its legal source (the document
    and section), the check, and where to act on it."""

    key: str
    title: str
    source: str
    check: Callable[[Connection, date], Result]
    link: Link


@dataclass(frozen=True)
class Checked:
    """A rule with today's result."""

    rule: Rule
    result: Result


RULES: list[Rule] = []


def register(rule: Rule) -> None:
    """Add a rule after the others (registering a key again replaces that rule in place)."""
    for i, old in enumerate(RULES):
        if old.key == rule.key:
            RULES[i] = rule
            return
    RULES.append(rule)


def check_all(conn: Connection, today: date | None = None) -> list[Checked]:
    """Every registered rule's result for `today` (default: the school's today), in order."""
    today = today or dates.today()
    return [Checked(rule, rule.check(conn, today)) for rule in RULES]


def needs_attention(checked: list[Checked]) -> list[Checked]:
    """The rules not met, then those needing attention (the home page's summary)."""
    return sorted((c for c in checked if c.result.status in (FAIL, WARN)),
                  key=lambda c: _SEVERITY[c.result.status])


def _worst(findings, default: str = PASS) -> str:
    return min((f.status for f in findings), key=_SEVERITY.get, default=default)


def _count(findings, status: str) -> int:
    return sum(1 for f in findings if f.status == status)


def _verdict(findings, facts: str, *, empty: str = "", fail: str = "", warn: str = "",
             ordered: bool = True) -> Result:
    """The result of a rule judged by its findings: the worst of their statuses, what to do
    for it (`fail` or `warn`, each standing in for the other when only one is given), the
    findings worst first when `ordered`; with no findings, not applicable, as `empty` says."""
    if not findings:
        return Result(NA, empty)
    status = _worst(findings)
    todo = {FAIL: fail or warn, WARN: warn or fail}.get(status, "")
    return Result(status, facts, todo,
                  tuple(sorted(findings, key=_by_status) if ordered else findings))


def _meeting_name(m) -> str:
    return f"{m['title']} ({m['body_name']}), {dates.when(m['starts_at'], m['starts_fold'])}"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


# -- dates --------------------------------------------------------------------------------

def school_year(today: date) -> tuple[date, date]:
    """The school year `today` falls in: (1 September, 31 August), both included."""
    start = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    return start, date(start.year + 1, 8, 31)


def add_years(day: date, years: int) -> date:
    """`day` moved on `years` years; 29 February becomes 1 March in a year without one (the
    anniversary of 29 February falls on 1 March in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return date(day.year + years, 3, 1)


def term_end(appointed_on: date, years: int) -> date:
    """The last day of a term of `years` years that began on `appointed_on`: the day before
    its anniversary (a 4-year term from 1 September 2022 ends on 31 August 2026; from 29
    February 2024, on 28 February 2028; from 1 March 2024, on 29 February 2028)."""
    return add_years(appointed_on, years) - timedelta(days=1)


def clear_days(sent_at: str, starts_at: str, starts_fold: int = 0) -> int | None:
    """The clear days between papers sent at `sent_at` (a UTC instant, ISO 8601) and a
    meeting starting at `starts_at` (the school's local time, 'YYYY-MM-DDTHH:MM', with its
    fold): the whole calendar days in the school's time zone (Europe/London, so BST and GMT
    alike) after the day of sending and before the day of the meeting, neither of which
    counts. Papers sent on Monday 1st for a meeting on Thursday 9th give 7 clear days (2nd
    to 8th), whatever the hours. Negative when sent after the day before the meeting; None
    if either value cannot be read."""
    sent = dates.local_date(sent_at)
    start = dates.to_utc(starts_at, starts_fold)
    if sent is None or start is None:
        return None
    return (start.astimezone(dates.ZONE).date() - sent).days - 1


def papers_due_by(starts_at: str, starts_fold: int = 0) -> date | None:
    """The last day papers can be sent for `CLEAR_DAYS` clear days before a meeting."""
    start = dates.to_utc(starts_at, starts_fold)
    return None if start is None else (
        start.astimezone(dates.ZONE).date() - timedelta(days=CLEAR_DAYS + 1))


def _now(today: date) -> datetime:
    """The instant "held" is judged at: now, when `today` is the school's today; otherwise
    the end of `today` (a meeting that started on or before it counts as held)."""
    if today == dates.today():
        return clock.utcnow()
    return datetime.combine(today + timedelta(days=1), datetime.min.time(),
                            tzinfo=dates.ZONE).astimezone(UTC)


def _date(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _started(meeting, now: datetime) -> bool:
    start = dates.to_utc(meeting["starts_at"], meeting["starts_fold"] or 0)
    return start is not None and start <= now


def _meeting_day(meeting) -> date | None:
    start = dates.to_utc(meeting["starts_at"], meeting["starts_fold"] or 0)
    return None if start is None else start.astimezone(dates.ZONE).date()


# -- settings -----------------------------------------------------------------------------

def warning_days(conn: Connection) -> int:
    """The warning period (days) for terms ending and DBS checks: the school's setting, else
    DEFAULT_WARNING_DAYS."""
    value = _setting(conn, WARNING_DAYS_KEY)
    return int(value) if value.isdigit() and MIN_WARNING_DAYS <= int(value) <= MAX_WARNING_DAYS \
        else DEFAULT_WARNING_DAYS


def set_warning_days(conn: Connection, actor: Identity, days: int) -> None:
    """Set the warning period (MIN_WARNING_DAYS-MAX_WARNING_DAYS days); a Manager's setting,
    audited as "governance.warning_days" with the old and new values. InvalidInput for a
    number out of range. Only Managers may: the view checks the role."""
    if not isinstance(days, int) or not MIN_WARNING_DAYS <= days <= MAX_WARNING_DAYS:
        raise InvalidInput(f"Give a number of days from {MIN_WARNING_DAYS} to "
                           f"{MAX_WARNING_DAYS}.")
    with transaction(conn):
        old = warning_days(conn)
        conn.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key)"
                     " DO UPDATE SET value = excluded.value", (WARNING_DAYS_KEY, str(days)))
        audit.record(conn, actor, "governance.warning_days", "school", old=old, new=days)


def reconfirm_from(conn: Connection, today: date) -> date:
    """The first day of the current reconfirmation year of the register of interests: the
    latest date on or before `today` with the school's month and day (setting
    `interests_reconfirm_from`, 'MM-DD', default '09-01'; 29 February is 28 February in a
    common year)."""
    value = _setting(conn, RECONFIRM_KEY) or DEFAULT_RECONFIRM
    try:
        month, day = (int(p) for p in value.split("-"))
        date(2000, month, day)  # a real month and day (2000 had a 29 February)
    except ValueError:
        month, day = 9, 1

    def on(year: int) -> date:
        return date(year, month, min(day, 28 if month == 2 and not _leap(year) else day))

    this = on(today.year)
    return this if this <= today else on(today.year - 1)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _setting(conn: Connection, key: str) -> str:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return row[0].strip() if row else ""


# -- the rules ----------------------------------------------------------------------------

def board_meetings(conn: Connection, today: date) -> Result:
    """At least three meetings of the full governing board in the school year (1 September
    to 31 August). Held: not cancelled and started by now; those still scheduled this school
    year count as planned, which makes the rule "Needs attention" rather than "Not met".

    Source: The School Governance (Roles, Procedures and Allowances) (England) Regulations
    2013, reg. 13(1) ("Convening meetings of the governing body"); DfE Governance Handbook.
    """
    board = _q_board(conn)
    first, last = school_year(today)
    if board is None:
        return Result(FAIL, "No governing board is set up.", "Set up the governing board.")
    now = _now(today)
    held, planned = [], []
    for m in _q_meetings(conn, first, last, body_id=board["id"]):
        if m["status"] == "cancelled":
            continue
        (held if _started(m, now) else planned).append(m)
    year = f"{first.year}/{str(last.year)[2:]}"
    facts = (f"{_plural(len(held), 'full board meeting')} held in the school year {year}, "
             f"{len(planned)} more planned.")
    findings = tuple(Finding(PASS, f"Held: {m['title']}, {dates.when(m['starts_at'])}")
                     for m in held) + tuple(
        Finding(WARN, f"Planned: {m['title']}, {dates.when(m['starts_at'])}") for m in planned)
    if len(held) >= MEETINGS_PER_YEAR:
        return Result(PASS, facts, "", findings)
    if len(held) + len(planned) >= MEETINGS_PER_YEAR:
        return Result(WARN, facts, "Hold the planned meetings (at least three this school "
                      "year).", findings)
    missing = MEETINGS_PER_YEAR - len(held) - len(planned)
    return Result(FAIL, facts, f"Schedule {_plural(missing, 'more full board meeting')} "
                  f"before {dates.day(last)}.", findings)


def papers_notice(conn: Connection, today: date) -> Result:
    """Notice, agenda and papers sent at least seven clear days before each meeting of the
    board and its committees this school year, from the time the papers were published
    (`meetings.papers_published_at`, the latest publication). Clear days are whole days in
    the school's time zone between the day of sending and the day of the meeting, neither
    counted (`clear_days`). A meeting still to come whose papers are not out is "Needs
    attention" until its last day for sending, "Not met" after it. The chair may direct
    shorter notice for urgent matters (reg. 13(5)): the rule cannot know, so such a meeting
    shows as not met with that reason to record.

    Source: The School Governance (Roles, Procedures and Allowances) (England) Regulations
    2013, reg. 13(4) (the board: notice, agenda and papers) and reg. 26(2) (committees:
    notice and agenda).
    """
    first, last = school_year(today)
    now = _now(today)
    findings = []
    for m in _q_meetings(conn, first, last):
        if m["status"] == "cancelled":
            continue
        name = _meeting_name(m)
        sent = m["papers_published_at"]
        if sent:
            days = clear_days(sent, m["starts_at"], m["starts_fold"] or 0)
            if days is not None and days >= CLEAR_DAYS:
                findings.append(Finding(PASS, f"{name}: papers sent {dates.moment(sent)}, "
                                        f"{days} clear days before."))
            else:
                findings.append(Finding(FAIL, f"{name}: papers sent {dates.moment(sent)}, "
                                        f"only {max(days or 0, 0)} clear days before."))
            continue
        due = papers_due_by(m["starts_at"], m["starts_fold"] or 0)
        if _started(m, now):
            findings.append(Finding(FAIL, f"{name}: no papers were published."))
        elif due is not None and due >= today:
            findings.append(Finding(WARN, f"{name}: send the papers by {dates.day(due)}."))
        else:
            findings.append(Finding(FAIL, f"{name}: the papers are not out and seven clear "
                                    "days' notice can no longer be given."))
    facts = (f"{_plural(len(findings), 'meeting')} this school year: "
             f"{_count(findings, FAIL)} without seven clear days' notice, "
             f"{_count(findings, WARN)} with papers still to send.")
    return _verdict(findings, facts, empty="No meetings this school year yet.", ordered=False,
                    fail="Publish papers at least 8 days before each meeting (7 clear days). "
                         "Where the chair directed shorter notice for urgent business, record "
                         "it in the minutes.",
                    warn="Publish the papers of the coming meetings by the dates shown.")


def quorum_met(conn: Connection, today: date) -> Result:
    """Each meeting of the board and its committees held this school year was quorate,
    as its locked attendance register records (gvo.meetings.attendance.quorum: one half of
    the governors in office, vacancies excluded, rounded up, associate members not counted;
    for committees their own quorum, at least three governors). A meeting held whose
    register is not locked has its quorum "not recorded": "Needs attention".

    Source: The School Governance (Roles, Procedures and Allowances) (England) Regulations
    2013, reg. 14 ("Proceedings of the governing body") and reg. 22(2) (committees).
    """
    first, last = school_year(today)
    now = _now(today)
    findings = []
    for m in _q_meetings(conn, first, last):
        if m["status"] == "cancelled" or not _started(m, now):
            continue
        name = _meeting_name(m)
        if not m["attendance_register_locked_at"]:
            findings.append(Finding(WARN, f"{name}: quorum not recorded (the register is not "
                                    "locked)."))
            continue
        q = attendance.quorum(conn, m["id"])
        findings.append(Finding(PASS if q.quorate else FAIL,
                                f"{name}: {q.present} present, {q.needed} needed "
                                f"({'quorate' if q.quorate else 'not quorate'})."))
    facts = (f"{_plural(len(findings), 'meeting')} held this school year: "
             f"{_count(findings, FAIL)} not quorate, {_count(findings, WARN)} with the register "
             "still open.")
    return _verdict(findings, facts, empty="No meetings held this school year yet.",
                    ordered=False,
                    fail="Decisions taken at a meeting that was not quorate are not valid: "
                         "take them again at a quorate meeting.",
                    warn="Take and lock the attendance register of each meeting held.")


def dbs_checks(conn: Connection, today: date) -> Result:
    """Every governor in office has an enhanced DBS check, applied for within 21 days of
    their appointment or election. Due (within 21 days of appointment, none recorded):
    "Needs attention"; overdue, or no appointment date to count from: "Not met". Associate
    members are not governors and are not counted.

    Source: The School Governance (Constitution) (England) Regulations 2012, as amended by
    the School Governance (Constitution and Federations) (England) (Amendment) Regulations
    2016 (enhanced criminal record certificates for governors); Academy Trust Handbook and
    DfE Governance Handbook (checks on governors and trustees).
    """
    findings = []
    for g in _q_governors_in_office(conn, today):
        if not g["votes"]:
            continue
        due = dbs_due(g)
        if g["dbs_checked_on"]:
            findings.append(Finding(PASS, f"{g['name']}: checked "
                                    f"{dates.day(g['dbs_checked_on'])}."))
        elif due is None:
            findings.append(Finding(FAIL, f"{g['name']}: no DBS check recorded, and no date of "
                                    "appointment to count the 21 days from."))
        elif due >= today:
            findings.append(Finding(WARN, f"{g['name']}: DBS check due by {dates.day(due)}."))
        else:
            findings.append(Finding(FAIL, f"{g['name']}: DBS check overdue since "
                                    f"{dates.day(due)}."))
    facts = (f"{_plural(_count(findings, PASS), 'governor')} of {len(findings)} with an "
             f"enhanced DBS check recorded.")
    return _verdict(findings, facts, empty="No governors in office.",
                    fail="Apply for an enhanced DBS check for each governor listed and record "
                         "its date and certificate number on their record.")


def dbs_due(governor) -> date | None:
    """The last day to apply for a governor's DBS check: 21 days after their appointment;
    None without an appointment date."""
    appointed = _date(governor["appointed_on"])
    return None if appointed is None else appointed + timedelta(days=DBS_DAYS)


def interests_reconfirmed(conn: Connection, today: date) -> Result:
    """Every governor and associate member in office has made their return to the register
    of business interests (their interests, or a nil return) since this year's
    reconfirmation date (setting `interests_reconfirm_from`, default 1 September). Missing
    within RECONFIRM_GRACE_DAYS of that date or of their appointment: "Needs attention";
    later: "Not met".

    Source: DfE Governance Handbook (registers of interests, reviewed and published each
    year); Academy Trust Handbook (declaring and managing business interests); The School
    Governance (Roles, Procedures and Allowances) (England) Regulations 2013, reg. 16
    ("Restrictions on persons taking part in proceedings").
    """
    since = reconfirm_from(conn, today)
    returns = _q_latest_interest_returns(conn)
    findings = []
    for g in _q_governors_in_office(conn, today):
        latest = _date(returns.get(g["user_id"]))
        if latest is not None and latest >= since:
            findings.append(Finding(PASS, f"{g['name']}: returned {dates.day(latest)}."))
            continue
        started = max(since, _date(g["appointed_on"]) or since)
        due = started + timedelta(days=RECONFIRM_GRACE_DAYS)
        findings.append(Finding(WARN if today <= due else FAIL,
                                f"{g['name']}: no return since {dates.day(since)}"
                                f"{' (due by ' + dates.day(due) + ')' if today <= due else ''}."))
    facts = (f"{_count(findings, PASS)} of {len(findings)} reconfirmed their interests since "
             f"{dates.day(since)}.")
    return _verdict(findings, facts, empty="No governors in office.",
                    fail="Ask each governor listed to confirm their interests (or make a nil "
                         "return), or enter their return on their behalf.")


def terms_ending(conn: Connection, today: date) -> Result:
    """No governor's term of office ends within the warning period (setting
    `governance_warning_days`, default 60 days) without the board acting: a term that ends
    within it is "Needs attention"; one that has ended while the governor is still recorded
    in office is "Not met". Ex-officio places (the headteacher) have no term.

    Source: The School Governance (Constitution) (England) Regulations 2012 (terms of office
    of one to four years, set in the instrument of government); DfE Governance Handbook.
    """
    period = warning_days(conn)
    findings = []
    for g in _q_governors_in_office(conn, today):
        ends = governor_term_end(g)
        if ends is None:
            continue
        if ends < today:
            findings.append(Finding(FAIL, f"{g['name']}: term ended {dates.day(ends)}."))
        elif ends <= today + timedelta(days=period):
            findings.append(Finding(WARN, f"{g['name']}: term ends {dates.day(ends)}."))
    if not findings:
        return Result(PASS, f"No term ends in the next {period} days.")
    facts = f"{_plural(len(findings), 'term')} ended or ending in the next {period} days."
    return _verdict(findings, facts, fail="Reappoint or re-elect each governor listed, or "
                    "record that they step down, and fill the place.")


def governor_term_end(governor) -> date | None:
    """A governor's last day in office: their record's term end, else computed from the
    date of appointment and the term's length (`term_end`); None when not applicable (ex
    officio, or no term recorded)."""
    if governor["ex_officio"]:
        return None
    stored = _date(governor["term_ends_on"])
    if stored is not None:
        return stored
    appointed = _date(governor["appointed_on"])
    if appointed is None or not governor["term_years"]:
        return None
    return term_end(appointed, governor["term_years"])


def vacancies(conn: Connection, today: date) -> Result:
    """The board's places, category by category as the instrument of government sets them
    (`board_places`), against the governors in office: a vacancy is "Needs attention"; more
    governors than places in a category is "Not met"; no places recorded is "Needs
    attention" (nothing to check against).

    Source: The School Governance (Constitution) (England) Regulations 2012 (the instrument
    of government; Part 2, categories of governor); DfE Governance Handbook.
    """
    board = _q_board(conn)
    if board is None:
        return Result(FAIL, "No governing board is set up.", "Set up the governing board.")
    places = _q_places(conn, board["id"])
    if not places:
        return Result(WARN, "The instrument of government's places are not recorded.",
                      "Record how many places of each category the board has.")
    filled: dict[str, int] = {}
    for g in _q_governors_in_office(conn, today):
        filled[g["category"]] = filled.get(g["category"], 0) + 1
    findings, empty = [], 0
    for p in places:
        have = filled.get(p["category"], 0)
        if have < p["places"]:
            empty += p["places"] - have
            gap = _plural(p["places"] - have, "vacancy", "vacancies")
            findings.append(Finding(WARN, f"{p['label']}: {have} of {p['places']} places "
                                    f"filled, {gap}."))
        elif have > p["places"]:
            findings.append(Finding(FAIL, f"{p['label']}: {have} in office for "
                                    f"{_plural(p['places'], 'place')}."))
        else:
            findings.append(Finding(PASS, f"{p['label']}: all {p['places']} places filled."))
    total = sum(p["places"] for p in places)
    facts = f"{total - empty} of {_plural(total, 'place')} filled, {empty} vacant."
    return _verdict(findings, facts,
                    fail="Check the records: a category has more governors than the "
                         "instrument of government allows.",
                    warn="Fill each vacancy (by election or appointment, as its category "
                         "requires).")


def clerk_in_post(conn: Connection, today: date) -> Result:
    """The board has a clerk in post today (a current 'clerk' position on the board).

    Source: The School Governance (Roles, Procedures and Allowances) (England) Regulations
    2013, reg. 10 ("Appointment and removal of the clerk to the governing body") and reg. 11
    ("Functions of the clerk to the governing body").
    """
    clerks = _q_current_positions(conn, today, "clerk")
    if not clerks:
        return Result(FAIL, "No clerk is recorded in post.", "Appoint a clerk to the board "
                      "and record the position on their record.")
    names = ", ".join(c["name"] for c in clerks)
    return Result(PASS, f"Clerk in post: {names}.",
                  findings=tuple(Finding(PASS, f"{c['name']}, since {dates.day(c['starts_on'])}")
                                 for c in clerks))


def committee_governors(conn: Connection, today: date) -> Result:
    """Each committee has at least three governors among its members (its quorum must be
    at least three governors who are members); associate members and others who are not
    governors in office are not counted.

    Source: The School Governance (Roles, Procedures and Allowances) (England) Regulations
    2013, reg. 22(2) ("Establishment of committees of the governing body").
    """
    committees = _q_committee_governor_counts(conn, today)
    if not committees:
        return Result(NA, "The board has no committees.")
    findings = [Finding(PASS if c["governors"] >= COMMITTEE_GOVERNORS else FAIL,
                        f"{c['name']}: {_plural(c['governors'], 'governor')}")
                for c in committees]
    facts = (f"{_plural(len(findings), 'committee')}, {_count(findings, FAIL)} with fewer than "
             "three governors.")
    return _verdict(findings, facts, fail="Appoint governors to each committee listed until "
                    "it has at least three.")


def _by_status(finding: Finding) -> int:
    return _SEVERITY[finding.status]


# -- term-end and DBS warnings (newsletter, dashboard) -----------------------------------

@dataclass(frozen=True)
class GovernorWarning:
    """A governor's term ending, or DBS check missing, within the warning period: who,
    what, and the date (the term's last day, or the DBS deadline; None when unknown)."""

    user_id: int
    name: str
    kind: str  # 'term' or 'dbs'
    on: date | None
    text: str


def warnings(conn: Connection, today: date | None = None) -> list[GovernorWarning]:
    """Terms ending within the warning period (or ended) and DBS checks not recorded (due or
    overdue), soonest first: what the newsletter's Managers' section and the dashboard
    list."""
    today = today or dates.today()
    horizon = today + timedelta(days=warning_days(conn))
    found = []
    for g in _q_governors_in_office(conn, today):
        ends = governor_term_end(g)
        if ends is not None and ends <= horizon:
            text = (f"{g['name']}'s term ended on {dates.day(ends)}" if ends < today
                    else f"{g['name']}'s term ends on {dates.day(ends)}")
            found.append(GovernorWarning(g["user_id"], g["name"], "term", ends, text))
        if g["votes"] and not g["dbs_checked_on"]:
            due = dbs_due(g)
            text = (f"{g['name']} has no DBS check recorded" if due is None else
                    f"{g['name']}'s DBS check {'was due' if due < today else 'is due'} by "
                    f"{dates.day(due)}")
            found.append(GovernorWarning(g["user_id"], g["name"], "dbs", due, text))
    return sorted(found, key=lambda w: (w.on or date.min, w.name.casefold()))


def newsletter_lines(conn: Connection, who: Identity, period) -> list:
    """The newsletter's Managers' section: one line per warning (`warnings`), linking to the
    dashboard; none for anyone who is not a Manager."""
    from gvo.newsletter.letters import Line

    if not who.acts_as_manager:
        return []
    return [Line(w.text, "/governance/compliance") for w in warnings(conn)]


def _register_newsletter_section() -> None:
    from gvo.newsletter import letters

    letters.register_section("governance_warnings", "Governors' terms and DBS checks",
                             newsletter_lines, managers_only=True)


# -- read-only queries of other modules' tables (swap for their services at merge) -------

def _q_board(conn: Connection):
    """The full governing board (bodies row), or None."""
    return conn.execute("SELECT * FROM bodies WHERE kind = 'board'").fetchone()


def _q_meetings(conn: Connection, first: date, last: date, body_id: int | None = None) -> list:
    """Meetings (with their body's name) whose local start date is in first..last, by start."""
    rows = conn.execute(
        "SELECT m.*, b.name AS body_name, b.kind AS body_kind FROM meetings m"
        " JOIN bodies b ON b.id = m.body_id WHERE m.starts_at >= ? AND m.starts_at < ?"
        + (" AND m.body_id = ?" if body_id is not None else "") + " ORDER BY m.starts_at",
        (first.isoformat(), (last + timedelta(days=1)).isoformat())
        + ((body_id,) if body_id is not None else ())).fetchall()
    return [r for r in rows if (d := _meeting_day(r)) is not None and first <= d <= last]


def _q_governors_in_office(conn: Connection, today: date) -> list:
    """The board's governor records in office today (appointed by today or undated, not
    stepped down by today), with the person's name and the category's `votes` and
    `ex_officio` (a category not recorded: votes 1, ex_officio 0), by name."""
    return conn.execute(
        "SELECT g.*, u.name, coalesce(c.votes, 1) AS votes,"
        " coalesce(c.ex_officio, 0) AS ex_officio, coalesce(c.label, '') AS category_label"
        " FROM governor_records g JOIN users u ON u.id = g.user_id"
        " LEFT JOIN governor_categories c ON c.key = g.category"
        " WHERE g.body_id = (SELECT id FROM bodies WHERE kind = 'board')"
        " AND (g.appointed_on IS NULL OR g.appointed_on <= ?)"
        " AND (g.stepped_down_on IS NULL OR g.stepped_down_on > ?)"
        " ORDER BY u.name COLLATE NOCASE", (today.isoformat(), today.isoformat())).fetchall()


def _q_places(conn: Connection, body_id: int) -> list:
    """The instrument of government's places on a body, by category order."""
    return conn.execute(
        "SELECT p.category, p.places, coalesce(c.label, p.category) AS label"
        " FROM board_places p LEFT JOIN governor_categories c ON c.key = p.category"
        " WHERE p.body_id = ? ORDER BY c.sort_order, p.category", (body_id,)).fetchall()


def _q_latest_interest_returns(conn: Connection) -> dict[int, str]:
    """Each person's latest return to the register of interests: user id -> 'YYYY-MM-DD'."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT user_id, max(returned_on) FROM interest_returns GROUP BY user_id")}


def _q_current_positions(conn: Connection, today: date, position: str) -> list:
    """Who holds `position` on the board today (name, starts_on)."""
    return conn.execute(
        "SELECT u.name, p.starts_on FROM governor_positions p"
        " JOIN governor_records g ON g.id = p.record_id JOIN users u ON u.id = g.user_id"
        " WHERE g.body_id = (SELECT id FROM bodies WHERE kind = 'board') AND p.position = ?"
        " AND p.starts_on <= ? AND (p.ends_on IS NULL OR p.ends_on >= ?)"
        " ORDER BY p.starts_on", (position, today.isoformat(), today.isoformat())).fetchall()


def _q_committee_governor_counts(conn: Connection, today: date) -> list:
    """Each committee (id, name) with how many of its members are governors in office who
    count (not associate members), by the board structure's order."""
    in_office = {g["user_id"] for g in _q_governors_in_office(conn, today) if g["votes"]}
    out = []
    for c in conn.execute("SELECT id, name FROM bodies WHERE kind = 'committee'"
                          " ORDER BY sort_order, name"):
        members = [r[0] for r in conn.execute(
            "SELECT m.user_id FROM body_members m JOIN users u ON u.id = m.user_id"
            " WHERE m.body_id = ? AND u.role != 'inactive'", (c["id"],))]
        out.append({"id": c["id"], "name": c["name"],
                    "governors": sum(1 for u in members if u in in_office)})
    return out


# -- the registry -------------------------------------------------------------------------

_RECORDS = Link("governance.governors")
for _rule in (
    Rule("board_meetings", "At least three full board meetings this school year",
         "School Governance (Roles, Procedures and Allowances) (England) Regulations 2013, "
         "reg. 13(1)", board_meetings, Link("meetings.index")),
    Rule("papers_notice", "Papers sent at least 7 clear days before each meeting",
         "School Governance (Roles, Procedures and Allowances) (England) Regulations 2013, "
         "reg. 13(4) and reg. 26(2)", papers_notice,
         Link("meetings.index")),
    Rule("quorum_met", "Quorum met at each meeting held",
         "School Governance (Roles, Procedures and Allowances) (England) Regulations 2013, "
         "reg. 14 and reg. 22(2)", quorum_met, Link("meetings.index")),
    Rule("dbs_checks", "Every governor's enhanced DBS check within 21 days of appointment",
         "School Governance (Constitution) (England) Regulations 2012 as amended in 2016; "
         "Governance Handbook", dbs_checks, _RECORDS),
    Rule("interests_reconfirmed", "Every governor's interests reconfirmed this year",
         "DfE Governance Handbook (register of interests); Academy Trust Handbook",
         interests_reconfirmed, Link("governance.register")),
    Rule("terms_ending", "Terms of office ending within the warning period",
         "School Governance (Constitution) (England) Regulations 2012 (term of office)",
         terms_ending, _RECORDS),
    Rule("vacancies", "Places on the board filled",
         "School Governance (Constitution) (England) Regulations 2012 (instrument of "
         "government)", vacancies, Link("governance.places_page")),
    Rule("clerk_in_post", "A clerk in post",
         "School Governance (Roles, Procedures and Allowances) (England) Regulations 2013, "
         "reg. 10", clerk_in_post, _RECORDS),
    Rule("committee_governors", "Each committee has at least three governors",
         "School Governance (Roles, Procedures and Allowances) (England) Regulations 2013, "
         "reg. 22(2)", committee_governors, Link("admin.board_list")),
):
    register(_rule)
del _rule

_register_newsletter_section()
