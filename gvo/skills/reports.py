"""Skills reports for the board or a committee: a matrix of questions by people coloured by
score (the number is always in the cell: colour is never the only sign), averages per
question and per category, gaps, free-text answers; with a "what if" that adds people to
the view or leaves them out. As a page (gvo/templates/skills/report.html), CSV and XLSX,
all three from one `Report`, so they agree.

Who is in the view: for the full governing board, the governors in office today
(gvo.governance.places.in_office: gvo.governance.records' one rule, and board members with
no record); for a committee, its members today (gvo.board.bodies.members with today's
date). The "what if" (`add`, `drop`: user ids from the query string) changes the view
only: it never writes.

What is counted: each person's latest answer per question (gvo.skills.answers); questions
asked now (retired ones are left out of reports). N/A and unanswered questions are left out
of every average. A gap is a score question on which no one in the view scores above 3
(`GAP_ABOVE`), unanswered questions included.

Who may see reports: Managers, holders of "manage_board" and the chair of the board
(`may_report`); everyone else sees only their own answers.

People are sorted by name in a way that works for any script (`gvo.core.text.sort_key`: a Latin
transliteration (anyascii) first, so "Łucja" sorts with the Ls and "Ζωή" with the Zs,
then the name itself). CSV is UTF-8 with a byte-order mark; every text cell in CSV and XLSX
goes through `gvo.core.text.spreadsheet_cell` (OWASP, CSV Injection).
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from statistics import fmean

from gvo.board import bodies
from gvo.core import dates, text
from gvo.core.errors import NotPermitted
from gvo.core.identity import Identity
from gvo.governance import places, records
from gvo.skills import answers, questions
from gvo.storage.sqlcipher import Connection

GAP_ABOVE = 3  # a gap: no one in the view scores above this
AVERAGE_FORMAT = "0.0"  # averages to one decimal place, in Excel as on the page
MAX_WHAT_IF = 50  # people a "what if" may add or leave out (bounded query strings)


def may_report(conn: Connection, who: Identity) -> bool:
    """Whether `who` sees skills reports: Managers, holders of manage_board, and the board's
    chair today (a dated chair position, else the chair set on the board page)."""
    if who.can("manage_board"):
        return True
    if who.user_id is None:
        return False
    board = records.board_id(conn)
    if board is None:
        return False
    chairs = {r["user_id"] for r in records.holders(conn, "chair", body_id=board)}
    chairs |= {r[0] for r in conn.execute(
        "SELECT user_id FROM body_members WHERE body_id = ? AND position = 'chair'", (board,))}
    return who.user_id in chairs


def fmt(value) -> str:
    """A cell as the page and the CSV write it: a score "4", an average "3.5", text as is,
    "" for none."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@dataclass
class Person:
    """A person in the view; `added` when the "what if" put them there."""

    user_id: int
    name: str
    added: bool = False


@dataclass
class Row:
    """A score question's row: one answer per person (as shown: "4", "N/A", ""), their
    scores, the average (None: no scores) and whether it is a gap."""

    question: dict
    cells: list[str]
    scores: list[int | None]
    average: float | None
    gap: bool


@dataclass
class Block:
    """A category: its score questions' rows, each person's average over them, and the
    category's average (over every score in it)."""

    category: dict
    rows: list[Row]
    person_averages: list[float | None]
    average: float | None


@dataclass
class Report:
    """A skills report for one body on one day."""

    body: dict | None
    on: date
    people: list[Person]
    blocks: list[Block]
    texts: list[tuple[dict, list[tuple[Person, dict]]]]  # free-text questions and answers
    dropped: list[Person] = field(default_factory=list)
    candidates: list[Person] = field(default_factory=list)  # who a "what if" may add

    @property
    def gaps(self) -> list[Row]:
        """The score questions on which no one in the view scores above GAP_ABOVE."""
        return [r for b in self.blocks for r in b.rows if r.gap]

    @property
    def added(self) -> list[Person]:
        """The people the "what if" added."""
        return [p for p in self.people if p.added]


def _average(scores) -> float | None:
    found = [s for s in scores if s is not None]
    return round(fmean(found), 1) if found else None


def members(conn: Connection, body_id: int, on: date) -> list[int]:
    """User ids of the body's people on `on`: the board's governors in office
    (places.in_office), a committee's members that day (bodies.members)."""
    if bodies.get_body(conn, body_id)["kind"] == "board":
        return list(places.in_office(conn, body_id, on))
    return [m["id"] for m in bodies.members(conn, body_id, on)]


