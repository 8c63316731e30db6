"""A person's own profile: details, password, two-step sign-in, sessions."""

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user

from gvo.core.errors import InvalidInput
from gvo.mail import outbox, volume
from gvo.meetings import calendar_feed
from gvo.people import accounts, signin
from gvo.security.sessions import active_sessions, is_current
from gvo.security.throttle import Throttled
from gvo.web.access import current_identity, db, keep_signed_in, school_blueprint, signed_in
from gvo.web.forms import (
    ChangePasswordForm,
    ConfirmForm,
    ConfirmPasswordForm,
    MailVolumeForm,
    ProfileForm,
)

bp = school_blueprint("profile", __name__)


@bp.get("/profile")
@signed_in
def show():
    """The profile page."""
    return _render()


def _render(profile_form=None, password_form=None, codes_form=None, mail_form=None,
            status=200):
    conn = db()
    user = accounts.get_user(conn, current_user.id)
    mail_form = mail_form or MailVolumeForm(data={"volume": user["mail_volume"]})
    new_feed = session.pop("new_feed_url", None)
    profile_form = profile_form or ProfileForm(data={"name": user["name"], "phone": user["phone"]})
    sessions = [dict(s) | {"current": is_current(session, s["id_hash"])}
                for s in active_sessions(conn, current_user.id)]
    return render_template(
        "profile/show.html", user=user, profile_form=profile_form,
        password_form=password_form or ChangePasswordForm(), confirm=ConfirmForm(),
        codes_form=codes_form or ConfirmPasswordForm(),
        codes_left=signin.recovery_codes_left(conn, current_user.id), sessions=sessions,
        feed_created=calendar_feed.feed_created(conn, current_user.id),
        feed_stopped=calendar_feed.feed_stopped(conn, current_user.id),
        new_feed=new_feed and {"https": new_feed, "webcal": calendar_feed.webcal(new_feed)},
        mail_form=mail_form, mail_on=outbox.enabled(db()),
        stopped=[(k, volume.kind_label(k))
                 for k in sorted(volume.opted_out(conn, current_user.id))],
    ), status


@bp.post("/profile")
@signed_in
def update():
    """Save name and phone."""
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            accounts.update_profile(db(), current_identity(), current_user.id, name=form.name.data,
                                    phone=form.phone.data or "")
        except InvalidInput as exc:
            form.name.errors.append(str(exc))
        else:
            flash("Your details are saved.", "success")
            return redirect(url_for("profile.show"))
    return _render(profile_form=form, status=422)


@bp.post("/profile/password")
@signed_in
def change_password():
    """Change password (asks for the current one); other devices are signed out."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            ended = accounts.change_password(db(), current_identity(), form.current.data,
                                             form.password.data, keep_session=session.token)
        except (accounts.WrongPassword, Throttled) as exc:
            form.current.errors.append(str(exc))
        except InvalidInput as exc:
            form.password.errors.append(str(exc))
        else:
            keep_signed_in(ended)
            session.rotate()
            msg = "Your password is changed."
            if ended.sessions:
                msg += f" {ended.sessions} other device(s) were signed out."
            flash(f"{msg} {ended.notice('Your')}".strip(), "success")
            return redirect(url_for("profile.show"))
    return _render(password_form=form, status=422)


@bp.post("/profile/recovery-codes")
@signed_in
def new_recovery_codes():
    """Replace the recovery codes with ten new ones, shown once (asks for the password)."""
    form = ConfirmPasswordForm()
    if form.validate_on_submit():
        try:
            codes = signin.regenerate_recovery_codes(db(), current_identity(),
                                                     form.password.data)
        except InvalidInput as exc:
            form.password.errors.append(str(exc))
        else:
            session["show_codes"] = codes
            return redirect(url_for("auth.recovery_codes"))
    return _render(codes_form=form, status=422)


@bp.post("/profile/calendar-feed")
@signed_in
def new_feed():
    """Make a private calendar feed URL (any earlier one stops working)."""
    if ConfirmForm().validate_on_submit():
        token = calendar_feed.new_token(db(), current_identity(), current_user.id)
        # Shown once, on the profile page (with a subscribe link and a copy button).
        session["new_feed_url"] = current_app.config["GVO_BASE_URL"].rstrip("/") + url_for(
            "meetings.feed", token=token)
    return redirect(url_for("profile.show") + "#calendar")


@bp.post("/profile/calendar-feed/revoke")
@signed_in
def revoke_feed():
    """Stop the calendar feed URL from working."""
    if ConfirmForm().validate_on_submit():
        calendar_feed.revoke(db(), current_identity(), current_user.id)
        flash("Your calendar feed address no longer works.", "success")
    return redirect(url_for("profile.show") + "#calendar")


@bp.post("/profile/mail")
@signed_in
def mail_volume():
    """Choose how much e-mail to get."""
    form = MailVolumeForm()
    if form.validate_on_submit():
        volume.set_volume(db(), current_identity(), current_user.id, form.volume.data)
        flash("Your e-mail choice is saved.", "success")
        return redirect(url_for("profile.show") + "#mail")
    return _render(mail_form=form, status=422)


@bp.post("/profile/mail/resume/<kind>")
@signed_in
def mail_resume(kind: str):
    """Start again a kind of e-mail stopped with an unsubscribe link."""
    if ConfirmForm().validate_on_submit():
        volume.resubscribe(db(), current_identity(), current_user.id, kind)
        flash(f"You will get {volume.kind_label(kind)} again.", "success")
    return redirect(url_for("profile.show") + "#mail")
