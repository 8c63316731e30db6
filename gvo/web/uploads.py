"""Streamed uploads for the views that take files (library documents, meeting papers).

The body is read as it arrives by `gvo.web.multipart` (never spooled to
disk by Werkzeug's form parser), so Flask-WTF never sees the form and these
views are declared `@streamed_upload` (exempt from Flask-WTF's own check): the
CSRF check happens here instead, on the
X-CSRFToken header htmx sends, or on the form's csrf_token field, which must
come before any file in the body.
"""

from collections.abc import Iterator

from flask import current_app, request
from flask_wtf.csrf import CSRFError, same_origin, validate_csrf
from werkzeug.exceptions import BadRequest
from wtforms import ValidationError

from gvo.library import documents
from gvo.web.access import db
from gvo.web.forms import csrf
from gvo.web.multipart import FilePart, MultipartReader


def streamed_upload(view):
    """Declare a view that reads its body with `file_parts` (which checks the CSRF token)."""
    return csrf.exempt(view)


def upload_limit() -> int:
    """The school's per-file limit in bytes, capped by the server's MAX_CONTENT_LENGTH."""
    return documents.upload_limit(db(), current_app.config.get("MAX_CONTENT_LENGTH"))


def prepare_upload() -> int:
    """Let this request's body hold a full batch of files; returns the per-file limit."""
    limit = upload_limit()
    # The whole body may hold several files; each is held to the limit as it streams in.
    request.max_content_length = limit * documents.MAX_FILES + 1024 * 1024
    return limit


def check_csrf(token: str | None) -> None:
    """Flask-WTF's CSRF check, for a body its form parser never read; CSRFError if it fails."""
    try:
        validate_csrf(token)
    except ValidationError as exc:
        raise CSRFError(exc.args[0]) from None
    if request.is_secure and current_app.config["WTF_CSRF_SSL_STRICT"]:
        good = f"https://{request.host}/"
        if not request.referrer or not same_origin(request.referrer, good):
            raise CSRFError("The referrer does not match the host.")


def file_parts(fields: dict | None = None) -> Iterator[FilePart]:
    """The files of the request's multipart body as they arrive, once the CSRF check passed.

    Empty file inputs are skipped; other form fields go into `fields` when it is given.
    """
    boundary = request.mimetype_params.get("boundary")
    if request.mimetype != "multipart/form-data" or not boundary:
        raise BadRequest("expected a file upload form")
    checked = False
    if request.headers.get("X-CSRFToken"):
        check_csrf(request.headers["X-CSRFToken"])
        checked = True
    for part in MultipartReader(request.stream, boundary):
        if part.filename is None:
            if part.name == "csrf_token" and not checked:
                check_csrf(part.value)
                checked = True
            elif fields is not None:
                fields[part.name] = part.value
            continue
        if not checked:
            raise CSRFError("The CSRF token is missing.")
        if not part.filename:
            part.drain()
            continue
        yield part
    if not checked:
        raise CSRFError("The CSRF token is missing.")


def quoted(names: list[str]) -> str:
    """File names as an upload's message shows them: “a.pdf”, “document.txt”."""
    return ", ".join(f"“{name}”" for name in names)
