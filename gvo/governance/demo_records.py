"""Riverside Primary's governor records for the demo: categories, appointing bodies, dates
(one term ending within 60 days, one DBS check missing), positions (chair, vice-chair, the
clerk, a safeguarding and a SEND link governor), one GIAS change not yet reported, and the
school's own check "Signed the code of conduct" (not yet by one governor). Dates
are counted from today, so the demo shows the same situation whenever it is built."""

from datetime import date, timedelta

from gvo.core import dates
from gvo.core.identity import Identity
from gvo.governance import gias, records


def _years_ago(today: date, years: int, days: int = 0) -> date:
    try:
        start = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        start = date(today.year - years, 3, 1)
    return start + timedelta(days=days)


def sample(conn, ids: dict) -> None:
    """Give the demo's governors their records (`ids`: e-mail -> user id)."""
    op, today = Identity.operator(), dates.today()
    rows = [
        # e-mail, category, appointed by, appointed on, term, DBS on, positions
        ("chair@riverside.example", "co-opted", "The governing board",
         _years_ago(today, 4, 40), 4, _years_ago(today, 4, 50), [("chair", 2)]),
        ("head@riverside.example", "headteacher", "Ex officio (headteacher)",
         _years_ago(today, 6), None, _years_ago(today, 6, 10), []),
        ("governor@riverside.example", "parent", "Elected by parents",
         _years_ago(today, 2, -30), 4, _years_ago(today, 2, -20),
         [("vice-chair", 1), ("safeguarding", 1)]),
        ("parent@riverside.example", "parent", "Elected by parents",
         _years_ago(today, 1, -60), 4, None, [("SEND", 0)]),
        ("staff@riverside.example", "staff", "Elected by staff",
         today - timedelta(days=5), 4, today - timedelta(days=3), []),
        ("clerk@riverside.example", "clerk", "The governing board",
         _years_ago(today, 3), None, _years_ago(today, 3, 12), [("clerk", 3)]),
    ]
    code = records.add_check(conn, op, "Signed the code of conduct")
    for email, category, by, appointed, term, dbs, positions in rows:
        record_id = records.save(conn, op, ids[email], records.RecordInput(
            category=category, appointed_by=by, appointed_on=appointed, term_years=term,
            dbs_checked_on=dbs, dbs_reference=f"00{ids[email]:010d}" if dbs else ""))
        # The board page made the chair and vice-chair today; their real dates replace that.
        records.replace_positions(conn, op, record_id, [
            (position, max(appointed, _years_ago(today, years)), None)
            for position, years in positions])
        if email != "parent@riverside.example":  # one governor has not signed it yet
            records.mark_check(conn, op, record_id, code, max(appointed, today - timedelta(
                days=200)))
    # Everything reported but the staff governor's appointment five days ago.
    for change in gias.changes(conn, open_only=True):
        if change["kind"] != "appointed" or change["happened_on"] < (
                today - timedelta(days=14)).isoformat():
            gias.mark_reported(conn, op, change["id"],
                               min(today, date.fromisoformat(change["happened_on"])
                                   + timedelta(days=7)))
