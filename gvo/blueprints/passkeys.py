"""Passkey pages (the `passkeys` blueprint): add, rename and remove passkeys (from the
profile), a passkey as the second step of sign-in, a sign-in with a passkey alone where the
school allows it, and the Managers' setting for that. The browser side is
gvo/static/passkeys.js; the rules are gvo.security.passkeys and gvo.people.passkey_signin.

Each page that starts a ceremony keeps its challenge in the server-side session (beside the
pending sign-in for the second step, so a new password step voids it) and the answer's
request takes it out before anything is checked: a challenge serves once.
"""

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length

from gvo.core.errors import InvalidInput
from gvo.people import accounts, passkey_signin
from gvo.people.signin import VERIFY, SignInVoid
from gvo.security import passkeys
from gvo.security.throttle import Throttled
from gvo.web.access import (
    current_identity,
    db,
    public,
    requires_role,
    safe_next,
    school_blueprint,
    signed_in,
)
from gvo.web.forms import ConfirmForm, LineField
from gvo.web.signin_steps import finish, pending, void

bp = school_blueprint("passkeys", __name__)
ADD_KEY, LOGIN_KEY = "passkey_add", "passkey_login"  # session: a ceremony's challenge


class PasskeyAnswerForm(FlaskForm):
    """The browser's answer to a passkey ceremony (JSON, filled by passkeys.js)."""

    credential = HiddenField(validators=[Length(max=20_000)])
    next = HiddenField()


class AddPasskeyForm(PasskeyAnswerForm):
    """A new passkey: its name and the person's password again."""

    name = LineField("Name for this passkey", description="Such as the device it is on: "
                     "\u201cMy phone\u201d, \u201cWork laptop\u201d.",
                     validators=[DataRequired(), Length(max=passkeys.MAX_NAME)])
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=1024)])


class RenamePasskeyForm(FlaskForm):
    """A passkey's new name."""

    name = LineField("New name", validators=[DataRequired(), Length(max=passkeys.MAX_NAME)])


class PasskeySigninSettingForm(FlaskForm):
    """The school's choice: may people sign in with a passkey alone."""

    allowed = BooleanField("Let people sign in with a passkey alone (no password)")


def _rp() -> passkeys.RelyingParty:
    """This office's relying party; PasskeysOff without a usable GVO_BASE_URL."""
    return passkeys.relying_party(current_app.config.get("GVO_BASE_URL", ""), g.school_name)


def _rp_or_none() -> passkeys.RelyingParty | None:
    try:
        return _rp()
    except passkeys.PasskeysOff:
        return None


@bp.app_context_processor
def passkey_helpers() -> dict:
    """For the sign-in, profile and settings templates: what to offer about passkeys."""

    def offered_at_signin() -> bool:
        return bool(g.get("school")) and _rp_or_none() is not None and \
            passkey_signin.signin_allowed(db())

    def offered_at_verify() -> bool:
        state = pending(VERIFY)
        return state is not None and isinstance(state.get("user_id"), int) and \
            _rp_or_none() is not None and passkeys.has_any(db(), state["user_id"])

    def profile_passkeys() -> dict:
        rp = _rp_or_none()
        return {"available": rp is not None, "rows": passkeys.list_for(db(), current_user.id),
                "rename": RenamePasskeyForm(), "confirm": ConfirmForm()}

    def setting_form() -> PasskeySigninSettingForm:
        return PasskeySigninSettingForm(data={"allowed": passkey_signin.signin_allowed(db())})

    return {"passkey_offered_at_signin": offered_at_signin,
            "passkey_offered_at_verify": offered_at_verify,
            "profile_passkeys": profile_passkeys, "passkey_setting_form": setting_form}


# -- profile: add, rename, remove -------------------------------------------------------------


@bp.route("/profile/passkeys/new", methods=["GET", "POST"])
@signed_in
def add():
    """Add a passkey: name it, give the password, then the device makes it (passkeys.js)."""
    try:
        rp = _rp()
    except passkeys.PasskeysOff as exc:
        flash(str(exc), "warning")
        return redirect(url_for("profile.show") + "#passkeys")
    form = AddPasskeyForm()
    if form.validate_on_submit():
        kept = session.pop(ADD_KEY, None)
        try:
            accounts.confirm_password(db(), current_identity(), form.password.data,
                                      purpose="new passkey")
        except (accounts.WrongPassword, Throttled) as exc:
            form.password.errors.append(str(exc))
        else:
            try:
                passkeys.add(db(), current_identity(), rp, kept, form.credential.data,
                             form.name.data)
            except InvalidInput as exc:
                form.name.errors.append(str(exc))
            else:
                flash(f"Your passkey \u201c{form.name.data.strip()}\u201d is added.", "success")
                return redirect(url_for("profile.show") + "#passkeys")
    kept = session[ADD_KEY] = passkeys.new_challenge()
    options = passkeys.registration_options(db(), rp, current_user.id, kept)
    return render_template("auth/passkey_add.html", form=form, options=options), (
        422 if form.errors else 200)


