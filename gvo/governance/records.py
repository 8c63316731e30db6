"""Governor records (table `governor_records`, migration 0019): one per person per board,
kept after they step down.

A record holds the governor's category (gvo.governance.categories), the appointing or
electing body, the date appointed or elected, the term of office (1 to 4 years, default 4;
"not applicable" for an ex-officio place) and its end, the date stepped down and why, the
enhanced DBS check (date and certificate reference), the section 128 check (academies), the
positions held with their own dates (chair, vice-chair, clerk, link roles) and the school's
own extra checks. Committee memberships are read from `body_members`.

Who may do what: Managers and holders of `manage_board` ("Edit board members") change
records (`may_edit`); each governor reads their own full record; everyone else signed in
reads names and categories only (`may_read_full`). Every write is audited with the values
before and after, in the transaction of the change; appointments, stepping down and chair
or vice-chair changes add a row to the GIAS change log (gvo.governance.gias) in the same
transaction.

Read functions for the other governance modules, the one rule for each fact (places,
interests, compliance and the public page build on them): `board_id`; `current` (every
record in office on a date, the clerk's too), `governors` (the same without the clerk: who
holds a place on the board), `everyone`, `former`, `record_for`, `get`, `unrecorded`;
`is_clerk` (the column on every row); `term_end` and `term_end_of` (a record's last day
in office); `positions_of`, `positions_held`, `holders`, `chair`; `committees_of`.

The clerk is not a governor (The School Governance (Roles, Procedures and Allowances)
(England) Regulations 2013, regs. 10-11: the board appoints a clerk to serve it, not a
member of it): their record (category `categories.CLERK`, or a record with no
category recorded that holds, or held, the clerk position) is in office like any other but
holds no place, has no vote, no term of office and no register of interests.
"""

from dataclasses import dataclass, field, fields
from datetime import date, timedelta

from gvo.core import audit, clock, dates, events, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.governance import categories, gias
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection

DEFAULT_TERM_YEARS = 4
TERM_YEARS = range(1, 5)  # "not less than one and not more than four years"
BOARD_POSITIONS = ("chair", "vice-chair")  # also kept on body_members.position
SINGLE_HOLDER = ("chair", "vice-chair", "clerk")  # one holder at a time on a board
POSITION_LABELS = {"chair": "Chair", "vice-chair": "Vice-chair", "clerk": "Clerk"}
LINK_ROLES = ("safeguarding", "SEND", "pupil premium", "health and safety", "finance",
              "training", "wellbeing")
MAX_POSITION = 60
_EDITABLE = ("category", "appointed_by", "appointed_on", "term_years", "stepped_down_on",
             "stepped_down_reason", "dbs_checked_on", "dbs_reference", "s128_checked_on")


def term_end(appointed_on: date, years: int) -> date:
    """The last day of a term of `years` years that starts on `appointed_on`.

    The rule: a term of N years runs from the day of appointment up to the day before its
    Nth anniversary (appointed 1 September 2024 for 4 years: ends 31 August 2028). The
    anniversary of 29 February in a year with no 29 February is 1 March, so such a term
    ends on 28 February (appointed 29 February 2024 for 4 years: ends 28 February 2028, the
    day before the anniversary 29 February 2028; for 1 year: ends 28 February 2025).
    dateutil's relativedelta is not used: it moves the anniversary to 28 February, which
    would end a one-year term on 27 February, a day short.

    The Constitution Regulations 2012 leave the term to the instrument of government,
    within one to four years; raises InvalidInput outside that range.
    """
    if years not in TERM_YEARS:
        raise InvalidInput("The term of office is 1 to 4 years.", field="term_years")
    try:
        anniversary = appointed_on.replace(year=appointed_on.year + years)
    except ValueError:  # 29 February, and the anniversary's year has none
        anniversary = date(appointed_on.year + years, 3, 1)
    return anniversary - timedelta(days=1)


@dataclass
class RecordInput:
    """What a person types into a governor record (dates as calendar dates, None for none).

    `term_years` None means "not applicable": only for an ex-officio category, where it is
    always None whatever is given.
    """

    category: str
    appointed_by: str = ""
    appointed_on: date | None = None
    term_years: int | None = DEFAULT_TERM_YEARS
    stepped_down_on: date | None = None
    stepped_down_reason: str = ""
    dbs_checked_on: date | None = None
    dbs_reference: str = ""
    s128_checked_on: date | None = None


# -- who may do what ---------------------------------------------------------------------


def may_edit(actor: Identity) -> bool:
    """Whether `actor` changes governor records: Managers and holders of `manage_board`."""
    return actor.can("manage_board")


def may_read_full(actor: Identity, record) -> bool:
    """Whether `actor` reads all of `record` (dates, DBS, checks): editors and the governor
    whose record it is. Others see the name and category only."""
    return may_edit(actor) or (record is not None and actor.user_id == record["user_id"])


def _require_edit(actor: Identity) -> None:
    if not may_edit(actor):
        raise NotPermitted("Only a Manager or someone who may edit board members changes "
                           "governor records.")


# -- reading -----------------------------------------------------------------------------


@reads.once
def board_id(conn: Connection) -> int | None:
    """The id of the school's full governing board, or None before it is set up."""
    row = conn.execute("SELECT id FROM bodies WHERE kind = 'board'").fetchone()
    return row["id"] if row else None


_IS_CLERK = (
    f"(r.category = '{categories.CLERK}' OR (r.category = '' AND EXISTS (SELECT 1 FROM"
    " governor_positions cp WHERE cp.record_id = r.id AND cp.position = 'clerk')))")
