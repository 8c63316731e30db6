"""Governor records' pages: the governors list, a record (read, edit, positions, checks), the
categories, the GIAS change log, CSV import and CSV / XLSX export.

Rules, SQL and audit live in gvo.governance (records, categories, gias, transfer); the
views read forms and show what the services say.
"""

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from gvo.blueprints.governance.common import bp
from gvo.core import dates
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.governance import categories, gias, records, transfer
from gvo.people import accounts
from gvo.web.access import current_identity, db, requires, requires_role
from gvo.web.downloads import file_response
from gvo.web.forms import ConfirmForm, DayField, LineField, choices, error_beside

TERM_CHOICES = choices([("1", "1 year"), ("2", "2 years"), ("3", "3 years"), ("4", "4 years")])


class RecordForm(FlaskForm):
    """A governor record's details."""

    category = SelectField("Category", choices=[])
    appointed_by = LineField("Appointed or elected by", validators=[Optional(), Length(max=120)],
                             description="For example: the governing board, parents, the "
                                         "local authority, the diocese.")
    appointed_on = DayField("Date appointed or elected", validators=[Optional()])
    term_years = SelectField("Term of office", choices=TERM_CHOICES, default="4",
                             description="Not applicable to an ex-officio place (the "
                                         "headteacher): no term is recorded for it.")
    dbs_checked_on = DayField("Enhanced DBS check date", validators=[Optional()])
    dbs_reference = LineField("DBS certificate reference", validators=[Optional(),
                                                                      Length(max=40)])
    s128_checked_on = DayField("Section 128 check date (academies)", validators=[Optional()])
    stepped_down_on = DayField("Date stepped down", validators=[Optional()])
    stepped_down_reason = LineField("Why they stepped down", validators=[Optional(),
                                                                        Length(max=200)])


class NewRecordForm(RecordForm):
    """A new record: whose."""

    user_id = SelectField("Person", coerce=int, choices=[])


class PositionForm(FlaskForm):
    """A position held, with its dates."""

    position = LineField("Position", validators=[DataRequired(), Length(max=60)],
                         description="Chair, Vice-chair, Clerk, or a link role such as "
                                     "Safeguarding or SEND.")
    starts_on = DayField("From", validators=[DataRequired()])
    ends_on = DayField("Until", validators=[Optional()],
                       description="Leave empty while they hold it.")


class EndPositionForm(FlaskForm):
    """Ending a position."""

    ends_on = DayField("Ended on", validators=[DataRequired()])


class CheckForm(FlaskForm):
    """One of the school's own checks met on a day (empty: not met)."""

    check_id = HiddenField()
    done_on = DayField("Done on", validators=[Optional()])


class CategoryForm(FlaskForm):
    """A category the school adds."""

    label = LineField("Name of the category", validators=[DataRequired(), Length(max=80)])
    votes = BooleanField("Votes and counts towards the quorum", default=True)
    ex_officio = BooleanField("Held ex officio (by virtue of an office: no term)")


class NewCheckForm(FlaskForm):
    """One of the school's own checks."""

    label = LineField("Check", validators=[DataRequired(), Length(max=120)],
                      description="For example: signed the code of conduct.")


class ReportedForm(FlaskForm):
    """The day a change was reported to GIAS."""

    reported_on = DayField("Reported on", validators=[DataRequired()])


class ImportForm(FlaskForm):
    """The CSV file to import."""

    file = FileField("CSV file", validators=[FileRequired()],
                     description="UTF-8 CSV with the headings of the export (E-mail, Name, "
                                 "Category, ...). Nothing is saved until you confirm.")


class ConfirmImportForm(FlaskForm):
    """The checked file, sent again to import it."""

    content = TextAreaField(validators=[DataRequired()])


def _fill_category(form) -> None:
    form.category.choices = choices(
        (k, v) for k, v in categories.labels(db()).items() if k)


def _input(form) -> records.RecordInput:
    return records.RecordInput(
        category=form.category.data, appointed_by=form.appointed_by.data or "",
        appointed_on=form.appointed_on.data, term_years=int(form.term_years.data),
        stepped_down_on=form.stepped_down_on.data,
        stepped_down_reason=form.stepped_down_reason.data or "",
        dbs_checked_on=form.dbs_checked_on.data, dbs_reference=form.dbs_reference.data or "",
        s128_checked_on=form.s128_checked_on.data)


# -- the list and one record -------------------------------------------------------------


@bp.get("/governors")
@requires_role("reader")
def governors():
    """The governors in office and those who stepped down; term end, DBS and positions for
    those who may edit records, names and categories for everyone else."""
    conn = db()
    full = records.may_edit(current_identity())
    mine = records.record_for(conn, current_identity().user_id)
    return render_template(
        "governance/governors.html", current=records.current(conn),
        former=records.former(conn), coming=records.not_yet(conn), full=full, mine=mine,
        held=records.positions_held(conn) if full else {}, today=dates.today().isoformat(),
        soon=(dates.today() + timedelta(days=60)).isoformat(), label=records.position_label,
        board=records.board_id(conn))


