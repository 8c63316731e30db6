"""The web layer's part of operating GVO: each request is timed, counted for the metrics
(gvo.ops.metrics), written to the request log (gvo.ops.logs) and given an id, returned
in the X-Request-ID header so a person can quote it to the operator.

Also adds to the operator's /healthz (with GVO_HEALTH_TOKEN) the scheme GVO saw the
request arrive with, which `gvo doctor --url` reads to tell whether the proxy's
X-Forwarded-Proto reached GVO (the scheme of the caller's own request: nothing else).
"""

import time
import uuid

from flask import Flask, g, has_request_context, request

from gvo.ops import logs, metrics


def init_app(app: Flask) -> None:
    """Attach the timing, counting and logging hooks to the app. The timer starts before
    every other before_request hook (CSRF's among them), so requests they refuse are
    counted and logged too."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.extensions.setdefault("gvo_health", []).append(_seen)
    logs.add_scrubber(_hide_path)


def _hide_path(text: str) -> str:
    """Log text with this request's path (which may hold a set-up, reset or unsubscribe
    token) replaced by its route's name, e.g. "<auth.setup>"."""
    if not has_request_context():
        return text
    shown = f"<{request.endpoint or metrics.UNMATCHED}>"
    for said in (request.full_path, request.path):
        if len(said) > 1:
            text = text.replace(said, shown)
    return text


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = uuid.uuid4().hex


def _finish(response):
    started = g.get("request_started")
    if started is None:  # a request answered before the hooks ran
        return response
    seconds = time.perf_counter() - started
    route = request.endpoint
    metrics.observe_request(route, request.method, response.status_code, seconds)
    response.headers["X-Request-ID"] = g.request_id
    logs.log_request({"request_id": g.request_id, "method": request.method,
                      "route": route or metrics.UNMATCHED, "status": response.status_code,
                      "duration_ms": round(seconds * 1000, 1), "school": g.get("school")})
    return response


def _seen() -> dict:
    """The /healthz part (operator only): the scheme this request reached GVO with."""
    return {"request": {"scheme": request.scheme}}
