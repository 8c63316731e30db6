"""Meetings: list and calendar, meeting pages, agenda and papers, attendance, minutes,
board packs, attendance reports and calendar feeds. Thin: rules live in gvo.meetings."""

import csv
import io
from datetime import date, timedelta
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from gvo import csrf
from gvo.board import bodies
from gvo.core import clock, numbers
from gvo.core.errors import InvalidInput, NotFound
from gvo.library import blobs
from gvo.meetings import (
    agenda,
    attendance,
    calendar_feed,
    meetings,
    minutes,
    packs,
    papers,
    pdf,
)
from gvo.meetings import forms as mf
from gvo.meetings.rules import Viewer, is_member, manages, sees_confidential
from gvo.web.access import current_actor, db, public, requires, school_blueprint, signed_in
from gvo.web.downloads import file_response
from gvo.web.forms import ConfirmForm, choices
from gvo.web.uploads import file_parts, prepare_upload

bp = school_blueprint("meetings", __name__)


# -- helpers -----------------------------------------------------------------


def _viewer() -> Viewer:
    return Viewer.of(current_user)


def get_meeting(meeting_id: int):
    """Load a meeting or 404 (every signed-in member may see a meeting's open parts)."""
    try:
        return meetings.get(db(), meeting_id)
    except NotFound:
        abort(404)


def get_item(meeting, item_id: int):
    """Load an agenda item of this meeting the person may see, or 404."""
    try:
        item = agenda.get_item(db(), item_id, _viewer())
    except NotFound:
        abort(404)
    if item["meeting_id"] != meeting["id"]:
        abort(404)
    return item


def get_meeting_item(meeting_id: int, item_id: int):
    """Load a meeting and one of its agenda items the person may see, or 404."""
    meeting = get_meeting(meeting_id)
    return meeting, get_item(meeting, item_id)


def _item_row(meeting, load, row_id: int):
    """Load a row hanging off an agenda item of this meeting (a paper link, an action) with
    `load(conn, id)`, or 404 when there is none or its item is not one the person may see."""
    try:
        row = load(db(), row_id)
    except NotFound:
        abort(404)
    if row["meeting_id"] != meeting["id"]:
        abort(404)
    get_item(meeting, row["item_id"])
    return row


def _attempt(service, *args, done: str = "") -> bool:
    """Call a service as the current person; flash its refusal, or `done`. True if it worked."""
    try:
        service(db(), current_actor(), *args)
    except InvalidInput as exc:
        flash(str(exc), "error")
        return False
    if done:
        flash(done, "success")
    return True


def _confirmed_step(meeting_id: int, step, message: str, back):
    """On a confirmed POST, take `step` on the meeting (flashing `message`); then go `back`."""
    get_meeting(meeting_id)
    if ConfirmForm().validate_on_submit():
        _attempt(step, meeting_id, done=message)
    return back(meeting_id)


def _is_htmx() -> bool:
    # A history restore (back button; htmx keeps no history cache) needs the whole page.
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def _back(meeting_id: int, anchor: str = ""):
    return redirect(url_for("meetings.show", meeting_id=meeting_id) + anchor)


def _to_minutes(meeting_id: int, anchor: str = ""):
    return redirect(url_for("meetings.minutes_editor", meeting_id=meeting_id) + anchor)


def _to_register(meeting_id: int):
    return redirect(url_for("meetings.register", meeting_id=meeting_id))


def _sync_papers(meeting_id: int) -> None:
    # Who may open confidential papers follows the agenda, the body and the register.
    papers.sync_confidential_access(db(), current_actor(), _viewer(), meeting_id)


def _generated() -> str:
    return clock.utcnow().strftime("%Y-%m-%d %H:%M UTC")


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(p for p in keep.split("-") if p)[:60] or "meeting"


def _dated_slug(meeting) -> str:
    """A meeting in a download's name: its date and title ("2026-03-01-cyfarfod-ŵyl-dewi")."""
    return f"{meeting['starts_at'][:10]}-{_slug(meeting['title'])}"


def _body_choices():
    return choices((b["id"], b["name"]) for b in bodies.list_bodies(db()))