_SELECT = (
    "SELECT r.*, u.name, u.email, coalesce(c.label, '') AS category_label,"
    " coalesce(c.votes, 1) AS votes, coalesce(c.ex_officio, 0) AS ex_officio,"
    f" {_IS_CLERK} AS is_clerk"
    " FROM governor_records r JOIN users u ON u.id = r.user_id"
    " LEFT JOIN governor_categories c ON c.key = r.category")
_IN_OFFICE = (" AND (r.appointed_on IS NULL OR r.appointed_on <= ?)"
              " AND (r.stepped_down_on IS NULL OR r.stepped_down_on > ?)")
_ORDER = " ORDER BY u.name COLLATE NOCASE, r.id"


def current(conn: Connection, on: date | None = None, body_id: int | None = None) -> list:
    """Every record in office on the board on day `on` (default today, the school's zone):
    appointed on or before it (or with no date recorded), not stepped down by it (a
    governor who steps down on a day is out of office from that day) and with their term
    of office not ended (`left_on`: out of office from the day after the term's last day,
    unless a new term is recorded; ex-officio places and the clerk have no term); the
    clerk's record too. Rows of governor_records with name, email, category_label, votes,
    ex_officio, is_clerk; by name. This is THE rule for "in office on a date": `governors`,
    `holders`, `former`, gvo.governance.places.in_office, the register of interests, the
    compliance rules and the public page all read it.

    Source: The School Governance (Constitution) (England) Regulations 2012 (a governor
    holds office for the term the instrument of government sets, one to four years)."""
    day = on or dates.today()
    return [r for r in _in_office(conn, body_id or board_id(conn), day.isoformat())
            if _still_in(r, day)]


@reads.once
def _in_office(conn: Connection, body_id: int | None, on: str) -> list:
    """The records appointed by ISO day `on` and not stepped down by it (`current` then
    applies the term's end), read once per request whatever the form of the caller's
    arguments (gvo.storage.reads)."""
    return conn.execute(_SELECT + " WHERE r.body_id = ?" + _IN_OFFICE + _ORDER,
                        (body_id, on, on)).fetchall()


def left_on(record) -> date | None:
    """The first day a record is out of office: the date stepped down, or the day after its
    term ended (`term_end_of`), whichever comes first; None while neither is recorded or
    known. `record`: a row of `current` or `everyone`."""
    ends = term_end_of(record)
    days = [date.fromisoformat(record["stepped_down_on"])] if record["stepped_down_on"] else []
    if ends is not None:
        days.append(ends + timedelta(days=1))
    return min(days, default=None)


def _still_in(record, day: date) -> bool:
    left = left_on(record)
    return left is None or left > day


def has_left(record, day: date | None = None) -> bool:
    """Whether a record is out of office by `day` (default today): stepped down, or its
    term ended (`left_on`). A record appointed later has not left."""
    return not _still_in(record, day or dates.today())


def lapsed(conn: Connection, on: date | None = None, body_id: int | None = None) -> list:
    """Records whose term of office ended before `on` (default today) with no date stepped
    down recorded and no new term: out of office by `current`'s rule, but the board has not
    said whether they were reappointed or left (the "terms ending" rule asks it to).
    Columns as `current`; by name."""
    day = on or dates.today()
    return [r for r in everyone(conn, body_id) if not r["stepped_down_on"]
            and (ends := term_end_of(r)) is not None and ends < day]


def governors(conn: Connection, on: date | None = None, body_id: int | None = None) -> list:
    """The governors and associate members in office on day `on` (default today): `current`
    without the clerk, who is not a governor. Associate members are in it (category `votes`
    0: they keep a register of interests but neither vote nor count towards a quorum)."""
    return [r for r in current(conn, on, body_id) if not r["is_clerk"]]


def is_governor(conn: Connection, user_id: int | None, on: date | None = None) -> bool:
    """Whether `user_id` is a governor (or associate member) of the board in office on day
    `on` (default today, the school's zone), by `governors`' rule: the clerk is not, nor
    anyone who has left office or is not yet appointed. Whatever their account's role (a
    Reader may be a governor): the skills audit and the training records ask it of
    people in office (gvo.skills.answers, gvo.training.completions, .reports)."""
    return user_id is not None and any(r["user_id"] == user_id for r in governors(conn, on))


@reads.once
def unrecorded(conn: Connection, body_id: int | None = None) -> list[int]:
    """User ids of active accounts on the board (`body_members`) with no governor record at
    all: a board set up before records existed. They count as governors in office of no
    category (gvo.governance.places.in_office)."""
    return [r[0] for r in conn.execute(
        "SELECT m.user_id FROM body_members m JOIN users u ON u.id = m.user_id"
        " WHERE m.body_id = ? AND u.role != 'inactive' AND NOT EXISTS (SELECT 1 FROM"
        " governor_records g WHERE g.body_id = m.body_id AND g.user_id = m.user_id)",
        (body_id or board_id(conn),))]


def term_end_of(record) -> date | None:
    """A record's last day in office: its stored term end, else one computed from the date
    appointed and the term's length (`term_end`); None when not applicable (an ex-officio
    place, the clerk) or not known (no date appointed). `record`: a row of `current`."""
    if record["ex_officio"] or record["is_clerk"]:
        return None
    if record["term_ends_on"]:
        return date.fromisoformat(record["term_ends_on"])
    if not record["appointed_on"] or record["term_years"] not in TERM_YEARS:
        return None
    return term_end(date.fromisoformat(record["appointed_on"]), record["term_years"])


def everyone(conn: Connection, body_id: int | None = None) -> list:
    """Every record of the board, in office or stepped down (columns as `current`)."""
    return conn.execute(_SELECT + " WHERE r.body_id = ?" + _ORDER,
                        (body_id or board_id(conn),)).fetchall()


