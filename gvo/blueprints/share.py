"""Share an item by e-mail, and follow commentable items (`share` blueprint).

Share: /<school>/share/<kind>/<id> (any kind `gvo.sharing.items` knows: document, page,
meeting, minutes, agenda item) for anyone who may open the item; the page says who
received it and who was left out, and why. Follow: /<school>/follow/<subject>/<id> for any
discussion subject the person may open; Managers may subscribe others.
"""

from flask import flash, g, redirect, render_template, request

from gvo.core.errors import InvalidInput, NotPermitted
from gvo.discussion import followers, subjects
from gvo.sharing import items, share
from gvo.web.access import current_identity, db, school_blueprint, signed_in
from gvo.web.forms import FollowForm, ShareForm

bp = school_blueprint("share", __name__)


def _share_form(conn, formdata=True) -> ShareForm:
    people, groups, bodies = share.choices(conn)
    form = ShareForm() if formdata else ShareForm(formdata=None)
    form.people.choices = [(p["id"], p["name"]) for p in people]
    form.groups.choices = [(g["id"], f"{g['name']} ({g['members']})") for g in groups]
    form.bodies.choices = [(b["id"], f"{b['name']} ({b['members']})") for b in bodies]
    return form


@bp.route("/share/<kind>/<int:item_id>", methods=["GET", "POST"])
@signed_in
def share_item(kind: str, item_id: int):
    """The share form, and what a share did (who received it, who was left out and why)."""
    conn, v = db(), current_identity()
    item = items.load(conn, v, kind, item_id)
    form = _share_form(conn, formdata=request.method == "POST")
    outcome, error, status = None, None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                outcome = share.share(conn, v, kind, item_id, people=form.people.data or [],
                                      groups=form.groups.data or [],
                                      bodies=form.bodies.data or [],
                                      message=form.message.data or "")
            except InvalidInput as exc:
                error, status = str(exc), 422
            else:
                form = _share_form(conn, formdata=False)
        else:
            error, status = "Please correct the form.", 422
    return render_template("share/form.html", item=item, form=form, outcome=outcome,
                           error=error, mail_on=share.outbox.enabled(conn)), status


@bp.post("/follow/<subject_type>/<int:subject_id>")
@signed_in
def follow(subject_type: str, subject_id: int):
    """Follow or stop following an item; a Manager may choose someone else."""
    conn, v = db(), current_identity()
    subject = subjects.load(conn, v, subject_type, subject_id)
    form = FollowForm()
    if form.validate_on_submit():
        target = form.user_id.data or None
        try:
            followers.set_following(conn, v, subject, form.following.data == "1", target)
        except (InvalidInput, NotPermitted) as exc:
            flash(str(exc), "error")
        else:
            flash("You follow this item: you will hear of new comments by e-mail."
                  if target is None and form.following.data == "1" else "Saved.", "success")
    else:
        flash("That did not work; reload the page and try again.", "error")
    return redirect(f"/{g.school}{subject.path}")
