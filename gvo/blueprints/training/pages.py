"""The training pages."""

from flask import render_template

from gvo.blueprints.training.common import bp
from gvo.web.access import signed_in


@bp.get("/training")
@signed_in
def index():
    """Training: the starting page."""
    return render_template("training/index.html")
