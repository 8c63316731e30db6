"""A policy's lifecycle routes: its draft's text (a library document or page, or a new page),
starting a review, recording its approval at a meeting, and withdrawing it."""

from flask import flash, redirect, request, url_for

from gvo.blueprints.policies import forms as pf
from gvo.blueprints.policies.common import approve_form, bp, get_policy, show_page, text_form
from gvo.core import dates, numbers
from gvo.core.errors import InvalidInput
from gvo.policies import lifecycle
from gvo.web.access import current_identity, db, requires
from gvo.web.confirm import ask_first, confirmed
from gvo.web.forms import ConfirmForm, error_beside


def _to_policy(policy_id: int):
    return redirect(url_for("policies.show", policy_id=policy_id))


def _draft_step(policy_id: int, form, key: str, name: str, step, done: str):
    """A draft's text from `form` (the policy page's form `key`): on a valid POST `step()`
    (the draft's number), then the policy's page saying `done`; else the page again with
    the error beside field `name`."""
    policy = get_policy(policy_id)
    if form.validate_on_submit():
        try:
            number = step()
        except InvalidInput as exc:
            error_beside(form, exc, name)
        else:
            flash(done.format(number=number), "success")
            return _to_policy(policy_id)
    return show_page(policy, status=422, **{key: form})


@bp.post("/policies/<int:policy_id>/text")
@requires("manage_policies")
def link_text(policy_id: int):
    """Make a library document or page the text of the policy's draft."""
    form = text_form(request.form)

    def step() -> int:
        kind, _, ref = form.text.data.partition(":")
        ref_id = numbers.whole_number_or_none(ref)
        if ref_id is None:
            raise InvalidInput("Choose a document or page.", field="text")
        return lifecycle.set_draft_text(db(), current_identity(), policy_id, kind, ref_id)

    return _draft_step(policy_id, form, "text_form", "text", step,
                       "Draft version {number} has its text.")


@bp.post("/policies/<int:policy_id>/write")
@requires("manage_policies")
def write_text(policy_id: int):
    """Write the policy's draft as a new library page."""
    form = pf.WriteForm()
    return _draft_step(
        policy_id, form, "write_form", "body",
        lambda: lifecycle.write_page(db(), current_identity(), policy_id, form.body.data),
        "Draft version {number} is written, as a page in the library.")


@bp.post("/policies/<int:policy_id>/review")
@requires("manage_policies")
def start_review(policy_id: int):
    """Start a review: a new draft beside the live version."""
    get_policy(policy_id)
    if ConfirmForm().validate_on_submit():
        try:
            number = lifecycle.start_review(db(), current_identity(), policy_id)
        except InvalidInput as exc:
            flash(str(exc), "error")
        else:
            flash(f"The review has started: draft version {number} sits beside the live one.",
                  "success")
    return _to_policy(policy_id)


@bp.post("/policies/<int:policy_id>/approve")
@requires("manage_policies")
def approve(policy_id: int):
    """Record that a meeting approved the policy's draft (written into its minutes)."""
    policy = get_policy(policy_id)
    form = approve_form(policy_id, request.form)
    if form.validate_on_submit():
        try:
            review = lifecycle.approve_at_meeting(db(), current_identity(), policy_id,
                                                  form.item_id.data)
        except InvalidInput as exc:
            error_beside(form, exc, "item_id")
        else:
            flash(f"The draft is live; the version before it is archived. Next review by "
                  f"{dates.day(review)}.", "success")
            return _to_policy(policy_id)
    return show_page(policy, status=422, approve_form=form)


@bp.post("/policies/<int:policy_id>/withdraw")
@requires("manage_policies")
def withdraw(policy_id: int):
    """Withdraw a policy (every version archived), asking first."""
    policy = get_policy(policy_id)
    if not confirmed():
        return ask_first(f"Withdraw “{policy['name']}”?",
                         ["Every version is archived; it leaves the register's list and the "
                          "public policy page.", "Its history stays."],
                         url_for("policies.show", policy_id=policy_id),
                         yes="Yes, withdraw it", no="No, keep it")
    lifecycle.withdraw(db(), current_identity(), policy_id)
    flash("The policy is withdrawn.", "success")
    return redirect(url_for("policies.index"))