def former(conn: Connection, on: date | None = None, body_id: int | None = None) -> list:
    """Records of those out of office by `on` (default today): stepped down on or before
    it, or whose term ended before it (`left_on`); the latest to leave first."""
    day = on or dates.today()
    gone = [r for r in everyone(conn, body_id) if (left := left_on(r)) is not None
            and left <= day]
    return sorted(gone, key=lambda r: left_on(r), reverse=True)


def not_yet(conn: Connection, on: date | None = None, body_id: int | None = None) -> list:
    """Records of those appointed after `on` (default today): not yet in office, so on no
    register, quorum or register of interests until that day; soonest first."""
    on = (on or dates.today()).isoformat()
    return conn.execute(_SELECT + " WHERE r.body_id = ? AND r.appointed_on > ?"
                        " ORDER BY r.appointed_on, u.name COLLATE NOCASE",
                        (body_id or board_id(conn), on)).fetchall()


def record_for(conn: Connection, user_id: int, body_id: int | None = None):
    """A person's record on the board (default: the full governing board), or None."""
    return conn.execute(_SELECT + " WHERE r.body_id = ? AND r.user_id = ?",
                        (body_id or board_id(conn), user_id)).fetchone()


def get(conn: Connection, record_id: int):
    """One record (columns as `current`); NotFound if none."""
    row = conn.execute(_SELECT + " WHERE r.id = ?", (record_id,)).fetchone()
    if row is None:
        raise NotFound("no such governor record")
    return row


def positions_of(conn: Connection, record_id: int) -> list:
    """A record's positions (id, position, starts_on, ends_on), those held now first."""
    return conn.execute(
        "SELECT * FROM governor_positions WHERE record_id = ?"
        " ORDER BY ends_on IS NOT NULL, starts_on DESC, id", (record_id,)).fetchall()


def positions_held(conn: Connection, on: date | None = None,
                   body_id: int | None = None) -> dict[int, list[str]]:
    """{record id: [position, ...]} of the positions held on day `on` (default today)."""
    on = (on or dates.today()).isoformat()
    held: dict[int, list[str]] = {}
    for row in conn.execute(
            "SELECT p.record_id, p.position FROM governor_positions p JOIN governor_records r"
            " ON r.id = p.record_id WHERE r.body_id = ? AND p.starts_on <= ?"
            " AND (p.ends_on IS NULL OR p.ends_on >= ?) ORDER BY p.starts_on",
            (body_id or board_id(conn), on, on)):
        held.setdefault(row["record_id"], []).append(row["position"])
    return held


def holders(conn: Connection, position: str, on: date | None = None,
            body_id: int | None = None) -> list:
    """The records in office on `on` (default today) holding `position` ('chair', 'clerk', a
    link role) that day: rows of `current` with the position's `starts_on`, the latest
    appointed first. The dashboard's "clerk in post" and the public page's chair and clerk."""
    on = on or dates.today()
    day = on.isoformat()
    return [r for r in conn.execute(
        _SELECT.replace("SELECT r.*", "SELECT p.starts_on AS starts_on, r.*", 1)
        + " JOIN governor_positions p ON p.record_id = r.id WHERE r.body_id = ?" + _IN_OFFICE
        + " AND p.position = ? AND p.starts_on <= ? AND (p.ends_on IS NULL OR p.ends_on >= ?)"
        " ORDER BY p.starts_on DESC, p.id DESC",
        (body_id or board_id(conn), day, day, position, day, day)).fetchall()
        if _still_in(r, on)]


def chair(conn: Connection, on: date | None = None, body_id: int | None = None) -> str | None:
    """The name of the board's chair on `on` (default today): the holder of a dated chair
    position, else (a board that never dated its chair) the chair the board page sets
    (`body_members.position`); None if neither."""
    held = holders(conn, "chair", on, body_id)
    if held:
        return held[0]["name"]
    row = conn.execute("SELECT u.name FROM body_members m JOIN users u ON u.id = m.user_id"
                       " WHERE m.body_id = ? AND m.position = 'chair'",
                       (body_id or board_id(conn),)).fetchone()
    return row["name"] if row else None


def position_record(conn: Connection, position_id: int) -> int:
    """The id of the record a position belongs to; NotFound if none."""
    row = conn.execute("SELECT record_id FROM governor_positions WHERE id = ?",
                       (position_id,)).fetchone()
    if row is None:
        raise NotFound("no such position")
    return row["record_id"]


def position_label(position: str) -> str:
    """A position as pages show it ("Vice-chair", "Safeguarding link governor")."""
    return POSITION_LABELS.get(position) or f"{position[:1].upper()}{position[1:]} link governor"


def committees_of(conn: Connection, user_id: int) -> list:
    """The committees a person sits on (id, name, position), in the board structure's order
    (sort order, then name)."""
    return conn.execute(
        "SELECT b.id, b.name, m.position FROM body_members m JOIN bodies b ON b.id = m.body_id"
        " WHERE m.user_id = ? AND b.kind = 'committee'"
        " ORDER BY b.sort_order, b.name COLLATE NOCASE", (user_id,)).fetchall()


def checks(conn: Connection) -> list:
    """The school's own extra checks (id, label), in order."""
    return conn.execute("SELECT * FROM governor_checks ORDER BY sort_order, label").fetchall()


def check_marks(conn: Connection, record_id: int) -> dict[int, str]:
    """{check id: ISO date done} for a record."""
    return {r["check_id"]: r["done_on"] for r in conn.execute(
        "SELECT check_id, done_on FROM governor_check_marks WHERE record_id = ?",
        (record_id,))}


