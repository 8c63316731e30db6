"""Manager pages: people, groups, the board and committees, settings, the audit log."""

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from gvo import audit, board, groups, numbers, people, school_settings
from gvo.access import current_actor, db, requires, requires_role, school_blueprint
from gvo.errors import InvalidInput, NotFound, NotPermitted
from gvo.forms import (
    BodyForm,
    BodyMemberForm,
    ConfirmForm,
    GroupForm,
    InviteForm,
    MfaPolicyForm,
    RoleForm,
    choices,
)

bp = school_blueprint("admin", __name__)
MAX_AUDIT_PAGE = 10**6  # pages of 100 entries; beyond it, an odd number shows the first page


def _load(fn, *args):
    """Load an object by id or 404: views never query by id themselves."""
    try:
        return fn(db(), *args)
    except NotFound:
        abort(404)


def _permitted(service, *args):
    """Run a people service as the current member; 403 if their role does not allow it."""
    try:
        return service(db(), current_actor(), *args)
    except NotPermitted:
        abort(403)


def _roles_i_may_give(form, current: str | None = None) -> None:
    """Offer only the roles the person may give (people.roles_to_give; the service checks
    too), and the account's `current` role, so saving other changes keeps it."""
    allowed = set(people.roles_to_give(db(), current_actor())) | {current}
    form.role.choices = [c for c in form.role.choices if c.value in allowed]


def setup_url(token: str) -> str:
    """The full set-up link for an invitation."""
    base = current_app.config["GVO_BASE_URL"]
    return f"{base}{url_for('auth.setup', token=token)}"


# -- people ------------------------------------------------------------------


@bp.route("/admin/users", methods=["GET", "POST"])
@requires("manage_users")
def users():
    """All people of the school; invite a new one."""
    form = InviteForm()
    _roles_i_may_give(form)
    if form.validate_on_submit():
        try:
            uid = people.add_user(db(), current_actor(), email=form.email.data,
                                  name=form.name.data, role=form.role.data)
        except people.NotYoursToGive as exc:
            form.role.errors.append(str(exc))
        except NotPermitted:
            abort(403)
        except InvalidInput as exc:
            form.email.errors.append(str(exc))
        else:
            token = people.new_setup_token(db(), current_actor(), uid)
            flash(f"{form.name.data} is invited. Send them this set-up link (valid for "
                  f"{people.SETUP_LINK_HOURS} hours): {setup_url(token)}", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/users.html", users=people.list_users(db()), form=form), (
        422 if form.errors else 200)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@requires("manage_users")
def user(user_id: int):
    """One person: role, extra permissions, MFA, sessions, set-up link."""
    row = _load(people.get_user, user_id)
    form = RoleForm(data={"role": row["role"],
                          "capabilities": sorted(people.capabilities(db(), user_id))})
    may_change = people.may_change_access(db(), current_actor(), row)
    if may_change:  # otherwise no form is shown, and whatever is sent is refused below
        _roles_i_may_give(form, row["role"])
    if form.validate_on_submit():
        role, caps = form.role.data, set(form.capabilities.data)
        try:
            # Both checked before either is saved: a refusal changes nothing.
            people.check_access_change(db(), current_actor(), user_id, role=role, caps=caps)
            people.set_role(db(), current_actor(), user_id, role)
            people.set_capabilities(db(), current_actor(), user_id, caps)
        except people.NotYoursToGive as exc:
            form.role.errors.append(str(exc))
        except NotPermitted:
            abort(403)
        except InvalidInput as exc:
            form.role.errors.append(str(exc))
        else:
            flash(f"Saved {row['name']}'s role and permissions.", "success")
            return redirect(url_for("admin.user", user_id=user_id))
    sessions = db().execute("SELECT count(*) FROM sessions WHERE user_id = ?",
                            (user_id,)).fetchone()[0]
    return render_template("admin/user.html", person=row, form=form, confirm=ConfirmForm(),
                           session_count=sessions,
                           may_act=people.may_act_on(db(), current_actor(), row),
                           may_change=may_change), (
        422 if form.errors else 200)


