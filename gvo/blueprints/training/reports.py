"""Training reports (Manage training): each governor's status on the mandatory list, and
every completion's status by person and by course; as a page, CSV and XLSX."""

from flask import render_template

from gvo.blueprints.training.common import bp
from gvo.core import dates
from gvo.training import courses, reports
from gvo.web.access import db, requires
from gvo.web.downloads import file_response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/training/reports")
@requires("manage_training")
def report():
    """The reports page: the mandatory list's statuses, by person and by course."""
    rows = reports.all_rows(db(), dates.today())
    return render_template("training/reports.html", mandatory=courses.mandatory(db()),
                           by_person=reports.by_person(rows), by_course=reports.by_course(rows))


@bp.get("/training/reports/training.csv")
@requires("manage_training")
def report_csv():
    """Every row of the report as CSV (by person)."""
    today = dates.today()
    return file_response(reports.to_csv(reports.all_rows(db(), today)),
                         f"training-{today.isoformat()}.csv", "text/csv")


@bp.get("/training/reports/training.xlsx")
@requires("manage_training")
def report_xlsx():
    """Every row of the report as an Excel workbook (by person)."""
    today = dates.today()
    return file_response(reports.to_xlsx(reports.all_rows(db(), today)),
                         f"training-{today.isoformat()}.xlsx", XLSX)
