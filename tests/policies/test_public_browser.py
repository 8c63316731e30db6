"""The public policy viewer in a real Chromium, signed out (issue 15, acceptance 3): the
list, a published page policy and the demo's published pages pass axe-core (WCAG 2.2 A and
AA) at 1280 px and 390 px and fit a phone."""

import pytest
from browser.test_accessibility import WIDE, check_page

pytestmark = pytest.mark.browser


def test_the_public_policy_viewer_passes_axe_signed_out(demo_server, new_context):
    page = new_context(viewport=WIDE).new_page()
    page.goto(demo_server.url("/policies"))
    assert page.get_by_role("heading", name="Our policies").is_visible()
    found = {page.url: check_page(page)}
    links = page.eval_on_selector_all("[data-testid=public-policies] a",
                                      "els => els.map((a) => a.href)")
    assert len(links) == 2  # the demo publishes two policies
    for link in links:
        page.goto(link)
        found[page.url] = check_page(page)
    assert page.get_by_test_id("public-policy-text").is_visible()
    problems = {url: p for url, p in found.items() if p}
    assert not problems, problems
