"""Sign-in, two-step verification, MFA enrolment, set-up links and sign-out."""

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from gvo.core.errors import InvalidInput
from gvo.people import accounts, recovery, settings, signin
from gvo.people.signin import ENROL, VERIFY
from gvo.security import totp
from gvo.web import devices
from gvo.web.access import (
    current_identity,
    db,
    mark_signed_in,
    public,
    safe_next,
    school_blueprint,
    signed_in,
)
from gvo.web.forms import (
    ChangeAuthenticatorForm,
    CodeForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    SetPasswordForm,
    VerifyForm,
)
from gvo.web.signin_steps import finish as _finish
from gvo.web.signin_steps import next_step
from gvo.web.signin_steps import pending as _signin
from gvo.web.signin_steps import void as _void

bp = school_blueprint("auth", __name__)

@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Step one: e-mail and password."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        session.pop("signin", None)  # a new attempt: whatever came before is void
        try:
            result = signin.check_password(db(), form.email.data, form.password.data,
                                           g.client_ip)
        except InvalidInput as exc:
            form.password.errors.append(str(exc))
        else:
            session.rotate()
            target = safe_next(form.next.data)
            if result.needs_totp and devices.skips_code_step(result.user_id,
                                                             result.credential_version):
                return _finish(result.user_id, result.credential_version, target)
            if not (result.needs_totp or result.must_enrol):
                signin.record_password_only_login(db(), result.user_id, g.client_ip)
            return next_step(result, target)
    return render_template(
        "auth/login.html", form=form, demo=settings.is_demo(db()),
        can_reset=recovery.available(db()),
    ), 200 if not form.errors else 422


@bp.route("/login/verify", methods=["GET", "POST"])
@public
def verify():
    """Step two: a code from the authenticator app, or a recovery code."""
    state = _signin(VERIFY)
    if state is None:
        flash("Please sign in again.", "info")
        return redirect(url_for("auth.login"))
    user_id, version = state["user_id"], state.get("credentials")
    try:
        signin.pending_account(db(), user_id, version, VERIFY)
    except signin.SignInVoid as exc:
        return _void(exc)
    form = VerifyForm()
    trust_days = devices.offered()
    if form.validate_on_submit():
        try:
            used = signin.check_second_factor(db(), user_id, version, form.code.data,
                                              g.client_ip)
        except signin.SignInVoid as exc:
            return _void(exc)
        except InvalidInput as exc:
            form.code.errors.append(str(exc))
        else:
            if used == "recovery":
                left = signin.recovery_codes_left(db(), user_id)
                flash(f"You used a recovery code; {left} left. Make new ones in your profile "
                      "if you are running low.", "warning")
            if trust_days and form.trust.data:
                devices.trust_this_browser(user_id, version)
            return _finish(user_id, version, state["next"])
    return render_template("auth/verify.html", form=form, trust_days=trust_days), (
        200 if not form.errors else 422)


@bp.route("/mfa/enrol", methods=["GET", "POST"])
@public
def enrol():
    """Set up an authenticator app: QR code and key, confirmed with a first code.

    Two ways in: as the second step of a sign-in that the school requires it for, or
    signed in (from the profile), where the person's password is asked again.
    """
    if current_user.is_authenticated:
        return _enrol_signed_in()
    state = _signin(ENROL)
    if state is None:
        session.pop("signin", None)
        return redirect(url_for("auth.login"))
    user_id, version = state["user_id"], state.get("credentials")
    try:
        # Its premise may have gone since the password step (an authenticator was set up
        # meanwhile, a new password): never replace one without the password again.
        user = signin.pending_account(db(), user_id, version, ENROL)
    except signin.SignInVoid as exc:
        return _void(exc)
    if not state["enrol_secret"]:
        state["enrol_secret"] = totp.new_secret()
        session["signin"] = state
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = signin.enrol_at_sign_in(db(), user_id, version, state["enrol_secret"],
                                            form.code.data, g.client_ip)
        except signin.SignInVoid as exc:
            return _void(exc)
        except InvalidInput as exc:
            form.code.errors.append(str(exc))
        else:
            mark_signed_in(user_id, version)
            session["show_codes"] = codes
            return redirect(url_for("auth.recovery_codes"))
    return _enrol_page(form, user, state["enrol_secret"], forced=True)


