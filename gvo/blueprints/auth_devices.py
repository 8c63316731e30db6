"""Trusted devices' pages: removing one (its owner on the profile page, a Manager on the
person's page) and the Managers' setting of how many days a device may be trusted.

Trusting a device and signing in with one happen in the sign-in pages (gvo.blueprints.auth,
with gvo.web.devices); the rules are gvo.security.devices. Its own blueprint: a blueprint
never imports another (tests/test_architecture.py).
"""

from flask import flash, redirect, url_for
from flask_login import current_user

from gvo.core.errors import NotFound, NotPermitted
from gvo.people import accounts
from gvo.security import devices
from gvo.web.access import current_identity, db, requires, requires_role, school_blueprint
from gvo.web.access import signed_in as signed_in_only
from gvo.web.forms import ConfirmForm, TrustDaysForm

bp = school_blueprint("auth_devices", __name__)


@bp.app_context_processor
def _trusted_devices():
    """For the profile, person and settings pages: `trusted_devices(user_id)` (the list,
    gvo.security.devices.list_for) and `trust_days_form()` (the Managers' setting)."""

    def trusted_devices(user_id: int) -> list[dict]:
        return devices.list_for(db(), user_id)

    def trust_days_form() -> TrustDaysForm:
        return TrustDaysForm(data={"trust_days": devices.trust_days(db())})

    return {"trusted_devices": trusted_devices, "trust_days_form": trust_days_form}


def _remove(user_id: int, device_id: int) -> bool:
    """Remove one device of `user_id` if the form is confirmed; flashes what happened."""
    if not ConfirmForm().validate_on_submit():
        return False
    try:
        devices.remove(db(), current_identity(), user_id, device_id)
    except (NotFound, NotPermitted) as exc:
        flash(str(exc), "error")
        return False
    return True


@bp.post("/profile/devices/<int:device_id>/remove")
@signed_in_only
def remove_own(device_id: int):
    """A person stops one of their trusted devices (a code is asked there again)."""
    if _remove(current_user.id, device_id):
        flash("That device is no longer trusted: a code will be asked there at the next "
              "sign-in.", "success")
    return redirect(url_for("profile.show") + "#trusted-devices")


@bp.post("/admin/users/<int:user_id>/devices/<int:device_id>/remove")
@requires("manage_users")
def remove_theirs(user_id: int, device_id: int):
    """A Manager (or whoever manages this person) stops one of the person's devices."""
    row = accounts.get_user(db(), user_id)
    if _remove(user_id, device_id):
        flash(f"That device of {row['name']} is no longer trusted.", "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/admin/settings/trusted-devices")
@requires_role("manager")
def settings():
    """For how many days a device may be trusted after two-step sign-in (0: never)."""
    form = TrustDaysForm()
    if form.validate_on_submit():
        devices.set_trust_days(db(), current_identity(), form.trust_days.data)
        flash("Trusted devices saved." if form.trust_days.data else
              "Trusted devices are off: every device trusted before asks for a code again.",
              "success")
    else:
        errors = [e for errs in form.errors.values() for e in errs]
        flash(errors[0] if errors else "Give a number of days from 0 to 90.", "error")
    return redirect(url_for("admin.settings") + "#trusted-devices")
