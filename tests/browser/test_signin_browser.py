"""Sign-in in a real browser (issue 2, acceptance 5), and what a person on a phone relies on.

Playwright drives Debian's Chromium against GVO on waitress (see conftest.py).
Each test has its own browser context: its own cookies, as a new device would.
"""

import re

import pyotp
import pytest

from gvo.people import accounts

from .conftest import PHONE, fill_password_step, screenshot, sign_in

pytestmark = pytest.mark.browser

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
# The QR code's drawing (modules and quiet zone) fits inside the box it is shown in: a cropped
# QR code cannot be scanned.
QR_DRAWN_IN_FULL = """(() => {
  const svg = document.querySelector('.qr svg'), box = svg.getBoundingClientRect();
  const drawn = svg.firstElementChild.getBoundingClientRect();
  return drawn.width > 100 && drawn.right <= box.right + 0.5 && drawn.bottom <= box.bottom + 0.5
    && drawn.left >= box.left - 0.5 && drawn.top >= box.top - 0.5;
})()"""
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


def test_sign_in_with_password_and_totp_reaches_home(page, live_server):
    person = live_server.add_person("author")
    page.goto(live_server.url("/login"))
    assert page.title().startswith("Sign in")
    fill_password_step(page, person)
    page.wait_for_url(live_server.url("/login/verify"))
    # Not signed in yet: only the code step is open.
    assert page.get_by_role("heading", name="Enter your code").is_visible()
    page.get_by_label("Code", exact=True).fill(pyotp.TOTP(person.totp_secret).now())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url("/"))

    assert page.get_by_test_id("person-name").inner_text() == person.name
    assert page.get_by_test_id("person-role").inner_text() == "Author"
    assert page.get_by_role("heading", level=1).inner_text() == "Alpha Primary"
    # The session cookie is the school's own, and script cannot read it.
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert set(cookies) == {"gvo-alpha"}
    assert cookies["gvo-alpha"]["httpOnly"] and cookies["gvo-alpha"]["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""


def test_enrol_mfa_when_the_school_requires_it(page, live_server):
    person = live_server.add_person("reader", mfa=False)
    page.goto(live_server.url("/login"))
    fill_password_step(page, person)
    page.wait_for_url(live_server.url("/mfa/enrol"))
    assert page.get_by_role("heading", name="Set up two-step sign-in").is_visible()
    qr = page.get_by_role("img", name="QR code for your authenticator app")
    assert qr.locator("svg").is_visible()
    assert page.evaluate(QR_DRAWN_IN_FULL)
    screenshot(page, "enrol-desktop")

    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()

    page.wait_for_url(live_server.url("/mfa/recovery-codes"))
    codes = page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10
    screenshot(page, "recovery-codes-desktop")
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c.strip()) for c in codes)
    page.get_by_role("link", name="I have saved them: go to the office").click()
    page.wait_for_url(live_server.url("/"))
    assert page.get_by_test_id("person-name").inner_text() == person.name

    user = accounts.get_user(live_server.instance.db(live_server.slug), person.id)
    assert user["mfa_enrolled_at"] and user["totp_secret"] == secret
    # The codes were shown once: coming back sends the person to their profile instead.
    page.goto(live_server.url("/mfa/recovery-codes"))
    page.wait_for_url(live_server.url("/profile"))
    assert page.get_by_test_id("recovery-codes").count() == 0


def test_pages_load_only_from_the_app_with_no_csp_violations_and_htmx_loaded(page, live_server):
    requests, console, errors = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(CSP_WATCH)
    person = live_server.add_person("manager")

    sign_in(page, live_server, person)  # login, verify, home
    violations = page.evaluate("window.__cspViolations")
    assert page.evaluate("typeof htmx") == "object"
    # The pages a manager reaches from the navigation load cleanly too.
    for name in ("Board", "People", "Profile"):
        page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
        page.wait_for_load_state()
        assert page.evaluate("typeof htmx") == "object", name
        violations += page.evaluate("window.__cspViolations")

    assert requests, "no request was recorded"
    foreign = [u for u in requests if not u.startswith(live_server.origin + "/")]
    assert foreign == []
    assert any(u.endswith("/static/gvo.css") for u in requests)
    assert any(re.search(r"/static/vendor/htmx-[\d.]+\.min\.js$", u) for u in requests)
    assert [m for m in console if "Content Security Policy" in m] == []
    assert violations == []
    assert errors == []


