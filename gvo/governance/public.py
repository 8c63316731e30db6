"""The public governance page: what a school publishes about its board, and nothing more.

Maintained schools and academies publish on their website the structure of the board and its
committees, who chairs them, and for each governor in office (and each who stepped down in
the last 12 months) their category, who appointed them, their term of office, positions,
committees, attendance at board and committee meetings over the last school year and their
declared business interests (DfE Governance Handbook, "Publishing governance information";
The School Information (England) Regulations 2008 as amended; Academy Trust Handbook,
"Publishing information"). This module holds the rules: who is listed (`listed`), which
fields (`FIELDS`, one list for the page, the CSV and the JSON), and the switch each school
turns on (`is_published`, `set_publishing`). It reads only: a public page writes nothing.

Nothing else about a person leaves the office: no e-mail address, phone, DBS or section 128
check, the school's own checks or any history beyond the fields below.

The queries of governor_records, governor_positions and interests here are small read-only
ones of their own (issue 14: the records and interests services were built at the same
time); at merge they may be switched to gvo.governance.records / interests.
"""

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from gvo.core import addresses, audit, dates, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.governance import interests
from gvo.governance.records import position_label
from gvo.meetings import attendance, records
from gvo.people import settings
from gvo.storage.sqlcipher import Connection

PUBLISHED_KEY = "governance_public"          # '1': the page is on; anything else: off
CLERK_CONTACT_KEY = "governance_clerk_contact"  # the clerk's public address, '' for reply-to

# The fields published for each governor: (key in the JSON, CSV header and page heading).
# One list for the page, the CSV and the JSON.
FIELDS = (
    ("name", "Name"),
    ("category", "Category"),
    ("appointed_by", "Appointed by"),
    ("appointed_on", "Date appointed"),
    ("term_ends_on", "Term ends"),
    ("stepped_down_on", "Date stepped down"),
    ("positions", "Positions"),
    ("committees", "Committees"),
    ("attendance", "Attendance"),
    ("interests", "Declared interests"),
)
FIELD_KEYS = tuple(key for key, _ in FIELDS)
NOT_APPLICABLE = "not applicable"   # term_ends_on of an ex-officio place (the headteacher)
# interests' status: a current interest declared; a return with nothing current; no return.
DECLARED, NONE_DECLARED, NOT_YET_DECLARED = "declared", "none declared", "not yet declared"


@dataclass
class Committee:
    """A committee as published: its name, purpose, chair and the listed governors on it."""

    name: str
    description: str
    chair: str | None
    members: list[str]


@dataclass
class Governance:
    """What the public page, CSV and JSON say, as of `today` (the school's date).

    `governors`: one dict per governor listed, keys exactly FIELD_KEYS (values in
    `governor_row`'s shapes). `attendance_from`/`attendance_to`: the school year the
    attendance counts cover (dates inclusive)."""

    today: date
    board_name: str
    board_description: str
    chair: str | None
    clerk: str | None
    clerk_contact: str
    attendance_from: date
    attendance_to: date
    committees: list[Committee] = field(default_factory=list)
    governors: list[dict] = field(default_factory=list)


def is_published(conn: Connection) -> bool:
    """Whether the school has switched its public governance page on (off by default)."""
    return settings.get(conn, PUBLISHED_KEY) == "1"


def clerk_contact(conn: Connection) -> str:
    """The clerk's contact address as published: the one a Manager set for the page, else
    the school's reply-to address (where replies to its e-mail go: the clerk's, a role
    address unless the school chose otherwise), else ''."""
    return own_clerk_contact(conn) or settings.get(conn, settings.REPLY_TO_KEY)


def own_clerk_contact(conn: Connection) -> str:
    """The clerk's contact address a Manager set for the page ('' if none: the reply-to
    address is published instead)."""
    return settings.get(conn, CLERK_CONTACT_KEY)