def build(conn: Connection, who: Identity, body_id: int | None = None,
          add: list[int] = (), drop: list[int] = ()) -> Report:
    """The report for `body_id` (default: the full board) today, with the people of
    `add` put in the view and those of `drop` left out (ids that are not active accounts
    are ignored). Reads only. NotPermitted unless `may_report`; NotFound for an unknown
    body."""
    if not may_report(conn, who):
        raise NotPermitted("Only Managers, the chair and people who edit board members see "
                           "skills reports.")
    today = dates.today()
    body_id = body_id or records.board_id(conn)
    body = dict(bodies.get_body(conn, body_id)) if body_id else None
    active = {r["id"]: r["name"] for r in conn.execute(
        "SELECT id, name FROM users WHERE role != 'inactive'")}
    base = [u for u in (members(conn, body_id, today) if body else []) if u in active]
    added = [u for u in dict.fromkeys(add[:MAX_WHAT_IF]) if u in active and u not in base]
    dropped = set(drop[:MAX_WHAT_IF])
    shown = [Person(u, active[u]) for u in base if u not in dropped]
    shown += [Person(u, active[u], added=True) for u in added if u not in dropped]
    shown.sort(key=lambda p: (text.sort_key(p.name), p.user_id))
    out = [Person(u, active[u]) for u in base if u in dropped]
    out.sort(key=lambda p: text.sort_key(p.name))
    in_view = {p.user_id for p in shown}
    candidates = sorted((Person(u, n) for u, n in active.items() if u not in in_view
                         and u not in base), key=lambda p: text.sort_key(p.name))
    given = answers.latest(conn)
    blocks, texts = [], []
    for category, qs in questions.grouped(questions.asked(conn)):
        rows = []
        for q in qs:
            if q["kind"] == "text":
                said = [(p, given[(p.user_id, q["id"])]) for p in shown
                        if answers.is_answered(given.get((p.user_id, q["id"])))]
                texts.append((dict(q), said))
                continue
            found = [given.get((p.user_id, q["id"])) for p in shown]
            scores = [a["score"] if a else None for a in found]
            rows.append(Row(dict(q), [answers.shown(a) for a in found], scores,
                            _average(scores),
                            not any(s is not None and s > GAP_ABOVE for s in scores)))
        if rows:
            by_person = [_average(r.scores[i] for r in rows) for i in range(len(shown))]
            blocks.append(Block(category, rows, by_person,
                                _average(s for r in rows for s in r.scores)))
    return Report(body, today, shown, blocks, texts, out, candidates)


def table(report: Report) -> list[list]:
    """The matrix as rows of cells (what the page's table shows, cell for cell): headings
    ("Question", each person, "Average", "Gap"); per category a row with its name, a row
    per question (scores as numbers, "N/A", "" for none; the average; "Gap" or ""), and a
    row "Average: <category>" with each person's average and the category's."""
    rows: list[list] = [["Question", *(p.name for p in report.people), "Average", "Gap"]]
    for block in report.blocks:
        rows.append([block.category["name"]])
        for r in block.rows:
            cells = [int(c) if c.isdigit() else c for c in r.cells]
            rows.append([r.question["wording"], *cells, r.average, "Gap" if r.gap else ""])
        rows.append([f"Average: {block.category['name']}", *block.person_averages,
                     block.average, ""])
    return rows


def text_table(report: Report) -> list[list]:
    """The free-text answers of the people in view: headings, then (question, person,
    answer, ISO date answered) per answer."""
    rows: list[list] = [["Question", "Person", "Answer", "Answered on"]]
    for q, said in report.texts:
        rows += [[q["wording"], p.name, a["answer_text"], a["answered_on"]] for p, a in said]
    return rows


def to_csv(report: Report) -> bytes:
    """The matrix, a blank row, then the free-text answers, as CSV: UTF-8 with a byte-order
    mark, every cell made safe (`spreadsheet_cell`)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, dialect="excel")
    for row in [*table(report), [], *text_table(report)]:
        writer.writerow([text.spreadsheet_cell(fmt(c)) for c in row])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(report: Report) -> bytes:
    """The report as an Excel workbook (openpyxl): sheet "Matrix" (`table`: scores and
    averages as numbers, averages shown to one decimal place) and sheet "Free text"
    (`text_table`); every text cell made safe (`spreadsheet_cell`) and stored as text,
    never as a formula."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Matrix"
    for sheet, rows in ((book.active, table(report)),
                        (book.create_sheet("Free text"), text_table(report))):
        for row in rows:
            sheet.append([text.spreadsheet_cell(c) for c in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, even a value starting with '='
                elif isinstance(cell.value, float):
                    cell.number_format = AVERAGE_FORMAT  # 3.0 shows as the page shows it
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

