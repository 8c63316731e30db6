"""The discussions pages."""

from flask import render_template

from gvo.blueprints.discussions.common import bp
from gvo.web.access import signed_in


@bp.get("/discussions")
@signed_in
def index():
    """Discussions: the starting page."""
    return render_template("discussions/index.html")
