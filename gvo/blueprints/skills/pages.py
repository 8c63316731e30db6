"""The skills pages."""

from flask import render_template

from gvo.blueprints.skills.common import bp
from gvo.web.access import signed_in


@bp.get("/skills")
@signed_in
def index():
    """Skills: the starting page."""
    return render_template("skills/index.html")
