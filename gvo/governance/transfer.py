"""Governor records in and out as files: CSV import (checked row by row, nothing written
until confirmed) and CSV / XLSX export.

The file's columns are COLUMNS (headings as the export writes them; the import also takes
the keys, any case). Dates are ISO 'YYYY-MM-DD' (the import also reads 'DD/MM/YYYY', which
Excel writes when a clerk saves a British spreadsheet as CSV). "Term ends" is computed from
the date appointed and the term (gvo.governance.records.term_end): the import ignores it.
"Positions" is "Chair from 2024-09-01; Safeguarding from 2023-09-01 until 2024-08-31".

People are matched by e-mail address to their accounts. A row whose address has no account
creates one (role Author, no password: the clerk sends the set-up link from the People
page when they want the governor to sign in), but only when the person importing may
manage people; otherwise the row is refused with a message. A clerk importing last year's
spreadsheet expects every governor on it to appear, and an account is how a person exists
in GVO; nobody is e-mailed by an import.

Export neutralises spreadsheet formula injection (OWASP "CSV Injection"): a cell that
starts with = + - @, a tab or a carriage return is written with a leading apostrophe,
which the import removes again.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from gvo.core import addresses, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotPermitted
from gvo.core.identity import Identity
from gvo.governance import categories, records
from gvo.people import accounts
from gvo.storage.sqlcipher import Connection

MAX_BYTES = 1024 * 1024  # a board of 30 takes a few kilobytes
MAX_ROWS = 500
NEW_ACCOUNT_ROLE = "author"
# (key, heading): the file's columns, in order.
COLUMNS = (
    ("email", "E-mail"), ("name", "Name"), ("category", "Category"),
    ("appointed_by", "Appointed by"), ("appointed_on", "Date appointed"),
    ("term_years", "Term (years)"), ("term_ends_on", "Term ends"),
    ("stepped_down_on", "Date stepped down"), ("stepped_down_reason", "Reason stepped down"),
    ("dbs_checked_on", "DBS check date"), ("dbs_reference", "DBS certificate"),
    ("s128_checked_on", "Section 128 check date"), ("positions", "Positions"),
)
REQUIRED = ("email", "name", "category")
NOT_APPLICABLE = "not applicable"
_HEADINGS = {k: k for k, _ in COLUMNS} | {h.casefold(): k for k, h in COLUMNS}
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_POSITION = re.compile(r"(.+?) from (\S+)(?: until (\S+))?")


# -- export ------------------------------------------------------------------------------


def _positions_text(conn: Connection, record_id: int) -> str:
    parts = []
    for p in reversed(records.positions_of(conn, record_id)):
        label = records.position_label(p["position"])
        until = f" until {p['ends_on']}" if p["ends_on"] else ""
        parts.append(f"{label} from {p['starts_on']}{until}")
    return "; ".join(parts)


def rows(conn: Connection) -> list[list[str]]:
    """Every record of the board (in office or not) as the file's rows, headings first."""
    out = [[h for _, h in COLUMNS]]
    for r in records.everyone(conn):
        term = NOT_APPLICABLE if r["ex_officio"] else str(r["term_years"] or "")
        out.append([r["email"], r["name"], r["category_label"] or r["category"],
                    r["appointed_by"], r["appointed_on"] or "", term, r["term_ends_on"] or "",
                    r["stepped_down_on"] or "", r["stepped_down_reason"],
                    r["dbs_checked_on"] or "", r["dbs_reference"], r["s128_checked_on"] or "",
                    _positions_text(conn, r["id"])])
    return out


def to_csv(conn: Connection) -> bytes:
    """The records as CSV: UTF-8 with a byte order mark (Excel then reads accents right),
    CRLF line ends, quoted as Excel quotes, formula-safe cells."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, dialect="excel")
    for row in rows(conn):
        writer.writerow([text.spreadsheet_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(conn: Connection) -> bytes:
    """The records as an Excel workbook (openpyxl): every cell a string (never a formula),
    dates as ISO text so they read back unchanged."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Governors"
    for row in rows(conn):
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # text, even a value starting with '='
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- import ------------------------------------------------------------------------------


