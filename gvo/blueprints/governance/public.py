"""The public governance page (`/<school>/governance`, its CSV and JSON), served to anyone
when the school has switched it on, and the Managers' page that switches it.

The rules (who is listed, which fields) are gvo.governance.public's. Switched off, each of
the three answers the same 404 as any page that does not exist: nothing says whether the
school has governors. The three write nothing to the school: no session cookie is set (the
page has no form, so no CSRF token), and they may be kept by shared caches for a few minutes.
"""

import json

from flask import Response, flash, g, make_response, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField
from wtforms.validators import Length, Optional

from gvo.blueprints.governance.common import bp
from gvo.core import text
from gvo.core.errors import InvalidInput, NotFound
from gvo.governance import public as rules
from gvo.web.access import current_identity, db, public, requires_role
from gvo.web.downloads import file_response
from gvo.web.forms import error_beside

# Shared caches may keep the page five minutes: switched off or changed, it is gone or
# right again within that time. Never for a response that sets a cookie (gvo.web.app).
PUBLIC_CACHE = "public, max-age=300"


class PublishForm(FlaskForm):
    """Whether the school publishes its governance page, and the clerk's public address."""

    published = BooleanField(
        "Publish the governance page",
        description="Anyone can then read the board's structure and the governors' published "
                    "details at the address below, without signing in.")
    contact = EmailField(
        "Clerk's public contact address", validators=[Optional(), Length(max=254)],
        description="A role address such as clerk@ your school's domain. Leave empty to "
                    "publish the address replies to the school's e-mail go to.")


def _published():
    """The school's governance, or NotFound (404) when the page is switched off."""
    conn = db()
    if not rules.is_published(conn):
        raise NotFound("no such page")
    return rules.governance(conn)


def _cacheable(response):
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return response


@bp.get("/governance")
@public
def public_page():
    """The public governance page (no sign-in; 404 when switched off)."""
    gov = _published()
    return _cacheable(make_response(render_template(
        "governance/public.html", gov=gov, fields=rules.FIELDS, cell=rules.cell_text,
        public_page=True)))


@bp.get("/governance.csv")
@public
def public_csv():
    """The governors of the public page as CSV (no sign-in; 404 when switched off)."""
    gov = _published()
    name = f"{text.safe_filename(g.get('school_name') or g.school)} governance.csv"
    return _cacheable(file_response(rules.as_csv(gov), name, "text/csv"))


@bp.get("/governance.json")
@public
def public_json():
    """The public page as JSON (no sign-in; 404 when switched off)."""
    gov = _published()
    body = json.dumps(rules.as_json(gov, g.get("school_name") or ""), ensure_ascii=False,
                      indent=1)  # in FIELDS' order, not sorted
    return _cacheable(Response(body, mimetype="application/json"))


@bp.route("/governance/publish", methods=["GET", "POST"])
@requires_role("manager")
def publish_settings():
    """Managers: switch the public governance page on or off, and set the clerk's public
    contact address (audited)."""
    conn = db()
    form = PublishForm(data={"published": rules.is_published(conn),
                             "contact": rules.own_clerk_contact(conn)})
    if form.validate_on_submit():
        try:
            rules.set_publishing(conn, current_identity(), form.published.data,
                                 form.contact.data or "")
        except InvalidInput as exc:
            error_beside(form, exc, "contact")
        else:
            flash("Public governance page saved.", "success")
            return redirect(url_for("governance.publish_settings"))
    return render_template("governance/publish.html", form=form,
                           published=rules.is_published(conn),
                           reply_to=rules.clerk_contact(conn)), 422 if form.errors else 200