def set_publishing(conn: Connection, actor: Identity, published: bool, contact: str) -> None:
    """Switch the public governance page on or off and set the clerk's public contact
    address ('' to publish the school's reply-to address instead). Audited as
    "governance.public" with the settings before and after. InvalidInput (field 'contact')
    for text that is not an e-mail address."""
    contact = (contact or "").strip()
    if contact:
        try:
            contact = addresses.check(contact)
        except InvalidInput as exc:
            raise InvalidInput(str(exc), field="contact") from None
    new = {"published": bool(published), "contact": contact}
    with transaction(conn):
        old = {"published": is_published(conn), "contact": own_clerk_contact(conn)}
        settings.put(conn, PUBLISHED_KEY, "1" if published else "0")
        settings.put(conn, CLERK_CONTACT_KEY, contact)
        audit.record(conn, actor, "governance.public", "school", old=old, new=new)


def twelve_months_before(day: date) -> date:
    """The same date a year earlier (29 February gives 28 February): a governor who stepped
    down on or after it stepped down "in the last 12 months"."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def attendance_year(today: date) -> tuple[date, date]:
    """The last school year (1 September to 31 August, both inclusive) wholly before the one
    holding `today`: the DfE Governance Handbook asks for each governor's attendance "over
    the last academic year"."""
    start, _ = attendance.school_year(today)
    return date(start.year - 1, 9, 1), start - timedelta(days=1)


def governance(conn: Connection, today: date | None = None) -> Governance:
    """Everything the public page shows, as of `today` (default: today in the school's
    zone). Reads only."""
    today = today or dates.today()
    board = conn.execute("SELECT id, name, description FROM bodies WHERE kind = 'board'"
                         ).fetchone()
    start, end = attendance_year(today)
    result = Governance(today, board["name"] if board else "",
                        board["description"] if board else "", None, None,
                        clerk_contact(conn), start, end)
    if board is None:
        return result
    people = listed(conn, board["id"], today)
    tally = attended(conn, start, end)
    names = {p["user_id"]: p["name"] for p in people}
    result.chair = _holder(conn, board["id"], "chair", today) or _seat_chair(conn, board["id"])
    result.clerk = _holder(conn, board["id"], "clerk", today)
    result.committees = _committees(conn, names)
    result.governors = [governor_row(conn, p, today, tally) for p in people]
    return result


def listed(conn: Connection, board_id: int, today: date) -> list:
    """The governor records the page lists: on the board now (appointed on or before today,
    or with no date recorded) or stepped down on or after `twelve_months_before(today)`;
    those who stepped down earlier never. The clerk (a record of category 'clerk', or one
    with no category and a clerk position) is named as clerk, not listed as a governor. In
    office first, then by name."""
    cutoff = twelve_months_before(today).isoformat()
    return conn.execute(
        "SELECT r.id, r.user_id, u.name, r.category, coalesce(c.label, r.category) AS label,"
        " coalesce(c.ex_officio, 0) AS ex_officio, r.appointed_by, r.appointed_on,"
        " r.term_ends_on, r.stepped_down_on FROM governor_records r"
        " JOIN users u ON u.id = r.user_id"
        " LEFT JOIN governor_categories c ON c.key = r.category"
        " WHERE r.body_id = ? AND (r.stepped_down_on IS NULL OR r.stepped_down_on >= ?)"
        " AND (r.appointed_on IS NULL OR r.appointed_on <= ?)"
        " AND r.category <> 'clerk'"
        " AND NOT (r.category = '' AND EXISTS (SELECT 1 FROM governor_positions p"
        "   WHERE p.record_id = r.id AND p.position = 'clerk'))"
        " ORDER BY r.stepped_down_on IS NOT NULL, u.name COLLATE NOCASE, r.id",
        (board_id, cutoff, today.isoformat())).fetchall()


