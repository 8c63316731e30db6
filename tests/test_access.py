"""Every route declares who may use it; no path from one school to another (acceptance 4)."""

import re

import pytest
from conftest import sign_in

from gvo.security.sessions import cookie_name
from gvo.web.access import EXEMPT_ENDPOINTS


def _concrete(rule, school="alpha"):
    """A URL for a rule, with every variable filled in with something plausible."""
    values = {}
    for arg in rule.arguments:
        values[arg] = school if arg == "school" else 1
    path = rule.rule
    for arg, value in values.items():
        path = re.sub(rf"<(?:[a-z]+:)?{arg}>", str(value), path)
    return path


def test_every_route_declares_who_may_use_it(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXEMPT_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        if getattr(view, "gvo_access", None) is None:
            missing.append(f"{rule.rule} ({rule.endpoint})")
    assert not missing, "routes without an access declaration: " + ", ".join(missing)


def test_an_undeclared_route_is_refused(app, client):
    @app.get("/<school>/undeclared")
    def undeclared(school):
        return "secret"

    assert client.get("/alpha/undeclared").status_code == 403


def test_every_school_route_needs_a_signed_in_member_unless_public(app, client, school):
    for rule in app.url_map.iter_rules():
        if "school" not in rule.arguments or "GET" not in rule.methods:
            continue
        if app.view_functions[rule.endpoint].gvo_access.kind == "public":
            continue
        resp = client.get(_concrete(rule))
        assert resp.status_code == 302, rule.rule
        assert "/alpha/login" in resp.headers["Location"], rule.rule


@pytest.fixture
def two_schools(instance, school):
    instance.create_school("beta", "Beta Academy")
    return "alpha", "beta"


def test_a_session_from_one_school_gets_no_data_from_another(app, client, make_user,
                                                            two_schools):
    alpha_manager = make_user("alpha", "manager")
    beta_person = make_user("beta", "manager", email="beta-secret-person@example.org")
    sign_in(client, alpha_manager)
    assert client.get("/alpha/admin/users").status_code == 200
    for rule in app.url_map.iter_rules():
        if "school" not in rule.arguments or "GET" not in rule.methods:
            continue
        resp = client.get(_concrete(rule, "beta"))
        body = resp.get_data(as_text=True)
        assert beta_person.email not in body, rule.rule
        assert resp.status_code in (302, 404, 410) or (
            resp.status_code == 200
            and app.view_functions[rule.endpoint].gvo_access.kind == "public"
        ), (rule.rule, resp.status_code)
        if resp.status_code == 302:
            assert resp.headers["Location"].startswith("/beta/login"), rule.rule


def test_alpha_cookie_value_replayed_as_beta_cookie_is_worthless(client, new_client, make_user,
                                                                 two_schools):
    person = make_user("alpha", "manager")
    sign_in(client, person)
    token = client.cookie(cookie_name("alpha", True)).value
    other = new_client()
    other.c.set_cookie(cookie_name("beta", True), token, domain="localhost")
    assert other.get("/beta/").status_code == 302


def test_same_email_in_two_schools_is_two_separate_accounts(client, make_user, two_schools):
    a = make_user("alpha", "author", email="shared@example.org")
    b = make_user("beta", "reader", email="shared@example.org", password="another-long-secret")
    sign_in(client, a)
    assert client.get("/alpha/").status_code == 200
    assert client.get("/beta/").status_code == 302
    # Alpha's password does not open Beta.
    resp = client.post("/beta/login", {"email": b.email, "password": a.password},
                       form_page="/beta/login")
    assert resp.status_code == 422


def test_unknown_school_is_404(client):
    assert client.get("/nowhere/login").status_code == 404
    assert client.get("/nowhere/").status_code == 404


ADMIN_PAGES = ["/alpha/admin/users", "/alpha/admin/groups", "/alpha/admin/groups/new",
               "/alpha/board/new", "/alpha/admin/settings", "/alpha/admin/audit"]


@pytest.mark.parametrize("role,allowed", [("reader", False), ("author", False),
                                          ("editor", False), ("manager", True)])
def test_manager_pages_by_role(signed_in, role, allowed):
    client, _ = signed_in(role)
    for page in ADMIN_PAGES:
        assert client.get(page).status_code == (200 if allowed else 403), page
    assert client.get("/alpha/board").status_code == 200  # everyone sees the board


def test_capability_grants_just_that(signed_in, make_user, instance):
    from gvo.core.identity import Identity
    from gvo.people import accounts

    client, person = signed_in("author")
    accounts.set_capabilities(instance.db("alpha"), Identity.operator(), person.id,
                              {"manage_board"})
    assert client.get("/alpha/board/new").status_code == 200
    assert client.get("/alpha/admin/users").status_code == 403
    assert client.get("/alpha/admin/settings").status_code == 403


def test_security_headers_on_school_pages(signed_in):
    client, _ = signed_in("author")
    resp = client.get("/alpha/")
    csp = resp.headers["Content-Security-Policy"]
    for part in ("default-src 'self'", "script-src 'self'", "object-src 'none'",
                 "base-uri 'none'", "frame-ancestors 'none'"):
        assert part in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert resp.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in resp.headers["Vary"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    body = resp.get_data(as_text=True)
    assert "<script>" not in body and " style=" not in body and "<style" not in body
    assert 'name="htmx-config"' in body and '"allowEval":false' in body
    assert '"selfRequestsOnly":true' in body and '"historyCacheSize":0' in body


def test_pages_load_nothing_from_other_hosts(signed_in):
    client, _ = signed_in("manager")
    for page in ["/alpha/", "/alpha/profile", "/alpha/admin/users", "/alpha/board"]:
        body = client.get(page).get_data(as_text=True)
        for url in re.findall(r'(?:src|href)="([^"]+)"', body):
            assert url.startswith(("/", "#")), (page, url)


def test_vendored_htmx_matches_its_checksum(app):
    import hashlib
    from pathlib import Path

    static = Path(app.static_folder) / "vendor"
    expected = dict(line.split()[::-1] for line in (static / "SHA256SUMS").read_text().splitlines())
    for name, digest in expected.items():
        assert hashlib.sha256((static / name).read_bytes()).hexdigest() == digest


def test_healthz_is_json(client, school):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.is_json
    assert resp.get_json()["status"] in ("ok", "degraded")


def test_error_pages_are_generic(client, school):
    resp = client.get("/alpha/no-such-page")
    assert resp.status_code == 404
    body = resp.get_data(as_text=True)
    assert "Page not found" in body and "Traceback" not in body and "werkzeug" not in body.lower()
