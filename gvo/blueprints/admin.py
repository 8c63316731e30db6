"""Manager pages: people, groups, the board and committees, settings, the audit log."""

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from gvo.board import bodies
from gvo.core import audit, dates
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import capabilities
from gvo.governance import categories
from gvo.library import access
from gvo.mail import outbox
from gvo.meetings import notices
from gvo.newsletter import letters as newsletter_letters
from gvo.people import accounts, groups
from gvo.people import settings as school_settings
from gvo.security.sessions import active_sessions
from gvo.web import paging
from gvo.web.access import current_identity, db, requires, requires_role, school_blueprint
from gvo.web.confirm import ask_first, confirmed
from gvo.web.forms import (
    BodyForm,
    BodyMemberForm,
    ConfirmForm,
    GroupForm,
    InviteForm,
    MfaPolicyForm,
    NewsletterScheduleForm,
    ReminderForm,
    ReplyToForm,
    RoleForm,
    choices,
)

bp = school_blueprint("admin", __name__)


def _roles_i_may_give(form, current: str | None = None) -> None:
    """Offer only the roles the person may give (accounts.roles_to_give; the service checks
    too), and the account's `current` role, so saving other changes keeps it."""
    allowed = set(accounts.roles_to_give(current_identity())) | {current}
    form.role.choices = [c for c in form.role.choices if c.value in allowed]


# -- people ------------------------------------------------------------------


@bp.route("/admin/users", methods=["GET", "POST"])
@requires("manage_users")
def users():
    """All people of the school; invite a new one."""
    form = InviteForm()
    _roles_i_may_give(form)
    if form.validate_on_submit():
        try:
            uid = accounts.add_user(db(), current_identity(), email=form.email.data,
                                    name=form.name.data, role=form.role.data)
        except accounts.NotYoursToGive as exc:
            form.role.errors.append(str(exc))
        except InvalidInput as exc:
            form.email.errors.append(str(exc))
        else:
            sent = accounts.invite(db(), current_identity(), uid)
            if sent.mailed:
                flash(f"{form.name.data} is invited: an e-mail with their set-up link (valid "
                      f"for {accounts.SETUP_LINK_HOURS} hours) is on its way to "
                      f"{form.email.data.strip()}.", "success")
            else:
                flash(f"{form.name.data} is invited. Send them this set-up link (valid for "
                      f"{accounts.SETUP_LINK_HOURS} hours): {sent.link}", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/users.html", users=accounts.list_users(db()), form=form), (
        422 if form.errors else 200)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@requires("manage_users")
def user(user_id: int):
    """One person: role, extra permissions, MFA, sessions, set-up link."""
    row = accounts.get_user(db(), user_id)
    form = RoleForm(data={"role": row["role"],
                          "capabilities": sorted(capabilities(db(), user_id))})
    may_change = accounts.may_change_access(db(), current_identity(), row)
    if may_change:  # otherwise no form is shown, and whatever is sent is refused below
        _roles_i_may_give(form, row["role"])
    if form.validate_on_submit():
        role, caps = form.role.data, set(form.capabilities.data)
        try:
            # Both checked before either is saved: a refusal changes nothing.
            who = current_identity()
            accounts.check_access_change(db(), who, user_id, role=role, caps=caps)
            accounts.set_role(db(), who, user_id, role)
            accounts.set_capabilities(db(), who, user_id, caps)
        except accounts.NotYoursToGive as exc:
            form.role.errors.append(str(exc))
        except InvalidInput as exc:
            form.role.errors.append(str(exc))
        else:
            flash(f"Saved {row['name']}'s role and permissions.", "success")
            return redirect(url_for("admin.user", user_id=user_id))
    return render_template("admin/user.html", person=row, form=form, confirm=ConfirmForm(),
                           session_count=len(active_sessions(db(), user_id)),
                           may_act=accounts.may_act_on(db(), current_identity(), row),
                           may_change=may_change), (
        422 if form.errors else 200)


