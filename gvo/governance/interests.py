"""The register of business interests: each governor's declared interests (history kept),
their dated returns, and the yearly reconfirmation with its red/amber/green status.

Why: governing boards keep and publish a register of their governors' relevant business
and pecuniary interests, relationships with school staff and governance roles in other
schools, reviewed at least once a year (DfE Governance Handbook, section "Register of
interests"; The School Governance (Roles, Procedures and Allowances) (England) Regulations
2013, the regulations on the restrictions on persons taking part in proceedings; for
academies the Academy Trust Handbook, "Declaring and managing interests").

History: nothing is deleted. A change adds a new row and marks the old one `replaced_by` it;
an interest that no longer applies gets `ends_on`. An interest is *current* when it is not
replaced and has not ended (ends_on is empty or later than today).

Access (acceptance 3): a governor changes only their own register; Managers and holders of
`manage_board` change anyone's (recorded as `entered_by`, shown on the pages). A Reader
changes nothing, not even their own: the Reader role is view-only for content, so a Reader
who is a governor hands their interests to the clerk, who enters them. Every signed-in
member reads the current register (it is published anyway); a person's history (replaced
and ended rows) is read by Managers, `manage_board` holders and the person themselves.

Reconfirmation: a school year of returns starts each year on a day the school sets (default
1 September, the start of the school year; setting RECONFIRM_KEY as 'MM-DD'). A governor's
status is green when their latest return is on or after the start of the current
reconfirmation year; amber when it is not yet but the grace period (GRACE_DAYS = 30 days,
counted from the later of the start and the day they were appointed) has not run out; red
after that. Dates are calendar dates in the school's time zone (gvo.core.dates.today).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from gvo.core import audit, clock, dates, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.governance import records
from gvo.newsletter import letters
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection

KINDS = {
    "business": "Business interest",
    "financial": "Financial interest",
    "employment": "Employment",
    "relationship": "Relationship with a member of staff",
    "governance": "Governor or trustee of another school or trust",
    "other": "Other",
}
RETURNS = {"declared": "Interests declared and confirmed complete", "nil": "Nil return"}
RECONFIRM_KEY = "interests_reconfirm_from"
DEFAULT_RECONFIRM = "09-01"  # 1 September: the school year starts
GRACE_DAYS = 30
STATUS_LABELS = {"green": "Up to date", "amber": "Due", "red": "Overdue"}
MAX_NATURE, MAX_ORGANISATION = 1000, 200


@dataclass(frozen=True)
class InterestInput:
    """What is typed for one interest: its kind (one of KINDS), the organisation, the nature
    in words, and when it began (a date, or None)."""

    kind: str
    organisation: str
    nature: str
    starts_on: date | None = None


@dataclass(frozen=True)
class Status:
    """A governor's reconfirmation status: `rag` ('green', 'amber', 'red'), the latest return
    (row or None), the start of the current reconfirmation year and the day the grace period
    ends (dates, school's zone)."""

    rag: str
    last: object
    year_start: date
    due_by: date

    @property
    def label(self) -> str:
        """The status in words ("Up to date", "Due", "Overdue")."""
        return STATUS_LABELS[self.rag]


# -- who may do what --------------------------------------------------------------------


def may_edit(actor: Identity, user_id: int) -> bool:
    """Whether `actor` may change `user_id`'s register: their own (an Author or above),
    or anyone's for Managers and `manage_board` holders. A Reader changes nothing."""
    if actor.is_operator or actor.acts_as_manager:
        return True
    if not actor.at_least("author"):
        return False
    return actor.can("manage_board") or actor.user_id == user_id


def may_see_history(actor: Identity, user_id: int) -> bool:
    """Whether `actor` may read `user_id`'s history (replaced and ended interests, every
    return): Managers, `manage_board` holders and the person themselves."""
    return actor.acts_as_manager or actor.can("manage_board") or actor.user_id == user_id


def check_edit(conn: Connection, actor: Identity, user_id: int):
    """The governor `user_id` (a row of `governor`) if `actor` may change their register
    (`may_edit`). Raises NotPermitted otherwise, NotFound for someone not a governor. Views
    call it before reading a form: whoever may not change the register is refused (403)
    whatever they sent."""
    if not may_edit(actor, user_id):
        if actor.user_id == user_id:
            raise NotPermitted("A Reader's role is view-only: ask the clerk to enter your "
                               "interests for you.")
        raise NotPermitted("Only Managers and those who edit board members change another "
                           "governor's interests.")
    return governor(conn, user_id)


# -- governors --------------------------------------------------------------------------


def governors(conn: Connection, today: date | None = None, *, kept: bool = False) -> list[dict]:
    """Who keeps a register on `today` (default: today, the school's zone): the governors
    and associate members in office, by the records' rule (records.governors: appointed by
    today, not stepped down by today, so a future date stepped down keeps them on until that
    day; not the clerk, who is not a governor: reg. 9 of the Roles, Procedures and
    Allowances Regulations 2013). `kept`: also those not in office (stepped down, or not
    yet appointed), whose register is kept to read. Dicts with id (the user id), name and
    appointed_on (ISO date or None), by name."""
    rows = ([r for r in records.everyone(conn) if not r["is_clerk"]] if kept
            else records.governors(conn, today))
    seen, out = set(), []
    for r in rows:
        if r["user_id"] not in seen:
            seen.add(r["user_id"])
            out.append({"id": r["user_id"], "name": r["name"], "appointed_on": r["appointed_on"]})
    return out


def governor(conn: Connection, user_id: int, *, kept: bool = False):
    """One governor (as `governors`, with `kept`); NotFound for anyone who is not one."""
    for row in governors(conn, kept=kept):
        if row["id"] == user_id:
            return row
    raise NotFound("no such governor")


def is_governor(conn: Connection, user_id: int | None) -> bool:
    """Whether the person keeps a register (see `governors`)."""
    return user_id is not None and any(g["id"] == user_id for g in governors(conn))


# -- interests --------------------------------------------------------------------------


_CURRENT = "i.replaced_by IS NULL AND (i.ends_on IS NULL OR i.ends_on > ?)"


def listed(conn: Connection, user_id: int) -> list[dict]:
    """A person's current interests as their register page lists them: every column of
    `interests`, with kind_label and entered_by_name, oldest declared first. Current: not
    replaced and not ended by today (school's zone)."""
    rows = conn.execute(
        "SELECT i.*, e.name AS entered_by_name FROM interests i LEFT JOIN users e"
        f" ON e.id = i.entered_by WHERE i.user_id = ? AND {_CURRENT}"
        " ORDER BY i.declared_on, i.id", (user_id, dates.today().isoformat())).fetchall()
    return [dict(r) | {"kind_label": KINDS.get(r["kind"], r["kind"])} for r in rows]


PUBLISHED = ("id", "kind", "kind_label", "organisation", "nature", "starts_on", "declared_on")


def current_interests(conn: Connection, user_id: int) -> list[dict]:
    """A person's current declared interests, as published: dicts with id, kind,
    kind_label (words), organisation, nature, starts_on and declared_on ('YYYY-MM-DD', or
    None for starts_on), oldest declared first. For the public governance page
    (gvo.governance.public) and the register. Nothing about who entered them."""
    return [{k: i[k] for k in PUBLISHED} for i in listed(conn, user_id)]


def history(conn: Connection, actor: Identity, user_id: int) -> dict:
    """Everything on a person's register, newest first: {'interests': rows with
    entered_by_name and replaced_by, 'returns': rows with entered_by_name}. NotPermitted
    unless `may_see_history`."""
    if not may_see_history(actor, user_id):
        raise NotPermitted("Only Managers, those who edit board members and the governor "
                           "themselves read the history of a register.")
    interests = conn.execute(
        "SELECT i.*, e.name AS entered_by_name FROM interests i LEFT JOIN users e"
        " ON e.id = i.entered_by WHERE i.user_id = ? ORDER BY i.id DESC", (user_id,)).fetchall()
    returns = conn.execute(
        "SELECT r.*, e.name AS entered_by_name FROM interest_returns r LEFT JOIN users e"
        " ON e.id = r.entered_by WHERE r.user_id = ? ORDER BY r.returned_on DESC, r.id DESC",
        (user_id,)).fetchall()
    return {"interests": interests, "returns": returns}


def get(conn: Connection, interest_id: int):
    """One interest row with entered_by_name; NotFound if none."""
    row = conn.execute("SELECT i.*, e.name AS entered_by_name FROM interests i LEFT JOIN"
                       " users e ON e.id = i.entered_by WHERE i.id = ?",
                       (interest_id,)).fetchone()
    if row is None:
        raise NotFound("no such interest")
    return row


def _clean(data: InterestInput) -> dict:
    """The input checked: InvalidInput naming the field for anything wrong."""
    if data.kind not in KINDS:
        raise InvalidInput("Choose the kind of interest.", field="kind")
    organisation = text.one_line(data.organisation or "")
    nature = text.paragraphs(data.nature or "")
    if len(organisation) > MAX_ORGANISATION:
        raise InvalidInput(f"The organisation may have at most {MAX_ORGANISATION} characters.",
                           field="organisation")
    if not nature or len(nature) > MAX_NATURE:
        raise InvalidInput(f"Say what the interest is, in 1-{MAX_NATURE:,} characters.",
                           field="nature")
    clock.check_year(data.starts_on, "The start date")
    if data.starts_on and data.starts_on > dates.today():
        raise InvalidInput("The start date is in the future: declare an interest once it "
                           "begins.", field="starts_on")
    return {"kind": data.kind, "organisation": organisation, "nature": nature,
            "starts_on": data.starts_on.isoformat() if data.starts_on else None}


def _snapshot(row) -> dict:
    return {k: row[k] for k in ("kind", "organisation", "nature", "starts_on", "ends_on")}


def add(conn: Connection, actor: Identity, user_id: int, data: InterestInput) -> int:
    """Declare an interest of `user_id`, dated today, entered by `actor`; audited
    ('interest.add'). Returns its id. NotFound for someone who is not a governor;
    NotPermitted (see `may_edit`); InvalidInput naming the field."""
    check_edit(conn, actor, user_id)
    values = _clean(data)
    with transaction(conn):
        interest_id = _insert(conn, actor, user_id, values)
        audit.record(conn, actor, "interest.add", f"user:{user_id}", interest=interest_id,
                     after=values)
    return interest_id


def _insert(conn: Connection, actor: Identity, user_id: int, values: dict) -> int:
    return conn.execute(
        "INSERT INTO interests(user_id, kind, organisation, nature, starts_on, declared_on,"
        " entered_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (user_id, values["kind"], values["organisation"], values["nature"],
         values["starts_on"], dates.today().isoformat(), actor.user_id, clock.iso())).lastrowid


