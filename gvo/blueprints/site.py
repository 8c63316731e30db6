"""Pages outside any school: the landing page and the health check."""

import hmac

from flask import Blueprint, current_app, jsonify, render_template, request

from gvo.web.access import public

bp = Blueprint("site", __name__)
_SEVERITY = {"ok": 0, "degraded": 1, "error": 2}


@bp.get("/")
@public
def index():
    """A neutral landing page: it does not list the schools hosted here."""
    return render_template("site/index.html")


@bp.get("/healthz")
@public
def healthz():
    """Whether the service is healthy, as JSON for monitoring: {"status": "ok"}.

    status is "ok", "degraded" (e.g. a school's replication lags or its target fails)
    or "error" (HTTP 503). Anyone may ask, and learns only that: no school, slug or
    replica target. A caller sending `Authorization: Bearer <GVO_HEALTH_TOKEN>` also
    gets the number of schools and each hook's detail (replication per school).
    """
    inst = current_app.extensions["gvo"].instance
    detail = {"schools": len(inst.schools())}
    status = "ok"
    for hook in current_app.extensions.get("gvo_health", []):
        part = dict(hook())
        reported = part.pop("status", "ok")
        if _SEVERITY.get(reported, 2) > _SEVERITY[status]:  # the worst report wins
            status = reported if reported in _SEVERITY else "error"
        detail.update(part)
    code = 503 if status == "error" else 200
    if _operator():
        return jsonify({"status": status, **detail}), code
    return jsonify({"status": status}), code


def _operator() -> bool:
    """Whether the request carries the configured health token."""
    token = current_app.config.get("GVO_HEALTH_TOKEN")
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
