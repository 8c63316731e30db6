"""One-click unsubscribe (RFC 8058): the link in every message that is not account mail.

A mail program POSTs `List-Unsubscribe=One-Click` to the link with no cookie and no form
token, so the POST is exempt from CSRF: the signed token in the address is the proof
(gvo.mail.volume). A person who opens the link gets a page with one button; opening it
writes nothing (a mail scanner fetching links must not unsubscribe anyone), and the page
carries no form token either, so no session is made and no cookie is set (base.html asks
for a form token only for signed-in people and in forms).
"""

from flask import render_template

from gvo.core.errors import InvalidInput, NotFound
from gvo.mail import volume
from gvo.web.access import db, public, school_blueprint
from gvo.web.forms import csrf

bp = school_blueprint("unsubscribe", __name__)


@bp.get("/mail/unsubscribe/<token>")
@public
def confirm(token: str):
    """Say what the link stops, with a button to do it (writes nothing)."""
    try:
        _user_id, kind, _version = volume.read_token(db(), token)
        used = volume.link_used(db(), token)
    except InvalidInput as exc:
        return render_template("mail_pages/unsubscribe.html", error=str(exc)), 404
    return render_template("mail_pages/unsubscribe.html", kind=volume.kind_label(kind),
                           token=token, done=False, used=used, error=None)


@bp.post("/mail/unsubscribe/<token>")
@public
@csrf.exempt
def unsubscribe(token: str):
    """Stop that kind of mail for that person (RFC 8058 one-click, or the page's button)."""
    try:
        _user_id, kind, _changed = volume.unsubscribe(db(), token)
    except volume.LinkUsed:
        return render_template("mail_pages/unsubscribe.html", used=True, done=False,
                               error=None), 410
    except (InvalidInput, NotFound) as exc:
        return render_template("mail_pages/unsubscribe.html", error=str(exc)), 404
    return render_template("mail_pages/unsubscribe.html", kind=volume.kind_label(kind),
                           token=token, done=True, error=None)