def _current_row(conn: Connection, actor: Identity, interest_id: int):
    row = get(conn, interest_id)
    check_edit(conn, actor, row["user_id"])
    if row["replaced_by"] is not None or (row["ends_on"] and
                                           row["ends_on"] <= dates.today().isoformat()):
        raise InvalidInput("This interest was changed or ended already: only a current one "
                           "changes.")
    return row


def change(conn: Connection, actor: Identity, interest_id: int, data: InterestInput) -> int:
    """Change a current interest: a new row with the new values (declared today) replaces
    the old, which is kept (`replaced_by`); audited with before and after
    ('interest.change'). Returns the new row's id. InvalidInput if nothing changed or the
    interest is no longer current; NotPermitted/NotFound as `add`."""
    with transaction(conn):
        row = _current_row(conn, actor, interest_id)
        values = _clean(data)
        before = _snapshot(row)
        if values == {k: before[k] for k in values}:
            raise InvalidInput("Nothing was changed.", field="nature")
        new_id = _insert(conn, actor, row["user_id"], values)
        conn.execute("UPDATE interests SET replaced_by = ? WHERE id = ?", (new_id, interest_id))
        audit.record(conn, actor, "interest.change", f"user:{row['user_id']}",
                     interest=interest_id, replaced_by=new_id, before=before, after=values)
    return new_id