# -- changing ----------------------------------------------------------------------------


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def check_input(conn: Connection, data: RecordInput) -> dict:
    """The values to store for `data` (term end computed), or InvalidInput naming the field
    that is wrong."""
    category = categories.get(conn, data.category or "")
    if category is None:
        raise InvalidInput("Choose the governor's category.", field="category")
    for name in ("appointed_on", "stepped_down_on", "dbs_checked_on", "s128_checked_on"):
        value = getattr(data, name)
        if value is not None:
            try:
                clock.check_year(value)
            except InvalidInput as exc:
                raise InvalidInput(str(exc), field=name) from None
    if data.dbs_checked_on is not None and data.dbs_checked_on > dates.today():
        raise InvalidInput("The DBS check date is in the future: give the date on the "
                           "certificate.", field="dbs_checked_on")
    appointed_by = text.one_line(data.appointed_by or "")
    if len(appointed_by) > 120:
        raise InvalidInput("The appointing body is at most 120 characters.", field="appointed_by")
    reason = text.one_line(data.stepped_down_reason or "")
    if len(reason) > 200:
        raise InvalidInput("The reason is at most 200 characters.", field="stepped_down_reason")
    reference = text.one_line(data.dbs_reference or "")
    if len(reference) > 40:
        raise InvalidInput("The certificate reference is at most 40 characters.",
                           field="dbs_reference")
    if data.stepped_down_on and data.appointed_on and data.stepped_down_on < data.appointed_on:
        raise InvalidInput("The date stepped down is before the date appointed.",
                           field="stepped_down_on")
    if reason and not data.stepped_down_on:
        raise InvalidInput("Give the date they stepped down, or leave the reason empty.",
                           field="stepped_down_on")
    if category["ex_officio"]:
        years = ends = None  # held by virtue of an office: no term
    else:
        years = DEFAULT_TERM_YEARS if data.term_years is None else data.term_years
        if years not in TERM_YEARS:
            raise InvalidInput("The term of office is 1 to 4 years.", field="term_years")
        ends = term_end(data.appointed_on, years) if data.appointed_on else None
    return {"category": category["key"], "appointed_by": appointed_by,
            "appointed_on": _iso(data.appointed_on), "term_years": years,
            "term_ends_on": _iso(ends), "stepped_down_on": _iso(data.stepped_down_on),
            "stepped_down_reason": reason, "dbs_checked_on": _iso(data.dbs_checked_on),
            "dbs_reference": reference, "s128_checked_on": _iso(data.s128_checked_on)}


CLEARED_APPOINTMENT = ("Keep the date appointed or elected: the DBS check (within 21 days) "
                       "and the term of office count from it. Correct it if it is wrong, or "
                       "give the date they stepped down.")


def save(conn: Connection, actor: Identity, user_id: int, data: RecordInput,
         body_id: int | None = None, *, imported: bool = False) -> int:
    """Create or change a person's record on the board (default: the full governing board);
    returns its id. The term end is computed (`term_end`). A new record, or a first date
    appointed, puts them on the board; stepping down takes them off it (`body_members`)
    and ends the positions they hold on that day. Audited ("governor.record_create" or
    "governor.record_update", with `before` and `after` of each value that changed); GIAS
    changes logged in the same transaction (`imported`: by an import, which logs only recent
    ones, gias.log_recent). A reappointment (`is_reappointment`) keeps the term it ends
    (`terms`) and is logged for GIAS as an appointment.

    Raises NotPermitted unless `may_edit`, NotFound for an unknown person or no board,
    InvalidInput (with `field`) for a value that breaks a rule, among them clearing the date
    appointed of someone still in office (CLEARED_APPOINTMENT: the DBS and term rules count
    from it; it may be corrected, not emptied).
    """
    _require_edit(actor)
    body_id = body_id or board_id(conn)
    if body_id is None:
        raise NotFound("Set up the governing board first.")
    person = conn.execute("SELECT id, name FROM users WHERE id = ?", (user_id,)).fetchone()
    if person is None:
        raise NotFound("no such user")
    values = check_input(conn, data)
    now = clock.iso()
    with transaction(conn):
        old = conn.execute("SELECT * FROM governor_records WHERE body_id = ? AND user_id = ?",
                           (body_id, user_id)).fetchone()
        if old is None:
            record_id = conn.execute(
                "INSERT INTO governor_records(body_id, user_id, created_at, updated_at, "
                + ", ".join(values) + ") VALUES (?, ?, ?, ?, " + ", ".join("?" * len(values))
                + ")", (body_id, user_id, now, now, *values.values())).lastrowid
            before = {}
        else:
            record_id = old["id"]
            if old["appointed_on"] and not values["appointed_on"] \
                    and not values["stepped_down_on"]:
                raise InvalidInput(CLEARED_APPOINTMENT, field="appointed_on")
            before = {k: old[k] for k in values if old[k] != values[k]}
            if not before:
                return record_id
            if is_reappointment(old, values):
                _keep_term(conn, old)
            conn.execute("UPDATE governor_records SET " + ", ".join(f"{k} = ?" for k in values)
                         + ", updated_at = ? WHERE id = ?", (*values.values(), now, record_id))
        after = {k: values[k] for k in values if old is None or k in before}
        _log_changes(conn, record_id, person["name"], old, values, imported)
        _keep_membership(conn, body_id, user_id, record_id, values)
        audit.record(conn, actor, "governor.record_create" if old is None
                     else "governor.record_update", f"governor:{record_id}", user=user_id,
                     before=before, after=after)
    events.publish(events.ACCESS_CHANGED, conn, body_id=body_id)
    return record_id


