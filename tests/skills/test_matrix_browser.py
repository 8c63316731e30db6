"""The skills matrix on a 390 px phone, in a real Chromium against the demo office: the
table scrolls sideways inside its own labelled, focusable region (the page does not), it
has a caption and header cells for its people and questions, and each coloured cell says
its number."""

import pytest
from browser.test_accessibility import PHONE, ROLES, sign_in_demo

pytestmark = pytest.mark.browser


def test_the_matrix_scrolls_in_its_own_region_on_a_phone(demo_server, new_context):
    page = new_context(viewport=PHONE).new_page()
    sign_in_demo(page, demo_server, ROLES["manager"])
    page.goto(demo_server.url("/skills/report"))
    region = page.locator(".skills-wrap")
    assert region.get_attribute("role") == "region" and region.get_attribute("tabindex") == "0"
    assert page.locator("#matrix-caption").inner_text().startswith("Skills matrix")
    sizes = page.evaluate("""() => {
      const r = document.querySelector('.skills-wrap'), root = document.documentElement;
      return {inner: r.scrollWidth, box: r.clientWidth, page: root.scrollWidth,
              view: root.clientWidth};
    }""")
    assert sizes["inner"] > sizes["box"], sizes  # the matrix is wider than a phone...
    assert sizes["page"] <= sizes["view"], sizes  # ...and scrolls in its region only
    people = page.locator("table.skills-matrix thead th[scope=col]").all_inner_texts()
    assert people[0] == "Question" and "Charles Chair" in people and people[-1] == "Gap"
    assert page.locator("table.skills-matrix th[scope=row]").count() > 10
    cells = page.locator("table.skills-matrix td.score-5")
    assert cells.count() > 0 and cells.first.inner_text() == "5"
    # The region scrolls from the keyboard.
    region.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    # Chromium may scroll smoothly: wait for the region to have moved (fails if it never does).
    page.wait_for_function("() => document.querySelector('.skills-wrap').scrollLeft > 0")


def test_a_governor_answers_on_a_phone(demo_server, new_context):
    page = new_context(viewport=PHONE).new_page()
    sign_in_demo(page, demo_server, ROLES["author"])
    page.goto(demo_server.url("/skills"))
    page.get_by_role("link", name="Data", exact=True).click()
    group = page.get_by_role("group").first
    group.get_by_label("5", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/skills/people/**")
    assert "Saved 1 answer" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth <= "
                         "document.documentElement.clientWidth")