def governor_row(conn: Connection, person, today: date, tally: dict[int, Counter]) -> dict:
    """One listed governor's published fields (keys exactly FIELD_KEYS): name, category
    (label), appointed_by, appointed_on / stepped_down_on (ISO dates or None), term_ends_on
    (ISO date, NOT_APPLICABLE for an ex-officio place, or None if not recorded), positions
    ([{"position", "from", "to"}], held in the last 12 months), committees (names),
    attendance ({"attended", "meetings"} over `attendance_year`, from locked registers) and
    interests ({"status", "declared": [{"kind", "organisation", "nature"}]})."""
    counts = tally.get(person["user_id"], Counter())
    term = person["term_ends_on"]
    if term is None and person["ex_officio"]:
        term = NOT_APPLICABLE
    row = {
        "name": person["name"],
        "category": person["label"],
        "appointed_by": person["appointed_by"],
        "appointed_on": person["appointed_on"],
        "term_ends_on": term,
        "stepped_down_on": person["stepped_down_on"],
        "positions": _positions(conn, person["id"], today),
        "committees": [r["name"] for r in conn.execute(
            "SELECT b.name FROM body_members m JOIN bodies b ON b.id = m.body_id"
            " WHERE m.user_id = ? AND b.kind = 'committee'"
            " ORDER BY b.sort_order, b.name COLLATE NOCASE", (person["user_id"],))],
        "attendance": {"attended": counts["attended"], "meetings": counts["meetings"]},
        "interests": _interests(conn, person["user_id"], today),
    }
    return row


def _positions(conn: Connection, record_id: int, today: date) -> list[dict]:
    cutoff = twelve_months_before(today).isoformat()
    return [{"position": position_label(r["position"]),
             "from": r["starts_on"], "to": r["ends_on"]} for r in conn.execute(
        "SELECT position, starts_on, ends_on FROM governor_positions WHERE record_id = ?"
        " AND starts_on <= ? AND (ends_on IS NULL OR ends_on >= ?) ORDER BY starts_on, id",
        (record_id, today.isoformat(), cutoff))]


def _interests(conn: Connection, user_id: int, today: date) -> dict:
    """Current interests (not ended, not replaced by a later entry), and whether the person
    has ever made a return or declared anything ("none declared") or not ("not yet
    declared")."""
    current = [{"kind": i["kind_label"], "organisation": i["organisation"],
                "nature": i["nature"]} for i in interests.current_interests(conn, user_id)]
    if current:
        status = DECLARED
    elif conn.execute("SELECT 1 FROM interest_returns WHERE user_id = ? AND returned_on <= ?"
                      " UNION ALL SELECT 1 FROM interests WHERE user_id = ? AND declared_on <= ?"
                      " LIMIT 1", (user_id, today.isoformat(), user_id, today.isoformat())
                      ).fetchone():
        status = NONE_DECLARED
    else:
        status = NOT_YET_DECLARED
    return {"status": status, "declared": current}


def attended(conn: Connection, start: date, end: date) -> dict[int, Counter]:
    """Per person: meetings of the board and its committees held in [start, end] (local
    dates, inclusive; cancelled ones left out) whose attendance register is locked, that
    they were on the register of ("meetings") and were present at ("attended"). A locked
    register counts as its frozen snapshot says; one locked before snapshots existed, as
    its rows (which cannot change once locked). Registers not yet locked do not count.
    Reads only (attendance.attendance_register_record would take a late snapshot)."""
    tally: dict[int, Counter] = {}
    for meeting in conn.execute(
            "SELECT id FROM meetings WHERE status = 'scheduled'"
            " AND attendance_register_locked_at IS NOT NULL AND starts_at BETWEEN ? AND ?",
            (start.isoformat(), end.isoformat() + "T23:59")).fetchall():
        snapshot = records.load(conn, meeting["id"], "attendance_register")
        rows = snapshot["members"] if snapshot else conn.execute(
            "SELECT user_id, status FROM attendance_register WHERE meeting_id = ?",
            (meeting["id"],)).fetchall()
        for row in rows:
            counts = tally.setdefault(row["user_id"], Counter())
            counts["meetings"] += 1
            counts["attended"] += row["status"] == "present"
    return tally


