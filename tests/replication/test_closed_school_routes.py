"""Every page of a school closed for a moment (a live rekey or a move) answers 503 "back in a
moment", and every page of a school that moved answers 410 with where it went — never a 500.

The kind behind it: an error page is rendered with every template helper, so a helper that
opened the school's database when the page was drawn (the OIDC button once did, on the sign-in
page) turned the closed school's 503 into a 500. Walked over every GET route, anonymous and
signed in, so a new module's helper is caught too.
"""

import re

import pytest
from conftest import WebClient, make_app, sign_in


def _school_paths(app, slug: str) -> list[str]:
    """One concrete path per GET route of a school (numbers for ids, words for the rest)."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or "school" not in rule.arguments:
            continue
        values = {}
        for name in rule.arguments:
            is_int = f"<int:{name}>" in rule.rule
            values[name] = slug if name == "school" else (1 if is_int else "x")
        paths.append(rule.build(values, append_unknown=False)[1])
    return sorted(set(paths))


@pytest.fixture
def two_schools(instance, make_user):
    instance.create_school("beta", "Beta Primary")
    return make_user("alpha", "manager")


def test_every_page_of_a_closed_school_answers_back_in_a_moment(instance, two_schools):
    app = make_app(instance)
    anonymous, member = WebClient(app.test_client()), WebClient(app.test_client())
    assert sign_in(member, two_schools).status_code == 302
    assert member.get("/alpha/").status_code == 200
    paths = _school_paths(app, "alpha")
    assert len(paths) > 50  # the walk reaches the whole office
    instance.release()  # the test's own thread holds none (a request thread releases its)
    instance.pause_school("alpha")
    try:
        wrong = [(who, path, resp.status_code)
                 for path in paths
                 for who, client in (("anonymous", anonymous), ("manager", member))
                 if (resp := client.get(path)).status_code != 503
                 and not (who == "anonymous" and resp.status_code == 302)]  # to sign in
    finally:
        instance.resume_school("alpha")
    assert wrong == []
    assert anonymous.get("/beta/login").status_code == 200
    assert member.get("/alpha/").status_code == 200  # still signed in: nothing was lost


def test_every_page_of_a_moved_school_says_where_it_went(instance, two_schools):
    app = make_app(instance)
    client = WebClient(app.test_client())
    paths = _school_paths(app, "alpha")
    instance.mark_moved("alpha", "https://two.example.org/alpha/")
    wrong = []
    for path in paths:
        resp = client.get(path)
        if resp.status_code != 410 or not re.search(
                r'href="https://two\.example\.org/alpha/"', resp.get_data(as_text=True)):
            wrong.append((path, resp.status_code))
    assert wrong == []
