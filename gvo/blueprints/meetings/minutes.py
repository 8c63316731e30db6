"""Minutes: written item by item with actions, circulated, commented on, approved at a
later meeting, locked; the approved minutes as PDF."""

from flask import abort, flash, g, render_template, request, url_for

from gvo.blueprints.meetings import forms as mf
from gvo.blueprints.meetings.common import (
    attempt,
    back,
    bp,
    confirmed_step,
    dated_slug,
    get_meeting,
    item_row,
    to_minutes,
)
from gvo.blueprints.meetings.meetings import show
from gvo.core import numbers
from gvo.core.errors import InvalidInput
from gvo.meetings import agenda, attendance, declarations, minutes
from gvo.meetings.rules import sees_confidential
from gvo.web import paging
from gvo.web.access import current_identity, db, requires, signed_in
from gvo.web.confirm import ask_first, confirmed
from gvo.web.downloads import file_response
from gvo.web.forms import ConfirmForm, choices


@bp.get("/meetings/<int:meeting_id>/minutes")
@requires("manage_meetings")
def minutes_editor(meeting_id: int):
    """Write the minutes item by item; circulate, lock."""
    return _editor(get_meeting(meeting_id))


def _editor(meeting, forms: dict | None = None, status: int = 200,
            declaring: tuple | None = None):
    """The minutes editor; `forms` (item id -> (minutes form, action form)) as sent, with
    their errors, or empty ones; `declaring` (item id, declaration form) a declaration of
    interest refused, with its errors."""
    conn = db()
    parts = minutes.for_meeting(conn, meeting["id"], current_identity())
    people = _register_choices(meeting["id"])
    declare_forms = {item["id"]: declaration_form(meeting["id"], item["id"], people=people)
                     for item in parts["part1"] + parts["part2"]}
    if declaring:
        declare_forms[declaring[0]] = declaring[1]
    if forms is None:
        owners = _owner_choices()
        forms = {item["id"]: (mf.MinuteItemForm(
            formdata=None, prefix=f"i{item['id']}",
            data=item | {"base": minutes.version(item["discussion"], item["decisions"])}),
            _action_form(owners, item["id"])) for item in parts["part1"] + parts["part2"]}
    return render_template(
        "meetings/minutes.html", meeting=meeting, parts=parts, forms=forms,
        editable=meeting["minutes_status"] in minutes.EDITABLE, confirm=ConfirmForm(),
        labels=minutes.STATUS_LABELS, quorum=attendance.quorum(conn, meeting["id"]),
        declare_forms=declare_forms,
        comments=minutes.comments(conn, meeting["id"])), status


@bp.post("/meetings/<int:meeting_id>/minutes")
@requires("manage_meetings")
def save_minutes(meeting_id: int):
    """Save everything typed in the minutes editor at once: every item's minutes and any
    action filled in, in one transaction. Errors are shown beside their fields with all
    that was typed kept, and nothing is saved until all of it can be."""
    meeting = get_meeting(meeting_id)
    refused, forms = _save_typed(meeting)
    if refused:
        return refused
    at = request.form.get("at", type=int)
    return to_minutes(meeting_id, agenda.anchor(db(), at, "minutes") if at in forms else "")


