"""The public policy viewer at /<school>/policies: no sign-in, switched on per school; live
policies marked "publish publicly" only, never drafts, archived versions or anything in a
room (`gvo.policies.public` is the rule). Reads only: a visit writes nothing."""

from flask import abort, render_template

from gvo.blueprints.policies.common import bp
from gvo.core import dates
from gvo.core.text import safe_filename
from gvo.library import blobs, pages, pdf_copies
from gvo.meetings.pdf import html_pdf
from gvo.policies import public
from gvo.web.access import db
from gvo.web.access import public as anyone
from gvo.web.downloads import file_response

PDF = "application/pdf"


@bp.get("/policies")
@anyone
def published():
    """The school's published policies (404 while the school has not switched it on)."""
    conn = db()
    if not public.is_on(conn):
        abort(404)
    return render_template("policies/public_index.html", policies=public.published(conn))


@bp.get("/policies/public/<int:policy_id>")
@anyone
def published_policy(policy_id: int):
    """One published policy: a page's text as HTML, or a link to its PDF."""
    policy = public.get(db(), policy_id)
    return render_template("policies/public_policy.html", policy=policy,
                           has_pdf=_pdf(policy) is not None)


def _pdf(policy: dict):
    """The policy as PDF bytes or a blob to stream, or None: a page drawn as a PDF; a PDF
    document's approved version; another document's stored PDF copy, if one was made."""
    if policy["item_kind"] == "page":
        return "page"
    if policy["mime"] == PDF:
        return "blob"
    copy = pdf_copies.stored(db(), policy["blob_id"])
    return copy.data if copy is not None and copy.data else None


@bp.get("/policies/public/<int:policy_id>/pdf")
@anyone
def published_pdf(policy_id: int):
    """One published policy as PDF (404 when there is no PDF of it)."""
    policy = public.get(db(), policy_id)
    found = _pdf(policy)
    name = safe_filename(f"{policy['name']}.pdf")
    if found is None:
        abort(404)
    if found == "page":
        data = html_pdf(policy["title"], pages.render(policy["body"]),
                        f"Approved {dates.day(policy['approved_on'])}")
        return file_response(data, name, PDF, inline=True)
    if found == "blob":
        return file_response(blobs.stream(db(), policy["blob_id"]), name, PDF, inline=True,
                             length=policy["size"])
    return file_response(found, name, PDF, inline=True)