@bp.get("/governors/me")
@requires_role("reader")
def my_record():
    """The signed-in person's own record."""
    mine = records.record_for(db(), current_identity().user_id)
    if mine is None:
        flash("You have no governor record on this board.", "info")
        return redirect(url_for("governance.governors"))
    return redirect(url_for("governance.record", record_id=mine["id"]))


def _record_page(record_id: int, form=None, position_form=None, status=200):
    conn = db()
    row = records.get(conn, record_id)
    if not records.may_read_full(current_identity(), row):
        raise NotPermitted("Only the governor and those who edit board members see this record.")
    can_edit = records.may_edit(current_identity())
    if can_edit and form is None:
        form = RecordForm(data={**vars(records.input_of(row)),
                                "term_years": str(row["term_years"] or 4)})
        _fill_category(form)
    marks = records.check_marks(conn, record_id)
    return render_template(
        "governance/record.html", r=row, form=form, can_edit=can_edit,
        positions=records.positions_of(conn, record_id), label=records.position_label,
        terms=records.terms(conn, record_id),
        committees=records.committees_of(conn, row["user_id"]),
        checks=[(c, marks.get(c["id"])) for c in records.checks(conn)],
        position_form=position_form or PositionForm(), end_form=EndPositionForm(),
        check_form=CheckForm(), link_roles=records.LINK_ROLES), status


@bp.get("/governors/<int:record_id>")
@requires_role("reader")
def record(record_id: int):
    """One governor's record: in full for its governor and those who edit records."""
    return _record_page(record_id)


@bp.post("/governors/<int:record_id>")
@requires("manage_board")
def record_save(record_id: int):
    """Save a record's details."""
    row = records.get(db(), record_id)
    form = RecordForm()
    _fill_category(form)
    if form.validate_on_submit():
        try:
            records.save(db(), current_identity(), row["user_id"], _input(form),
                         body_id=row["body_id"])
        except InvalidInput as exc:
            error_beside(form, exc, "category")
        else:
            flash(f"{row['name']}'s record saved.", "success")
            return redirect(url_for("governance.record", record_id=record_id))
    return _record_page(record_id, form=form, status=422)


@bp.route("/governors/new", methods=["GET", "POST"])
@requires("manage_board")
def record_new():
    """A record for someone with an account who has none on the board yet."""
    conn = db()
    if records.board_id(conn) is None:
        flash("Set up the governing board first.", "error")
        return redirect(url_for("admin.board_list"))
    form = NewRecordForm()
    _fill_category(form)
    have = {r["user_id"] for r in records.everyone(conn)}
    form.user_id.choices = choices((u["id"], f"{u['name']} ({u['email']})")
                                   for u in accounts.list_users(conn)
                                   if u["id"] not in have and u["role"] != "inactive")
    if form.validate_on_submit():
        try:
            record_id = records.save(conn, current_identity(), form.user_id.data, _input(form))
        except (InvalidInput, NotFound) as exc:
            error_beside(form, exc if isinstance(exc, InvalidInput) else InvalidInput(str(exc)),
                         "user_id")
        else:
            flash("Record saved.", "success")
            return redirect(url_for("governance.record", record_id=record_id))
    return render_template("governance/record_new.html", form=form), 422 if form.errors else 200


@bp.post("/governors/<int:record_id>/positions")
@requires("manage_board")
def position_add(record_id: int):
    """Add a position with its dates."""
    form = PositionForm()
    if form.validate_on_submit():
        notes: list[str] = []
        try:
            records.add_position(db(), current_identity(), record_id, form.position.data,
                                 form.starts_on.data, form.ends_on.data, notes=notes)
        except InvalidInput as exc:
            error_beside(form, exc, "position")
        else:
            flash(" ".join(["Position saved.", *notes]), "success")
            return redirect(url_for("governance.record", record_id=record_id))
    return _record_page(record_id, position_form=form, status=422)


@bp.post("/governors/positions/<int:position_id>/end")
@requires("manage_board")
def position_end(position_id: int):
    """End a position on a day."""
    conn = db()
    record_id = records.position_record(conn, position_id)
    form = EndPositionForm()
    if form.validate_on_submit():
        try:
            records.end_position(conn, current_identity(), position_id, form.ends_on.data)
        except InvalidInput as exc:
            flash(str(exc), "error")
        else:
            flash("Position ended.", "success")
    else:
        flash("Give the day it ended (YYYY-MM-DD).", "error")
    return redirect(url_for("governance.record", record_id=record_id))


@bp.post("/governors/<int:record_id>/checks")
@requires("manage_board")
def check_mark(record_id: int):
    """Record the day one of the school's own checks was met (empty: not met)."""
    form = CheckForm()
    check_id = form.check_id.data or ""
    if form.validate_on_submit() and check_id.isdigit():
        try:
            records.mark_check(db(), current_identity(), record_id, int(check_id),
                               form.done_on.data)
        except NotFound:
            abort(404)
        flash("Check saved.", "success")
    else:
        flash("Give the day as YYYY-MM-DD, or leave it empty.", "error")
    return redirect(url_for("governance.record", record_id=record_id))


# -- categories and checks -----------------------------------------------------------------