def is_reappointment(old, values: dict) -> bool:
    """Whether a change to a stored record (`old`) into `values` starts a new term rather
    than correcting the one recorded: the date stepped down is cleared, or the new date
    appointed comes after the old term ended (stepped down, or the term's end passed)."""
    if old is None or not old["appointed_on"] or not values["appointed_on"]:
        return False
    if old["stepped_down_on"] and not values["stepped_down_on"]:
        return True
    ended = old["stepped_down_on"] or old["term_ends_on"]
    return bool(ended) and values["appointed_on"] > ended


def terms(conn: Connection, record_id: int) -> list:
    """A record's earlier terms (table governor_terms, migration 0028), latest first: id,
    category (key) and category_label, appointed_by, appointed_on, term_years, term_ends_on,
    stepped_down_on, stepped_down_reason, kept_at."""
    return conn.execute(
        "SELECT t.*, coalesce(c.label, t.category) AS category_label FROM governor_terms t"
        " LEFT JOIN governor_categories c ON c.key = t.category WHERE t.record_id = ?"
        " ORDER BY t.appointed_on DESC, t.id DESC", (record_id,)).fetchall()


def _keep_term(conn: Connection, old) -> None:
    """Keep the term a reappointment ends (inside the caller's transaction)."""
    conn.execute(
        "INSERT INTO governor_terms(record_id, category, appointed_by, appointed_on,"
        " term_years, term_ends_on, stepped_down_on, stepped_down_reason, kept_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (old["id"], old["category"], old["appointed_by"], old["appointed_on"],
         old["term_years"], old["term_ends_on"], old["stepped_down_on"],
         old["stepped_down_reason"], clock.iso()))


def _log_changes(conn: Connection, record_id: int, name: str, old, values: dict,
                 imported: bool = False) -> None:
    """The GIAS change log's rows for a record's change: an appointment (a new record, a
    first date appointed, or a reappointment: `is_reappointment`) and stepping down. An
    import logs only recent changes (gias.log_recent)."""
    log = gias.log_recent if imported else gias.log
    appointed = values["appointed_on"] and (
        old is None or not old["appointed_on"] or is_reappointment(old, values))
    if appointed:
        label = categories.labels(conn).get(values["category"], values["category"])
        again = " again" if old is not None and old["appointed_on"] else ""
        log(conn, record_id, "appointed", f"{name} appointed{again} ({label})",
            values["appointed_on"])
    if values["stepped_down_on"] and (old is None or not old["stepped_down_on"]):
        why = f": {values['stepped_down_reason']}" if values["stepped_down_reason"] else ""
        log(conn, record_id, "stepped-down", f"{name} stepped down{why}",
            values["stepped_down_on"])


def _keep_membership(conn: Connection, body_id: int, user_id: int, record_id: int,
                     values: dict) -> None:
    """Keep `body_members` true to the record: on the board while not stepped down (as a
    member, unless they already sit there); off it and off every committee, with their open
    positions ended, once stepped down."""
    left = values["stepped_down_on"]
    if left and left <= dates.today().isoformat():
        # Off the board and its committees: a committee's members are governors (reg. 22).
        conn.execute("DELETE FROM body_members WHERE user_id = ? AND (body_id = ? OR body_id"
                     " IN (SELECT id FROM bodies WHERE kind = 'committee'))",
                     (user_id, body_id))
    elif not left:
        conn.execute("INSERT OR IGNORE INTO body_members(body_id, user_id, position)"
                     " VALUES (?, ?, 'member')", (body_id, user_id))
    if left:
        conn.execute("UPDATE governor_positions SET ends_on = ? WHERE record_id = ? AND"
                     " (ends_on IS NULL OR ends_on > ?)", (left, record_id, left))
        _sync_board_positions(conn, body_id)


def _position_key(typed: str) -> str:
    """The stored form of a position typed: 'chair', 'vice-chair', 'clerk' (any case,
    "Vice chair" too), else the link role as typed on one line."""
    position = text.one_line(typed or "")
    folded = position.casefold().replace(" ", "-")
    for key in POSITION_LABELS:
        if folded == key:
            return key
    if folded.endswith("-link-governor"):
        position = position[: -len(" link governor")]
    for role in LINK_ROLES:  # "Safeguarding" as the export writes it is "safeguarding"
        if position.casefold() == role.casefold():
            return role
    if not position or len(position) > MAX_POSITION:
        raise InvalidInput(f"Name the position in 1-{MAX_POSITION} characters.",
                           field="position")
    return position


@dataclass(frozen=True)
class Holding:
    """A position held or to be held, for `check_positions`: `owner` is a record id (or, for
    a file's row with no record yet, any other key), `name` the holder's name, dates ISO
    (`ends_on` None: still held), `id` the stored position's id (None: not stored)."""

    owner: object
    name: str
    position: str
    starts_on: str
    ends_on: str | None
    id: int | None = None


@dataclass(frozen=True)
class Holder:
    """Whose positions are checked: their name and the dates of their time in office (ISO,
    None when not recorded)."""

    name: str
    appointed_on: str | None
    stepped_down_on: str | None
    category: str = ""  # governor_categories key; '' not recorded


@dataclass
class PositionPlan:
    """What `check_positions` found: messages per owner (none: every position may be
    written), and the stored positions to end earlier ({position id: new ISO end}, with the
    words saying so) because a new holder follows them."""

    errors: dict = field(default_factory=dict)
    trims: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)


def _words(h: Holding) -> str:
    return f"“{position_label(h.position)} from {h.starts_on}" + (
        f" until {h.ends_on}”" if h.ends_on else "”")


