"""The trusted-device cookie in the sign-in pages (the rules: gvo.security.devices).

The cookie is the school's own (`devices.cookie_name`): `__Host-` prefixed and Secure when
the request came over HTTPS (directly or through a trusted proxy), always HttpOnly,
SameSite=Lax, Path=/, no Domain, Max-Age the school's days. A cookie the server no longer
accepts is deleted from the browser as it is refused.
"""

from flask import Response, after_this_request, g, request

from gvo.security import devices
from gvo.web.access import db


def _attributes() -> dict:
    return {"path": "/", "secure": request.is_secure, "httponly": True, "samesite": "Lax"}


def _name() -> str:
    return devices.cookie_name(g.school, request.is_secure)


def skips_code_step(user_id: int, credential_version: int) -> bool:
    """After a passed password step: whether this browser's trusted-device cookie stands
    for the code step of `user_id` (gvo.security.devices.sign_in: used and audited). A
    cookie refused is deleted with the answer."""
    token = request.cookies.get(_name(), "")
    if not token:
        return False
    if devices.sign_in(db(), token, user_id, credential_version, g.client_ip):
        return True

    @after_this_request
    def forget(response: Response) -> Response:
        response.delete_cookie(_name(), **_attributes())
        return response

    return False


def offered() -> int:
    """For how many days this school lets a browser be trusted (0: the box is not shown)."""
    return devices.trust_days(db())


def trust_this_browser(user_id: int, credential_version: int) -> None:
    """Trust this browser for `user_id`, who has just passed the code step of the sign-in
    whose password step saw `credential_version`: the device is stored (audited) and the
    answer sets its cookie. Nothing happens if the school does not allow it."""
    trusted = devices.trust(db(), user_id, credential_version, g.client_ip,
                            request.user_agent.string or "")
    if trusted is None:
        return

    @after_this_request
    def remember(response: Response) -> Response:
        response.set_cookie(_name(), trusted.token, max_age=trusted.max_age, **_attributes())
        return response