def _enrol_signed_in():
    """A signed-in person sets up (or replaces) their authenticator, with their password."""
    actor = current_identity()
    setup = session.get("mfa_setup")
    if not isinstance(setup, dict) or setup.get("user_id") != actor.user_id:
        setup = {"user_id": actor.user_id, "secret": totp.new_secret()}
        session["mfa_setup"] = setup
    form = ChangeAuthenticatorForm()
    if form.validate_on_submit():
        try:
            codes = signin.change_authenticator(db(), actor, form.password.data,
                                                setup["secret"], form.code.data)
        except (signin.WrongPassword, signin.Throttled) as exc:
            form.password.errors.append(str(exc))
        except InvalidInput as exc:
            form.code.errors.append(str(exc))
        else:
            session.pop("mfa_setup", None)
            session["show_codes"] = codes
            return redirect(url_for("auth.recovery_codes"))
    return _enrol_page(form, accounts.get_user(db(), actor.user_id), setup["secret"],
                       forced=False)


def _enrol_page(form, user, secret: str, *, forced: bool):
    uri = totp.provisioning_uri(secret, user["email"], g.school_name)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render_template(
        "auth/enrol.html", form=form, qr=totp.qr_svg(uri), secret=grouped, forced=forced, uri=uri,
        replacing=user["mfa_enrolled_at"] is not None,
    ), 200 if not form.errors else 422


@bp.get("/mfa/recovery-codes")
@signed_in
def recovery_codes():
    """Shows freshly made recovery codes, once."""
    codes = session.pop("show_codes", None)
    if not codes:
        return redirect(url_for("profile.show"))
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.route("/setup/<token>", methods=["GET", "POST"])
@public
def setup(token: str):
    """A set-up link from an invitation: choose a password, then sign in."""
    user = accounts.user_for_setup_token(db(), token)
    if user is None:
        return render_template("auth/setup_expired.html"), 410
    return _choose_password(user, token, accounts.complete_setup, "auth/setup.html",
                            "Your password is set.")


def _choose_password(user, token: str, save, template: str, done: str):
    """The page of a one-time link (set-up or new password) whose owner is `user`: choose
    a password, which `save(conn, token, password, ip)` stores; then back to sign in (a
    link signs no one in), saying `done`."""
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            ended = save(db(), token, form.password.data, g.client_ip)
        except InvalidInput as exc:
            form.password.errors.append(str(exc))
        else:
            session.pop("signin", None)
            flash(f"{done} Sign in with it now. {ended.notice('Your')}".strip(), "success")
            return redirect(url_for("auth.login"))
    return render_template(template, form=form, user=user), 200 if not form.errors else 422


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    """"Forgotten password": ask for a link by e-mail. The same answer whether or not the
    address has an account (gvo.people.recovery); the page itself writes nothing."""
    if current_user.is_authenticated:
        return redirect(url_for("profile.show"))
    form = ForgotPasswordForm()
    if recovery.available(db()) and form.validate_on_submit():
        try:
            recovery.request_link(db(), form.email.data, g.client_ip)
        except signin.Throttled as exc:
            form.email.errors.append(str(exc))
        else:
            return render_template("auth/forgot_sent.html", email=form.email.data.strip(),
                                   minutes=recovery.LINK_MINUTES)
    return render_template("auth/forgot.html", form=form, available=recovery.available(db())), (
        422 if form.errors else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """A link from a "forgotten password" message: choose a new password, then sign in
    (with two-step sign-in, as always)."""
    user = recovery.user_for_link(db(), token)
    if user is None:
        return render_template("auth/reset_expired.html", minutes=recovery.LINK_MINUTES), 410
    return _choose_password(user, token, recovery.choose_password, "auth/reset.html",
                            "Your new password is set.")


@bp.post("/logout")
@public
def logout():
    """Sign out of this browser (the session is deleted on the server)."""
    form = ConfirmForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        signin.sign_out(db(), current_identity(), session.token)
        logout_user()
    session.end()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout/everywhere")
@signed_in
def logout_everywhere():
    """Sign out on every device, this one included."""
    form = ConfirmForm()
    if form.validate_on_submit():
        ended = accounts.sign_out_everywhere(db(), current_identity())
        logout_user()
        session.end()
        flash(f"You are signed out on every device. {ended.notice('Your')}".strip(), "info")
    return redirect(url_for("auth.login"))