def _save_typed(meeting):
    """Save what the minutes editor sent with this POST (its buttons that circulate or remove
    an action send it too, so nothing typed is left out or lost). Returns (None, forms) when
    it is saved (or nothing was sent), or (the editor shown again with its errors, 422, and
    everything typed kept; forms) when nothing was saved: invalid input, or an item someone
    else saved since the editor was opened (both versions shown)."""
    meeting_id = meeting["id"]
    parts = minutes.for_meeting(db(), meeting_id, current_identity())
    owners = _owner_choices()
    forms, texts, actions, valid = {}, {}, [], ConfirmForm().validate_on_submit()
    for item in parts["part1"] + parts["part2"]:
        item_id = item["id"]
        mform = mf.MinuteItemForm(prefix=f"i{item_id}")
        aform = _action_form(owners, item_id)
        aform.process(request.form)
        forms[item_id] = (mform, aform)
        if f"i{item_id}-discussion" in request.form or f"i{item_id}-decisions" in request.form:
            valid = mform.validate() and valid
            texts[item_id] = (mform.discussion.data or "", mform.decisions.data or "",
                              mform.base.data or None)
        if (aform.text.data or "").strip() or request.form.get(f"a{item_id}-due_on"):
            valid = aform.validate() and valid
            actions.append((item_id, aform.text.data, aform.owner_id.data or None,
                            aform.due_on.data))
    if not texts and not actions:
        return None, forms
    if not valid:
        flash("Nothing was saved yet: correct what is marked below, then save again.", "error")
        return _editor(meeting, forms, 422), forms
    try:
        added = minutes.save_all(db(), current_identity(), meeting_id, texts, actions)
    except minutes.Conflict as exc:
        for item_id, (discussion, decisions) in exc.theirs.items():
            mform = forms[item_id][0]
            mform.base.data = minutes.version(discussion, decisions)
            mform.discussion.errors = [*mform.discussion.errors, _conflict(discussion,
                                                                            decisions)]
        flash("Nothing was saved: someone else saved the minutes of an item marked below "
              "after you opened this page. What you typed is kept.", "error")
        return _editor(meeting, forms, 422), forms
    except InvalidInput as exc:
        flash(f"Nothing was saved: {exc}", "error")
        return _editor(meeting, forms, 422), forms
    flash("The minutes are saved." + (f" {added} action{'s' if added != 1 else ''} recorded."
                                      if added else ""), "success")
    return None, forms


def _conflict(discussion: str, decisions: str) -> str:
    return (f"Someone else saved this item after you opened the page. Saved now: "
            f"discussion “{discussion or 'nothing'}”; decisions “{decisions or 'nothing'}”. "
            f"What you typed is kept below: combine the two, then save again.")


def _owner_choices():
    return choices([(0, "—")] + [(u["id"], u["name"]) for u in minutes.owners(db())])


def _register_choices(meeting_id: int) -> list:
    """Who may declare an interest: the register less the clerk (declarations.declarers)."""
    return choices((r["user_id"], r["name"])
                   for r in declarations.declarers(db(), meeting_id))


def declaration_form(meeting_id: int, item_id: int, *, formdata: bool = False,
                     people: list | None = None):
    """The declaration-of-interest form of one item (prefix d<item id>; with `formdata`, as
    sent), its choices the people on the meeting's register (`people`, else read)."""
    form = mf.DeclarationForm(prefix=f"d{item_id}", **({} if formdata else {"formdata": None}))
    form.user_id.choices = people if people is not None else _register_choices(meeting_id)
    return form


def _action_form(owners, item_id):
    form = mf.ActionForm(formdata=None, prefix=f"a{item_id}")
    form.owner_id.choices = owners
    return form


def _refused_before_asking(meeting, allowed: tuple[str, ...], message: str):
    """A step the minutes' status no longer allows is refused at once, never asked about
    first (attack 14: "Yes, remove it" and then a refusal): the minutes page saying why, or
    None when the step may be asked about."""
    if meeting["minutes_status"] in allowed:
        return None
    flash(message, "error")
    return to_minutes(meeting["id"])


@bp.post("/meetings/<int:meeting_id>/minutes/actions/<int:action_id>/delete")
@requires("manage_meetings")
def delete_action(meeting_id: int, action_id: int):
    """Remove an action: what the editor sent with the button is saved first, then this
    asks on a page before the action goes."""
    meeting = get_meeting(meeting_id)
    action = item_row(meeting, minutes.get_action, action_id)
    if refused := _refused_before_asking(
            meeting, minutes.EDITABLE, "Approved minutes cannot change: the action stays in "
            "them as approved. The action itself can still be changed or marked done under "
            "Actions."):
        return refused
    if not confirmed():
        refused, _forms = _save_typed(meeting)
        return refused or ask_first(
            f"Remove the action “{action['text']}”?",
            ["It is taken off the minutes; this cannot be undone."],
            url_for("meetings.minutes_editor", meeting_id=meeting_id), yes="Yes, remove it")
    attempt(minutes.delete_action, action_id, done="The action is removed.")
    return to_minutes(meeting_id)


