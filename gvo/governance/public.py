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

Who is in office, their term's end, positions, committees, the chair and the clerk are the
records' facts (gvo.governance.records), read through its functions, so this page lists
exactly the governors the quorum counts and the dashboard checks; the clerk (records'
`is_clerk`) is named as clerk and never listed as a governor. The page's own rule is the
12-month window for those who stepped down (`listed`). Interests are the register's
(gvo.governance.interests).
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
from gvo.governance import records as governor_records
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
    board_id = governor_records.board_id(conn)
    board = conn.execute("SELECT id, name, description FROM bodies WHERE id = ?",
                         (board_id,)).fetchone() if board_id else None
    start, end = attendance_year(today)
    result = Governance(today, board["name"] if board else "",
                        board["description"] if board else "", None, None,
                        clerk_contact(conn), start, end)
    if board is None:
        return result
    people = listed(conn, board["id"], today)
    tally = attended(conn, start, end)
    result.chair = governor_records.chair(conn, today, board["id"])
    clerks = governor_records.holders(conn, "clerk", today, board["id"])
    result.clerk = clerks[0]["name"] if clerks else None
    result.committees = _committees(conn, [p for p in people if _in_office(p, today)])
    result.governors = [governor_row(conn, p, today, tally) for p in people]
    return result


def listed(conn: Connection, board_id: int, today: date) -> list:
    """The governor records the page lists: the governors in office today (records.governors,
    the rule the quorum and the dashboard use) and those out of office (stepped down, or
    their term ended: records.left_on) on or after `twelve_months_before(today)`
    (records.former); those who left earlier never.
    The clerk (records' `is_clerk`) is named as clerk, not listed as a governor. In office
    first, then by name."""
    cutoff = twelve_months_before(today)
    people = governor_records.governors(conn, today, board_id) + [
        r for r in governor_records.former(conn, today, board_id)
        if governor_records.left_on(r) >= cutoff and not r["is_clerk"]]
    return sorted(people, key=lambda r: (governor_records.left_on(r) is not None
                                         and governor_records.left_on(r) <= today,
                                         r["name"].casefold(), r["id"]))


def _in_office(person, today: date) -> bool:
    """Whether a listed person is in office today (not stepped down, term not ended): only
    they are published as committee members."""
    left = governor_records.left_on(person)
    return left is None or left > today


def governor_row(conn: Connection, person, today: date, tally: dict[int, Counter]) -> dict:
    """One listed governor's published fields (keys exactly FIELD_KEYS): name, category
    (label), appointed_by, appointed_on / stepped_down_on (ISO dates or None), term_ends_on
    (ISO date, NOT_APPLICABLE for an ex-officio place, or None if not recorded), positions
    ([{"position", "from", "to"}], held in the last 12 months), committees (names),
    attendance ({"attended", "meetings"} over `attendance_year`, from locked registers) and
    interests ({"status", "declared": [{"kind", "organisation", "nature"}]})."""
    counts = tally.get(person["user_id"], Counter())
    ends = governor_records.term_end_of(person)
    left = governor_records.left_on(person)  # stepped down, or the day after the term ended
    term = NOT_APPLICABLE if person["ex_officio"] else ends and ends.isoformat()
    row = {
        "name": person["name"],
        "category": person["category_label"] or person["category"],
        "appointed_by": person["appointed_by"],
        "appointed_on": person["appointed_on"],
        "term_ends_on": term,
        "stepped_down_on": person["stepped_down_on"] or (
            left.isoformat() if left and left <= today else None),
        "positions": _positions(conn, person["id"], today),
        "committees": [c["name"] for c in governor_records.committees_of(
            conn, person["user_id"])] if _in_office(person, today) else [],
        "attendance": {"attended": counts["attended"], "meetings": counts["meetings"]},
        "interests": _interests(conn, person["user_id"], today),
    }
    return row


def _positions(conn: Connection, record_id: int, today: date) -> list[dict]:
    """A record's positions held at some time in the last 12 months, oldest first."""
    cutoff = twelve_months_before(today).isoformat()
    held = [p for p in governor_records.positions_of(conn, record_id)
            if p["starts_on"] <= today.isoformat() and (p["ends_on"] is None
                                                        or p["ends_on"] >= cutoff)]
    return [{"position": governor_records.position_label(p["position"]),
             "from": p["starts_on"], "to": p["ends_on"]}
            for p in sorted(held, key=lambda p: (p["starts_on"], p["id"]))]


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


def _committees(conn: Connection, people: list) -> list[Committee]:
    """Each committee with its chair and members, naming only the governors listed (anyone
    else on a committee is not published), in the board structure's order."""
    seats: dict[int, list] = {}
    for person in people:
        for c in governor_records.committees_of(conn, person["user_id"]):
            seats.setdefault(c["id"], []).append((person["name"], c["position"]))
    found = []
    for body in conn.execute("SELECT id, name, description FROM bodies WHERE kind = 'committee'"
                             " ORDER BY sort_order, name COLLATE NOCASE").fetchall():
        sitting = seats.get(body["id"], [])
        chair = next((name for name, position in sitting if position == "chair"), None)
        found.append(Committee(body["name"], body["description"], chair,
                               sorted((name for name, _ in sitting), key=str.casefold)))
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