def end(conn: Connection, actor: Identity, interest_id: int, ends_on: date | None) -> None:
    """Record that a current interest ended on `ends_on` (default today; not in the future,
    not before it began). The row is kept; audited ('interest.end')."""
    ends_on = ends_on or dates.today()
    clock.check_year(ends_on, "The end date")
    with transaction(conn):
        row = _current_row(conn, actor, interest_id)
        if ends_on > dates.today():
            raise InvalidInput("The end date is in the future: end an interest once it has "
                               "ended.", field="ends_on")
        if row["starts_on"] and ends_on.isoformat() < row["starts_on"]:
            raise InvalidInput("The end date is before the interest began.", field="ends_on")
        conn.execute("UPDATE interests SET ends_on = ? WHERE id = ?",
                     (ends_on.isoformat(), interest_id))
        audit.record(conn, actor, "interest.end", f"user:{row['user_id']}",
                     interest=interest_id, before={"ends_on": row["ends_on"]},
                     after={"ends_on": ends_on.isoformat()})


# -- returns and the reconfirmation -------------------------------------------------------


def make_return(conn: Connection, actor: Identity, user_id: int, kind: str) -> int:
    """Record `user_id`'s return, dated today: 'declared' (the interests listed are complete)
    or 'nil' (nothing to declare: refused while they have current interests, which are ended
    first). Audited ('interest.return'). Returns its id."""
    check_edit(conn, actor, user_id)  # permission before what was sent
    if kind not in RETURNS:
        raise InvalidInput("A return is 'declared' or 'nil'.")
    with transaction(conn):
        held = current_interests(conn, user_id)
        if kind == "nil" and held:
            raise InvalidInput("A nil return says there is nothing to declare, but interests "
                               "are listed: end those that no longer apply first.")
        if kind == "declared" and not held:
            raise InvalidInput("No interests are listed: make a nil return instead, or add "
                               "your interests first.")
        return_id = conn.execute(
            "INSERT INTO interest_returns(user_id, kind, returned_on, entered_by, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (user_id, kind, dates.today().isoformat(), actor.user_id, clock.iso())).lastrowid
        audit.record(conn, actor, "interest.return", f"user:{user_id}", kind=kind,
                     interests=len(held))
    return return_id


@reads.once
def reconfirm_from(conn: Connection) -> tuple[int, int]:
    """The (month, day) each reconfirmation year starts (setting RECONFIRM_KEY, 'MM-DD'; an
    unreadable value is the default, 1 September). A 29 February stored by other means than
    `set_reconfirm_from` is kept: `year_start` reads it as 28 February in a common year."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (RECONFIRM_KEY,)).fetchone()
    try:
        month, day = (int(p) for p in (row["value"] if row else DEFAULT_RECONFIRM).split("-"))
        date(2000, month, day)  # a real month and day (2000 had a 29 February)
    except ValueError:
        month, day = (int(p) for p in DEFAULT_RECONFIRM.split("-"))
    return month, day


def set_reconfirm_from(conn: Connection, actor: Identity, month: int, day: int) -> None:
    """Set the day each reconfirmation year starts (Managers). A day that comes every year
    (not 29 February); audited with before and after ('interest.reconfirm_from')."""
    if not actor.acts_as_manager:
        raise NotPermitted("Only Managers set the reconfirmation date.")
    try:
        date(2001, month, day)  # 2001 is not a leap year: 29 February is refused
    except (ValueError, TypeError, OverflowError):
        raise InvalidInput("Choose a day that comes every year (not 29 February).",
                           field="day") from None
    old_month, old_day = reconfirm_from(conn)
    before = f"{old_month:02d}-{old_day:02d}"
    after = f"{month:02d}-{day:02d}"
    with transaction(conn):
        conn.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key)"
                     " DO UPDATE SET value = excluded.value", (RECONFIRM_KEY, after))
        audit.record(conn, actor, "interest.reconfirm_from", "school", before=before,
                     after=after)


def year_start(conn: Connection, today: date | None = None) -> date:
    """The start of the current reconfirmation year: the latest reconfirmation day on or
    before `today` (default: today in the school's zone)."""
    today = today or dates.today()
    month, day = reconfirm_from(conn)

    def on(year: int) -> date:
        try:
            return date(year, month, day)
        except ValueError:  # 29 February in a common year
            return date(year, 2, 28)

    start = on(today.year)
    return start if start <= today else on(today.year - 1)


_LATEST = ("SELECT * FROM interest_returns r WHERE returned_on <= ? AND NOT EXISTS (SELECT 1"
           " FROM interest_returns later WHERE later.user_id = r.user_id AND later.returned_on"
           " <= ? AND (later.returned_on, later.id) > (r.returned_on, r.id))")


def _judge(start: date, last, appointed_on: str | None, today: date) -> Status:
    """The status from the year's start, the latest return (row or None) and the date
    appointed: the one rule (see the module's docstring)."""
    grace_from = max(start, date.fromisoformat(appointed_on)) if appointed_on else start
    due_by = grace_from + timedelta(days=GRACE_DAYS)
    if last is not None and last["returned_on"] >= start.isoformat():
        rag = "green"
    else:
        rag = "amber" if today <= due_by else "red"
    return Status(rag, last, start, due_by)


def status(conn: Connection, user_id: int, today: date | None = None,
           appointed_on: str | None = None) -> Status:
    """A governor's reconfirmation status on `today` (see the module's docstring): the one
    computation of it, which the register, the newsletter and the compliance dashboard's
    "interests reconfirmed" rule all report (`statuses` for everyone at once). Only returns
    made on or before `today` count."""
    today = today or dates.today()
    day = today.isoformat()
    last = conn.execute(_LATEST + " AND r.user_id = ?", (day, day, user_id)).fetchone()
    return _judge(year_start(conn, today), last, appointed_on, today)


def statuses(conn: Connection, today: date | None = None) -> list[tuple[dict, Status]]:
    """Each governor who keeps a register (`governors`) with their status on `today`
    (default today), by name: `status` for everyone, reading the returns once."""
    today = today or dates.today()
    day = today.isoformat()
    start = year_start(conn, today)
    latest = {r["user_id"]: r for r in conn.execute(_LATEST, (day, day))}
    return [(g, _judge(start, latest.get(g["id"]), g["appointed_on"], today))
            for g in governors(conn, today)]


def register(conn: Connection, today: date | None = None) -> list[dict]:
    """The register on `today` (default today): each governor who keeps one (`governors`:
    id, name) with their current interests and status (`statuses`), by name."""
    return [{"id": g["id"], "name": g["name"], "interests": current_interests(conn, g["id"]),
             "status": state} for g, state in statuses(conn, today)]


# -- the newsletter ------------------------------------------------------------------------


def newsletter_lines(conn: Connection, who: Identity, _period) -> list[letters.Line]:
    """The newsletter's "Register of interests" lines for `who`: their own return when it is
    due or overdue; for Managers, also each governor whose return is overdue."""
    Line = letters.Line  # noqa: N806
    lines = []
    if is_governor(conn, who.user_id):
        mine = status(conn, who.user_id, appointed_on=governor(conn, who.user_id)[
            "appointed_on"])
        if mine.rag != "green":
            lines.append(Line("Confirm your register of interests for this year", "/interests",
                              f"{mine.label.lower()}: due by {dates.day(mine.due_by)}"))
    if who.acts_as_manager:
        lines += [Line(f"{g['name']}'s register of interests is overdue",
                       f"/interests/people/{g['id']}",
                       f"due by {dates.day(g['status'].due_by)}")
                  for g in register(conn) if g["status"].rag == "red"]
    return lines


# Every governor gets their own reminder (managers_only=False); newsletter_lines names others
# to Managers only.
letters.register_section("interests", "Register of interests", newsletter_lines,
                         managers_only=False)