def _holder(conn: Connection, board_id: int, position: str, today: date) -> str | None:
    """The name of whoever holds `position` on the board today (a governor_positions row
    current today, on a record not stepped down), None if nobody."""
    row = conn.execute(
        "SELECT u.name FROM governor_positions p JOIN governor_records r ON r.id = p.record_id"
        " JOIN users u ON u.id = r.user_id WHERE r.body_id = ? AND p.position = ?"
        " AND p.starts_on <= ? AND (p.ends_on IS NULL OR p.ends_on >= ?)"
        " AND (r.stepped_down_on IS NULL OR r.stepped_down_on > ?)"
        " ORDER BY p.starts_on DESC, p.id DESC LIMIT 1",
        (board_id, position, *[today.isoformat()] * 3)).fetchone()
    return row["name"] if row else None


def _seat_chair(conn: Connection, body_id: int) -> str | None:
    """The chair as the board structure has them (body_members), for a school whose records
    hold no chair position yet."""
    row = conn.execute("SELECT u.name FROM body_members m JOIN users u ON u.id = m.user_id"
                       " WHERE m.body_id = ? AND m.position = 'chair'", (body_id,)).fetchone()
    return row["name"] if row else None


def _committees(conn: Connection, names: dict[int, str]) -> list[Committee]:
    """Each committee with its chair and members, naming only the governors listed (anyone
    else on a committee is not published)."""
    found = []
    for body in conn.execute("SELECT id, name, description FROM bodies WHERE kind = 'committee'"
                             " ORDER BY sort_order, name COLLATE NOCASE").fetchall():
        seats = conn.execute("SELECT user_id, position FROM body_members WHERE body_id = ?",
                             (body["id"],)).fetchall()
        chair = next((names[s["user_id"]] for s in seats
                      if s["position"] == "chair" and s["user_id"] in names), None)
        members = sorted((names[s["user_id"]] for s in seats if s["user_id"] in names),
                         key=str.casefold)
        found.append(Committee(body["name"], body["description"], chair, members))
    return found


def as_json(gov: Governance, school_name: str) -> dict:
    """The page as JSON: the school, the date, the board's structure, chair, clerk and the
    governors (each with exactly FIELD_KEYS)."""
    return {
        "school": school_name,
        "as_of": gov.today.isoformat(),
        "board": {"name": gov.board_name, "description": gov.board_description,
                  "chair": gov.chair},
        "clerk": {"name": gov.clerk, "contact": gov.clerk_contact},
        "committees": [{"name": c.name, "description": c.description, "chair": c.chair,
                        "members": c.members} for c in gov.committees],
        "attendance_period": {"from": gov.attendance_from.isoformat(),
                              "to": gov.attendance_to.isoformat()},
        "governors": gov.governors,
    }


def cell_text(key: str, value) -> str:
    """A field's value as one line of text (the CSV's cell): dates ISO, lists joined with
    '; ', attendance "5 of 6", interests "Kind: organisation, nature" or their status."""
    if value is None:
        return ""
    if key == "positions":
        return "; ".join(p["position"] + (f" {p['from']} to {p['to']}" if p["to"]
                                          else f" from {p['from']}") for p in value)
    if key == "committees":
        return "; ".join(value)
    if key == "attendance":
        return f"{value['attended']} of {value['meetings']}"
    if key == "interests":
        if not value["declared"]:
            return value["status"].capitalize()
        return "; ".join(f"{i['kind']}: " + ", ".join(
            part for part in (i["organisation"], i["nature"]) if part) for i in value["declared"])
    return str(value)


def as_csv(gov: Governance) -> bytes:
    """The governors as CSV (UTF-8 with a byte-order mark, for spreadsheets): the header is
    FIELDS' headings, one row per listed governor; every cell is made safe from formula
    injection (text.spreadsheet_cell)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([heading for _, heading in FIELDS])
    for row in gov.governors:
        writer.writerow([text.spreadsheet_cell(cell_text(key, row[key])) for key in FIELD_KEYS])
    return out.getvalue().encode("utf-8-sig")
