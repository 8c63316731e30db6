"""The office every fuzz test starts from: built and crawled once per test session."""

import pytest

from fuzz import crawl, office


@pytest.fixture(scope="session")
def fuzz_office(tmp_path_factory):
    """(template, crawl): the office, and every address and form its people can reach."""
    template, app = office.build(tmp_path_factory.mktemp("fuzz") / "template")
    adapter = app.url_map.bind("localhost", url_scheme="https")

    def route_of(path: str) -> str:
        try:
            return adapter.match(path, "GET")[0]
        except Exception:  # noqa: BLE001 - any path that is no GET route: one bucket
            return "?"

    found = crawl.Crawl()
    # Everyone whose view differs: the clerk, the chair (in the pay panel's private room),
    # a capability holder who is no Manager, an author, a reader.
    for name in ("clerk", "chair", "staff", "governor", "inspector"):
        client = office.client_for(app, template.actors[name])
        crawl.crawl(client, office.BASE, [f"/{office.SCHOOL}/"], f"/{office.SCHOOL}/", found,
                    route_of)
    # Someone signed out, with a set-up link, and people at each sign-in step.
    setup = f"/{office.SCHOOL}/setup/{template.setup_token}"
    reset = f"/{office.SCHOOL}/password/reset/{template.reset_token}"
    for name, start in (("anonymous", [f"/{office.SCHOOL}/login", setup, reset, "/",
                                       "/healthz", template.unsubscribe_path]),
                        ("verifying", [f"/{office.SCHOOL}/login/verify"]),
                        ("enrolling", [f"/{office.SCHOOL}/mfa/enrol"])):
        client = office.client_for(app, template.actors[name])
        crawl.crawl(client, office.BASE, start, tuple(start), found, route_of)
    found.urls |= {f"/{office.SCHOOL}/calendar/{template.feed_token}.ics",
                   f"/{office.SCHOOL}/mfa/recovery-codes", "/static/gvo.css",
                   "/static/library.js"}
    office.snapshot_sessions(template, app)
    app.extensions["gvo"].instance.close()
    return template, found