# -- list, calendar ------------------------------------------------------------


@bp.get("/meetings")
@signed_in
def index():
    """Upcoming and past meetings, with a search and a filter by board or committee."""
    conn = db()
    body_id = numbers.whole_number_or_none(request.args.get("body"))
    query = request.args.get("q", "")[:100]
    viewer = _viewer()
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
    template = "meetings/_month.html" if _is_htmx() else "meetings/calendar.html"
    return render_template(template, view=view)


# -- create, edit, cancel ------------------------------------------------------


def _meeting_input(form) -> meetings.MeetingInput:
    return meetings.MeetingInput(
        body_id=form.body_id.data, title=form.title.data or "",
        starts_at=form.starts_at.data, ends_at=form.ends_at.data,
        location=form.location.data or "", online_link=form.online_link.data or "",
        description=form.description.data or "")


@bp.route("/meetings/new", methods=["GET", "POST"])
@requires("manage_meetings")
def new():
    """Schedule a meeting of the board or a committee."""
    form = mf.MeetingForm()
    form.body_id.choices = _body_choices()
    if not form.body_id.choices:
        flash("Set up the governing board first (Board page).", "warning")
        return redirect(url_for("meetings.index"))
    if request.method == "GET":
        start = meetings.local_now().replace(hour=18, minute=0) + timedelta(days=14)
        form.starts_at.data, form.ends_at.data = start, start + timedelta(hours=2)
    if form.validate_on_submit():
        try:
            meeting_id = meetings.create(db(), current_actor(), _meeting_input(form))
            papers.ensure_folder(db(), current_actor(), _viewer(), meeting_id)
        except InvalidInput as exc:
            form.title.errors.append(str(exc))
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
    form = mf.MeetingForm(data={
        "body_id": meeting["body_id"], "title": meeting["title"],
        "starts_at": meetings.parse_stamp(meeting["starts_at"]),
        "ends_at": meetings.parse_stamp(meeting["ends_at"]), "location": meeting["location"],
        "online_link": meeting["online_link"], "description": meeting["description"]})
    form.body_id.choices = _body_choices()
    if form.validate_on_submit():
        try:
            meetings.update(db(), current_actor(), meeting_id, _meeting_input(form))
            _sync_papers(meeting_id)
        except InvalidInput as exc:
            form.title.errors.append(str(exc))
        else:
            flash("The meeting is saved.", "success")
            return _back(meeting_id)
    return render_template("meetings/edit.html", form=form, meeting=meeting,
                           cancel_form=mf.CancelForm()), 422 if form.errors else 200


@bp.post("/meetings/<int:meeting_id>/cancel")
@requires("manage_meetings")
def cancel(meeting_id: int):
    """Cancel a meeting, with a reason."""
    get_meeting(meeting_id)
    form = mf.CancelForm()
    if form.validate_on_submit():
        _attempt(meetings.cancel, meeting_id, form.reason.data,
                 done="The meeting is cancelled.")
    else:
        flash("Say why the meeting is cancelled.", "error")
    return _back(meeting_id)


# -- the meeting page ----------------------------------------------------------


def _agenda_context(meeting) -> dict:
    conn, viewer = db(), _viewer()
    items = agenda.items(conn, meeting["id"], viewer)
    for item in items:
        item["papers"] = papers.for_item(conn, viewer, item["id"])
    return {"meeting": meeting, "items": items, "can_manage": manages(viewer),
            "editable": meeting["status"] == "scheduled"
            and meeting["minutes_status"] in minutes.EDITABLE,
            "confirm": ConfirmForm(), "move_form": mf.MoveForm(),
            "upload_form": mf.UploadPaperForm(formdata=None), "link_form": _link_form(),
            "hidden_confidential": not sees_confidential(conn, viewer, meeting["body_id"])}


