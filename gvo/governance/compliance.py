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

**One rule per fact.** The rules judge; the facts are the owning services': who is in
office and each term's end (gvo.governance.records: `governors`, `term_end_of`, `holders`),
places and vacancies, and who counts towards a committee's quorum (gvo.governance.places),
each governor's reconfirmation status red/amber/green (gvo.governance.interests.statuses,
reported here as Not met / Needs attention / Met). The clerk is not a governor
(records.governors leaves them out): no DBS-within-21-days rule (a clerk's DBS check is
the employer's safer-recruitment check, DfE Keeping children safe in education, kept in the
single central record, not a governor's check), no term, no place, no register of
interests; the "clerk in post" rule is theirs. Only the meetings of a school year are read
here directly (`_meetings`): gvo.meetings lists meetings for a viewer, not by date range.

**Settings** (table `settings`): `governance_warning_days` (the warning period for terms
ending and DBS checks, default 60 days; Managers change it, audited). The reconfirmation
date of the register of interests is the register's own setting
(gvo.governance.interests.RECONFIRM_KEY).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from gvo.board import bodies
from gvo.core import audit, clock, dates
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.governance import interests, places, records
from gvo.meetings import attendance, declarations
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection

PASS, WARN, FAIL, NA = "pass", "warn", "fail", "na"
STATUS_LABELS = {PASS: "Met", WARN: "Needs attention", FAIL: "Not met", NA: "Not applicable"}
_SEVERITY = {FAIL: 0, WARN: 1, PASS: 2, NA: 3}

WARNING_DAYS_KEY = "governance_warning_days"
DEFAULT_WARNING_DAYS, MIN_WARNING_DAYS, MAX_WARNING_DAYS = 60, 1, 366
MEETINGS_PER_YEAR = 3
CLEAR_DAYS = 7
DBS_DAYS = 21
COMMITTEE_GOVERNORS = places.COMMITTEE_MINIMUM
# The register's red/amber/green as this dashboard's statuses.
RAG_STATUS = {"green": PASS, "amber": WARN, "red": FAIL}


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
    board = records.board_id(conn)
    first, last = school_year(today)
    if board is None:
        return Result(FAIL, "No governing board is set up.", "Set up the governing board.")
    now = _now(today)
    held, planned = [], []
    for m in _meetings(conn, first, last, body_id=board):
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
    board and its committees this school year, from the time the papers were FIRST published
    (`meetings.papers_first_published_at`): publishing them again with a corrected paper does
    not undo the notice already given, so a later publication is noted ("corrected on …")
    and judged by the first. Clear days are whole days in
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
    for m in _meetings(conn, first, last):
        if m["status"] == "cancelled":
            continue
        name = _meeting_name(m)
        sent = m["papers_first_published_at"] or m["papers_published_at"]
        if sent:
            days = clear_days(sent, m["starts_at"], m["starts_fold"] or 0)
            latest = m["papers_published_at"]
            corrected = (f" Corrected on {dates.moment(latest)}." if latest and latest != sent
                         else "")
            if days is not None and days >= CLEAR_DAYS:
                findings.append(Finding(PASS, f"{name}: papers sent on time, "
                                        f"{dates.moment(sent)}, {days} clear days before."
                                        + corrected))
            else:
                findings.append(Finding(FAIL, f"{name}: papers sent {dates.moment(sent)}, "
                                        f"only {max(days or 0, 0)} clear days before."
                                        + corrected))
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
    for committees their own quorum, at least three governors), and each agenda item was
    quorate once those who declared an interest in it and withdrew are left out
    (gvo.meetings.declarations.inquorate_items): an inquorate item is "Not met", named. A
    meeting held whose register is not locked has its quorum "not recorded": "Needs
    attention".

    Source: The School Governance (Roles, Procedures and Allowances) (England) Regulations
    2013, reg. 14 ("Proceedings of the governing body") and reg. 22(2) (committees).
    """
    first, last = school_year(today)
    now = _now(today)
    findings = []
    for m in _meetings(conn, first, last):
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
        findings.extend(Finding(FAIL, f"{name}: item {i['number']} ‘{i['title']}’ was not "
                                f"quorate ({i['present']} present, {i['needed']} needed, "
                                "after those who declared an interest withdrew).")
                        for i in declarations.inquorate_items(conn, m["id"]))
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
    "Needs attention"; overdue, or no appointment date to count from: "Not met"; a check
    dated more than 21 days after appointment is "Not met" as late, with the days (it stays
    so while the governor is in office); a check dated in the future (refused at input,
    records.check_input) "Needs attention". Associate
    members are not governors and are not counted; nor is the clerk, who is not a governor
    (their check is the employer's, under Keeping children safe in education).

    Source: The School Governance (Constitution) (England) Regulations 2012, as amended by
    the School Governance (Constitution and Federations) (England) (Amendment) Regulations
    2016 (enhanced criminal record certificates for governors); Academy Trust Handbook and
    DfE Governance Handbook (checks on governors and trustees).
    """
    findings = []
    for g in records.governors(conn, today):
        if not g["votes"]:
            continue
        due = dbs_due(g)
        checked = _date(g["dbs_checked_on"])
        if checked is not None and checked > today:
            findings.append(Finding(WARN, f"{g['name']}: DBS check dated {dates.day(checked)},"
                                    " in the future: correct the date."))
        elif checked is not None and due is not None and checked > due:
            late = (checked - due).days
            findings.append(Finding(FAIL, f"{g['name']}: checked {dates.day(checked)}, late: "
                                    f"{_plural(late, 'day')} after the 21 days (due by "
                                    f"{dates.day(due)})."))
        elif checked is not None:
            findings.append(Finding(PASS, f"{g['name']}: checked {dates.day(checked)}."))
        elif due is None:
            findings.append(Finding(FAIL, f"{g['name']}: no DBS check recorded, and no date of "
                                    "appointment to count the 21 days from."))
        elif due >= today:
            findings.append(Finding(WARN, f"{g['name']}: DBS check due by {dates.day(due)}."))
        else:
            findings.append(Finding(FAIL, f"{g['name']}: DBS check overdue since "
                                    f"{dates.day(due)}."))
    facts = (f"{_plural(_count(findings, PASS), 'governor')} of {len(findings)} with an "
             f"enhanced DBS check recorded within 21 days of appointment.")
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
    reconfirmation date (the register's setting, default 1 September). The status of each is
    the register's own (gvo.governance.interests.status, shown red/amber/green on the
    register): green "Met", amber (within the register's grace period from that date or
    from their appointment) "Needs attention", red "Not met". The clerk keeps no register.

    Source: DfE Governance Handbook (registers of interests, reviewed and published each
    year); Academy Trust Handbook (declaring and managing business interests); The School
    Governance (Roles, Procedures and Allowances) (England) Regulations 2013, reg. 16
    ("Restrictions on persons taking part in proceedings").
    """
    since = interests.year_start(conn, today)
    findings = []
    for g, state in interests.statuses(conn, today):
        if state.rag == "green":
            text = f"{g['name']}: returned {dates.day(state.last['returned_on'])}."
        else:
            due = f" (due by {dates.day(state.due_by)})" if state.rag == "amber" else ""
            text = f"{g['name']}: no return since {dates.day(since)}{due}."
        findings.append(Finding(RAG_STATUS[state.rag], text))
    facts = (f"{_count(findings, PASS)} of {len(findings)} reconfirmed their interests since "
             f"{dates.day(since)}.")
    return _verdict(findings, facts, empty="No governors in office.",
                    fail="Ask each governor listed to confirm their interests (or make a nil "
                         "return), or enter their return on their behalf.")


def terms_ending(conn: Connection, today: date) -> Result:
    """No governor's term of office ends within the warning period (setting
    `governance_warning_days`, default 60 days) without the board acting: a term that ends
    within it is "Needs attention"; one that has ended with neither a new term nor stepping
    down recorded is "Not met" (records.lapsed: the governor is out of office from the day
    after the term's end, records.current, so the place is vacant). Ex-officio places (the
    headteacher) and the clerk have no term; the term's end is the records' rule
    (gvo.governance.records.term_end_of).

    Source: The School Governance (Constitution) (England) Regulations 2012 (terms of office
    of one to four years, set in the instrument of government); DfE Governance Handbook.
    """
    period = warning_days(conn)
    findings = [Finding(FAIL, f"{g['name']}: term ended on {dates.day(records.term_end_of(g))}"
                        " — reappoint (record the new term) or record stepping down.")
                for g in records.lapsed(conn, today)]
    for g in records.governors(conn, today):
        ends = records.term_end_of(g)
        if ends is not None and ends <= today + timedelta(days=period):
            findings.append(Finding(WARN, f"{g['name']}: term ends {dates.day(ends)}."))
    if not findings:
        return Result(PASS, f"No term ends in the next {period} days.")
    facts = f"{_plural(len(findings), 'term')} ended or ending in the next {period} days."
    return _verdict(findings, facts, fail="Reappoint or re-elect each governor listed, or "
                    "record that they step down, and fill the place.")


def vacancies(conn: Connection, today: date) -> Result:
    """The board's places, category by category as the instrument of government sets them,
    against the governors in office (gvo.governance.places.vacancies, the places page's
    count): a vacancy is "Needs attention"; more governors than places in a category of
    governor, a category with no places included, is "Not met"; no places recorded at all
    is "Needs attention" (nothing to check against). The totals count governor places
    apart from associate members' (places.Vacancies.summary, as the places page shows).
    Categories that do not vote (associate members, academy trust members) hold no place
    on the instrument, so people in them without places recorded are not flagged.

    Source: The School Governance (Constitution) (England) Regulations 2012 (the instrument
    of government; Part 2, categories of governor); DfE Governance Handbook.
    """
    board = records.board_id(conn)
    if board is None:
        return Result(FAIL, "No governing board is set up.", "Set up the governing board.")
    vac = places.vacancies(conn, board, today)
    if not vac.places:
        return Result(WARN, "The instrument of government's places are not recorded.",
                      "Record how many places of each category the board has.")
    findings = []
    for c in vac.categories:
        if c.filled > c.places and c.votes:
            findings.append(Finding(FAIL, f"{c.label}: {c.filled} in office for "
                                    f"{_plural(c.places, 'place')}."))
        elif not c.places:
            continue
        elif c.vacant:
            gap = _plural(c.vacant, "vacancy", "vacancies")
            findings.append(Finding(WARN, f"{c.label}: {c.filled} of {c.places} places "
                                    f"filled, {gap}."))
        else:
            findings.append(Finding(PASS, f"{c.label}: all {c.places} places filled."))
    return _verdict(findings, vac.summary() + ".",
                    fail="Check the records: a category has more governors than the "
                         "instrument of government allows.",
                    warn="Fill each vacancy (by election or appointment, as its category "
                         "requires).")


def clerk_in_post(conn: Connection, today: date) -> Result:
    """The board has a clerk in post today: a record in office holding the 'clerk' position
    today (gvo.governance.records.holders, as the public page names the clerk).

    Source: The School Governance (Roles, Procedures and Allowances) (England) Regulations
    2013, reg. 10 ("Appointment and removal of the clerk to the governing body") and reg. 11
    ("Functions of the clerk to the governing body").
    """
    clerks = records.holders(conn, "clerk", today)
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
    governors in office are not counted: those who count towards the committee's quorum
    (gvo.governance.places.voting_governors, the quorum's own rule).

    Source: The School Governance (Roles, Procedures and Allowances) (England) Regulations
    2013, reg. 22(2) ("Establishment of committees of the governing body").
    """
    committees = [b for b in bodies.list_bodies(conn) if b["kind"] == "committee"]
    if not committees:
        return Result(NA, "The board has no committees.")
    counts = [(c["name"], len(places.voting_governors(conn, c["id"], today)))
              for c in committees]
    findings = [Finding(PASS if n >= COMMITTEE_GOVERNORS else FAIL,
                        f"{name}: {_plural(n, 'governor')}") for name, n in counts]
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
    for g in [*records.lapsed(conn, today), *records.governors(conn, today)]:
        ends = records.term_end_of(g)
        if ends is not None and ends <= horizon:
            text = (f"{g['name']}'s term ended on {dates.day(ends)}" if ends < today
                    else f"{g['name']}'s term ends on {dates.day(ends)}")
            found.append(GovernorWarning(g["user_id"], g["name"], "term", ends, text))
        if g["votes"] and not g["dbs_checked_on"] and not records.has_left(g, today):
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


# -- the meetings of a school year ------------------------------------------------------

@reads.once
def _meetings(conn: Connection, first: date, last: date, body_id: int | None = None) -> list:
    """Meetings (with their body's name) whose local start date is in first..last, by start."""
    rows = conn.execute(
        "SELECT m.*, b.name AS body_name, b.kind AS body_kind FROM meetings m"
        " JOIN bodies b ON b.id = m.body_id WHERE m.starts_at >= ? AND m.starts_at < ?"
        + (" AND m.body_id = ?" if body_id is not None else "") + " ORDER BY m.starts_at",
        (first.isoformat(), (last + timedelta(days=1)).isoformat())
        + ((body_id,) if body_id is not None else ())).fetchall()
    return [r for r in rows if (d := _meeting_day(r)) is not None and first <= d <= last]


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
