"""Skills reports for the board or a committee: the matrix page (with its "what if"), CSV
and XLSX. The query string (`body`, `add`, `drop`) chooses the view; nothing is written."""

from flask import render_template, request

from gvo.blueprints.skills.common import bp
from gvo.board import bodies
from gvo.core import numbers
from gvo.skills import reports
from gvo.web.access import current_identity, db, signed_in
from gvo.web.downloads import file_response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ids(name: str) -> tuple[list[int], bool]:
    """The user ids the query string gives as `name` (repeated), and whether any value was
    not an id (left out, and the page says so)."""
    values = request.args.getlist(name)[:reports.MAX_WHAT_IF]
    ids = [numbers.whole_number_or_none(v) for v in values]
    return [i for i in ids if i is not None], any(i is None for i in ids)


def _report() -> tuple[reports.Report, bool]:
    body = request.args.get("body")
    body_id = numbers.whole_number_or_none(body) if body else None
    add, bad_add = _ids("add")
    drop, bad_drop = _ids("drop")
    report = reports.build(db(), current_identity(), body_id, add, drop)
    return report, bad_add or bad_drop or (body is not None and body_id is None)


def _query(report: reports.Report) -> dict:
    """The query string of this view, for the downloads and the "what if" links."""
    return {"body": report.body["id"] if report.body else None,
            "add": [p.user_id for p in report.added],
            "drop": [p.user_id for p in report.dropped]}


@bp.get("/skills/report")
@signed_in
def report():
    """The skills matrix for the board (or ?body=<committee id>), with its averages, gaps and
    free-text answers; ?add=<id> and ?drop=<id> change who is in the view, never the data."""
    found, odd = _report()
    return render_template("skills/report.html", report=found, odd=odd, query=_query(found),
                           bodies=bodies.list_bodies(db()), fmt=reports.fmt)


def _name(found: reports.Report, ext: str) -> str:
    body = found.body["name"] if found.body else "board"
    return f"skills-{body}-{found.on.isoformat()}.{ext}"


@bp.get("/skills/report.csv")
@signed_in
def report_csv():
    """The report as CSV (matrix, then free-text answers)."""
    found, _ = _report()
    return file_response(reports.to_csv(found), _name(found, "csv"), "text/csv")


@bp.get("/skills/report.xlsx")
@signed_in
def report_xlsx():
    """The report as an Excel workbook (sheets "Matrix" and "Free text")."""
    found, _ = _report()
    return file_response(reports.to_xlsx(found), _name(found, "xlsx"), XLSX)
