"""Policy reports: statutory (present, missing, overdue, due), reviews due in a date range,
and by owner; each as a page and as CSV."""

from datetime import timedelta

from flask import render_template, request

from gvo.blueprints.policies import forms as pf
from gvo.blueprints.policies.common import bp
from gvo.core import dates
from gvo.core.errors import InvalidInput
from gvo.policies import register, reports, statutory
from gvo.web.access import current_identity, db, signed_in
from gvo.web.downloads import file_response
from gvo.web.forms import error_beside


def _range():
    """The report's date range from the query string (default: the next 90 days), its
    form, and the rows; the form carries any error beside its field."""
    today = dates.today()
    form = pf.RangeForm(request.args if request.args else None,
                        data={"start": today, "end": today + timedelta(days=90)})
    rows = []
    if form.validate():
        try:
            rows = reports.due_between(db(), current_identity(), form.start.data, form.end.data)
        except InvalidInput as exc:
            error_beside(form, exc, "end")
    return form, rows


@bp.get("/policies/reports")
@signed_in
def report():
    """The reports page: statutory policies, reviews due in a range, by owner."""
    form, due = _range()
    rows, hidden = reports.statutory_rows(db(), current_identity(), dates.today())
    return render_template(
        "policies/reports.html", form=form, due=due, statutory_rows=rows, hidden=hidden,
        owners=reports.by_owner(db(), current_identity()), statuses=register.STATUSES,
        school_type=statutory.SCHOOL_TYPES[statutory.school_type(db())],
        source=statutory.source()), 422 if form.errors else 200


@bp.get("/policies/reports/statutory.csv")
@signed_in
def statutory_csv():
    """The statutory report as CSV."""
    rows, _ = reports.statutory_rows(db(), current_identity(), dates.today())
    return file_response(reports.statutory_csv(rows),
                         f"statutory-policies-{dates.today().isoformat()}.csv", "text/csv")


@bp.get("/policies/reports/due.csv")
@signed_in
def due_csv():
    """Reviews due in the range as CSV (a bad range: the page, with the error beside it)."""
    form, rows = _range()
    if form.errors:
        return report()
    return file_response(reports.policies_csv(rows),
                         f"policy-reviews-{form.start.data.isoformat()}-"
                         f"{form.end.data.isoformat()}.csv", "text/csv")


@bp.get("/policies/reports/owners.csv")
@signed_in
def owners_csv():
    """Every policy by owner as CSV."""
    rows = [p for _, group in reports.by_owner(db(), current_identity()) for p in group]
    return file_response(reports.policies_csv(rows), "policies-by-owner.csv", "text/csv")