@bp.get("/meetings/<int:meeting_id>")
@signed_in
def show(meeting_id: int):
    """The meeting: details, agenda and papers, attendance, minutes."""
    meeting = get_meeting(meeting_id)
    conn, viewer = db(), _viewer()
    ctx = _agenda_context(meeting)
    my_reply = attendance.replies(conn, meeting_id).get(current_user.id)
    member = is_member(conn, meeting["body_id"], current_user.id)
    reply_form = mf.ReplyForm(data={"reply": my_reply["reply"] if my_reply else "attending",
                                    "reason": my_reply["reason"] if my_reply else ""})
    register = attendance.register(conn, meeting_id)
    return render_template(
        "meetings/show.html", **ctx, item_form=mf.ItemForm(formdata=None),
        my_reply=my_reply, is_member=member, reply_form=reply_form, register=register,
        guests=attendance.guests(conn, meeting_id),
        quorum=attendance.quorum(conn, meeting_id),
        status_labels=attendance.STATUSES, minutes_label=minutes.STATUS_LABELS,
        awaiting=meetings.previous_meetings_awaiting_approval(conn, meeting),
        approval=minutes.approval_record(conn, meeting), approve_form=mf.ApproveForm(),
        sees_confidential=sees_confidential(conn, viewer, meeting["body_id"]),
        minutes_parts=(minutes.for_meeting(conn, meeting_id, viewer)
                       if meeting["minutes_status"] != "draft" else None),
        comments=minutes.comments(conn, meeting_id), comment_form=mf.CommentForm(formdata=None),
        started=meetings.has_started(meeting),
    )


def _link_form():
    form = mf.LinkPaperForm(formdata=None)
    form.ref.choices = choices(papers.linkable(db(), _viewer()))
    return form


# -- agenda --------------------------------------------------------------------


def _item_input(form) -> agenda.ItemInput:
    return agenda.ItemInput(title=form.title.data or "", purpose=form.purpose.data,
                            presenter=form.presenter.data or "", minutes=form.minutes.data or 0,
                            confidential=bool(form.confidential.data))


@bp.post("/meetings/<int:meeting_id>/agenda")
@requires("manage_meetings")
def add_item(meeting_id: int):
    """Add an item at the end of the agenda."""
    get_meeting(meeting_id)
    form = mf.ItemForm()
    if form.validate_on_submit():
        try:
            agenda.add_item(db(), current_actor(), meeting_id, _item_input(form))
            _sync_papers(meeting_id)
        except InvalidInput as exc:
            flash(str(exc), "error")
        else:
            flash(f"Added “{form.title.data}” to the agenda.", "success")
    else:
        flash("An agenda item needs a title; minutes are a whole number.", "error")
    return _back(meeting_id, "#agenda")


@bp.route("/meetings/<int:meeting_id>/agenda/<int:item_id>", methods=["GET", "POST"])
@requires("manage_meetings")
def edit_item(meeting_id: int, item_id: int):
    """Change an agenda item."""
    meeting, item = get_meeting_item(meeting_id, item_id)
    form = mf.ItemForm(data=dict(item) | {"confidential": bool(item["confidential"])})
    if form.validate_on_submit():
        try:
            agenda.update_item(db(), current_actor(), item_id, _item_input(form))
            _sync_papers(meeting_id)
        except InvalidInput as exc:
            form.title.errors.append(str(exc))
        else:
            flash("The agenda item is saved.", "success")
            return _back(meeting_id, "#agenda")
    return render_template("meetings/item_edit.html", meeting=meeting, item=item, form=form,
                           confirm=ConfirmForm()), 422 if form.errors else 200


@bp.post("/meetings/<int:meeting_id>/agenda/<int:item_id>/delete")
@requires("manage_meetings")
def delete_item(meeting_id: int, item_id: int):
    """Remove an agenda item."""
    get_meeting_item(meeting_id, item_id)
    if ConfirmForm().validate_on_submit():
        _attempt(agenda.delete_item, item_id,
                 done="The item is removed from the agenda.")
    return _back(meeting_id, "#agenda")


