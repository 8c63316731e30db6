"""Long lists in pages on the web (the services' side is `gvo.core.paging`).

Every paged list works the same way: the service returns a `Page`; the template shows its
rows and, when there are more, the `more` control of `_paging.html`: a plain link to the
next page (a whole page, so it works without JavaScript) that htmx turns into "load the
next rows here" (an htmx request for the same address gets the rows alone, followed by
the next control: the page template's block `rows`, so rows are written once). The
position travels in the query parameter `after`.
"""

from flask import render_template, request, url_for
from jinja2_fragments.flask import render_block

from gvo.core.paging import Page
from gvo.web.htmx import is_htmx

PARAM = "after"   # the query parameter of a page's only list; a page of several names each


def after(param: str = PARAM) -> str | None:
    """The position token of the page asked for in query parameter `param` (None: the
    first page); the service checks it (`gvo.core.paging.decode`: InvalidInput, a 400
    with a clear message)."""
    return request.args.get(param) or None


def next_url(page: Page, endpoint: str | None = None, *, param: str = PARAM,
             **values) -> str | None:
    """The address of the page after `page` (None on the last page): `endpoint` with
    `values`, by default the current view with its address and query values."""
    if page.after is None:
        return None
    if endpoint is None:
        # The query's own values, but never url_for's options (_method, _external...) nor
        # one that would change the address (?school=...).
        in_path = request.url_rule.arguments if request.url_rule else set()
        query = {k: v for k, v in request.args.items()
                 if not k.startswith("_") and k not in in_path}
        endpoint = request.endpoint
        values = {**query, **request.view_args, **values}
    return url_for(endpoint, **{**values, param: page.after})


def wants_rows(param: str = PARAM) -> bool:
    """Whether this is htmx asking for the rows of a following page of the list whose
    position is in `param` (not a whole page)."""
    return is_htmx() and after(param) is not None


def render(template: str, *, rows_from: str | None = None, block: str = "rows",
           param: str = PARAM, **context) -> str:
    """The page `template`; for htmx asking for a following page of the list in `param`,
    only the `block` (the next rows and the next control) of `rows_from` (by default the
    page's template; the included template that holds the rows, if another), rendered with
    jinja2-fragments."""
    if wants_rows(param):
        return render_block(rows_from or template, block, **context)
    return render_template(template, **context)


def init_app(app) -> None:
    """Make `next_url` available to every template."""
    app.jinja_env.globals["next_url"] = next_url