def test_phone_home_has_no_sideways_scroll_and_nav_is_reachable(new_context, live_server):
    page = new_context(**PHONE).new_page()
    person = live_server.add_person("manager")
    sign_in(page, live_server, person)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(page, "home-phone")

    nav = page.get_by_role("navigation", name="Main")
    width = PHONE["viewport"]["width"]
    names = ["Home", "Board", "People", "Groups", "Settings", "Audit log", "Profile"]
    targets = [nav.get_by_role("link", name=n, exact=True) for n in names]
    targets.append(nav.get_by_role("button", name="Sign out"))
    for target in targets:
        assert target.is_visible()
        box = target.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, box
        # WCAG 2.2 target size (minimum): 24 by 24 CSS pixels.
        assert box["height"] >= 24, (target, box)
    nav.get_by_role("link", name="Profile").tap()
    page.wait_for_url(live_server.url("/profile"))
    assert page.get_by_role("heading", name="Your profile").is_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)


def test_phone_enrol_page_fits_and_the_qr_code_is_scannable_size(new_context, live_server):
    page = new_context(**PHONE).new_page()
    person = live_server.add_person("author", mfa=False)
    page.goto(live_server.url("/login"))
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(page, "login-phone")
    fill_password_step(page, person)
    page.wait_for_url(live_server.url("/mfa/enrol"))
    screenshot(page, "enrol-phone")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert page.evaluate(QR_DRAWN_IN_FULL)
    box = page.locator(".qr svg").bounding_box()
    assert box and 180 <= box["width"] <= PHONE["viewport"]["width"], box
    key = page.get_by_test_id("totp-secret").bounding_box()
    assert key and key["x"] + key["width"] <= PHONE["viewport"]["width"], key


def test_sign_out_ends_the_session_for_back_reload_and_the_old_cookie(new_context, live_server):
    context = new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    person = live_server.add_person("editor")
    sign_in(page, live_server, person)
    old_cookies = context.cookies()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server.url("/login"))
    assert page.get_by_role("status").inner_text() == "You are signed out."
    assert page.get_by_role("heading", name="Sign in to Alpha Primary").is_visible()

    page.go_back()  # the home page is no-store: the browser asks again and is sent to sign in
    page.wait_for_url(re.compile(re.escape(live_server.url("/login")) + r"(\?.*)?$"))
    assert page.get_by_test_id("person-name").count() == 0
    page.goto(live_server.url("/"))
    page.reload()
    assert re.fullmatch(re.escape(live_server.url("/login?next=")) + r"(/|%2F)alpha(/|%2F)",
                        page.url)
    assert page.get_by_label("E-mail address").is_visible()

    # The old session cookie, replayed from another browser, opens nothing: it ended on the server.
    thief = new_context()
    thief.add_cookies(old_cookies)
    stolen = thief.new_page()
    stolen.goto(live_server.url("/"))
    assert stolen.url.startswith(live_server.url("/login"))
    assert stolen.get_by_test_id("person-name").count() == 0


def test_deep_link_while_signed_out_lands_there_after_sign_in(page, live_server):
    person = live_server.add_person("author")
    page.goto(live_server.url("/profile"))
    page.wait_for_url(re.compile(re.escape(live_server.url("/login?next=")) + r"(/|%2F)alpha"
                                 r"(/|%2F)profile$"))
    fill_password_step(page, person)
    page.wait_for_url(live_server.url("/login/verify"))
    page.get_by_label("Code", exact=True).fill(person.code())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url("/profile"))
    assert page.get_by_role("heading", name="Your profile").is_visible()


def test_wrong_code_is_explained_next_to_the_field_and_a_right_one_then_works(page, live_server):
    person = live_server.add_person("author")
    page.goto(live_server.url("/login"))
    fill_password_step(page, person)
    page.wait_for_url(live_server.url("/login/verify"))
    right = person.code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    code = page.get_by_label("Code", exact=True)
    code.fill(wrong)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.url == live_server.url("/login/verify")
    assert code.get_attribute("aria-invalid") == "true"
    error_id = code.get_attribute("aria-describedby")
    assert error_id and page.locator(f"#{error_id}").inner_text().startswith("Error:")
    code.fill(right)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url("/"))
    assert page.get_by_test_id("person-name").inner_text() == person.name


def test_new_phone_from_the_profile_asks_for_the_password(page, live_server):
    person = live_server.add_person("author")
    sign_in(page, live_server, person)
    page.goto(live_server.url("/profile"))
    page.get_by_role("link", name="Set up two-step sign-in on it").click()
    page.wait_for_url(live_server.url("/mfa/enrol"))
    assert page.get_by_text("replaces the authenticator you use now").is_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    code = pyotp.TOTP(secret).now()
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    page.wait_for_load_state()
    password = page.get_by_label("Your password")
    assert password.get_attribute("aria-invalid") == "true"
    password.fill(person.password)
    # A phone keyboard may type the code in full-width digits.
    page.get_by_label("Code", exact=True).fill("".join(chr(0xFF10 + int(d)) for d in code))
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    page.wait_for_url(live_server.url("/mfa/recovery-codes"))
    assert page.get_by_test_id("recovery-codes").locator("li").count() == 10
    user = accounts.get_user(live_server.instance.db(live_server.slug), person.id)
    assert user["totp_secret"] == secret