@bp.post("/admin/users/<int:user_id>/reset-mfa")
@requires("manage_users")
def reset_mfa(user_id: int):
    """Remove a person's authenticator (they set it up again at next sign-in), asking first
    on a page."""
    row = accounts.get_user(db(), user_id)
    if not confirmed():
        return ask_first(f"Reset two-step sign-in for {row['name']}?",
                         ["Their authenticator app stops working here and they are signed out "
                          "everywhere; they set it up again when they next sign in."],
                         url_for("admin.user", user_id=user_id), yes="Yes, reset it",
                         no="No, leave it")
    if ConfirmForm().validate_on_submit():
        ended = accounts.reset_mfa(db(), current_identity(), user_id)
        flash(f"Two-step sign-in was reset for {row['name']}. They will set it up again "
              f"when they next sign in. {ended.notice('Their')}".strip(), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/end-sessions")
@requires("manage_users")
def end_sessions(user_id: int):
    """Sign a person out on every device."""
    row = accounts.get_user(db(), user_id)
    if ConfirmForm().validate_on_submit():
        ended = accounts.end_sessions(db(), current_identity(), user_id)
        flash(f"{row['name']} was signed out on {ended.sessions} device(s). "
              f"{ended.notice('Their')}".strip(), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/setup-link")
@requires("manage_users")
def new_setup_link(user_id: int):
    """Make a new set-up link (the old one stops working)."""
    row = accounts.get_user(db(), user_id)
    if ConfirmForm().validate_on_submit():
        sent = accounts.invite(db(), current_identity(), user_id)
        if sent.mailed:
            flash(f"A new set-up link (valid for {accounts.SETUP_LINK_HOURS} hours) is on its "
                  f"way to {row['name']} at {row['email']}.", "success")
        else:
            flash(f"New set-up link for {row['name']} (valid for {accounts.SETUP_LINK_HOURS} "
                  f"hours): {sent.link}", "success")
    return redirect(url_for("admin.user", user_id=user_id))


# -- groups ------------------------------------------------------------------


def _member_choices():
    return choices((u["id"], f"{u['name']} ({u['email']})") for u in accounts.list_users(db())
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
        row = groups.get_group(db(), group_id)
        data = {"name": row["name"], "description": row["description"],
                "members": groups.member_ids(db(), group_id)}
    form = GroupForm(data=data)
    form.members.choices = _member_choices()
    if form.validate_on_submit():
        try:
            groups.save_group(db(), current_identity(), group_id=group_id, name=form.name.data,
                              description=form.description.data or "",
                              members=form.members.data or [])
        except NotPermitted as exc:
            form.members.errors.append(str(exc))
        except InvalidInput as exc:
            form.name.errors.append(str(exc))
        else:
            flash(f"Group {form.name.data} saved.", "success")
            return redirect(url_for("admin.group_list"))
    closed = groups.closed_rooms(db(), current_identity(), group_id) if group_id else 0
    return render_template("admin/group_edit.html", form=form, group_id=group_id,
                           confirm=ConfirmForm(), closed_rooms=closed), (
        422 if form.errors else 200)


@bp.post("/admin/groups/<int:group_id>/delete")
@requires("manage_users")
def group_delete(group_id: int):
    """Delete a group (asking first, on a page: a group may be the way into a room)."""
    group = groups.get_group(db(), group_id)
    if not confirmed():
        return ask_first(f"Delete the group “{group['name']}”?",
                         ["Its members lose whatever the group gave them (rooms, folders "
                          "shared with it); this cannot be undone."],
                         url_for("admin.group_edit", group_id=group_id))
    if ConfirmForm().validate_on_submit():
        groups.delete_group(db(), current_identity(), group_id)
        flash("Group deleted.", "success")
    return redirect(url_for("admin.group_list"))


# -- board and committees ----------------------------------------------------------


@bp.get("/board")
@requires_role("reader")
def board_list():
    """The governing board and its committees (everyone may see who sits where)."""
    conn = db()
    today = dates.today()
    shown = [dict(b) | {"people": bodies.members(conn, b["id"], today),
                        "quorum_now": bodies.quorum_rule(conn, b["id"], today)}
             for b in bodies.list_bodies(conn)]
    return render_template("admin/board.html", bodies=shown,
                           can_edit=current_user.can("manage_board"))


@bp.route("/board/new", methods=["GET", "POST"], defaults={"body_id": None})
@bp.route("/board/<int:body_id>/edit", methods=["GET", "POST"])
@requires("manage_board")
def body_edit(body_id: int | None):
    """Create a committee (or the board, if there is none yet) or edit one."""
    conn = db()
    data, kind = {}, request.args.get("kind", "committee")
    if body_id is not None:
        row = bodies.get_body(db(), body_id)
        kind = row["kind"]
        data = {"name": row["name"], "description": row["description"],
                "quorum": str(row["quorum"] or "")}
    form = BodyForm(data=data)
    if form.validate_on_submit():
        try:
            new_id = bodies.save_body(conn, current_identity(), body_id=body_id, kind=kind,
                                      name=form.name.data, description=form.description.data or "",
                                      quorum_text=None if kind == "board" else form.quorum.data)
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
    body = bodies.get_body(db(), body_id)
    form = BodyMemberForm()
    form.user_id.choices = _member_choices()
    form.category.choices = choices(categories.labels(conn).items())
    if form.validate_on_submit():
        try:
            bodies.add_member(conn, current_identity(), body_id, form.user_id.data,
                              form.position.data, form.category.data)
        except (InvalidInput, NotFound, NotPermitted) as exc:
            form.user_id.errors.append(str(exc))
        else:
            flash("Member saved.", "success")
            return redirect(url_for("admin.body_members", body_id=body_id))
    return render_template("admin/body_members.html", body=body, form=form,
                           members=bodies.members(conn, body_id), confirm=ConfirmForm(),
                           quorum=bodies.quorum_rule(conn, body_id)), 422 if form.errors else 200


@bp.post("/board/<int:body_id>/members/<int:user_id>/remove")
@requires("manage_board")
def body_member_remove(body_id: int, user_id: int):
    """Take a person off the board or a committee (asking first, on a page)."""
    body = bodies.get_body(db(), body_id)
    if not confirmed():
        return ask_first(f"Take this person off {body['name']}?",
                         ["They no longer see its confidential items and papers."],
                         url_for("admin.body_members", body_id=body_id),
                         yes="Yes, take them off", no="No, keep them")
    if ConfirmForm().validate_on_submit():
        bodies.remove_member(db(), current_identity(), body_id, user_id)
        flash("Member removed.", "success")
    return redirect(url_for("admin.body_members", body_id=body_id))


@bp.post("/board/<int:body_id>/delete")
@requires("manage_board")
def body_delete(body_id: int):
    """Delete a committee (asking first, on a page)."""
    body = bodies.get_body(db(), body_id)
    if not confirmed():
        return ask_first(f"Delete the committee “{body['name']}”?",
                         ["It is deleted for good; this cannot be undone."],
                         url_for("admin.body_members", body_id=body_id))
    if ConfirmForm().validate_on_submit():
        try:
            bodies.delete_body(db(), current_identity(), body_id)
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
    form = _mfa_form(conn)
    if form.validate_on_submit():
        school_settings.set_mfa_policy(conn, current_identity(), form.policy.data)
        flash("Settings saved.", "success")
        return redirect(url_for("admin.settings"))
    return _settings_page(form=form)


def _mfa_form(conn):
    form = MfaPolicyForm(data={"policy": school_settings.get(conn, "mfa_policy")})
    form.policy.choices = choices(school_settings.MFA_POLICIES.items())
    return form


def _settings_page(*, form=None, reply_form=None, news_form=None, reminder_form=None):
    """The settings page, with the forms given (one sent back with its errors) and the
    others filled from the school's settings."""
    conn = db()
    form = _mfa_form(conn) if form is None else form
    if reply_form is None:
        reply_form = ReplyToForm(data={"reply_to": outbox.reply_to(conn)})
    if news_form is None:
        day, hour = newsletter_letters.schedule_of(conn)
        news_form = NewsletterScheduleForm(data={"day": day, "hour": hour})
    if reminder_form is None:
        reminder_form = ReminderForm(data={"days": notices.reminder_days(conn)})
    backup = None
    status_hook = current_app.extensions.get("gvo_backup_status")
    if status_hook:
        backup = status_hook(g.school)
    failed = len(outbox.failed_messages(conn))
    forms = (form, reply_form, news_form, reminder_form)
    return render_template("admin/settings.html", form=form, reply_form=reply_form,
                           news_form=news_form, reminder_form=reminder_form, backup=backup,
                           mail_on=outbox.enabled(db()), mail_failed=failed), (
        422 if any(f.errors for f in forms) else 200)


@bp.post("/admin/settings/reminders")
@requires_role("manager")
def reminder_settings():
    """How many days before a meeting members who have not replied are reminded."""
    conn = db()
    reminder_form = ReminderForm()
    if reminder_form.validate_on_submit():
        try:
            notices.set_reminder_days(conn, current_identity(), reminder_form.days.data)
        except InvalidInput as exc:
            reminder_form.days.errors.append(str(exc))
        else:
            flash("Reminder saved.", "success")
            return redirect(url_for("admin.settings"))
    elif not reminder_form.days.errors:
        reminder_form.days.errors.append("Give a number of days from 0 to 60.")
    return _settings_page(reminder_form=reminder_form)


@bp.post("/admin/settings/mail")
@requires_role("manager")
def mail_settings():
    """Where replies to the school's e-mail go (the clerk's address)."""
    conn = db()
    reply_form = ReplyToForm()
    if reply_form.validate_on_submit():
        try:
            school_settings.set_reply_to(conn, current_identity(), reply_form.reply_to.data or "")
        except InvalidInput as exc:
            reply_form.reply_to.errors.append(str(exc))
        else:
            flash("Reply-to address saved.", "success")
            return redirect(url_for("admin.settings"))
    return _settings_page(reply_form=reply_form)


@bp.post("/admin/settings/newsletter")
@requires_role("manager")
def newsletter_settings():
    """When the weekly newsletter (and the daily digest's hour) goes out."""
    conn = db()
    news_form = NewsletterScheduleForm()
    if news_form.validate_on_submit():
        newsletter_letters.set_schedule(conn, current_identity(), news_form.day.data,
                                        news_form.hour.data)
        flash("Newsletter time saved.", "success")
        return redirect(url_for("admin.settings"))
    return _settings_page(news_form=news_form)


@bp.get("/admin/mail")
@requires_role("manager")
def mail_failures():
    """Messages the mail server refused for good (or for too long), with the reason."""
    return render_template("admin/mail.html",
                           failed=outbox.failed_messages(db(), current_identity()),
                           mail_on=outbox.enabled(db()), confirm=ConfirmForm())


@bp.post("/admin/mail/<int:message_id>/retry")
@requires_role("manager")
def mail_retry(message_id: int):
    """Send a failed message again."""
    if ConfirmForm().validate_on_submit():
        try:
            outbox.retry(db(), current_identity(), message_id)
        except InvalidInput as exc:
            flash(str(exc), "error")
        else:
            flash("The message will be sent again.", "success")
    return redirect(url_for("admin.mail_failures"))


@bp.get("/admin/audit")
@requires_role("manager")
def audit_log():
    """The audit log, newest first, a page at a time, with the chain's state."""
    # The chain is checked for the whole page, not for each following part of the list.
    chain = None if paging.wants_rows() else audit.verify(db())
    entries = audit.page(db(), paging.after())
    return paging.render("admin/audit.html", entries=entries, chain=chain,
                         hidden=access.hidden_entries(db(), current_identity(), entries),
                         hidden_text=access.HIDDEN_ENTRY)