def _overlaps(a: Holding, b: Holding) -> bool:
    return a.starts_on <= (b.ends_on or "9999-12-31") and b.starts_on <= (a.ends_on
                                                                          or "9999-12-31")


def stored_holdings(conn: Connection, body_id: int) -> list[Holding]:
    """Every position stored on the board, as Holdings."""
    return [Holding(r["record_id"], r["name"], r["position"], r["starts_on"], r["ends_on"],
                    r["id"]) for r in conn.execute(
        "SELECT p.*, u.name FROM governor_positions p JOIN governor_records r"
        " ON r.id = p.record_id JOIN users u ON u.id = r.user_id WHERE r.body_id = ?"
        " ORDER BY p.starts_on, p.id", (body_id,))]


def check_positions(holders: dict, new: list[Holding], others: list[Holding]) -> PositionPlan:
    """The one rule for positions, whoever writes them (the record page, the board page, an
    import's preview and its confirm): each `new` holding is checked against `others`
    (positions kept as they are) and the other new ones. `holders` maps each new holding's
    owner to its Holder.

    - A position ends on or after its start.
    - The clerk position goes only to a record of the clerk's category (or none recorded):
      the board may not appoint one of its governors, associate members or the headteacher
      as clerk (The School Governance (Roles, Procedures and Allowances) (England)
      Regulations 2013, reg. 10).
    - Its holder is in office over its dates: it starts on or after the date appointed and
      before the date stepped down, and ends by then.
    - A holder does not hold the same position twice at once, nor chair and vice-chair at
      once.
    - A board has one chair, one vice-chair and one clerk at a time (SINGLE_HOLDER; the
      Roles, Procedures and Allowances Regulations 2013, regs. 7-9, provide for one of
      each). A new open-ended holder who starts after a stored holder's start ends theirs
      the day before (`trims`); any other overlap is refused: nobody's earlier history is
      rewritten.
    """
    plan = PositionPlan()

    def refuse(h: Holding, message: str) -> None:
        plan.errors.setdefault(h.owner, []).append(message)

    for h in new:
        who = holders[h.owner]
        if h.ends_on is not None and h.ends_on < h.starts_on:
            refuse(h, f"{_words(h)} ends before it starts.")
            continue
        if h.position == "clerk" and who.category not in ("", categories.CLERK):
            refuse(h, f"{who.name} is a governor or associate member of the board: the clerk "
                      "may not be one, nor the headteacher (2013 Regulations, reg. 10). "
                      "Give the clerk position to the clerk's own record.")
            continue
        if who.appointed_on and h.starts_on < who.appointed_on:
            refuse(h, f"{_words(h)} starts before {who.name} was appointed "
                      f"({who.appointed_on}).")
        left = who.stepped_down_on
        if left and (h.starts_on >= left or (h.ends_on is not None and h.ends_on > left)):
            refuse(h, f"{_words(h)} is after {who.name} stepped down ({who.stepped_down_on}).")
        for o in [*others, *(n for n in new if n is not h)]:
            if not _overlaps(h, o):
                continue
            if o.owner == h.owner:
                if o.position == h.position:
                    refuse(h, f"{_words(h)} overlaps {_words(o)}.")
                elif {o.position, h.position} == set(BOARD_POSITIONS):
                    refuse(h, f"{who.name} cannot be chair and vice-chair at once: "
                              f"{_words(h)} overlaps {_words(o)}.")
            elif o.position == h.position and h.position in SINGLE_HOLDER:
                if o.id is not None and h.ends_on is None and o.starts_on < h.starts_on:
                    end = (date.fromisoformat(h.starts_on) - timedelta(days=1)).isoformat()
                    plan.trims[o.id] = end
                    plan.notes.setdefault(h.owner, []).append(
                        f"{o.name}'s {position_label(o.position).lower()} ends on {end}"
                        f" (the day before {h.name}'s starts).")
                else:
                    label = position_label(h.position).lower()
                    refuse(h, f"{o.name} is {label} {_words(o)[1:-1].split(' ', 1)[1]}; a board"
                              f" has one {label} at a time. A new {label} starts after "
                              f"{o.starts_on} (theirs then ends the day before).")
    return plan


def _raise_plan(plan: PositionPlan) -> None:
    if plan.errors:
        raise InvalidInput(" ".join(m for ms in plan.errors.values() for m in ms),
                           field="starts_on")


def apply_trims(conn: Connection, actor: Identity, plan: PositionPlan) -> None:
    """End the stored positions a new holder follows (`plan.trims`; audited, inside the
    caller's transaction)."""
    for position_id, end in plan.trims.items():
        row = conn.execute("SELECT * FROM governor_positions WHERE id = ?",
                           (position_id,)).fetchone()
        conn.execute("UPDATE governor_positions SET ends_on = ? WHERE id = ?", (end, position_id))
        audit.record(conn, actor, "governor.position_end", f"governor:{row['record_id']}",
                     position=row["position"], before=row["ends_on"], after=end,
                     reason="a new holder follows",
                     backdated=end < dates.today().isoformat())


def holder_of(record) -> Holder:
    """The Holder a stored record is (its name and dates in office)."""
    return Holder(record["name"], record["appointed_on"], record["stepped_down_on"],
                  record["category"])


