"""Policy reports, as a page and as CSV: the statutory policies (present, missing, overdue,
due), reviews due in a date range, and reviews by owner.

Every report lists only policies the person may see (`register.listing`: a policy whose
text is in a room they may not open is left out, policy managers see every row), the
statutory report too: a statutory policy kept in such a room is counted, never named. CSV
files are UTF-8 with a byte-order mark (for spreadsheets) and every cell goes through
`text.spreadsheet_cell` (OWASP, CSV Injection), so a policy called "=HYPERLINK(...)"
is shown, never run.
"""

import csv
import io
from datetime import date

from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.core.text import spreadsheet_cell
from gvo.policies import register, statutory
from gvo.storage.sqlcipher import Connection

MAX_RANGE_DAYS = 3 * 366


def statutory_rows(conn: Connection, who: Identity, today: date) -> tuple[list[dict], int]:
    """Every statutory policy `who` may see with its state on `today` ("missing", "overdue",
    "due for review", "present"), by name: {name, state, next_review_on, policy_id}; and how
    many more are held whose text is in a room `who` may not open (left out, not named)."""
    found = statutory.status(conn, today)
    seen = {p["id"] for p in register.listing(conn, who)}
    overdue = {id(x) for x in found.overdue}
    due = {id(x) for x in found.due}
    rows = [line | {"state": "missing"} for line in found.missing]
    for line in found.present:
        state = ("overdue" if id(line) in overdue else "due for review" if id(line) in due
                 else "present")
        rows.append(line | {"state": state})
    shown = [r for r in rows if r["policy_id"] is None or r["policy_id"] in seen]
    return sorted(shown, key=lambda r: r["name"].casefold()), len(rows) - len(shown)


def due_between(conn: Connection, who: Identity, start: date, end: date) -> list[dict]:
    """Policies `who` may see whose next review falls from `start` to `end` (dates in the
    school's zone, both included), soonest first. InvalidInput (field "end") if the range
    runs backwards or spans more than three years."""
    if end < start:
        raise InvalidInput("The end of the range is before its start.", field="end")
    if (end - start).days > MAX_RANGE_DAYS:
        raise InvalidInput("Choose a range of at most three years.", field="end")
    rows = [p for p in register.listing(conn, who)
            if p["next_review_on"] and start.isoformat() <= p["next_review_on"] <= end.isoformat()]
    return sorted(rows, key=lambda p: (p["next_review_on"], p["name"].casefold()))


def owner_label(policy: dict) -> str:
    """Who owns a policy, in words: its board or committee and named people."""
    parts = [x for x in (policy.get("body_name"), policy.get("owner_names")) if x]
    return "; ".join(parts) or "No owner"


def by_owner(conn: Connection, who: Identity) -> list[tuple[str, list[dict]]]:
    """The policies `who` may see grouped by owner (`owner_label`), owners by name, each
    owner's policies by next review date (none last)."""
    groups: dict[str, list[dict]] = {}
    for policy in register.listing(conn, who):
        groups.setdefault(owner_label(policy), []).append(policy)
    return [(owner, sorted(rows, key=lambda p: (p["next_review_on"] or "9999", p["name"])))
            for owner, rows in sorted(groups.items(), key=lambda g: g[0].casefold())]


def to_csv(header: list[str], rows: list[list]) -> bytes:
    """Rows as CSV for a spreadsheet: UTF-8 with a byte-order mark, every cell made safe
    (`spreadsheet_cell`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_cell("" if cell is None else cell) for cell in row])
    return out.getvalue().encode("utf-8-sig")


def statutory_csv(rows: list[dict]) -> bytes:
    """`statutory_rows` as CSV: policy, state, next review (ISO date)."""
    return to_csv(["Policy", "State", "Next review"],
                  [[r["name"], r["state"], r["next_review_on"]] for r in rows])


def policies_csv(rows: list[dict]) -> bytes:
    """Register rows (`due_between`, `by_owner`) as CSV: policy, type, owner, status,
    approval, next review (ISO date), statutory."""
    return to_csv(
        ["Policy", "Type", "Owner", "Status", "Approved by", "Next review", "Statutory"],
        [[p["name"], p["type_name"], owner_label(p), register.STATUSES[p["status"]],
          register.LEVELS[p["approval_level"]], p["next_review_on"],
          "yes" if p["statutory"] else "no"] for p in rows])