@bp.post("/meetings/<int:meeting_id>/minutes/circulate")
@requires("manage_meetings")
def circulate_minutes(meeting_id: int):
    """Send the draft minutes round for comment: what the editor sent with the button is
    saved first (never circulated without it), then this asks on a page."""
    meeting = get_meeting(meeting_id)
    if refused := _refused_before_asking(meeting, ("draft",),
                                         "Only draft minutes can be circulated."):
        return refused
    if not confirmed():
        refused, _forms = _save_typed(meeting)
        return refused or ask_first(
            f"Circulate the minutes of {meeting['title']} for comment?",
            ["The minutes as saved now go to the members for comment, and they are told by "
             "e-mail. They cannot go back to a draft."],
            url_for("meetings.minutes_editor", meeting_id=meeting_id),
            yes="Yes, circulate them", no="No, not yet")
    return confirmed_step(meeting_id, minutes.circulate,
                          "The minutes are circulated for comment.", to_minutes)


@bp.post("/meetings/<int:meeting_id>/minutes/lock")
@requires("manage_meetings")
def lock_minutes(meeting_id: int):
    """Lock approved minutes (asking first, on a page): they can never change again."""
    meeting = get_meeting(meeting_id)
    if refused := _refused_before_asking(meeting, ("approved",),
                                         "Only approved minutes can be locked."):
        return refused
    if not confirmed():
        return ask_first(
            f"Lock the minutes of {meeting['title']}?",
            ["Locked minutes can never change again."],
            url_for("meetings.minutes_editor", meeting_id=meeting_id),
            yes="Yes, lock them", no="No, not yet")
    return confirmed_step(meeting_id, minutes.lock, "The minutes are locked.", to_minutes)


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
            minutes.approve(db(), current_identity(), earlier, meeting_id, g.school_name)
        except InvalidInput as exc:
            flash(str(exc), "error")
        else:
            flash("The minutes are recorded as approved at this meeting.", "success")
    return back(meeting_id, "#minutes")


@bp.post("/meetings/<int:meeting_id>/minutes/comments")
@signed_in
def comment_minutes(meeting_id: int):
    """Comment on circulated minutes (members of the body, Editors, Managers); refused, the
    meeting page again (422) with the comment as typed and the reason beside it."""
    meeting = get_meeting(meeting_id)
    if not sees_confidential(db(), current_identity(), meeting["body_id"]):
        abort(403)
    form = mf.CommentForm()
    if form.validate_on_submit():
        try:
            minutes.add_comment(db(), current_identity(), meeting_id, form.text.data)
        except InvalidInput as exc:
            form.text.errors.append(str(exc))
        else:
            flash("Your comment is sent to the clerk.", "success")
            return back(meeting_id, "#minutes")
    return show(meeting_id, comment_form=form), 422


@bp.get("/meetings/<int:meeting_id>/minutes/comments")
@signed_in
def minutes_comments(meeting_id: int):
    """A page of the comments on a meeting's minutes (htmx asking for the next page: those
    comments and the next "more" control alone); for whoever may read its confidential
    items."""
    meeting = get_meeting(meeting_id)
    if not sees_confidential(db(), current_identity(), meeting["body_id"]):
        abort(403)
    return paging.render("meetings/minutes_comments.html", meeting=meeting,
                         comments=minutes.comments(db(), meeting_id, paging.after()))


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
    return file_response(data, f"minutes-{dated_slug(meeting)}.pdf", "application/pdf")