def add_position(conn: Connection, actor: Identity, record_id: int, position: str,
                 starts_on: date, ends_on: date | None = None, *,
                 notes: list[str] | None = None) -> int:
    """Record that a governor holds `position` from `starts_on` (to `ends_on`, None: still
    held); returns its id. The rules are `check_positions`' (one chair, vice-chair and clerk
    at a time; a new open-ended one ends the previous holder's the day before; only while
    in office), checked and written in one write transaction (BEGIN IMMEDIATE), so two
    at once cannot both pass. A chair or vice-chair change is logged for GIAS, and the
    board's `body_members.position` follows the dated positions
    (`_sync_board_positions`). Audited ("governor.position_add").

    `notes`: a list the sentences saying whose position this ends (and on what day, past
    days included) are added to, for the page to show; the audit's "governor.position_end"
    row says so too (`backdated` when that day is already past).

    Raises NotPermitted unless `may_edit`, NotFound for an unknown record, InvalidInput for
    an empty position or a position the rules refuse (with the reason).
    """
    _require_edit(actor)
    key = _position_key(position)
    for value, name in ((starts_on, "starts_on"), (ends_on, "ends_on")):
        if value is not None:
            try:
                clock.check_year(value)
            except InvalidInput as exc:
                raise InvalidInput(str(exc), field=name) from None
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput("The end is before the start.", field="ends_on")
    with transaction(conn):
        record = get(conn, record_id)
        wanted = Holding(record_id, record["name"], key, starts_on.isoformat(), _iso(ends_on))
        plan = check_positions({record_id: holder_of(record)}, [wanted],
                               stored_holdings(conn, record["body_id"]))
        _raise_plan(plan)
        apply_trims(conn, actor, plan)
        if notes is not None:
            notes.extend(m for ms in plan.notes.values() for m in ms)
        position_id = conn.execute(
            "INSERT INTO governor_positions(record_id, position, starts_on, ends_on)"
            " VALUES (?, ?, ?, ?)", (record_id, key, starts_on.isoformat(), _iso(ends_on))
        ).lastrowid
        if key in BOARD_POSITIONS:
            gias.log(conn, record_id, key, f"{record['name']}: {POSITION_LABELS[key].lower()}"
                     f" from {starts_on.isoformat()}", starts_on.isoformat())
            _sync_board_positions(conn, record["body_id"])
        audit.record(conn, actor, "governor.position_add", f"governor:{record_id}",
                     position=key, starts_on=starts_on.isoformat(), ends_on=_iso(ends_on))
    return position_id


def end_position(conn: Connection, actor: Identity, position_id: int, ends_on: date) -> None:
    """End a position on `ends_on` (a correction of an end already set is allowed, within
    `check_positions`' rules: a later end may not run into the next holder's time).
    Audited with the end before and after. Raises NotPermitted unless `may_edit`, NotFound,
    InvalidInput for an end before the start or one the rules refuse."""
    _require_edit(actor)
    clock.check_year(ends_on)
    with transaction(conn):
        row = conn.execute("SELECT p.*, r.body_id FROM governor_positions p JOIN"
                           " governor_records r ON r.id = p.record_id WHERE p.id = ?",
                           (position_id,)).fetchone()
        if row is None:
            raise NotFound("no such position")
        if ends_on.isoformat() < row["starts_on"]:
            raise InvalidInput("The end is before the start.", field="ends_on")
        record = get(conn, row["record_id"])
        changed = Holding(row["record_id"], record["name"], row["position"], row["starts_on"],
                          ends_on.isoformat())
        others = [h for h in stored_holdings(conn, row["body_id"]) if h.id != position_id]
        plan = check_positions({row["record_id"]: holder_of(record)}, [changed], others)
        _raise_plan(plan)
        conn.execute("UPDATE governor_positions SET ends_on = ? WHERE id = ?",
                     (ends_on.isoformat(), position_id))
        if row["position"] in BOARD_POSITIONS:
            _sync_board_positions(conn, row["body_id"])
        audit.record(conn, actor, "governor.position_end", f"governor:{row['record_id']}",
                     position=row["position"], before=row["ends_on"], after=ends_on.isoformat())


def _sync_board_positions(conn: Connection, body_id: int) -> None:
    """Make the board's `body_members.position` say who is chair and vice-chair today by the
    dated positions, for each of the two a dated position was ever recorded for (a board
    that never dated its chair keeps the position set on the board page)."""
    today = dates.today().isoformat()
    for key in BOARD_POSITIONS:
        rows = conn.execute(
            "SELECT r.user_id, p.starts_on <= ? AND (p.ends_on IS NULL OR p.ends_on >= ?)"
            " AS held FROM governor_positions p JOIN governor_records r ON r.id = p.record_id"
            " WHERE r.body_id = ? AND p.position = ?", (today, today, body_id, key)).fetchall()
        if not rows:
            continue
        conn.execute("UPDATE body_members SET position = 'member' WHERE body_id = ?"
                     " AND position = ?", (body_id, key))
        for row in rows:
            if row["held"]:
                conn.execute("UPDATE body_members SET position = ? WHERE body_id = ?"
                             " AND user_id = ?", (key, body_id, row["user_id"]))


def board_position_changed(conn: Connection, actor: Identity, body_id: int, user_id: int,
                           position: str) -> None:
    """What the board page's "position" (gvo.board.bodies.add_member) means for the dated
    positions, inside its transaction: made chair or vice-chair, a dated position from
    today (ending the other holder's, logged for GIAS); back to member, their open chair
    or vice-chair ends yesterday."""
    record = record_for(conn, user_id, body_id)
    if record is None:
        return
    today = dates.today()
    held = {p["position"]: p for p in positions_of(conn, record["id"]) if p["ends_on"] is None}
    with transaction(conn):
        for key in BOARD_POSITIONS:
            if key == position and key not in held:
                add_position(conn, actor, record["id"], key, today)
            elif key != position and key in held:
                end_position(conn, actor, held[key]["id"],
                             max(today - timedelta(days=1), date.fromisoformat(
                                 held[key]["starts_on"])))