@bp.post("/admin/users/<int:user_id>/reset-mfa")
@requires("manage_users")
def reset_mfa(user_id: int):
    """Remove a person's authenticator (they set it up again at next sign-in)."""
    row = _load(people.get_user, user_id)
    if ConfirmForm().validate_on_submit():
        ended = _permitted(people.reset_mfa, user_id)
        flash(f"Two-step sign-in was reset for {row['name']}. They will set it up again "
              f"when they next sign in. {ended.notice('Their')}".strip(), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/end-sessions")
@requires("manage_users")
def end_sessions(user_id: int):
    """Sign a person out on every device."""
    row = _load(people.get_user, user_id)
    if ConfirmForm().validate_on_submit():
        ended = _permitted(people.end_sessions, user_id)
        flash(f"{row['name']} was signed out on {ended.sessions} device(s). "
              f"{ended.notice('Their')}".strip(), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/setup-link")
@requires("manage_users")
def new_setup_link(user_id: int):
    """Make a new set-up link (the old one stops working)."""
    row = _load(people.get_user, user_id)
    if ConfirmForm().validate_on_submit():
        token = _permitted(people.new_setup_token, user_id)
        flash(f"New set-up link for {row['name']} (valid for {people.SETUP_LINK_HOURS} hours): "
              f"{setup_url(token)}", "success")
    return redirect(url_for("admin.user", user_id=user_id))


# -- groups ------------------------------------------------------------------


def _member_choices():
    return choices((u["id"], f"{u['name']} ({u['email']})") for u in people.list_users(db())
                   if u["role"] != "inactive")


@bp.get("/admin/groups")
@requires("manage_users")
def group_list():
    """Groups of people."""
    return render_template("admin/groups.html", groups=groups.list_groups(db()))


@bp.route("/admin/groups/new", methods=["GET", "POST"], defaults={"group_id": None})
@bp.route("/admin/groups/<int:group_id>", methods=["GET", "POST"])
@requires("manage_users")
def group_edit(group_id: int | None):
    """Create or edit a group."""
    data = {}
    if group_id is not None:
        row = _load(groups.get_group, group_id)
        data = {"name": row["name"], "description": row["description"],
                "members": groups.member_ids(db(), group_id)}
    form = GroupForm(data=data)
    form.members.choices = _member_choices()
    if form.validate_on_submit():
        try:
            groups.save_group(db(), current_actor(), group_id=group_id, name=form.name.data,
                              description=form.description.data or "",
                              members=form.members.data or [])
        except NotPermitted as exc:
            form.members.errors.append(str(exc))
        except InvalidInput as exc:
            form.name.errors.append(str(exc))
        else:
            flash(f"Group {form.name.data} saved.", "success")
            return redirect(url_for("admin.group_list"))
    closed = groups.closed_rooms(db(), current_actor(), group_id) if group_id else 0
    return render_template("admin/group_edit.html", form=form, group_id=group_id,
                           confirm=ConfirmForm(), closed_rooms=closed), (
        422 if form.errors else 200)


@bp.post("/admin/groups/<int:group_id>/delete")
@requires("manage_users")
def group_delete(group_id: int):
    """Delete a group."""
    _load(groups.get_group, group_id)
    if ConfirmForm().validate_on_submit():
        groups.delete_group(db(), current_actor(), group_id)
        flash("Group deleted.", "success")
    return redirect(url_for("admin.group_list"))


# -- board and committees ----------------------------------------------------------


@bp.get("/board")
@requires_role("reader")
def board_list():
    """The governing board and its committees (everyone may see who sits where)."""
    conn = db()
    bodies = [dict(b) | {"people": board.members(conn, b["id"]), "quorum_now": board.quorum(
        conn, b["id"])} for b in board.list_bodies(conn)]
    return render_template("admin/board.html", bodies=bodies,
                           can_edit=current_user.can("manage_board"))


@bp.route("/board/new", methods=["GET", "POST"], defaults={"body_id": None})
@bp.route("/board/<int:body_id>/edit", methods=["GET", "POST"])
@requires("manage_board")
def body_edit(body_id: int | None):
    """Create a committee (or the board, if there is none yet) or edit one."""
    conn = db()
    data, kind = {}, request.args.get("kind", "committee")
    if body_id is not None:
        row = _load(board.get_body, body_id)
        kind = row["kind"]
        data = {"name": row["name"], "description": row["description"],
                "quorum": str(row["quorum"] or "")}
    form = BodyForm(data=data)
    if form.validate_on_submit():
        try:
            new_id = board.save_body(conn, current_actor(), body_id=body_id, kind=kind,
                                     name=form.name.data, description=form.description.data or "",
                                     quorum_text=form.quorum.data)
        except InvalidInput as exc:
            target = form.quorum if str(exc).startswith("Quorum") else form.name
            target.errors.append(str(exc))
        else:
            flash(f"{form.name.data} saved.", "success")
            return redirect(url_for("admin.body_members", body_id=new_id))
    return render_template("admin/body_edit.html", form=form, body_id=body_id, kind=kind), (
        422 if form.errors else 200)


@bp.route("/board/<int:body_id>", methods=["GET", "POST"])
@requires("manage_board")
def body_members(body_id: int):
    """Members of the board or a committee: add, change position, remove."""
    conn = db()
    body = _load(board.get_body, body_id)
    form = BodyMemberForm()
    form.user_id.choices = _member_choices()
    if form.validate_on_submit():
        try:
            board.add_member(conn, current_actor(), body_id, form.user_id.data,
                             form.position.data, form.governor_type.data)
        except (InvalidInput, NotFound) as exc:
            form.user_id.errors.append(str(exc))
        else:
            flash("Member saved.", "success")
            return redirect(url_for("admin.body_members", body_id=body_id))
    return render_template("admin/body_members.html", body=body, form=form,
                           members=board.members(conn, body_id), confirm=ConfirmForm(),
                           quorum=board.quorum(conn, body_id)), 422 if form.errors else 200


@bp.post("/board/<int:body_id>/members/<int:user_id>/remove")
@requires("manage_board")
def body_member_remove(body_id: int, user_id: int):
    """Take a person off the board or a committee."""
    _load(board.get_body, body_id)
    if ConfirmForm().validate_on_submit():
        board.remove_member(db(), current_actor(), body_id, user_id)
        flash("Member removed.", "success")
    return redirect(url_for("admin.body_members", body_id=body_id))


@bp.post("/board/<int:body_id>/delete")
@requires("manage_board")
def body_delete(body_id: int):
    """Delete a committee."""
    _load(board.get_body, body_id)
    if ConfirmForm().validate_on_submit():
        try:
            board.delete_body(db(), current_actor(), body_id)
        except InvalidInput as exc:
            flash(str(exc), "error")
        else:
            flash("Committee deleted.", "success")
    return redirect(url_for("admin.board_list"))


# -- settings and audit ------------------------------------------------------------


@bp.route("/admin/settings", methods=["GET", "POST"])
@requires_role("manager")
def settings():
    """School settings: two-step sign-in policy; backup status."""
    conn = db()
    form = MfaPolicyForm(data={"policy": school_settings.get(conn, "mfa_policy")})
    form.policy.choices = choices(school_settings.MFA_POLICIES.items())
    if form.validate_on_submit():
        actor = current_actor()
        school_settings.set_mfa_policy(conn, form.policy.data, actor_id=actor.user_id,
                                       actor_email=actor.email, ip=actor.ip)
        flash("Settings saved.", "success")
        return redirect(url_for("admin.settings"))
    backup = None
    status_hook = current_app.extensions.get("gvo_backup_status")
    if status_hook:
        backup = status_hook(g.school)
    return render_template("admin/settings.html", form=form, backup=backup)


@bp.get("/admin/audit")
@requires_role("manager")
def audit_log():
    """The audit log, newest first, with the chain's state."""
    try:
        page = numbers.whole_number(request.args.get("page", "1"), what="Page", low=1,
                                    high=MAX_AUDIT_PAGE)
    except InvalidInput:
        page = 1
    entries = audit.recent(db(), limit=100, offset=(page - 1) * 100)
    return render_template("admin/audit.html", entries=entries, page=page,
                           chain=audit.verify(db()))
