"""Pages outside any school: the landing page and the health check."""

from flask import Blueprint, current_app, jsonify, render_template

from gvo.access import public

bp = Blueprint("site", __name__)


@bp.get("/")
@public
def index():
    """A neutral landing page: it does not list the schools hosted here."""
    return render_template("site/index.html")


@bp.get("/healthz")
@public
def healthz():
    """Liveness and storage health as JSON, for monitoring."""
    inst = current_app.extensions["gvo"].instance
    status = {"status": "ok", "schools": len(inst.schools())}
    hooks = current_app.extensions.get("gvo_health", [])
    for hook in hooks:
        status.update(hook())
    code = 503 if status["status"] == "error" else 200
    return jsonify(status), code
