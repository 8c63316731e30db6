"""A meeting's agenda and its papers: items added, edited, moved and removed; papers uploaded,
linked from the library and taken off."""

from flask import current_app, flash, g, render_template, request, url_for

from gvo.blueprints.meetings import forms as mf
from gvo.blueprints.meetings.common import (
    agenda_context,
    attempt,
    back,
    bp,
    converting_school,
    get_meeting,
    get_meeting_item,
    item_row,
    link_form,
)
from gvo.blueprints.meetings.meetings import show
from gvo.core import numbers
from gvo.core.errors import InvalidInput
from gvo.library import intake
from gvo.meetings import agenda, papers
from gvo.web.access import current_identity, db, requires
from gvo.web.confirm import ask_first, confirmed
from gvo.web.forms import ConfirmForm, error_beside
from gvo.web.htmx import is_htmx
from gvo.web.uploads import file_parts, prepare_upload, quoted, streamed_upload


def _item_input(form) -> agenda.ItemInput:
    return agenda.ItemInput(title=form.title.data or "", purpose=form.purpose.data,
                            presenter=form.presenter.data or "", minutes=form.minutes.data or 0,
                            confidential=bool(form.confidential.data))


@bp.post("/meetings/<int:meeting_id>/agenda")
@requires("manage_meetings")
def add_item(meeting_id: int):
    """Add an item at the end of the agenda; refused, the meeting page again (422) with the
    form as it was sent and the errors beside their fields."""
    get_meeting(meeting_id)
    form = mf.ItemForm()
    if form.validate_on_submit():
        try:
            agenda.add_item(db(), current_identity(), meeting_id, _item_input(form))
        except InvalidInput as exc:
            error_beside(form, exc, "title")
        else:
            flash(f"Added “{form.title.data}” to the agenda.", "success")
            return back(meeting_id, "#agenda")
    return show(meeting_id, item_form=form), 422


@bp.route("/meetings/<int:meeting_id>/agenda/<int:item_id>", methods=["GET", "POST"])
@requires("manage_meetings")
def edit_item(meeting_id: int, item_id: int):
    """Change an agenda item."""
    meeting, item = get_meeting_item(meeting_id, item_id)
    form = mf.ItemForm(data=dict(item) | {"confidential": bool(item["confidential"])})
    if form.validate_on_submit():
        try:
            agenda.update_item(db(), current_identity(), item_id, _item_input(form))
        except InvalidInput as exc:
            error_beside(form, exc, "title")
        else:
            flash("The agenda item is saved.", "success")
            return back(meeting_id, "#agenda")
    return render_template("meetings/item_edit.html", meeting=meeting, item=item, form=form,
                           confirm=ConfirmForm()), 422 if form.errors else 200


@bp.post("/meetings/<int:meeting_id>/agenda/<int:item_id>/delete")
@requires("manage_meetings")
def delete_item(meeting_id: int, item_id: int):
    """Remove an agenda item, with its minutes and actions (its papers stay in the library),
    asking first on a page that says what goes with it."""
    meeting, item = get_meeting_item(meeting_id, item_id)
    if not confirmed():
        held = agenda.held_by(db(), item_id)
        return ask_first(
            f"Remove “{item['title']}” from the agenda?",
            [f"Its minutes ({held['minutes']}), {_plural(held['actions'], 'action')} and the "
             f"links to {_plural(held['papers'], 'paper')} go with it; this cannot be undone. "
             "The papers themselves stay in the library."],
            url_for("meetings.edit_item", meeting_id=meeting_id, item_id=item_id),
            yes="Yes, remove it")
    attempt(agenda.delete_item, item_id, done="The item is removed from the agenda.")
    return back(meeting_id, "#agenda")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@bp.post("/meetings/<int:meeting_id>/agenda/<int:item_id>/move")
@requires("manage_meetings")
def move_item(meeting_id: int, item_id: int):
    """Move an item up or down; htmx gets the agenda back, others the page."""
    get_meeting_item(meeting_id, item_id)
    form = mf.MoveForm()
    if form.validate_on_submit():
        attempt(agenda.move_item, item_id, form.direction.data)
    if is_htmx():
        return render_template("meetings/_agenda.html", **agenda_context(get_meeting(meeting_id)))
    return back(meeting_id, "#agenda")


@bp.post("/meetings/<int:meeting_id>/agenda/<int:item_id>/upload")
@requires("manage_meetings")
@streamed_upload
def upload_paper(meeting_id: int, item_id: int):
    """Upload papers into the meeting's folder and attach them to the item (streamed)."""
    get_meeting_item(meeting_id, item_id)
    limit = prepare_upload()
    fields: dict = {}
    try:
        ids = papers.upload(db(), current_identity(), item_id, file_parts(fields),
                            limit=limit, fields=fields)
    except (InvalidInput, intake.TooLarge) as exc:
        # The meeting page again, the paper's title as it was typed (a file input cannot be
        # filled in again by the server) and the message beside the file to choose.
        g.kept_upload = {"item_id": item_id, "title": fields.get("title", ""),
                         "error": str(exc)}
        return show(meeting_id), 422
    papers.convert_later(db(), current_identity(), ids, converting_school(),
                         converter=current_app.config["GVO_LIBREOFFICE"])
    names = quoted(papers.stored_names(db(), current_identity(), ids))
    flash(f"Uploaded and attached {len(ids)} paper{'s' if len(ids) != 1 else ''}: {names}.",
          "success")
    return back(meeting_id, agenda.anchor(db(), item_id))


@bp.post("/meetings/<int:meeting_id>/agenda/<int:item_id>/link")
@requires("manage_meetings")
def link_paper(meeting_id: int, item_id: int):
    """Attach an existing library document, page or policy to the item."""
    get_meeting_item(meeting_id, item_id)
    form = link_form()
    form.process(request.form)
    if form.validate_on_submit():
        kind, _, ref = form.ref.data.partition(":")
        try:
            ref_id = numbers.whole_number_or_none(ref)
            if ref_id is None:
                raise InvalidInput("Choose a document, page or policy.")
            papers.link(db(), current_identity(), item_id, kind, ref_id)
        except InvalidInput as exc:
            flash(str(exc), "error")
        else:
            flash("The paper is attached.", "success")
    else:
        flash("Choose a document, page or policy.", "error")
    return back(meeting_id, agenda.anchor(db(), item_id))


@bp.post("/meetings/<int:meeting_id>/papers/<int:paper_id>/detach")
@requires("manage_meetings")
def detach_paper(meeting_id: int, paper_id: int):
    """Take a paper off its item (it stays in the library), asking first on a page."""
    link = item_row(get_meeting(meeting_id), agenda.get_paper, paper_id)
    there = agenda.anchor(db(), link["item_id"])
    if not confirmed():
        return ask_first("Take this paper off the agenda?",
                         ["Members no longer find it on this meeting's agenda or in its "
                          "pack. It stays in the library."],
                         url_for("meetings.show", meeting_id=meeting_id) + there,
                         yes="Yes, take it off", no="No, keep it on")
    attempt(agenda.detach, paper_id,
            done="The paper is taken off the agenda (it stays in the library).")
    return back(meeting_id, there)
