"""The actions pages."""

from flask import render_template

from gvo.blueprints.actions.common import bp
from gvo.web.access import signed_in


@bp.get("/actions")
@signed_in
def index():
    """Actions: the starting page."""
    return render_template("actions/index.html")
