"""Training reports: each governor's status on the mandatory list, and every recorded
completion's status, by person and by course; as a page, CSV and XLSX.

The rows: every governor in office (gvo.governance.records.governors, the one rule for who
is in office, without the clerk) with each mandatory course, and anyone's latest completion
of any other course; each with its status on `today` (gvo.training.validity). Names and
titles sort in any script (`gvo.core.text.sort_key`). Reports are for holders of "Manage
training" (and Managers); a person reads their own status on their training page
(`mine`). Every CSV and XLSX cell goes through `text.spreadsheet_cell` (OWASP, CSV
Injection), so a course called "=HYPERLINK(...)" is shown, never run.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date

from gvo.core import text
from gvo.core.identity import Identity
from gvo.governance import records
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection
from gvo.training import courses, validity

HEADER = ["Person", "Course", "Category", "Mandatory", "Status", "Completed on", "Expires on"]


@dataclass(frozen=True)
class Row:
    """One person on one course: who, which course, and their standing on the day."""

    user_id: int
    person: str
    course_id: int
    course: str
    category: str
    mandatory: bool  # on the mandatory list AND required of this person (a governor in office)
    standing: validity.Standing


@reads.once
def _latest(conn: Connection) -> dict[tuple[int, int], date]:
    """(user id, course id) -> the latest completion's date."""
    return {(r[0], r[1]): date.fromisoformat(r[2]) for r in conn.execute(
        "SELECT user_id, course_id, max(completed_on) FROM training_completions"
        " GROUP BY user_id, course_id")}


def _row(person_id: int, name: str, course, latest: date | None, today: date,
         required: bool = True) -> Row:
    return Row(person_id, name, course["id"], course["title"], course["category"],
               bool(course["mandatory"]) and required,
               validity.standing(latest, course["validity_months"], today))


def mandatory_rows(conn: Connection, today: date) -> list[Row]:
    """Each governor in office on `today` on each mandatory course, by person then course
    (what the compliance rule and the newsletter judge)."""
    latest = _latest(conn)
    listed = courses.mandatory(conn)
    people = sorted(records.governors(conn, today), key=lambda g: text.sort_key(g["name"]))
    return [_row(g["user_id"], g["name"], c, latest.get((g["user_id"], c["id"])), today)
            for g in people for c in listed]


def all_rows(conn: Connection, today: date) -> list[Row]:
    """`mandatory_rows`, and every other latest completion (anyone's, any course), by
    person then course (mandatory courses first). A completion of a mandatory course by
    someone the list does not apply to (the clerk, someone who left office: not in
    `mandatory_rows`, the compliance rule's people) is shown as not mandatory for them."""
    rows = mandatory_rows(conn, today)
    seen = {(r.user_id, r.course_id) for r in rows}
    by_id = {c["id"]: c for c in courses.listing(conn)}
    names = {r[0]: r[1] for r in conn.execute(
        "SELECT id, name FROM users WHERE id IN (SELECT user_id FROM training_completions)")}
    governors = {r.user_id for r in rows}
    rows += [_row(uid, names[uid], by_id[cid], day, today, required=uid in governors)
             for (uid, cid), day in _latest(conn).items() if (uid, cid) not in seen]
    return sorted(rows, key=lambda r: (text.sort_key(r.person), r.user_id,
                                       not r.mandatory, text.sort_key(r.course)))


def by_person(rows: list[Row]) -> list[tuple[str, list[Row]]]:
    """Rows grouped by person (in the rows' order)."""
    groups: dict[int, tuple[str, list[Row]]] = {}
    for r in rows:
        groups.setdefault(r.user_id, (r.person, []))[1].append(r)
    return list(groups.values())


def by_course(rows: list[Row]) -> list[tuple[str, list[Row]]]:
    """Rows grouped by course: mandatory first, then by title; people by name."""
    groups: dict[int, list[Row]] = {}
    for r in rows:
        groups.setdefault(r.course_id, []).append(r)
    ordered = sorted(groups.values(), key=lambda g: (not g[0].mandatory,
                                                     text.sort_key(g[0].course)))
    return [(g[0].course, sorted(g, key=lambda r: text.sort_key(r.person)))
            for g in ordered]


def mine(conn: Connection, who: Identity, today: date) -> list[Row]:
    """`who`'s own rows: each mandatory course when they are a governor in office on
    `today` (records.is_governor: the list does not apply to the clerk, to people who are
    not governors nor to those who left office; their completions of it show as not
    mandatory), and each other course they completed. What the training page and the
    newsletter's "Your training" read."""
    if who.user_id is None:
        return []
    latest = _latest(conn)
    required = records.is_governor(conn, who.user_id, today)
    return [_row(who.user_id, who.name, c, latest.get((who.user_id, c["id"])), today,
                 required)
            for c in courses.listing(conn)
            if (c["mandatory"] and required) or (who.user_id, c["id"]) in latest]


def cells(rows: list[Row]) -> list[list]:
    """The rows as the files' cells (dates ISO), headings first."""
    return [HEADER] + [
        [r.person, r.course, r.category, "yes" if r.mandatory else "no", r.standing.label,
         r.standing.completed_on.isoformat() if r.standing.completed_on else "",
         r.standing.expires.isoformat() if r.standing.expires else ""] for r in rows]


def to_csv(rows: list[Row]) -> bytes:
    """The rows as CSV: UTF-8 with a byte-order mark, every cell made safe."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, dialect="excel")
    for row in cells(rows):
        writer.writerow([text.spreadsheet_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(rows: list[Row]) -> bytes:
    """The rows as an Excel workbook (openpyxl): every cell text (never a formula), made
    safe as the CSV's, dates as ISO text."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Training"
    for row in cells(rows):
        sheet.append([text.spreadsheet_cell(v) for v in row])
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
