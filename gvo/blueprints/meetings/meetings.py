"""Meetings: the list and the month calendar, scheduling, editing and cancelling, and the
meeting page."""

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from gvo.blueprints.meetings import forms as mf
from gvo.blueprints.meetings.common import (
    agenda_context,
    back,
    body_choices,
    bp,
    confirmed_step,
    get_meeting,
)
from gvo.board import bodies
from gvo.core import dates, numbers
from gvo.core.errors import InvalidInput
from gvo.discussion import subjects
from gvo.meetings import attendance, meetings, minutes, notices, papers
from gvo.meetings.rules import is_member, manages
from gvo.web.access import current_identity, db, requires, signed_in
from gvo.web.confirm import ask_first, confirmed
from gvo.web.following import follow_context
from gvo.web.forms import error_beside
from gvo.web.htmx import is_htmx


@bp.get("/meetings")
@signed_in
def index():
    """Upcoming and past meetings, with a search and a filter by board or committee."""
    conn = db()
    body_id = numbers.whole_number_or_none(request.args.get("body"))
    query = request.args.get("q", "")[:100]
    viewer = current_identity()
    upcoming = meetings.list_meetings(conn, viewer, when="upcoming", body_id=body_id,
                                      query=query)
    past = meetings.list_meetings(conn, viewer, when="past", body_id=body_id, query=query)
    return render_template("meetings/index.html", upcoming=upcoming, past=past[:50],
                           bodies=bodies.list_bodies(conn), body_id=body_id, query=query,
                           can_manage=manages(viewer))


@bp.get("/meetings/calendar")
@signed_in
def month():
    """A month calendar; htmx swaps just the month when moving between months."""
    try:
        view = meetings.month(db(), numbers.whole_number_or_none(request.args.get("year")),
                              numbers.whole_number_or_none(request.args.get("month")))
    except InvalidInput:
        abort(404)
    template = "meetings/_month.html" if is_htmx() else "meetings/calendar.html"
    return render_template(template, view=view)


def _meeting_input(form) -> meetings.MeetingInput:
    return meetings.MeetingInput(
        body_id=form.body_id.data, title=form.title.data or "",
        starts_at=form.starts_at.data, ends_at=form.ends_at.data,
        location=form.location.data or "", online_link=form.online_link.data or "",
        description=form.description.data or "", starts_fold=form.starts_at.fold,
        ends_fold=form.ends_at.fold)


@bp.route("/meetings/new", methods=["GET", "POST"])
@requires("manage_meetings")
def new():
    """Schedule a meeting of the board or a committee."""
    form = mf.MeetingForm()
    form.body_id.choices = body_choices()
    if not form.body_id.choices:
        flash("Set up the governing board first (Board page).", "warning")
        return redirect(url_for("meetings.index"))
    if request.method == "GET":
        start = meetings.local_now().replace(hour=18, minute=0) + timedelta(days=14)
        form.starts_at.data, form.ends_at.data = start, start + timedelta(hours=2)
    if form.validate_on_submit():
        try:
            meeting_id = meetings.create(db(), current_identity(), _meeting_input(form))
            papers.ensure_folder(db(), current_identity(), meeting_id)
        except InvalidInput as exc:
            error_beside(form, exc, "title")
        else:
            flash("The meeting is scheduled. Now add its agenda.", "success")
            return redirect(url_for("meetings.show", meeting_id=meeting_id))
    return render_template("meetings/edit.html", form=form, meeting=None), (
        422 if form.errors else 200)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@requires("manage_meetings")
def edit(meeting_id: int):
    """Change a meeting's details, or cancel it."""
    meeting = get_meeting(meeting_id)
    form = _meeting_form(meeting)
    if form.validate_on_submit():
        try:
            meetings.update(db(), current_identity(), meeting_id, _meeting_input(form))
        except InvalidInput as exc:
            error_beside(form, exc, "title")
        else:
            flash("The meeting is saved.", "success")
            return back(meeting_id)
    return _edit_page(meeting, form, mf.CancelForm(formdata=None))


def _meeting_form(meeting, *, as_stored: bool = False):
    """The form of a meeting's details: as this request sent it, or (`as_stored`, or a GET)
    as stored."""
    sent = {} if not as_stored else {"formdata": None}
    form = mf.MeetingForm(**sent, data={
        "body_id": meeting["body_id"], "title": meeting["title"],
        "starts_at": meetings.read_stamp(meeting["starts_at"]),
        "ends_at": meetings.read_stamp(meeting["ends_at"]), "location": meeting["location"],
        "online_link": meeting["online_link"], "description": meeting["description"]})
    form.body_id.choices = body_choices()
    if as_stored or not form.is_submitted():  # October's repeated hour: the reading stored
        form.starts_at.zone = dates.zone_name(meeting["starts_at"], meeting["starts_fold"])
        form.ends_at.zone = dates.zone_name(meeting["ends_at"], meeting["ends_fold"])
    return form


