"""The register's routes: the list, a policy's page, adding and changing policies, the
school's types, the statutory list in one step, and the school's policy settings."""

from dataclasses import asdict

from flask import flash, redirect, render_template, request, url_for

from gvo.blueprints.policies import forms as pf
from gvo.blueprints.policies.common import bp, get_policy, show_page
from gvo.board import bodies
from gvo.core import dates
from gvo.core.errors import InvalidInput
from gvo.people import accounts
from gvo.policies import public, register, statutory, warnings
from gvo.web.access import current_identity, db, requires, signed_in
from gvo.web.forms import ConfirmForm, choices, error_beside


@bp.get("/policies/register")
@signed_in
def index():
    """The policy register: every policy the person may see, and reviews coming up."""
    conn, who = db(), current_identity()
    manages = register.manages(who)
    return render_template(
        "policies/index.html", policies=register.listing(conn, who), manages=manages,
        status=statutory.status(conn, dates.today()) if manages else None,
        source=statutory.source(), school_type=statutory.SCHOOL_TYPES[statutory.school_type(conn)],
        soon=warnings.soon(conn, who), statuses=register.STATUSES, levels=register.LEVELS,
        type_form=pf.TypeForm(formdata=None), confirm=ConfirmForm(),
        public_on=public.is_on(conn))


@bp.get("/policies/<int:policy_id>")
@signed_in
def show(policy_id: int):
    """A policy: its details, its live and draft text, and the history of its versions."""
    return show_page(get_policy(policy_id))


def _policy_form(data=None, formdata=None) -> pf.PolicyForm:
    conn = db()
    form = pf.PolicyForm(data=data, formdata=formdata) if data else pf.PolicyForm(
        formdata=formdata)
    form.type_id.choices = choices([(pf.NONE, "No type")] + [
        (t["id"], t["name"]) for t in register.types(conn)])
    form.owner_body_id.choices = choices([(pf.NONE, "None")] + [
        (b["id"], b["name"]) for b in bodies.list_bodies(conn)])
    form.owner_ids.choices = choices((u["id"], u["name"]) for u in accounts.list_users(conn)
                                     if u["role"] != "inactive")
    return form


def _input(form) -> register.PolicyInput:
    return register.PolicyInput(
        name=form.name.data or "", approval_level=form.approval_level.data,
        cycle_months=form.cycle_months.data, type_id=form.type_id.data or None,
        owner_body_id=form.owner_body_id.data or None, owner_ids=form.owner_ids.data or [],
        next_review_on=form.next_review_on.data, statutory=form.statutory.data,
        statutory_source=form.statutory_source.data or "",
        publish_publicly=form.publish_publicly.data)


def _save(form, policy, save, done: str):
    """The add or edit page: on a valid POST `save()` (the policy's id), then its page."""
    if request.method == "POST" and form.validate():
        try:
            policy_id = save()
        except InvalidInput as exc:
            error_beside(form, exc, "name")
        else:
            flash(done, "success")
            return redirect(url_for("policies.show", policy_id=policy_id))
    return render_template("policies/edit.html", form=form, policy=policy), (
        422 if form.errors else 200)


def _posted():
    return request.form if request.method == "POST" else None


@bp.route("/policies/new", methods=["GET", "POST"])
@requires("manage_policies")
def new():
    """Add a policy to the register."""
    form = _policy_form(formdata=_posted())
    return _save(form, None, lambda: register.create(db(), current_identity(), _input(form)),
                 "The policy is in the register. Now give it its text.")


@bp.route("/policies/<int:policy_id>/edit", methods=["GET", "POST"])
@requires("manage_policies")
def edit(policy_id: int):
    """Change a policy's details."""
    policy = get_policy(policy_id)
    data = asdict(register.input_of(policy))
    data |= {"type_id": data["type_id"] or pf.NONE,
             "owner_body_id": data["owner_body_id"] or pf.NONE}
    form = _policy_form(data=data, formdata=_posted())

    def save() -> int:
        register.update(db(), current_identity(), policy_id, _input(form))
        return policy_id

    return _save(form, policy, save, "The policy is saved.")


@bp.post("/policies/types")
@requires("manage_policies")
def add_type():
    """Add a type to the school's list of policy types."""
    form = pf.TypeForm()
    if form.validate_on_submit():
        try:
            register.add_type(db(), current_identity(), form.name.data)
        except InvalidInput as exc:
            flash(str(exc), "error")
        else:
            flash("The type is on the list.", "success")
    else:
        flash("Give the new type a name of at most 100 characters.", "error")
    return redirect(url_for("policies.settings"))


@bp.post("/policies/statutory")
@requires("manage_policies")
def add_statutory():
    """Add every statutory policy the school lacks, in one step."""
    if ConfirmForm().validate_on_submit():
        added = statutory.add_missing(db(), current_identity())
        flash(f"Added {len(added)} statutory polic{'y' if len(added) == 1 else 'ies'} to the "
              "register." if added else "The register holds every statutory policy on the "
              "list already.", "success")
    return redirect(url_for("policies.index"))


@bp.route("/policies/settings", methods=["GET", "POST"])
@requires("manage_policies")
def settings():
    """The school's type (which statutory list applies), the warning period, the public
    policy page, and the list of policy types."""
    conn = db()
    form = pf.SettingsForm(data={"school_type": statutory.school_type(conn),
                                 "warning_days": statutory.warning_days(conn),
                                 "public": public.is_on(conn)})
    if form.validate_on_submit():
        try:
            off_list = statutory.set_options(conn, current_identity(),
                                             kind=form.school_type.data,
                                             days=form.warning_days.data)
            if form.public.data != public.is_on(conn):
                public.switch(conn, current_identity(), form.public.data)
        except InvalidInput as exc:
            error_beside(form, exc, "school_type")
        else:
            flash("The policy settings are saved.", "success")
            if off_list:
                flash(f"Not on the {statutory.SCHOOL_TYPES[form.school_type.data].lower()} "
                      f"list: {', '.join(off_list)}. They stay in the register, marked "
                      "statutory, and the statutory report names the list each came from.",
                      "warning")
            return redirect(url_for("policies.settings"))
    return render_template("policies/settings.html", form=form, types=register.types(conn),
                           type_form=pf.TypeForm(formdata=None), source=statutory.source(),
                           entries=statutory.entries(statutory.school_type(conn))), (
        422 if form.errors else 200)