@bp.post("/profile/passkeys/<int:passkey_id>/rename")
@signed_in
def rename(passkey_id: int):
    """Give one of your passkeys a new name."""
    form = RenamePasskeyForm()
    if form.validate_on_submit():
        try:
            passkeys.rename(db(), current_identity(), passkey_id, form.name.data)
        except InvalidInput as exc:
            flash(str(exc), "warning")
        else:
            flash("The passkey is renamed.", "success")
    else:
        flash("Give the passkey a name of up to "
              f"{passkeys.MAX_NAME} characters.", "warning")
    return redirect(url_for("profile.show") + "#passkeys")


@bp.post("/profile/passkeys/<int:passkey_id>/remove")
@signed_in
def remove(passkey_id: int):
    """Remove one of your passkeys: it no longer signs in."""
    if ConfirmForm().validate_on_submit():
        try:
            name = passkeys.remove(db(), current_identity(), passkey_id)
        except InvalidInput as exc:
            flash(str(exc), "warning")
        else:
            flash(f"The passkey \u201c{name}\u201d is removed: it no longer signs in.",
                  "success")
    return redirect(url_for("profile.show") + "#passkeys")


# -- sign-in -------------------------------------------------------------------------------


@bp.route("/login/verify/passkey", methods=["GET", "POST"])
@public
def verify():
    """Step two with a passkey instead of a code."""
    state = pending(VERIFY)
    rp = _rp_or_none()
    if state is None or rp is None:
        flash("Please sign in again.", "info")
        return redirect(url_for("auth.login"))
    user_id, version = state["user_id"], state.get("credentials")
    form = PasskeyAnswerForm()
    if form.validate_on_submit():
        kept = state.pop("passkey", None)
        session["signin"] = state  # the challenge is spent, whatever the answer
        try:
            passkey_signin.second_factor(db(), rp, user_id, version, kept,
                                         form.credential.data, g.client_ip)
        except SignInVoid as exc:
            return void(exc)
        except InvalidInput as exc:
            form.credential.errors.append(str(exc))
        else:
            return finish(user_id, version, state["next"])
    if not isinstance(user_id, int) or not passkeys.has_any(db(), user_id):
        return redirect(url_for("auth.verify"))
    state["passkey"] = passkeys.new_challenge()
    session["signin"] = state
    options = passkeys.assertion_options(db(), rp, state["passkey"], user_id)
    return render_template("auth/passkey_verify.html", form=form, options=options), (
        422 if form.errors else 200)


@bp.route("/login/passkey", methods=["GET", "POST"])
@public
def login():
    """Sign in with a passkey alone, where the school allows it."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    rp = _rp_or_none()
    if rp is None or not passkey_signin.signin_allowed(db()):
        flash("Sign in with your e-mail address and password.", "info")
        return redirect(url_for("auth.login"))
    form = PasskeyAnswerForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        session.pop("signin", None)  # a new attempt: whatever came before is void
        kept = session.pop(LOGIN_KEY, None)
        try:
            user_id, version = passkey_signin.sign_in(db(), rp, kept, form.credential.data,
                                                      g.client_ip)
        except InvalidInput as exc:
            form.credential.errors.append(str(exc))
        else:
            return finish(user_id, version, safe_next(form.next.data))
    kept = session[LOGIN_KEY] = passkeys.new_challenge()
    options = passkeys.assertion_options(db(), rp, kept)
    return render_template("auth/passkey_login.html", form=form, options=options), (
        422 if form.errors else 200)


# -- the school's setting --------------------------------------------------------------------


@bp.post("/admin/settings/passkeys")
@requires_role("manager")
def settings():
    """Let people sign in with a passkey alone, or stop it."""
    form = PasskeySigninSettingForm()
    if form.validate_on_submit():
        passkey_signin.set_signin_allowed(db(), current_identity(), form.allowed.data)
        flash("Passkey sign-in is " + ("allowed." if form.allowed.data else "off."),
              "success")
    return redirect(url_for("admin.settings") + "#passkeys")
