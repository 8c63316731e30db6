"""A person's training: their status on the mandatory list, their completions (with
certificates they may open) and the form that records one, with an optional certificate
(a streamed upload, checked by the library's intake)."""

from flask import flash, redirect, render_template, url_for
from werkzeug.datastructures import MultiDict

from gvo.blueprints.training.common import bp, completion_form
from gvo.core import dates
from gvo.core.errors import InvalidInput, NotFound
from gvo.core.identity import Identity
from gvo.library import documents, intake
from gvo.people import accounts
from gvo.training import completions, courses, reports
from gvo.web.access import current_identity, db, signed_in
from gvo.web.confirm import ask_first, confirmed
from gvo.web.forms import ConfirmForm, error_beside
from gvo.web.uploads import file_parts, prepare_upload, streamed_upload

UPLOAD_STATUS = {intake.TooLarge: 413, intake.RefusedType: 415}


def _person(user_id: int):
    """A person whose training the signed-in person may read; NotFound otherwise."""
    who = current_identity()
    row = accounts.get_user(db(), user_id) if completions.may_see_person(who, user_id) else None
    if row is None:
        raise NotFound("no such person")
    return row


def _page(person, form=None, status: int = 200):
    who = current_identity()
    conn = db()
    viewer_is_person = person["id"] == who.user_id
    rows = reports.mine(conn, _as(person), dates.today())
    return render_template(
        "training/index.html", person=person, mine=viewer_is_person,
        rows=rows, completions=completions.of_person(conn, who, person["id"]),
        form=form or completion_form(user_id=person["id"]),
        may_record=completions.may_record_for(conn, who, person["id"]),
        manages=courses.manages(who), confirm=ConfirmForm(),
        limit_mb=documents.upload_limit(conn) // (1024 * 1024)), status


def _as(person):
    """The person as `reports.mine` reads them (id and name)."""
    return Identity(person["id"], person["role"], name=person["name"])


@bp.get("/training")
@signed_in
def index():
    """Training: your status on the mandatory list, your completions, and recording one."""
    return _page(_person(current_identity().user_id))


@bp.get("/training/people/<int:user_id>")
@signed_in
def person(user_id: int):
    """One person's training (theirs, or anyone's for those who manage training)."""
    return _page(_person(user_id))


@bp.post("/training/completions")
@signed_in
@streamed_upload
def record():
    """Record a completion, with an optional certificate (read and checked before anything
    is stored; a refused file or a bad field stores nothing and says why beside it)."""
    who = current_identity()
    fields: dict = {}
    limit = prepare_upload()
    form = None
    try:
        with intake.receive(file_parts(fields), limit=limit, max_files=1,
                            first_only=True) as files:
            form = completion_form(MultiDict(fields))
            if form.validate():
                completions.record(db(), who, form.user_id.data, form.course_id.data,
                                   form.completed_on.data, files[0] if files else None)
                flash("The completion is recorded" + (" with its certificate." if files
                                                      else "."), "success")
                target = form.user_id.data
                return redirect(url_for("training.index") if target == who.user_id
                                else url_for("training.person", user_id=target))
            status = 422
    except (intake.TooLarge, InvalidInput) as exc:
        form = form or completion_form(MultiDict(fields))
        form.validate()
        if isinstance(exc, InvalidInput) and exc.field in ("user_id", "course_id",
                                                          "completed_on"):
            error_beside(form, exc, "course_id")
        else:
            form.certificate_error = str(exc)
        status = UPLOAD_STATUS.get(type(exc), 422)
    return _page(_person(_shown_person(form, who)), form, status)


def _shown_person(form, who: Identity) -> int:
    """Whose page a refused form is shown on: the chosen person when they are one of the
    form's choices (active accounts the actor may record for), else the actor's own, with
    "Choose a person with an active account." beside Person (a stale, made-up or huge id
    is a 422 with the typed values kept, never a 404 or a 400)."""
    chosen = form.user_id.data
    if chosen in {choice.value for choice in form.user_id.choices}:
        return chosen
    if chosen is not None or form.user_id.errors:
        form.user_id.errors = ["Choose a person with an active account."]
    return who.user_id


@bp.post("/training/completions/<int:completion_id>/remove")
@signed_in
def remove_completion(completion_id: int):
    """Remove a completion recorded in error, asking first."""
    who = current_identity()
    row = completions.get(db(), who, completion_id)
    back = (url_for("training.index") if row["user_id"] == who.user_id
            else url_for("training.person", user_id=row["user_id"]))
    if not confirmed():
        return ask_first(f"Remove {row['person']}'s completion of “{row['course_title']}” on "
                         f"{dates.day(row['completed_on'])}?",
                         ["It leaves their training record and its status."]
                         + (["Its certificate stays in the library, in their certificates "
                             "folder."] if row["document_id"] else []),
                         back, yes="Yes, remove it", no="No, keep it")
    completions.remove(db(), who, completion_id)
    flash("The completion is removed.", "success")
    return redirect(back)
