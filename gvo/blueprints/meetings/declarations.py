"""Declarations of interest against agenda items, recorded from the minutes editor
(gvo.meetings.declarations)."""

from flask import flash, url_for

from gvo.blueprints.meetings.common import attempt, bp, get_meeting_item, to_minutes
from gvo.blueprints.meetings.minutes import _editor, declaration_form
from gvo.core.errors import InvalidInput
from gvo.meetings import agenda, declarations
from gvo.web.access import current_identity, db, requires
from gvo.web.confirm import ask_first, confirmed
from gvo.web.forms import error_beside


@bp.post("/meetings/<int:meeting_id>/agenda/<int:item_id>/declarations")
@requires("manage_meetings")
def declare(meeting_id: int, item_id: int):
    """Record a declaration of interest against an item; refused, the minutes editor again
    (422) with what was typed and the reason beside its field."""
    meeting, item = get_meeting_item(meeting_id, item_id)
    form = declaration_form(meeting_id, item_id, formdata=True)
    if form.validate_on_submit():
        try:
            declarations.declare(db(), current_identity(), item_id, form.user_id.data,
                                 form.interest.data, form.withdrew.data)
        except InvalidInput as exc:
            if exc.field:
                error_beside(form, exc, "interest")
            else:  # a rule about the minutes (approved): the form may not be shown
                flash(f"Not recorded: {exc}", "error")
        else:
            flash("The declaration of interest is recorded.", "success")
            return to_minutes(meeting_id, agenda.anchor(db(), item["id"], "minutes"))
    return _editor(meeting, status=422, declaring=(item_id, form))


@bp.post("/meetings/<int:meeting_id>/agenda/<int:item_id>/declarations/<int:user_id>/remove")
@requires("manage_meetings")
def remove_declaration(meeting_id: int, item_id: int, user_id: int):
    """Take back a declaration recorded in error (asking first, on a page)."""
    _meeting, item = get_meeting_item(meeting_id, item_id)
    if not confirmed():
        return ask_first("Remove this declaration of interest?",
                         ["It is taken off the minutes of this item."],
                         url_for("meetings.minutes_editor", meeting_id=meeting_id),
                         yes="Yes, remove it")
    attempt(declarations.remove, item_id, user_id, done="The declaration is removed.")
    return to_minutes(meeting_id, agenda.anchor(db(), item["id"], "minutes"))

