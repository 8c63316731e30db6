"""The register of interests' pages (gvo.governance.interests): "My interests" (add, change,
end, nil return, confirm), a governor's register, the whole register with each governor's
red/amber/green status, and a register's history. Who may change what is the service's
rule (`interests.may_edit`): these routes are open to every signed-in member and the
service refuses the rest (403)."""

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from gvo.blueprints.governance.common import bp
from gvo.core.errors import InvalidInput
from gvo.governance import interests
from gvo.web.access import current_identity, db, requires_role, signed_in
from gvo.web.forms import ConfirmForm, DayField, LineField, WholeNumberField, choices, error_beside

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


class InterestForm(FlaskForm):
    """One interest: its kind, the organisation, what it is, since when."""

    kind = SelectField("Kind of interest", choices=choices(interests.KINDS.items()),
                       validators=[DataRequired()])
    organisation = LineField("Organisation or person", validators=[
        Optional(), Length(max=interests.MAX_ORGANISATION)],
        description="The company, school, trust or body; for a relationship, the member "
                    "of staff.")
    nature = TextAreaField("The interest", validators=[
        DataRequired("Say what the interest is."), Length(max=interests.MAX_NATURE)],
        description="For example: director and shareholder; married to a teaching "
                    "assistant; governor since 2022.")
    starts_on = DayField("Since (if known)", validators=[Optional()])

    def data_in(self) -> interests.InterestInput:
        """What was typed, for the service."""
        return interests.InterestInput(self.kind.data, self.organisation.data or "",
                                       self.nature.data or "", self.starts_on.data)


class EndForm(FlaskForm):
    """When an interest ended."""

    ends_on = DayField("Ended on", validators=[Optional()],
                       description="Leave empty for today.")


class ReconfirmForm(FlaskForm):
    """The day each year's reconfirmation starts."""

    month = SelectField("Month", coerce=int, choices=choices(enumerate(MONTHS, start=1)))
    day = WholeNumberField("Day", validators=[
        DataRequired("Give the day of the month."),
        NumberRange(min=1, max=31, message="Give a day of the month (1-31).")])


def _person_page(user_id: int, *, add_form=None, end_forms=None, status: int = 200):
    """A governor's register: current interests, status and (for whoever may) the forms."""
    conn, me = db(), current_identity()
    person = interests.governor(conn, user_id, kept=interests.may_see_history(me, user_id))
    listed = interests.listed(conn, user_id)
    end_forms = end_forms or {}
    return render_template(
        "governance/interests_person.html", person=person, mine=me.user_id == user_id,
        listed=listed, status=interests.status(conn, user_id,
                                               appointed_on=person["appointed_on"]),
        editable=interests.may_edit(me, user_id),
        history=interests.may_see_history(me, user_id), returns=interests.RETURNS,
        add_form=add_form or InterestForm(formdata=None),
        end_forms={i["id"]: end_forms.get(i["id"]) or EndForm(formdata=None, prefix=f"e{i['id']}")
                   for i in listed},
        confirm=ConfirmForm()), status


@bp.get("/interests")
@signed_in
def mine():
    """My interests: my register, or where the register is for someone not a governor."""
    me = current_identity()
    if not interests.is_governor(db(), me.user_id):
        return render_template("governance/interests_not_governor.html")
    return _person_page(me.user_id)


@bp.get("/interests/people/<int:user_id>")
@signed_in
def person(user_id: int):
    """A governor's register of interests (every signed-in member reads it)."""
    return _person_page(user_id)


@bp.post("/interests/people/<int:user_id>/add")
@signed_in
def add(user_id: int):
    """Declare an interest (the governor, or a Manager on their behalf); refused, the page
    again (422) with what was typed and the reason beside its field. 403 before the form is
    read for whoever may not change this register."""
    interests.check_edit(db(), current_identity(), user_id)
    form = InterestForm()
    if form.validate_on_submit():
        try:
            interests.add(db(), current_identity(), user_id, form.data_in())
        except InvalidInput as exc:
            error_beside(form, exc, "nature")
        else:
            flash("The interest is added to the register.", "success")
            return _back(user_id)
    return _person_page(user_id, add_form=form, status=422)


