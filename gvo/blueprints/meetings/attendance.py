"""Attendance: members' replies, the attendance register the clerk takes and locks,
guests, and the attendance report (page, CSV, PDF)."""


from flask import abort, flash, g, render_template, request, url_for
from flask_login import current_user

from gvo.blueprints.meetings import forms as mf
from gvo.blueprints.meetings.common import (
    attempt,
    back,
    body_choices,
    bp,
    generated,
    get_meeting,
    slug,
    to_attendance_register,
)
from gvo.blueprints.meetings.meetings import show as meeting_page
from gvo.board import bodies
from gvo.core.errors import InvalidInput, NotFound
from gvo.meetings import attendance, meetings, pdf
from gvo.web.access import current_identity, db, requires, signed_in
from gvo.web.confirm import ask_first, confirmed
from gvo.web.downloads import file_response
from gvo.web.forms import ConfirmForm


@bp.post("/meetings/<int:meeting_id>/reply")
@signed_in
def reply(meeting_id: int):
    """A member says they will attend, or sends apologies. A refusal (apologies without a
    reason) shows the meeting page again with the error beside the field and the answer as
    chosen, never a different one."""
    get_meeting(meeting_id)
    form = mf.ReplyForm()
    if form.validate_on_submit():
        try:
            attendance.reply(db(), current_identity(), meeting_id, current_user.id,
                             form.reply.data, form.reason.data or "")
        except InvalidInput as exc:
            target = form.reason if str(exc) == attendance.REASON_NEEDED else form.reply
            target.errors = [*target.errors, str(exc)]
        else:
            flash("Thank you: your apologies are sent." if form.reply.data == "apologies"
                  else "Thank you: you are down as attending.", "success")
            return back(meeting_id, "#attendance")
    return meeting_page(meeting_id, reply_form=form), 422


@bp.route("/meetings/<int:meeting_id>/register", methods=["GET", "POST"])
@requires("manage_meetings")
def register(meeting_id: int):
    """The clerk takes the register, adds guests, and locks it."""
    meeting = get_meeting(meeting_id)
    conn = db()
    rows = attendance.attendance_register(conn, meeting_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        statuses = {}
        for row in rows:
            value = request.form.get(f"status-{row['user_id']}")
            if value is not None:  # '' is "not recorded"
                statuses[row["user_id"]] = value
        try:
            attendance.save_attendance_register(conn, current_identity(), meeting_id, statuses)
        except InvalidInput as exc:
            flash(str(exc), "error")
        else:
            flash("The register is saved.", "success")
            return to_attendance_register(meeting_id)
    return render_template(
        "meetings/register.html", meeting=meeting, rows=rows, form=form,
        statuses=attendance.STATUSES, not_recorded=attendance.NOT_RECORDED,
        guests=attendance.guests(conn, meeting_id),
        guest_form=mf.GuestForm(formdata=None), quorum=attendance.quorum(conn, meeting_id),
        confirm=ConfirmForm(), lock_form=mf.LockAttendanceRegisterForm(formdata=None),
        started=meetings.has_started(meeting))


@bp.post("/meetings/<int:meeting_id>/register/lock")
@requires("manage_meetings")
def lock_register(meeting_id: int):
    """Lock the register once the clerk has confirmed it: it cannot change afterwards."""
    get_meeting(meeting_id)
    if mf.LockAttendanceRegisterForm().validate_on_submit():
        attempt(attendance.lock_attendance_register, meeting_id, done="The register is locked.")
    else:
        flash("The register is not locked: tick the box to confirm it is complete and correct "
              "first.", "error")
    return to_attendance_register(meeting_id)


@bp.post("/meetings/<int:meeting_id>/register/guests")
@requires("manage_meetings")
def add_guest(meeting_id: int):
    """Add a guest or observer."""
    get_meeting(meeting_id)
    form = mf.GuestForm()
    if form.validate_on_submit():
        attempt(attendance.add_guest, meeting_id, form.name.data, form.kind.data,
                form.organisation.data or "", done=f"{form.name.data} is added.")
    else:
        flash("A guest needs a name.", "error")
    return to_attendance_register(meeting_id)


@bp.post("/meetings/<int:meeting_id>/register/guests/<int:guest_id>/delete")
@requires("manage_meetings")
def remove_guest(meeting_id: int, guest_id: int):
    """Take a guest off the record (asking first, on a page)."""
    get_meeting(meeting_id)
    guest = next((g_ for g_ in attendance.guests(db(), meeting_id) if g_["id"] == guest_id),
                 None)
    if guest is None:
        abort(404)
    if not confirmed():
        return ask_first(f"Remove {guest['name']} from the register?",
                         ["They are taken off this meeting's record of who attended."],
                         url_for("meetings.register", meeting_id=meeting_id),
                         yes="Yes, remove them")
    attempt(attendance.remove_guest, guest_id, done=f"{guest['name']} is removed.")
    return to_attendance_register(meeting_id)


def _report_args():
    form = mf.ReportForm(request.args)
    form.body_id.choices = body_choices()
    if not request.args:  # this school year by default
        form.start.data, form.end.data = attendance.school_year(meetings.local_now().date())
        if form.body_id.choices:
            form.body_id.data = form.body_id.choices[0].value
        return form, True
    return form, form.validate()


@bp.get("/meetings/attendance")
@signed_in
def attendance_report():
    """Attendance per member of a board or committee over a period."""
    form, ok = _report_args()
    rows, count, body = [], 0, None
    if ok and form.body_id.data:
        try:
            body = bodies.get_body(db(), form.body_id.data)
            rows, count = attendance.report(db(), body["id"], form.start.data, form.end.data)
        except (NotFound, InvalidInput) as exc:
            form.end.errors.append(str(exc))
    return render_template("meetings/attendance_report.html", form=form, rows=rows,
                           count=count, body=body)


def _report_data():
    form, ok = _report_args()
    if not ok or not form.body_id.data:
        abort(400)
    try:
        body = bodies.get_body(db(), form.body_id.data)
        rows, count = attendance.report(db(), body["id"], form.start.data, form.end.data)
    except (NotFound, InvalidInput):
        abort(400)
    return form, body, rows, count


@bp.get("/meetings/attendance.csv")
@signed_in
def attendance_csv():
    """The attendance report as CSV."""
    form, body, rows, _count = _report_data()
    name = f"attendance-{slug(body['name'])}-{form.start.data}-{form.end.data}.csv"
    return file_response(attendance.report_csv(rows), name, "text/csv")


@bp.get("/meetings/attendance.pdf")
@signed_in
def attendance_pdf():
    """The attendance report as PDF, fit for the school website."""
    form, body, rows, count = _report_data()
    data = pdf.attendance_pdf(g.school_name, body["name"], form.start.data.isoformat(),
                              form.end.data.isoformat(), rows, count, generated())
    return file_response(data, f"attendance-{slug(body['name'])}.pdf", "application/pdf")