def wanted_holdings(owner, name: str,
                    wanted: list[tuple[str, date, date | None]]) -> list[Holding]:
    """(position typed, starts_on, ends_on) triples as Holdings of `owner` (positions'
    stored keys; InvalidInput for a position name that is empty or too long)."""
    return [Holding(owner, name, _position_key(p), s.isoformat(), _iso(e)) for p, s, e in wanted]


def plan_replacement(conn: Connection, body_id: int, holders: dict,
                     wanted: dict) -> PositionPlan:
    """`check_positions` for owners whose positions are to become exactly `wanted[owner]`
    (lists of Holdings), as an import does: checked against the board's other stored
    positions; a holding a record already has is not checked again."""
    stored = stored_holdings(conn, body_id)
    others = [h for h in stored if h.owner not in wanted]
    kept = {(h.owner, h.position, h.starts_on, h.ends_on) for h in stored if h.owner in wanted}
    new, unchanged = [], []
    for holdings in wanted.values():
        for h in holdings:
            same = (h.owner, h.position, h.starts_on, h.ends_on) in kept
            (unchanged if same else new).append(h)
    return check_positions(holders, new, [*others, *unchanged])


def replace_positions(conn: Connection, actor: Identity, record_id: int,
                      wanted: list[tuple[str, date, date | None]],
                      plan: PositionPlan | None = None) -> None:
    """Make a record's positions exactly `wanted` ((position, starts_on, ends_on) each), as
    an import does: nothing happens when they are already so. The rules are
    `check_positions`' (through `plan_replacement`; `plan`: one already made for a whole
    file, inside the same transaction). A chair or vice-chair not recorded before is logged
    for GIAS; the board's `body_members.position` follows. Audited ("governor.positions",
    before and after). Raises NotPermitted unless `may_edit`, InvalidInput for a position
    the rules refuse."""
    _require_edit(actor)
    with transaction(conn):
        record = get(conn, record_id)
        holdings = wanted_holdings(record_id, record["name"], wanted)
        new = sorted((h.position, h.starts_on, h.ends_on) for h in holdings)
        old = sorted((p["position"], p["starts_on"], p["ends_on"])
                     for p in positions_of(conn, record_id))
        if new == old:
            return
        if plan is None:
            plan = plan_replacement(conn, record["body_id"], {record_id: holder_of(record)},
                                    {record_id: holdings})
            _raise_plan(plan)
            apply_trims(conn, actor, plan)
        conn.execute("DELETE FROM governor_positions WHERE record_id = ?", (record_id,))
        for key, start, end in new:
            conn.execute("INSERT INTO governor_positions(record_id, position, starts_on,"
                         " ends_on) VALUES (?, ?, ?, ?)", (record_id, key, start, end))
            if key in BOARD_POSITIONS and (key, start, end) not in old:
                gias.log_recent(conn, record_id, key, f"{record['name']}: "
                                f"{POSITION_LABELS[key].lower()} from {start}", start)
        _sync_board_positions(conn, record["body_id"])
        audit.record(conn, actor, "governor.positions", f"governor:{record_id}",
                     before=[" ".join(filter(None, p)) for p in old],
                     after=[" ".join(filter(None, p)) for p in new])


def mark_check(conn: Connection, actor: Identity, record_id: int, check_id: int,
               done_on: date | None) -> None:
    """Record the day a governor met one of the school's own checks (None: not met).
    Audited with before and after. Raises NotPermitted unless `may_edit`, NotFound."""
    _require_edit(actor)
    get(conn, record_id)
    if conn.execute("SELECT 1 FROM governor_checks WHERE id = ?", (check_id,)).fetchone() is None:
        raise NotFound("no such check")
    if done_on is not None:
        clock.check_year(done_on)
    before = check_marks(conn, record_id).get(check_id)
    with transaction(conn):
        if done_on is None:
            conn.execute("DELETE FROM governor_check_marks WHERE record_id = ? AND check_id = ?",
                         (record_id, check_id))
        else:
            conn.execute("INSERT INTO governor_check_marks(record_id, check_id, done_on)"
                         " VALUES (?, ?, ?) ON CONFLICT(record_id, check_id) DO UPDATE SET"
                         " done_on = excluded.done_on", (record_id, check_id, done_on.isoformat()))
        audit.record(conn, actor, "governor.check", f"governor:{record_id}", check=check_id,
                     before=before, after=_iso(done_on))


def add_check(conn: Connection, actor: Identity, label: str) -> int:
    """Add one of the school's own checks ("Signed the code of conduct"); a Manager's
    decision. Raises NotPermitted for others, InvalidInput for an empty or repeated label."""
    if not actor.acts_as_manager:
        raise NotPermitted("Only a Manager adds a check.")
    label = text.one_line(label or "")
    if not label or len(label) > 120:
        raise InvalidInput("A check of 1-120 characters is required.", field="label")
    with transaction(conn):
        if conn.execute("SELECT 1 FROM governor_checks WHERE label = ?", (label,)).fetchone():
            raise InvalidInput(f"There is already a check “{label}”.", field="label")
        check_id = conn.execute(
            "INSERT INTO governor_checks(label, sort_order) VALUES (?, (SELECT coalesce("
            "max(sort_order), 0) + 10 FROM governor_checks))", (label,)).lastrowid
        audit.record(conn, actor, "governor.check_add", f"check:{check_id}", label=label)
    return check_id


def input_of(record) -> RecordInput:
    """The RecordInput a stored record holds (to fill a form, or compare)."""
    def day(value):
        return date.fromisoformat(value) if value else None

    return RecordInput(**{f.name: (day(record[f.name]) if f.name.endswith("_on")
                                   else record[f.name]) for f in fields(RecordInput)})