@bp.route("/interests/<int:interest_id>/change", methods=["GET", "POST"])
@signed_in
def change(interest_id: int):
    """Change a current interest: the old entry is kept in the history."""
    conn = db()
    row = interests.get(conn, interest_id)
    interests.check_edit(conn, current_identity(), row["user_id"])
    form = InterestForm(data=_as_form(row)) if request.method == "GET" else InterestForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            interests.change(conn, current_identity(), interest_id, form.data_in())
        except InvalidInput as exc:
            error_beside(form, exc, "nature")
        else:
            flash("The interest is changed; the earlier entry is kept in the history.",
                  "success")
            return _back(row["user_id"])
    return render_template("governance/interest_change.html", form=form, row=row,
                           person=interests.governor(conn, row["user_id"])), (
        422 if form.errors else 200)


def _as_form(row) -> dict:
    from datetime import date

    return {k: row[k] for k in ("kind", "organisation", "nature")} | {
        "starts_on": date.fromisoformat(row["starts_on"]) if row["starts_on"] else None}


@bp.post("/interests/<int:interest_id>/end")
@signed_in
def end(interest_id: int):
    """Record that an interest has ended (kept in the history); refused, the page again
    (422) with the reason beside the date. 403 before the form is read for whoever may not
    change this register."""
    row = interests.get(db(), interest_id)
    interests.check_edit(db(), current_identity(), row["user_id"])
    form = EndForm(prefix=f"e{interest_id}")
    if form.validate_on_submit():
        try:
            interests.end(db(), current_identity(), interest_id, form.ends_on.data)
        except InvalidInput as exc:
            error_beside(form, exc, "ends_on")
        else:
            flash("The interest is recorded as ended.", "success")
            return _back(row["user_id"])
    return _person_page(row["user_id"], end_forms={interest_id: form}, status=422)


@bp.post("/interests/people/<int:user_id>/return")
@signed_in
def make_return(user_id: int):
    """Make this year's return: the interests listed are complete, or a nil return. 403
    before the form is read for whoever may not change this register."""
    interests.check_edit(db(), current_identity(), user_id)
    if ConfirmForm().validate_on_submit():
        try:
            interests.make_return(db(), current_identity(), user_id,
                                  request.form.get("kind", ""))
        except InvalidInput as exc:
            flash(str(exc), "error")
            return _person_page(user_id, status=422)
        flash("Your return is recorded." if current_identity().user_id == user_id
              else "The return is recorded.", "success")
    return _back(user_id)


def _back(user_id: int):
    if current_identity().user_id == user_id:
        return redirect(url_for("governance.mine"))
    return redirect(url_for("governance.person", user_id=user_id))


@bp.get("/interests/people/<int:user_id>/history")
@signed_in
def history(user_id: int):
    """Every entry of a governor's register, changed and ended ones too, and every return
    (Managers, those who edit board members, the governor)."""
    conn = db()
    person = interests.governor(conn, user_id, kept=True)
    return render_template("governance/interests_history.html", person=person,
                           kinds=interests.KINDS, return_labels=interests.RETURNS,
                           **interests.history(conn, current_identity(), user_id))


@bp.get("/interests/register")
@signed_in
def register(form=None, status: int = 200):
    """The register of interests: every governor's current interests and their
    reconfirmation status; Managers set the day each year's reconfirmation starts."""
    conn = db()
    month, day = interests.reconfirm_from(conn)
    return render_template(
        "governance/interests_register.html", rows=interests.register(conn),
        year_start=interests.year_start(conn), grace=interests.GRACE_DAYS,
        form=form or ReconfirmForm(formdata=None, data={"month": month, "day": day}),
        manager=current_identity().acts_as_manager), status


@bp.post("/interests/reconfirmation")
@requires_role("manager")
def reconfirmation():
    """Set the day each year's reconfirmation starts (Managers)."""
    form = ReconfirmForm()
    if form.validate_on_submit():
        try:
            interests.set_reconfirm_from(db(), current_identity(), form.month.data,
                                         form.day.data)
        except InvalidInput as exc:
            error_beside(form, exc, "day")
        else:
            flash("The reconfirmation date is saved.", "success")
            return redirect(url_for("governance.register"))
    return register(form, 422)
