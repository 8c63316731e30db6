"""htmx (https://htmx.org/reference/#request_headers): is this request one of its partial
requests, and a redirect that leaves the partial swap for a full page."""

from flask import Response, redirect, request


def is_htmx() -> bool:
    """Whether the request was made by htmx for a part of a page (HX-Request: true).

    A history restore (the back button; htmx keeps no history cache here) sends
    HX-Request too but needs the whole page, so it does not count.
    """
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def full_page_redirect(url: str, code: int = 303) -> Response:
    """Go to `url` as a whole page: htmx follows HX-Redirect (204, no body); anything else
    gets a redirect with status `code` (303 See Other unless told)."""
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=code)