@dataclass
class Row:
    """One row of an imported file: its line in the file, what it says, and what is wrong
    with it (`errors`, empty for a good row)."""

    line: int
    email: str = ""
    name: str = ""
    data: records.RecordInput | None = None
    positions: list[tuple[str, date, date | None]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    user_id: int | None = None  # the account it matches, None: a new account
    record_id: int | None = None  # their record on the board, None: a new record
    unchanged: bool = False  # the record and positions are already exactly so
    notes: list[str] = field(default_factory=list)  # what else the row does

    @property
    def owner(self):
        """Who the row's positions belong to, for records.check_positions."""
        return self.record_id or ("line", self.line)


@dataclass
class Preview:
    """A checked file: its rows, and errors about the whole file (line 0)."""

    rows: list[Row]
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file and every row are good (then `apply` writes them)."""
        return not self.errors and all(not r.errors for r in self.rows) and bool(self.rows)


def _day(value: str, what: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    match = _DMY.fullmatch(value)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
        if not _ISO.fullmatch(value):  # fromisoformat also reads 20250101 and 2025-W01-1
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{what}: “{value}” is not a date (write YYYY-MM-DD or "
                           "DD/MM/YYYY).") from None


def _text_of(data: bytes) -> tuple[str | None, list[str]]:
    """The file's text (UTF-8, with or without a byte order mark), or the lines that are
    not UTF-8."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        bad = []
        for n, line in enumerate(data.split(b"\n"), start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                bad.append(f"Line {n} is not UTF-8 text.")
        return None, [*bad[:20], "Save the file as “CSV UTF-8 (comma delimited)” and try "
                      "again."]


def parse(conn: Connection, actor: Identity, data: bytes, filename: str = "") -> Preview:
    """Check an uploaded CSV file row by row, writing nothing: a Preview with each row's
    errors (line numbers as a spreadsheet shows them, the headings being line 1).

    The file must be a .csv of at most MAX_BYTES and MAX_ROWS rows, UTF-8 (a byte order
    mark is fine), with the headings of COLUMNS (E-mail, Name and Category required; any
    order; unknown headings refused). Excel's quoting and CRLF line ends are read.
    """
    if filename and not filename.lower().endswith(".csv"):
        return Preview([], ["Choose a .csv file (in Excel: Save As, “CSV UTF-8”)."])
    if len(data) > MAX_BYTES:
        return Preview([], [f"The file is larger than {MAX_BYTES // 1024} KB."])
    if b"\0" in data:
        return Preview([], ["This is not a CSV file (it holds binary data)."])
    content, errors = _text_of(data)
    if content is None:
        return Preview([], errors)
    try:
        table = list(csv.reader(io.StringIO(content, newline=""), dialect="excel"))
    except csv.Error as exc:
        return Preview([], [f"The file cannot be read as CSV: {exc}."])
    if not table:
        return Preview([], ["The file is empty."])
    keys = [_HEADINGS.get(" ".join(h.split()).casefold()) for h in table[0]]
    unknown = [h for h, k in zip(table[0], keys, strict=True) if k is None and h.strip()]
    missing = [dict(COLUMNS)[k] for k in REQUIRED if k not in keys]
    twice = [dict(COLUMNS)[k] for k in dict.fromkeys(keys) if k and keys.count(k) > 1]
    if twice:
        return Preview([], [f"The heading “{h}” appears twice: keep one column of it."
                            for h in twice])
    if unknown or missing:
        said = []
        if unknown:
            said.append("Unknown columns: " + ", ".join(f"“{h}”" for h in unknown) + ".")
            if any(";" in h for h in unknown):
                said.append("The file seems to be separated by semicolons, as Excel saves "
                            "CSV in some languages: save it as “CSV UTF-8 (comma "
                            "delimited)”, or change the list separator to a comma.")
        if missing:
            said.append("Missing columns: " + ", ".join(missing) + ".")
        return Preview([], [*said, "The first line must hold the headings: "
                            + ", ".join(h for _, h in COLUMNS) + "."])
    body = [(n, cells) for n, cells in enumerate(table[1:], start=2)
            if any(c.strip() for c in cells)]
    if not body:
        return Preview([], ["The file has no rows: only the headings."])
    if len(body) > MAX_ROWS:
        return Preview([], [f"The file has more than {MAX_ROWS} rows."])
    seen: dict[str, int] = {}
    out = []
    for line, cells in body:
        row = _row(conn, actor, line, keys, cells)
        folded = row.email.casefold()
        if folded and folded in seen:
            row.errors.append(f"{row.email} is also on line {seen[folded]}: one row per "
                              "governor.")
        seen.setdefault(folded, line)
        out.append(row)
    plan = _plan(conn, out)
    for row in out:
        row.errors += plan.errors.get(row.owner, [])
        row.notes += plan.notes.get(row.owner, [])
    return Preview(out)


def _plan(conn: Connection, rows: list[Row]) -> records.PositionPlan:
    """The positions of the file's good rows checked together against the board's other
    positions (records.plan_replacement: the rules the record page keeps)."""
    good = [r for r in rows if not r.errors]
    holders = {r.owner: records.Holder(r.name, _iso(r.data.appointed_on),
                                       _iso(r.data.stepped_down_on), r.data.category)
               for r in good}
    wanted = {r.owner: records.wanted_holdings(r.owner, r.name, r.positions) for r in good}
    body_id = records.board_id(conn)
    if body_id is None:
        return records.PositionPlan()
    return records.plan_replacement(conn, body_id, holders, wanted)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _row(conn: Connection, actor: Identity, line: int, keys: list, cells: list[str]) -> Row:
    """One line of the file checked: what it says and what is wrong with it."""
    if len(cells) > len(keys):
        return Row(line, errors=[f"{len(cells)} cells, but the file has {len(keys)} columns."])
    values = {k: text.from_spreadsheet_cell(text.one_line(c))
              for k, c in zip(keys, cells, strict=False) if k}
    row = Row(line, email=values.get("email", ""), name=values.get("name", ""))
    try:
        row.email = addresses.check(row.email)
    except InvalidInput as exc:
        row.errors.append(f"E-mail: {exc}")
    if not row.name or len(row.name) > 120:
        row.errors.append("Name: 1-120 characters are required.")
    category = categories.find(conn, values.get("category", ""))
    if not category:
        row.errors.append(f"Category: “{values.get('category', '')}” is not a category this "
                          "school uses.")
    dated = {}
    for key in ("appointed_on", "stepped_down_on", "dbs_checked_on", "s128_checked_on"):
        try:
            dated[key] = _day(values.get(key, ""), dict(COLUMNS)[key])
        except InvalidInput as exc:
            row.errors.append(str(exc))
    term = values.get("term_years", "").strip()
    years = None
    if term and term.casefold() in (NOT_APPLICABLE, "n/a"):
        if category and not categories.is_ex_officio(conn, category):
            row.errors.append(f"Term (years): “{term}” is only for a place held ex officio; "
                              "write 1, 2, 3 or 4 (empty: 4).")
    elif term:
        if term.isascii() and term.isdigit() and int(term) in records.TERM_YEARS:
            years = int(term)
        else:
            row.errors.append(f"Term (years): “{term}” is not 1, 2, 3 or 4.")
    for part in filter(None, (p.strip() for p in values.get("positions", "").split(";"))):
        match = _POSITION.fullmatch(part)
        try:
            if not match:
                raise InvalidInput(f"Positions: “{part}” is not “Position from YYYY-MM-DD” "
                                   "(with “until YYYY-MM-DD” for one that ended).")
            row.positions.append((match[1], _day(match[2], "Positions"),
                                  _day(match[3] or "", "Positions")))
            records.wanted_holdings(None, "", row.positions[-1:])  # the position's name
        except InvalidInput as exc:
            row.errors.append(str(exc))
    if row.errors:
        return row
    if not categories.is_ex_officio(conn, category) and years is None and not term:
        years = records.DEFAULT_TERM_YEARS
    row.data = records.RecordInput(
        category=category, appointed_by=values.get("appointed_by", ""), term_years=years,
        stepped_down_reason=values.get("stepped_down_reason", ""),
        dbs_reference=values.get("dbs_reference", ""), **dated)
    try:
        records.check_input(conn, row.data)
    except InvalidInput as exc:
        row.errors.append(str(exc))
    account = accounts.find_by_email(conn, row.email)
    if account is not None:
        row.user_id = account["id"]
        record = records.record_for(conn, row.user_id)
        if record is not None:
            row.record_id = record["id"]
            row.unchanged = _unchanged(conn, record, row)
    elif not actor.can("manage_users"):
        row.errors.append(f"No account has the address {row.email}: ask someone who manages "
                          "people to invite them first.")
    return row


def _unchanged(conn: Connection, record, row: Row) -> bool:
    """Whether importing `row` would change nothing on `record` (values and positions)."""
    values = records.check_input(conn, row.data)
    if any(record[k] != v for k, v in values.items()):
        return False
    held = sorted((p["position"], p["starts_on"], p["ends_on"])
                  for p in records.positions_of(conn, record["id"]))
    return held == sorted((h.position, h.starts_on, h.ends_on) for h in
                          records.wanted_holdings(record["id"], row.name, row.positions))


def apply(conn: Connection, actor: Identity, preview: Preview) -> int:
    """Write a checked file's rows, all or none: new accounts for unknown addresses, each
    record created or changed (records.save: audited, GIAS changes logged), positions in
    the file replacing those recorded. Returns the number of rows written.

    The positions of the whole file are checked again inside the write transaction
    (records.check_positions' rules), so nothing that changed since the preview slips
    through. Changes older than gias.IMPORT_DAYS are not logged for GIAS (history).

    Raises NotPermitted unless the actor may edit records, InvalidInput if the preview has
    errors (nothing is written)."""
    if not records.may_edit(actor):
        raise NotPermitted("Only a Manager or someone who may edit board members imports "
                           "governor records.")
    if not preview.ok:
        raise InvalidInput("The file has errors; nothing was imported.")
    with transaction(conn):
        plan = _plan(conn, preview.rows)
        if plan.errors:
            raise InvalidInput("The file has errors; nothing was imported. " + " ".join(
                m for ms in plan.errors.values() for m in ms))
        records.apply_trims(conn, actor, plan)
        for row in preview.rows:
            user_id = row.user_id or accounts.add_user(
                conn, actor, email=row.email, name=row.name, role=NEW_ACCOUNT_ROLE)
            record_id = records.save(conn, actor, user_id, row.data, imported=True)
            records.replace_positions(conn, actor, record_id, row.positions, plan=plan)
    return len(preview.rows)
