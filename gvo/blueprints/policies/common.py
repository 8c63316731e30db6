"""What the policies blueprint's modules share: the blueprint, loading a policy the person
may see (else 404), and the policy page, which more than one sub-feature renders."""

from flask import render_template

from gvo.blueprints.policies import forms as pf
from gvo.core import dates
from gvo.meetings import papers
from gvo.policies import lifecycle, register, warnings
from gvo.web.access import current_identity, db, school_blueprint
from gvo.web.forms import ConfirmForm, choices

bp = school_blueprint("policies", "gvo.blueprints.policies")


def get_policy(policy_id: int) -> dict:
    """A policy the person may see (`register.get`); NotFound, so a 404, otherwise."""
    return register.get(db(), current_identity(), policy_id)


def text_form(formdata=None) -> pf.TextForm:
    """The draft-text picker: library documents and pages the person may open."""
    form = pf.TextForm(formdata=formdata)
    form.text.choices = choices(
        (ref, label) for ref, label in papers.linkable(db(), current_identity())
        if not ref.startswith("policy:"))
    return form


def _item_label(item: dict) -> str:
    return f"{item['meeting_title']}, {dates.day(item['starts_at'])}: {item['item_title']}"


def approve_form(policy_id: int, formdata=None) -> pf.ApproveForm:
    """The approval form: agenda items where this policy's draft may be approved; the
    others it is linked to, with why not, as `form.refused` [(label, reason)]."""
    form = pf.ApproveForm(formdata=formdata)
    can, cannot = lifecycle.approvable_items(db(), current_identity(), policy_id)
    form.item_id.choices = choices((i["item_id"], _item_label(i)) for i in can)
    form.refused = [(_item_label(i), i["reason"]) for i in cannot]
    return form


def show_page(policy: dict, *, status: int = 200, **forms):
    """The policy's page: details, text, history, and the managers' forms (`forms` replaces
    any of them, with its errors)."""
    manages = register.manages(current_identity())
    if manages:
        forms.setdefault("text_form", text_form())
        forms.setdefault("write_form", pf.WriteForm(formdata=None))
        forms.setdefault("approve_form", approve_form(policy["id"]))
    return render_template(
        "policies/show.html", policy=policy, manages=manages, confirm=ConfirmForm(),
        history=lifecycle.history(db(), policy["id"]), levels=register.LEVELS,
        cycles=register.CYCLES, statuses=register.STATUSES, **forms), status


@bp.app_context_processor
def review_dates():
    """`policy_reviews_soon()` for the home page and the calendar: review dates within the
    next 14 days that the signed-in person may see (read only when a template calls it)."""
    return {"policy_reviews_soon": lambda: warnings.soon(db(), current_identity())}
