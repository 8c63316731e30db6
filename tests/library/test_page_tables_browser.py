"""Tables in library pages on a phone (attack 5, F8), in Debian's Chromium at 390 px: each
sits in a labelled, focusable region that scrolls sideways, its cells keep their words whole,
and the page itself does not scroll sideways."""

import pytest
from browser.fixtures import PHONE, LiveServer, sign_in

from gvo.core.identity import Identity
from gvo.library import folders, pages

pytestmark = pytest.mark.browser

OP = Identity.operator()
WORD = "Longcellvalue"


def test_a_wide_table_scrolls_in_its_own_labelled_region(live_server: LiveServer,
                                                         new_context):
    conn = live_server.instance.db(live_server.slug)
    folder = folders.create_folder(conn, OP, parent_id=None, title="Wide tables")
    header = "| " + " | ".join(f"Column {n}" for n in range(10)) + " |"
    rule = "|" + "---|" * 10
    row = "| " + " | ".join(f"{WORD}{n}" for n in range(10)) + " |"
    page_id = pages.create_page(conn, OP, folder, title="Review schedule",
                                body=f"Before.\n\n{header}\n{rule}\n{row}\n\nAfter.")
    person = live_server.add_person("author", name="Tara Table", email="tara@example.org")
    page = new_context(**PHONE).new_page()
    sign_in(page, live_server, person)
    page.goto(live_server.url(f"/library/pages/{page_id}"))
    region = page.get_by_role("region", name="Table 1 of the page")
    assert region.get_attribute("tabindex") == "0"
    assert region.locator("table").count() == 1
    sizes = region.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert sizes[0] > sizes[1]  # it scrolls sideways
    cell = region.locator("td").first
    # A cell's word stays on one line (not "Lo/ngc/ellv/alu/e0").
    assert cell.evaluate("el => el.getClientRects().length === 1 && "
                         "el.scrollHeight < 2 * parseFloat(getComputedStyle(el).lineHeight)")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
