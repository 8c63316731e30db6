"""The public policy viewer in a real Chromium, signed out (issue 15, acceptance 3): the
list, a published page policy and the demo's published pages pass axe-core (WCAG 2.2 A and
AA) at 1280 px and 390 px and fit a phone."""

import pytest
from browser.test_accessibility import PHONE, ROLES, WIDE, check_page, sign_in_demo

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


# For each word in the table's cells: whether it is drawn on more than one line (broken
# mid-letter, "Und/er/deve/lop/men/t").
BROKEN_WORDS = """(table) => {
  const broken = [];
  const walker = document.createTreeWalker(table, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const re = /\\S+/g;
    for (let m = re.exec(node.data); m; m = re.exec(node.data)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const lines = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
      if (lines.size > 1) { broken.push(m[0]); }
    }
  }
  return broken;
}"""


def test_the_register_and_reports_keep_their_words_whole_on_a_phone(demo_server, new_context):
    page = new_context(viewport=PHONE).new_page()
    sign_in_demo(page, demo_server, ROLES["manager"])
    for path in ("/policies/register", "/policies/reports"):
        page.goto(demo_server.url(path))
        tables = page.locator("table")
        assert tables.count(), path
        for n in range(tables.count()):
            broken = tables.nth(n).evaluate(BROKEN_WORDS)
            assert not broken, (path, broken)