@bp.route("/governors/categories", methods=["GET", "POST"])
@requires_role("manager")
def category_list():
    """The categories of governor the school uses, and its own checks; add either."""
    conn = db()
    form, check_form = CategoryForm(prefix="cat"), NewCheckForm(prefix="chk")
    if "cat-label" in request.form and form.validate_on_submit():
        try:
            categories.add(conn, current_identity(), label=form.label.data,
                           votes=form.votes.data, ex_officio=form.ex_officio.data)
        except InvalidInput as exc:
            error_beside(form, exc, "label")
        else:
            flash("Category added.", "success")
            return redirect(url_for("governance.category_list"))
    if "chk-label" in request.form and check_form.validate_on_submit():
        try:
            records.add_check(conn, current_identity(), check_form.label.data)
        except InvalidInput as exc:
            error_beside(check_form, exc, "label")
        else:
            flash("Check added.", "success")
            return redirect(url_for("governance.category_list"))
    failed = bool(form.errors or check_form.errors)
    return render_template("governance/categories.html", rows=categories.all_categories(conn),
                           checks=records.checks(conn), form=form, check_form=check_form
                           ), 422 if failed else 200


# -- GIAS ----------------------------------------------------------------------------------


@bp.get("/governors/gias")
@requires("manage_board")
def gias_log():
    """The changes to report to GIAS: date, 14-day countdown, reported on."""
    today = dates.today()
    rows = [(r, gias.days_left(r, today)) for r in gias.changes(db())]
    return render_template("governance/gias.html", rows=rows, kinds=gias.KINDS,
                           form=ReportedForm(data={"reported_on": today}),
                           confirm=ConfirmForm())


@bp.post("/governors/gias/<int:change_id>/reported")
@requires("manage_board")
def gias_reported(change_id: int):
    """Tick a change as reported to GIAS on a day."""
    form = ReportedForm()
    if form.validate_on_submit():
        try:
            gias.mark_reported(db(), current_identity(), change_id, form.reported_on.data)
        except InvalidInput as exc:
            flash(str(exc), "error")
        else:
            flash("Marked as reported.", "success")
    else:
        flash("Give the day it was reported (YYYY-MM-DD).", "error")
    return redirect(url_for("governance.gias_log"))


@bp.post("/governors/gias/<int:change_id>/unreported")
@requires("manage_board")
def gias_unreported(change_id: int):
    """Undo a tick."""
    if ConfirmForm().validate_on_submit():
        gias.unmark(db(), current_identity(), change_id)
        flash("The tick is undone.", "success")
    return redirect(url_for("governance.gias_log"))


# -- import and export ---------------------------------------------------------------------


@bp.get("/governors/export.csv", defaults={"kind": "csv"}, endpoint="export")
@bp.get("/governors/export.xlsx", defaults={"kind": "xlsx"}, endpoint="export_xlsx")
@requires("manage_board")
def export(kind: str):
    """Every governor record as CSV or Excel."""
    name = f"governors-{dates.today().isoformat()}.{kind}"
    if kind == "csv":
        return file_response(transfer.to_csv(db()), name, "text/csv")
    return file_response(transfer.to_xlsx(db()), name, "application/vnd.openxmlformats-"
                         "officedocument.spreadsheetml.sheet")


@bp.route("/governors/import", methods=["GET", "POST"])
@requires("manage_board")
def import_file():
    """Upload a CSV file: a preview with each row's errors; nothing is saved yet."""
    request.max_content_length = transfer.MAX_BYTES + 64 * 1024
    form = ImportForm()
    preview = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.stream.read(transfer.MAX_BYTES + 1)
        preview = transfer.parse(db(), current_identity(), data, upload.filename or "")
        confirm = ConfirmImportForm(data={"content": data.decode("utf-8-sig")}) \
            if preview.ok else None
        return render_template("governance/import.html", form=form, preview=preview,
                               confirm=confirm), 200 if preview.ok else 422
    return render_template("governance/import.html", form=form, preview=None, confirm=None), (
        422 if form.errors else 200)


@bp.post("/governors/import/confirm")
@requires("manage_board")
def import_confirm():
    """Import the file checked on the preview (checked again: nothing is written unless
    every row is good)."""
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        flash("Upload the file again.", "error")
        return redirect(url_for("governance.import_file"))
    # The textarea's CRLF came back as sent; csv reads either.
    preview = transfer.parse(db(), current_identity(), form.content.data.encode("utf-8"))
    if not preview.ok:
        return render_template("governance/import.html", form=ImportForm(), preview=preview,
                               confirm=None), 422
    try:
        count = transfer.apply(db(), current_identity(), preview)
    except InvalidInput as exc:  # the board changed since the preview: show it again
        preview = transfer.parse(db(), current_identity(), form.content.data.encode("utf-8"))
        if not preview.errors and all(not r.errors for r in preview.rows):
            preview.errors.append(str(exc))
        return render_template("governance/import.html", form=ImportForm(), preview=preview,
                               confirm=None), 422
    flash(f"{count} governor record{'s' if count != 1 else ''} imported.", "success")
    return redirect(url_for("governance.governors"))
