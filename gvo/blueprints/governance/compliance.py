"""The compliance dashboard (`/<school>/governance/compliance`): each rule of
gvo.governance.compliance with its legal source, today's status in words, what to do and
where; the term-end and DBS warnings; the warning period (a Managers' setting)."""

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms.validators import NumberRange

from gvo.blueprints.governance.common import bp
from gvo.core import dates
from gvo.core.errors import InvalidInput
from gvo.governance import compliance
from gvo.web.access import current_identity, db, requires, requires_role
from gvo.web.forms import WholeNumberField

RANGE = (f"Give a number of days from {compliance.MIN_WARNING_DAYS} to "
         f"{compliance.MAX_WARNING_DAYS}.")


class WarningPeriodForm(FlaskForm):
    """How many days ahead terms ending and DBS checks due are warned of."""

    days = WholeNumberField(
        "Warn of terms ending and DBS checks due, days ahead",
        validators=[NumberRange(min=compliance.MIN_WARNING_DAYS,
                                max=compliance.MAX_WARNING_DAYS, message=RANGE)],
        description="Managers get these warnings here and in the weekly newsletter.")


def link_url(link: compliance.Link) -> str:
    """The address of a rule's link (its view and values)."""
    return url_for(link.endpoint, **link.values)


@bp.get("/governance/compliance")
@requires("manage_board")
def compliance_dashboard(form=None, status=200):
    """The dashboard: every rule's status today, and the warnings."""
    conn = db()
    today = dates.today()
    checked = compliance.check_all(conn, today)
    if form is None:
        form = WarningPeriodForm(data={"days": compliance.warning_days(conn)})
    rows = [{"rule": c.rule, "result": c.result, "url": link_url(c.rule.link)} for c in checked]
    return render_template(
        "governance/compliance.html", rows=rows, today=today,
        attention=compliance.needs_attention(checked),
        warnings=compliance.warnings(conn, today), period=compliance.warning_days(conn),
        form=form, labels=compliance.STATUS_LABELS,
        records_url=url_for("governance.governors")), status


@bp.post("/governance/compliance/warning-period")
@requires_role("manager")
def compliance_warning_period():
    """Set the warning period (Managers); audited by the service."""
    form = WarningPeriodForm()
    if form.validate_on_submit():
        try:
            compliance.set_warning_days(db(), current_identity(), form.days.data)
        except InvalidInput as exc:
            form.days.errors.append(str(exc))
        else:
            flash("Warning period saved.", "success")
            return redirect(url_for("governance.compliance_dashboard"))
    elif not form.days.errors:
        form.days.errors.append(RANGE)
    return compliance_dashboard(form=form, status=422)
