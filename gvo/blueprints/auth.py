"""Sign-in, two-step verification, MFA enrolment, set-up links and sign-out."""

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from gvo import audit, clock, people, school_settings
from gvo import auth as auth_service
from gvo.access import (
    current_actor,
    db,
    mark_signed_in,
    public,
    safe_next,
    school_blueprint,
    signed_in,
)
from gvo.errors import InvalidInput
from gvo.forms import CodeForm, ConfirmForm, LoginForm, SetPasswordForm
from gvo.security import totp
from gvo.security.sessions import end_user_sessions

bp = school_blueprint("auth", __name__)
PENDING_SECONDS = 10 * 60


def _pending_user_id() -> int | None:
    """The user who passed the password step in this session within the last 10 minutes."""
    uid, at = session.get("pending_user_id"), session.get("pending_at", 0)
    if uid and clock.now() - at < PENDING_SECONDS:
        return int(uid)
    return None


def _finish(user_id: int):
    target = safe_next(session.pop("next", None)) or url_for("home.index")
    mark_signed_in(user_id)
    return redirect(target)


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
        try:
            result = auth_service.check_password(db(), form.email.data, form.password.data,
                                                 g.client_ip)
        except InvalidInput as exc:
            form.password.errors.append(str(exc))
        else:
            session.rotate()
            session["pending_user_id"] = result.user_id
            session["pending_at"] = clock.now()
            session["next"] = safe_next(form.next.data)
            if result.needs_totp:
                return redirect(url_for("auth.verify"))
            if result.must_enrol:
                session["pending_enrol"] = True
                return redirect(url_for("auth.enrol"))
            auth_service.record_password_only_login(db(), result.user_id, g.client_ip)
            return _finish(result.user_id)
    return render_template(
        "auth/login.html", form=form, demo=school_settings.is_demo(db()),
    ), 200 if not form.errors else 422


@bp.route("/login/verify", methods=["GET", "POST"])
@public
def verify():
    """Step two: a code from the authenticator app, or a recovery code."""
    user_id = _pending_user_id()
    if user_id is None:
        flash("Please sign in again.", "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            used = auth_service.check_second_factor(db(), user_id, form.code.data, g.client_ip)
        except InvalidInput as exc:
            form.code.errors.append(str(exc))
        else:
            if used == "recovery":
                left = auth_service.recovery_codes_left(db(), user_id)
                flash(f"You used a recovery code; {left} left. Make new ones in your profile "
                      "if you are running low.", "warning")
            return _finish(user_id)
    return render_template("auth/verify.html", form=form), 200 if not form.errors else 422


@bp.route("/mfa/enrol", methods=["GET", "POST"])
@public
def enrol():
    """Set up an authenticator app: QR code and key, confirmed with a first code."""
    if current_user.is_authenticated:
        user_id, forced = current_user.id, False
    else:
        user_id = _pending_user_id() if session.get("pending_enrol") else None
        forced = True
        if user_id is None:
            return redirect(url_for("auth.login"))
    user = people.get_user(db(), user_id)
    if not session.get("enrol_secret"):
        session["enrol_secret"] = totp.new_secret()
    secret = session["enrol_secret"]
    form = CodeForm()
    if form.validate_on_submit():
        actor = people.Actor(user_id, user["email"], g.client_ip)
        try:
            codes = auth_service.enrol_totp(db(), actor, user_id, secret, form.code.data)
        except InvalidInput as exc:
            form.code.errors.append(str(exc))
        else:
            session.pop("enrol_secret", None)
            session["show_codes"] = codes
            if forced:
                audit.record(db(), "login.success", target=f"user:{user_id}", actor_id=user_id,
                             actor_email=user["email"], ip=g.client_ip, factor="totp-enrolment")
                mark_signed_in(user_id)
            return redirect(url_for("auth.recovery_codes"))
    uri = totp.provisioning_uri(secret, user["email"], g.school_name)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render_template(
        "auth/enrol.html", form=form, qr=totp.qr_svg(uri), secret=grouped, forced=forced, uri=uri,
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
    user = people.user_for_setup_token(db(), token)
    if user is None:
        return render_template("auth/setup_expired.html"), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            people.complete_setup(db(), token, form.password.data, g.client_ip)
        except InvalidInput as exc:
            form.password.errors.append(str(exc))
        else:
            flash("Your password is set. Sign in with it now.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/setup.html", form=form, user=user), 200 if not form.errors else 422


@bp.post("/logout")
@public
def logout():
    """Sign out of this browser (the session is deleted on the server)."""
    form = ConfirmForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        audit.record(db(), "logout", target=f"user:{current_user.id}", actor_id=current_user.id,
                     actor_email=current_user.email, ip=g.client_ip)
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
        actor = current_actor()
        count = end_user_sessions(db(), current_user.id)
        audit.record(db(), "logout.everywhere", target=f"user:{actor.user_id}",
                     actor_id=actor.user_id, actor_email=actor.email, ip=actor.ip, sessions=count)
        logout_user()
        session.end()
        flash("You are signed out on every device.", "info")
    return redirect(url_for("auth.login"))
