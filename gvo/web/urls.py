"""Links built once: the app's `url_for` remembers the URLs it has built.

A page builds 20 to 60 links (the navigation, every row's link, every form's action),
and Flask's `url_for` costs about 20 µs each (the request's adapter, the blueprints'
URL defaults, Werkzeug's rule look-up and builder, quoting): a fifth of a signed-in
page's work. A link depends only on what goes into it, so the app keeps each one built
(`GvoFlask.url_for`), keyed by:

- the endpoint, the anchor and the method asked for;
- every value passed, with its type (`page=1` and `page=True` build different URLs);
- the school of the request (`g.school`): the one thing the app's URL defaults read
  (gvo.web.access.school_blueprint adds it to the school's routes);
- the mount point (the adapter's SCRIPT_NAME), the only part of the request a relative
  URL holds.

External URLs (`_external`, `_scheme`), relative endpoints (".name"), values that cannot
be a key (a list) and builds outside a request go to Flask's `url_for` unchanged, as
does every build that fails (its error is Flask's). The memory holds at most
`URL_MEMO_SIZE` links and starts again when full. `URL_DEFAULTS_READ` lists the URL
defaults the key accounts for; the app refuses to start with any other (a new one must
add what it reads to the key). docs/decisions/0008-fast-pages.md has the measurements.
"""

from flask import Flask
from flask.globals import _cv_app, _cv_request  # Flask 3.1's own context variables

URL_MEMO_SIZE = 20_000
# URL-default functions whose input is in the key (by qualified name): school_blueprint's.
URL_DEFAULTS_READ = frozenset({"gvo.web.access.school_blueprint.<locals>.add_school"})


class GvoFlask(Flask):
    """Flask, with `url_for` answered from the links already built (see the module)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.url_memo: dict[tuple, str] = {}

    def url_for(self, /, endpoint: str, *, _anchor: str | None = None,
                _method: str | None = None, _scheme: str | None = None,
                _external: bool | None = None, **values) -> str:
        """As Flask's `url_for` (same arguments, same URL, same errors), from memory when
        this link was built before for the same school and mount point."""
        req_ctx = _cv_request.get(None)
        adapter = req_ctx.url_adapter if req_ctx is not None else None
        if adapter is None or _external or _scheme is not None or endpoint[:1] == ".":
            return super().url_for(endpoint, _anchor=_anchor, _method=_method,
                                   _scheme=_scheme, _external=_external, **values)
        key = (endpoint, _anchor, _method, adapter.script_name,
               getattr(_cv_app.get().g, "school", None), tuple(values.items()),
               tuple(map(type, values.values())))
        try:
            return self.url_memo[key]
        except KeyError:
            pass
        except TypeError:  # a value that cannot be a key
            return super().url_for(endpoint, _anchor=_anchor, _method=_method,
                                   _external=_external, **values)
        url = super().url_for(endpoint, _anchor=_anchor, _method=_method,
                              _external=_external, **values)
        if len(self.url_memo) >= URL_MEMO_SIZE:
            self.url_memo.clear()
        self.url_memo[key] = url
        return url


def check_url_defaults(app: Flask) -> None:
    """Refuse (RuntimeError) an app with a URL-default function the memory's key does not
    account for (see URL_DEFAULTS_READ)."""
    for funcs in app.url_default_functions.values():
        for func in funcs:
            name = f"{func.__module__}.{func.__qualname__}"
            if name not in URL_DEFAULTS_READ:
                raise RuntimeError(f"URL defaults {name} read something url_for's memory "
                                   "does not key on: add it to gvo.web.urls")