@bp.post("/meetings/<int:meeting_id>/agenda/<int:item_id>/move")
@requires("manage_meetings")
def move_item(meeting_id: int, item_id: int):
    """Move an item up or down; htmx gets the agenda back, others the page."""
    get_meeting_item(meeting_id, item_id)
    form = mf.MoveForm()
    if form.validate_on_submit():
        _attempt(agenda.move_item, item_id, form.direction.data)
    if _is_htmx():
        return render_template("meetings/_agenda.html", **_agenda_context(get_meeting(meeting_id)))
    return _back(meeting_id, "#agenda")


# -- papers --------------------------------------------------------------------


@bp.post("/meetings/<int:meeting_id>/agenda/<int:item_id>/upload")
@requires("manage_meetings")
@csrf.exempt
def upload_paper(meeting_id: int, item_id: int):
    """Upload papers into the meeting's folder and attach them to the item (streamed)."""
    get_meeting_item(meeting_id, item_id)
    limit = prepare_upload()
    fields: dict = {}
    try:
        ids = papers.upload(db(), current_actor(), _viewer(), item_id, file_parts(fields),
                            limit=limit, fields=fields)
    except (InvalidInput, blobs.TooLarge) as exc:
        flash(str(exc), "error")
        # The meeting page again, the paper's title as it was typed (a file input cannot be
        # filled in again by the server; the message names the file to choose).
        g.kept_upload = {"item_id": item_id, "title": fields.get("title", "")}
        return show(meeting_id), 422
    flash(f"Uploaded and attached {len(ids)} paper{'s' if len(ids) != 1 else ''}.", "success")
    return _back(meeting_id, f"#item-{item_id}")


@bp.post("/meetings/<int:meeting_id>/agenda/<int:item_id>/link")
@requires("manage_meetings")
def link_paper(meeting_id: int, item_id: int):
    """Attach an existing library document, page or policy to the item."""
    get_meeting_item(meeting_id, item_id)
    form = _link_form()
    form.process(request.form)
    if form.validate_on_submit():
        kind, _, ref = form.ref.data.partition(":")
        try:
            ref_id = numbers.whole_number_or_none(ref)
            if ref_id is None:
                raise InvalidInput("Choose a document, page or policy.")
            papers.link(db(), current_actor(), _viewer(), item_id, kind, ref_id)
        except InvalidInput as exc:
            flash(str(exc), "error")
        else:
            flash("The paper is attached.", "success")
    else:
        flash("Choose a document, page or policy.", "error")
    return _back(meeting_id, f"#item-{item_id}")


@bp.post("/meetings/<int:meeting_id>/papers/<int:paper_id>/detach")
@requires("manage_meetings")
def detach_paper(meeting_id: int, paper_id: int):
    """Take a paper off its item (it stays in the library)."""
    link = _item_row(get_meeting(meeting_id), agenda.get_paper, paper_id)
    if ConfirmForm().validate_on_submit():
        _attempt(agenda.detach, paper_id,
                 done="The paper is taken off the agenda (it stays in the library).")
    return _back(meeting_id, f"#item-{link['item_id']}")


# -- attendance ----------------------------------------------------------------


@bp.post("/meetings/<int:meeting_id>/reply")
@signed_in
def reply(meeting_id: int):
    """A member says they will attend, or sends apologies."""
    get_meeting(meeting_id)
    form = mf.ReplyForm()
    if form.validate_on_submit():
        _attempt(attendance.reply, meeting_id, current_user.id, form.reply.data,
                 form.reason.data or "",
                 done="Thank you: your apologies are sent." if form.reply.data == "apologies"
                 else "Thank you: you are down as attending.")
    return _back(meeting_id, "#attendance")