def _edit_page(meeting, form, cancel_form):
    """The edit page (details and cancelling); 422 when either form carries errors."""
    status = 422 if form.errors or cancel_form.errors else 200
    return render_template("meetings/edit.html", form=form, meeting=meeting,
                           cancel_form=cancel_form), status


@bp.post("/meetings/<int:meeting_id>/cancel")
@requires("manage_meetings")
def cancel(meeting_id: int):
    """Cancel a meeting, with a reason; refused, the edit page again (422) with the reason as
    typed and the error beside it."""
    meeting = get_meeting(meeting_id)
    form = mf.CancelForm()
    if form.validate_on_submit():
        try:
            meetings.cancel(db(), current_identity(), meeting_id, form.reason.data)
        except InvalidInput as exc:
            form.reason.errors.append(str(exc))
        else:
            flash("The meeting is cancelled.", "success")
            return back(meeting_id)
    elif not form.reason.errors or not (form.reason.data or "").strip():
        form.reason.errors = ["Say why the meeting is cancelled."]
    return _edit_page(meeting, _meeting_form(meeting, as_stored=True), form)


@bp.post("/meetings/<int:meeting_id>/publish-papers")
@requires("manage_meetings")
def publish_papers(meeting_id: int):
    """Record that the papers went out, and tell the board's or committee's members (asking
    first, on a page: the mail cannot be called back)."""
    meeting = get_meeting(meeting_id)
    if not confirmed():
        return ask_first(f"Publish the papers of {meeting['title']}?",
                         ["Every member is told by e-mail that the papers are ready; the mail "
                          "cannot be called back."],
                         url_for("meetings.show", meeting_id=meeting_id),
                         yes="Yes, publish and tell them", no="No, not yet")
    return confirmed_step(meeting_id, notices.publish_papers,
                          "The papers are published: the members are told by e-mail.", back)


@bp.get("/meetings/<int:meeting_id>")
@signed_in
def show(meeting_id: int, reply_form=None, item_form=None, comment_form=None):
    """The meeting: details, agenda and papers, attendance, minutes; `reply_form` is a reply,
    `item_form` a new agenda item and `comment_form` a comment on the minutes that were
    refused, shown as sent with their errors."""
    meeting = get_meeting(meeting_id)
    conn, viewer = db(), current_identity()
    ctx = agenda_context(meeting)
    my_reply = attendance.replies(conn, meeting_id).get(current_user.id)
    member = is_member(conn, meeting["body_id"], current_user.id)
    reply_form = reply_form or mf.ReplyForm(data={
        "reply": my_reply["reply"] if my_reply else "attending",
        "reason": my_reply["reason"] if my_reply else ""})
    attendance_register = attendance.attendance_register(conn, meeting_id)
    confidential = not ctx["hidden_confidential"]
    # What only some people see is read and built only for them (the template's conditions).
    manager_parts = {
        "item_form": (item_form or mf.ItemForm(formdata=None)) if ctx["editable"] else None,
        "approve_form": mf.ApproveForm(),
    } if ctx["can_manage"] else {}
    discussed = meeting["minutes_status"] == "circulated" and confidential
    return render_template(
        "meetings/show.html", **ctx, **manager_parts,
        my_reply=my_reply, is_member=member, reply_form=reply_form,
        attendance_register=attendance_register,
        guests=attendance.guests(conn, meeting_id),
        quorum=attendance.quorum(conn, meeting_id),
        status_labels=attendance.STATUSES, not_recorded=attendance.NOT_RECORDED,
        minutes_label=minutes.STATUS_LABELS,
        approval=minutes.approval_record(conn, meeting),
        # Everyone who sees the meeting sees earlier draft minutes on its agenda, for approval.
        awaiting=meetings.previous_meetings_awaiting_approval(conn, meeting),
        sees_confidential=confidential,
        minutes_parts=(minutes.for_meeting(conn, meeting_id, viewer)
                       if meeting["minutes_status"] != "draft" else None),
        comments=minutes.comments(conn, meeting_id) if discussed else [],
        comment_form=(comment_form or mf.CommentForm(formdata=None)) if discussed else None,
        started=meetings.has_started(meeting),
        **(follow_context(conn, viewer, subjects.load(conn, viewer, "minutes", meeting_id))
           if discussed else {}),
    )
