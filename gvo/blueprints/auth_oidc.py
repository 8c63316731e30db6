"""Signing in with the school's OpenID Connect provider, and the Manager's page that sets
it up: the `auth_oidc` blueprint (its own, as every blueprint: what it shares with the
password's routes, the sign-in in progress, is gvo.web.signin_steps); the rules are
gvo.people.oidc_signin's, the protocol gvo.security.oidc's."""

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from gvo.core.errors import InvalidInput
from gvo.people import oidc_signin
from gvo.security import oidc
from gvo.web.access import (
    current_identity,
    db,
    public,
    requires_role,
    safe_next,
    school_blueprint,
)
from gvo.web.forms import ConfirmForm, LineField
from gvo.web.signin_steps import next_step

bp = school_blueprint("auth_oidc", __name__)

PENDING_KEY = "oidc"  # session: the sign-in waiting to come back from the provider


class OidcConfigForm(FlaskForm):
    """The Manager's settings of sign-in with the school's provider."""

    enabled = BooleanField("People may sign in with the school's provider")
    label = LineField("Provider's name on the button", validators=[Length(max=40)],
                      description="Such as Microsoft or Google: the button says "
                                  "“Sign in with …”.")
    issuer = StringField("Issuer URL", validators=[DataRequired(), Length(max=500)],
                         description="Microsoft: https://login.microsoftonline.com/<tenant "
                                     "id>/v2.0 · Google: https://accounts.google.com")
    client_id = StringField("Client id", validators=[DataRequired(), Length(max=200)])
    client_secret = PasswordField("Client secret", validators=[Optional(), Length(max=500)],
                                  description="Stored encrypted with the school's data and "
                                              "never shown again; leave blank to keep it.")
    allowed_domains = StringField("E-mail domains allowed",
                                  validators=[DataRequired(), Length(max=1000)],
                                  description="Such as school.org.uk; several with spaces.")
    auto_create = BooleanField("Make an account for someone with no account here (as a "
                               "Reader, until you give them a role)")
    trust_amr_mfa = BooleanField("The provider enforces multi-factor sign-in: trust its "
                                 "“mfa” claim instead of a code from GVO's two-step sign-in")
    password_managers_only = BooleanField("Turn password sign-in off for everyone but "
                                          "Managers")


def _redirect_uri() -> str:
    return url_for("auth_oidc.oidc_callback", _external=True)


@bp.app_context_processor
def _oidc_button() -> dict:
    """`oidc_label()` for the sign-in page (auth/_oidc_button.html): the button's provider
    name, or None when the school has no provider on. Read only when the template calls it, so
    an error page for a closed or moved school never opens its database."""

    def oidc_label() -> str | None:
        found = oidc_signin.active(db())
        return found.label if found else None

    return {"oidc_label": oidc_label}


@bp.post("/login/oidc")
@public
def oidc_start():
    """Send the person to the school's provider to sign in (a form's button, with CSRF)."""
    found = oidc_signin.active(db())
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    if found is None or not ConfirmForm().validate_on_submit():
        return redirect(url_for("auth.login"))
    try:
        url, pending = oidc_signin.start(db(), found, _redirect_uri(), g.client_ip)
    except InvalidInput as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.login"))
    pending["next"] = safe_next(request.form.get("next"))
    session.pop("signin", None)  # a new attempt: whatever came before is void
    session[PENDING_KEY] = pending
    return redirect(url, 303)


@bp.get("/login/oidc/callback")
@public
def oidc_callback():
    """Where the provider sends the person back (code and state, or an error)."""
    found = oidc_signin.active(db())
    pending = session.pop(PENDING_KEY, None)  # one use, whatever comes of it
    if found is None:
        return redirect(url_for("auth.login"))
    try:
        result = oidc_signin.complete(db(), found, _redirect_uri(),
                                      pending if isinstance(pending, dict) else None,
                                      request.args.to_dict(), g.client_ip)
    except (InvalidInput, oidc.ProviderDown) as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.login"))
    session.rotate()
    target = pending.get("next")
    if result.created:
        flash("Your account was made as a Reader: your clerk will give you your role.", "info")
    return next_step(result, target)


@bp.route("/admin/sign-in", methods=["GET", "POST"])
@requires_role("manager")
def oidc_settings():
    """The Manager's settings of sign-in with the school's OpenID Connect provider."""
    found = oidc_signin.config(db())
    form = OidcConfigForm(data=_form_data(found))
    if form.validate_on_submit():
        try:
            oidc_signin.save_config(
                db(), current_identity(), enabled=form.enabled.data, label=form.label.data or "",
                issuer=form.issuer.data, client_id=form.client_id.data,
                client_secret=form.client_secret.data or "",
                allowed_domains=form.allowed_domains.data,
                auto_create=form.auto_create.data, trust_amr_mfa=form.trust_amr_mfa.data,
                password_managers_only=form.password_managers_only.data)
        except InvalidInput as exc:
            form.issuer.errors.append(str(exc))
        else:
            flash("Sign-in settings saved.", "success")
            return redirect(url_for("auth_oidc.oidc_settings"))
    return render_template("auth/oidc_settings.html", form=form, redirect_uri=_redirect_uri(),
                           has_secret=bool(found and found.client_secret)), (
        422 if form.errors else 200)


def _form_data(found: oidc_signin.Config | None) -> dict:
    if found is None:
        return {}
    return {"enabled": found.enabled, "label": found.label, "issuer": found.issuer,
            "client_id": found.client_id, "allowed_domains": " ".join(found.allowed_domains),
            "auto_create": found.auto_create, "trust_amr_mfa": found.trust_amr_mfa,
            "password_managers_only": found.password_managers_only}
