"""What the meetings blueprint's modules share: the blueprint, loading a meeting or an item
the person may see (else 404), running a service with its refusal flashed, the way back, and
the parts of the meeting page that more than one sub-feature renders."""

import unicodedata

from flask import current_app, flash, g, redirect, url_for

from gvo.blueprints.meetings import forms as mf
from gvo.board import bodies
from gvo.core import clock, dates
from gvo.core.errors import InvalidInput, NotFound
from gvo.library import pdf_copies
from gvo.meetings import agenda, meetings, minutes, papers
from gvo.meetings.rules import manages, sees_confidential
from gvo.web.access import current_identity, db, school_blueprint
from gvo.web.forms import ConfirmForm, choices

bp = school_blueprint("meetings", "gvo.blueprints.meetings")


def converting_school() -> pdf_copies.School:
    """This request's school as the PDF copies' worker needs it (its slug, and how that
    thread opens and gives back its own connection)."""
    instance, school = current_app.extensions["gvo"].instance, g.school
    return pdf_copies.School(school, lambda: instance.db(school), instance.release)


def get_meeting(meeting_id: int):
    """Load a meeting, named as its record names it (`meetings.get`; every signed-in member
    may see a meeting's open parts); NotFound, so a 404, if there is none."""
    return meetings.get(db(), meeting_id)


def get_item(meeting, item_id: int):
    """Load an agenda item of this meeting the person may see; NotFound (404) otherwise."""
    item = agenda.get_item(db(), item_id, current_identity())
    if item["meeting_id"] != meeting["id"]:
        raise NotFound("no such agenda item")
    return item


def get_meeting_item(meeting_id: int, item_id: int):
    """Load a meeting and one of its agenda items the person may see, or 404."""
    meeting = get_meeting(meeting_id)
    return meeting, get_item(meeting, item_id)


def item_row(meeting, load, row_id: int):
    """Load a row hanging off an agenda item of this meeting (a paper link, an action) with
    `load(conn, id)`; NotFound (404) when there is none or its item is not one the person may
    see."""
    row = load(db(), row_id)
    if row["meeting_id"] != meeting["id"]:
        raise NotFound("no such row")
    get_item(meeting, row["item_id"])
    return row


def attempt(service, *args, done: str = "") -> bool:
    """Call a service as the current person; flash its refusal, or `done`. True if it worked."""
    try:
        service(db(), current_identity(), *args)
    except InvalidInput as exc:
        flash(str(exc), "error")
        return False
    if done:
        flash(done, "success")
    return True


def confirmed_step(meeting_id: int, step, message: str, back):
    """On a confirmed POST, take `step` on the meeting (flashing `message`); then go `back`."""
    get_meeting(meeting_id)
    if ConfirmForm().validate_on_submit():
        attempt(step, meeting_id, done=message)
    return back(meeting_id)


def back(meeting_id: int, anchor: str = ""):
    return redirect(url_for("meetings.show", meeting_id=meeting_id) + anchor)


def to_minutes(meeting_id: int, anchor: str = ""):
    return redirect(url_for("meetings.minutes_editor", meeting_id=meeting_id) + anchor)


def to_attendance_register(meeting_id: int):
    return redirect(url_for("meetings.register", meeting_id=meeting_id))


def generated() -> str:
    """Now, as a PDF's "generated on" line says it (school's local time)."""
    return dates.moment(clock.iso())


def slug(text: str) -> str:
    # Composed first: a decomposed "ŵ" (w + U+0302) would otherwise lose its accent as a "-".
    keep = "".join(c if c.isalnum() else "-" for c in unicodedata.normalize("NFC", text).lower())
    return "-".join(p for p in keep.split("-") if p)[:60] or "meeting"


def dated_slug(meeting) -> str:
    """A meeting in a download's name: its date and title ("2026-03-01-cyfarfod-ŵyl-dewi")."""
    return f"{meeting['starts_at'][:10]}-{slug(meeting['title'])}"


def body_choices():
    return choices((b["id"], b["name"]) for b in bodies.list_bodies(db()))


def agenda_context(meeting) -> dict:
    conn, viewer = db(), current_identity()
    items = agenda.items(conn, meeting["id"], viewer)
    by_item = papers.for_items(conn, viewer, [item["id"] for item in items])
    for item in items:
        item["papers"] = by_item[item["id"]]
    can_manage = manages(viewer)
    editable = (meeting["status"] == "scheduled"
                and meeting["minutes_status"] in minutes.EDITABLE)
    # The agenda's forms (and the picker's list of every linkable paper) only for those
    # who see them: the template shows them when can_manage and editable.
    forms = ({"confirm": ConfirmForm(), "move_form": mf.MoveForm(), "link_form": link_form()}
             if can_manage and editable else {})
    return {"meeting": meeting, "items": items, "can_manage": can_manage,
            "editable": editable, **forms,
            "hidden_confidential": not sees_confidential(conn, viewer, meeting["body_id"])}


def link_form():
    form = mf.LinkPaperForm(formdata=None)
    form.ref.choices = choices(papers.linkable(db(), current_identity()))
    return form