@bp.route("/meetings/<int:meeting_id>/register", methods=["GET", "POST"])
@requires("manage_meetings")
def register(meeting_id: int):
    """The clerk takes the register, adds guests, and locks it."""
    meeting = get_meeting(meeting_id)
    conn = db()
    rows = attendance.register(conn, meeting_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        statuses = {}
        for row in rows:
            value = request.form.get(f"status-{row['user_id']}")
            if value:
                statuses[row["user_id"]] = value
        try:
            attendance.save_register(conn, current_actor(), meeting_id, statuses)
            _sync_papers(meeting_id)
        except InvalidInput as exc:
            flash(str(exc), "error")
        else:
            flash("The register is saved.", "success")
            return _to_register(meeting_id)
    return render_template(
        "meetings/register.html", meeting=meeting, rows=rows, form=form,
        statuses=attendance.STATUSES, guests=attendance.guests(conn, meeting_id),
        guest_form=mf.GuestForm(formdata=None), quorum=attendance.quorum(conn, meeting_id),
        confirm=ConfirmForm(), lock_form=mf.LockRegisterForm(formdata=None),
        started=meetings.has_started(meeting))


@bp.post("/meetings/<int:meeting_id>/register/lock")
@requires("manage_meetings")
def lock_register(meeting_id: int):
    """Lock the register once the clerk has confirmed it: it cannot change afterwards."""
    get_meeting(meeting_id)
    if mf.LockRegisterForm().validate_on_submit():
        _attempt(attendance.lock_register, meeting_id, done="The register is locked.")
    else:
        flash("The register is not locked: tick the box to confirm it is complete and correct "
              "first.", "error")
    return _to_register(meeting_id)


@bp.post("/meetings/<int:meeting_id>/register/guests")
@requires("manage_meetings")
def add_guest(meeting_id: int):
    """Add a guest or observer."""
    get_meeting(meeting_id)
    form = mf.GuestForm()
    if form.validate_on_submit():
        _attempt(attendance.add_guest, meeting_id, form.name.data, form.kind.data,
                 form.organisation.data or "", done=f"{form.name.data} is added.")
    else:
        flash("A guest needs a name.", "error")
    return _to_register(meeting_id)


@bp.post("/meetings/<int:meeting_id>/register/guests/<int:guest_id>/delete")
@requires("manage_meetings")
def remove_guest(meeting_id: int, guest_id: int):
    """Take a guest off the record."""
    get_meeting(meeting_id)
    if not any(g_["id"] == guest_id for g_ in attendance.guests(db(), meeting_id)):
        abort(404)
    if ConfirmForm().validate_on_submit():
        _attempt(attendance.remove_guest, guest_id)
    return _to_register(meeting_id)


def _report_args():
    form = mf.ReportForm(request.args)
    form.body_id.choices = _body_choices()
    today = meetings.local_now().date()
    # The school year (1 September to 31 August) by default.
    year = today.year if today.month >= 9 else today.year - 1
    if not request.args:
        form.start.data, form.end.data = date(year, 9, 1), date(year + 1, 8, 31)
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
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Name", "Attended", "Eligible", "Percentage"])
    for r in rows:
        # A leading =, +, - or @ would be a formula in a spreadsheet: neutralise it.
        name = "'" + r.name if r.name[:1] in "=+-@" else r.name
        writer.writerow([name, r.attended, r.eligible,
                         "" if r.percent is None else r.percent])
    data = out.getvalue().encode("utf-8-sig")
    return file_response(data, f"attendance-{_slug(body['name'])}-{form.start.data}-"
                         f"{form.end.data}.csv", "text/csv")


@bp.get("/meetings/attendance.pdf")
@signed_in
def attendance_pdf():
    """The attendance report as PDF, fit for the school website."""
    form, body, rows, count = _report_data()
    data = pdf.attendance_pdf(g.school_name, body["name"], form.start.data.isoformat(),
                              form.end.data.isoformat(), rows, count, _generated())
    return file_response(data, f"attendance-{_slug(body['name'])}.pdf", "application/pdf")


# -- minutes -------------------------------------------------------------------


@bp.get("/meetings/<int:meeting_id>/minutes")
@requires("manage_meetings")
def minutes_editor(meeting_id: int):
    """Write the minutes item by item; circulate, lock."""
    meeting = get_meeting(meeting_id)
    conn = db()
    parts = minutes.for_meeting(conn, meeting_id, _viewer())
    owners = _owner_choices()
    forms = {}
    for item in parts["part1"] + parts["part2"]:
        forms[item["id"]] = (
            mf.MinuteItemForm(formdata=None, prefix=f"i{item['id']}", data=item),
            _action_form(owners, item["id"]))
    return render_template(
        "meetings/minutes.html", meeting=meeting, parts=parts, forms=forms,
        editable=meeting["minutes_status"] in minutes.EDITABLE, confirm=ConfirmForm(),
        labels=minutes.STATUS_LABELS, quorum=attendance.quorum(conn, meeting_id),
        comments=minutes.comments(conn, meeting_id))


def _owner_choices():
    return choices([(0, "—")] + [(u["id"], u["name"]) for u in minutes.owners(db())])


def _action_form(owners, item_id):
    form = mf.ActionForm(formdata=None, prefix=f"a{item_id}")
    form.owner_id.choices = owners
    return form


@bp.post("/meetings/<int:meeting_id>/minutes/<int:item_id>")
@requires("manage_meetings")
def save_minutes_item(meeting_id: int, item_id: int):
    """Save the minutes of one item."""
    get_meeting_item(meeting_id, item_id)
    form = mf.MinuteItemForm(prefix=f"i{item_id}")
    if form.validate_on_submit():
        _attempt(minutes.save_item, item_id, form.discussion.data or "",
                 form.decisions.data or "", done="Saved.")
    else:
        flash("Those minutes are too long.", "error")
    return _to_minutes(meeting_id, f"#minutes-{item_id}")


@bp.post("/meetings/<int:meeting_id>/minutes/<int:item_id>/actions")
@requires("manage_meetings")
def add_action(meeting_id: int, item_id: int):
    """Add an action with an owner and a due date."""
    get_meeting_item(meeting_id, item_id)
    form = _action_form(_owner_choices(), item_id)
    form.process(request.form)
    if form.validate_on_submit():
        _attempt(minutes.add_action, item_id, form.text.data, form.owner_id.data or None,
                 form.due_on.data, done="The action is recorded.")
    else:
        flash("An action needs a description, and the due date must be a date.", "error")
    return _to_minutes(meeting_id, f"#minutes-{item_id}")


@bp.post("/meetings/<int:meeting_id>/minutes/actions/<int:action_id>/delete")
@requires("manage_meetings")
def delete_action(meeting_id: int, action_id: int):
    """Remove an action."""
    _item_row(get_meeting(meeting_id), minutes.get_action, action_id)
    if ConfirmForm().validate_on_submit():
        _attempt(minutes.delete_action, action_id)
    return _to_minutes(meeting_id)


@bp.post("/meetings/<int:meeting_id>/minutes/circulate")
@requires("manage_meetings")
def circulate_minutes(meeting_id: int):
    """Send the draft minutes round for comment."""
    return _confirmed_step(meeting_id, minutes.circulate,
                           "The minutes are circulated for comment.", _to_minutes)


@bp.post("/meetings/<int:meeting_id>/minutes/lock")
@requires("manage_meetings")
def lock_minutes(meeting_id: int):
    """Lock approved minutes."""
    return _confirmed_step(meeting_id, minutes.lock, "The minutes are locked.", _to_minutes)


@bp.post("/meetings/<int:meeting_id>/approve-minutes")
@requires("manage_meetings")
def approve_minutes(meeting_id: int):
    """At this meeting, record the approval of an earlier meeting's minutes."""
    get_meeting(meeting_id)
    form = mf.ApproveForm()
    if form.validate_on_submit():
        earlier = numbers.whole_number_or_none(form.meeting_id.data)
        try:
            if earlier is None:
                raise InvalidInput("Choose the meeting whose minutes are approved.")
            get_meeting(earlier)
            minutes.approve(db(), current_actor(), earlier, meeting_id, g.school_name)
        except InvalidInput as exc:
            flash(str(exc), "error")
        else:
            flash("The minutes are recorded as approved at this meeting.", "success")
    return _back(meeting_id, "#minutes")


@bp.post("/meetings/<int:meeting_id>/minutes/comments")
@signed_in
def comment_minutes(meeting_id: int):
    """Comment on circulated minutes (members of the body, Editors, Managers)."""
    meeting = get_meeting(meeting_id)
    if not sees_confidential(db(), _viewer(), meeting["body_id"]):
        abort(403)
    form = mf.CommentForm()
    if form.validate_on_submit():
        _attempt(minutes.add_comment, meeting_id, form.text.data,
                 done="Your comment is sent to the clerk.")
    return _back(meeting_id, "#minutes")


@bp.get("/meetings/<int:meeting_id>/minutes.pdf")
@signed_in
def minutes_pdf(meeting_id: int):
    """Approved minutes as PDF: part 1 only, never the confidential part."""
    meeting = get_meeting(meeting_id)
    if meeting["minutes_status"] not in minutes.APPROVED:
        abort(404)
    # The copy stored when the minutes were approved (part 1 only, never the confidential
    # part), byte for byte: its sha256 is in the audit log.
    data = minutes.approved_pdf(db(), meeting_id, g.school_name)
    return file_response(data, f"minutes-{_dated_slug(meeting)}.pdf", "application/pdf")


# -- board pack ----------------------------------------------------------------


@bp.get("/meetings/<int:meeting_id>/pack.pdf")
@signed_in
def pack(meeting_id: int):
    """The board pack: only what this person may open; built in memory and streamed."""
    meeting = get_meeting(meeting_id)
    conn, viewer = db(), _viewer()
    items = []
    for item in agenda.items(conn, meeting_id, viewer):
        pack_papers = []
        for paper in papers.for_item(conn, viewer, item["id"]):
            pack_papers.append(packs.PackPaper(
                paper.title, paper.filename or "library page",
                papers.content(conn, viewer, paper)))
        items.append(packs.PackItem(item["number"], item["title"], item["purpose"],
                                    item["presenter"], item["minutes"], pack_papers))
    data = packs.build(g.school_name, meeting, items,
                       f"{_generated()} for {current_user.name}")
    return file_response(packs.stream(data), f"board-pack-{_dated_slug(meeting)}.pdf",
                         "application/pdf", length=len(data))


# -- calendar ------------------------------------------------------------------


def _uid_host() -> str:
    return urlsplit(current_app.config.get("GVO_BASE_URL", "")).hostname or "gvo"


def _meeting_url(meeting_id: int) -> str:
    return current_app.config["GVO_BASE_URL"].rstrip("/") + url_for(
        "meetings.show", meeting_id=meeting_id)


@bp.get("/meetings/<int:meeting_id>/calendar.ics")
@signed_in
def meeting_ics(meeting_id: int):
    """One meeting as an .ics file for a calendar app."""
    meeting = get_meeting(meeting_id)
    data = calendar_feed.meeting_ics(meeting, g.school_name, _uid_host(),
                                     _meeting_url(meeting_id))
    return file_response(data, f"meeting-{_dated_slug(meeting)}.ics", "text/calendar")


@bp.get("/calendar/<token>.ics")
@public
def feed(token: str):
    """A person's private calendar feed; the token in the URL is the credential."""
    conn = db()
    viewer = calendar_feed.viewer_for_token(conn, token)
    if viewer is None:
        abort(404)
    data = calendar_feed.feed_ics(conn, viewer, g.school_name, _uid_host(), _meeting_url)
    return file_response(data, "calendar.ics", "text/calendar", inline=True)


@bp.post("/profile/calendar-feed")
@signed_in
def new_feed():
    """Make a private calendar feed URL (any earlier one stops working)."""
    if ConfirmForm().validate_on_submit():
        token = calendar_feed.new_token(db(), current_actor(), current_user.id)
        url = current_app.config["GVO_BASE_URL"].rstrip("/") + url_for(
            "meetings.feed", token=token)
        flash("Your calendar feed address (shown once; keep it private): " + url, "success")
    return redirect(url_for("profile.show") + "#calendar")


@bp.post("/profile/calendar-feed/revoke")
@signed_in
def revoke_feed():
    """Stop the calendar feed URL from working."""
    if ConfirmForm().validate_on_submit():
        calendar_feed.revoke(db(), current_actor(), current_user.id)
        flash("Your calendar feed address no longer works.", "success")
    return redirect(url_for("profile.show") + "#calendar")
