"""Long lists in pages on the web (the services' side is `gvo.core.paging`).

Every paged list works the same way: the service returns a `Page`; the template shows its
rows and, when there are more, the `more` control of `_paging.html`: a plain link to the
next page (a whole page, so it works without JavaScript) that htmx turns into "load the
next rows here" (an htmx request for the same address gets the rows alone, followed by
the next control). The position travels in the query parameter `after`.
"""

from flask import render_template, request, url_for

from gvo.core.paging import Page
from gvo.web.htmx import is_htmx

PARAM = "after"


def after() -> str | None:
    """The position token of the page asked for (None: the first page); the service
    checks it (`gvo.core.paging.decode`, InvalidInput -> 400 with a clear message)."""
    return request.args.get(PARAM) or None


def next_url(page: Page, endpoint: str | None = None, **values) -> str | None:
    """The address of the page after `page` (None on the last page): `endpoint` with
    `values`, by default the current view with its address and query values."""
    if page.after is None:
        return None
    if endpoint is None:
        endpoint = request.endpoint
        values = {**request.view_args, **request.args.to_dict(), **values}
    return url_for(endpoint, **{**values, PARAM: page.after})


def render(full: str, rows: str, **context) -> str:
    """The whole page `full`, or for htmx's request for a following page only the
    fragment `rows` (the next rows and the next control)."""
    if is_htmx() and after() is not None:
        return render_template(rows, **context)
    return render_template(full, **context)


def init_app(app) -> None:
    """Make `next_url` available to every template."""
    app.jinja_env.globals["next_url"] = next_url
