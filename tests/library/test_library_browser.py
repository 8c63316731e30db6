"""The library in a real browser (issue 4, acceptance 4), as the people who use it would.

A Manager makes a folder and uploads a PDF through the upload form; a governor
(an Author), in a browser of their own, opens it, reads it and comments; the
Manager replies and marks it for approval; the governor approves it and finds
it by a word inside the PDF; the Manager deletes it and restores it from the
wastebin, and it is back in its folder. Everything goes through the pages:
no request is made behind the UI. The server and Chromium come from
tests/browser/fixtures.py.

Both browsers also watch what the pages do: no request to another host, no
Content Security Policy violation, no script error, no console error.
"""

from pathlib import Path

import pytest
from browser.fixtures import LiveServer, screenshot, sign_in
from conftest import make_pdf

pytestmark = pytest.mark.browser

WORD = "Quillfeather"  # a word only the PDF's text holds
# Chromium logs CSP violations to the console too; this makes each one an explicit error.
CSP_WATCH = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


class Watch:
    """What a browser context did: its requests, console messages and script errors."""

    def __init__(self, context, server: LiveServer):
        self.server = server
        self.requests: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        context.add_init_script(CSP_WATCH)
        context.on("request", lambda r: self.requests.append(r.url))
        context.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))

    def page(self, context):
        """A new page in the context, its script errors recorded."""
        page = context.new_page()
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page

    def assert_clean(self) -> None:
        """Only this server was asked for anything; no CSP violation, no error."""
        assert self.requests, "no request was recorded"
        foreign = [u for u in self.requests if not u.startswith(self.server.origin + "/")]
        assert foreign == []
        assert [m for m in self.console if "Content Security Policy" in m or "CSP" in m] == []
        assert [m for m in self.console if m.startswith("error")
            and "404 (NOT FOUND)" not in m] == []
        assert self.errors == []


def test_upload_comment_reply_approve_search_and_restore(new_context, live_server, tmp_path):
    server = live_server
    manager = server.add_person("manager")
    governor = server.add_person("author")
    folder_title = "Finance committee"
    pdf = tmp_path / "Budget_2025.pdf"
    pdf.write_bytes(make_pdf(f"Draft budget for 2025 prepared by {WORD} and colleagues"))

    m_ctx = new_context(viewport={"width": 1280, "height": 800})
    g_ctx = new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    m_watch, g_watch = Watch(m_ctx, server), Watch(g_ctx, server)
    mp, gp = m_watch.page(m_ctx), g_watch.page(g_ctx)

    # The Manager makes a top-level folder from the library.
    sign_in(mp, server, manager)
    mp.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    mp.get_by_role("link", name="New folder").click()
    mp.get_by_label("Title").fill(folder_title)
    mp.get_by_label("Description").fill("Budgets and monitoring")
    mp.get_by_role("button", name="Save").click()
    mp.get_by_role("heading", level=1, name=folder_title).wait_for()
    folder_url = mp.url

    # ... and uploads the PDF with the upload form (htmx: the list updates in place).
    mp.get_by_label("Files", exact=True).set_input_files(str(pdf))
    mp.get_by_role("button", name="Upload", exact=True).click()
    mp.get_by_test_id("upload-done").wait_for()
    assert mp.get_by_test_id("upload-done").inner_text() == "Uploaded 1 file: “Budget_2025.pdf”."
    row = mp.get_by_test_id("documents").get_by_role("row").filter(has_text="Budget 2025")
    assert "PDF" in row.inner_text()
    screenshot(mp, "library-folder-after-upload")

    # The governor finds the folder and opens the document.
    sign_in(gp, server, governor)
    gp.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    gp.get_by_test_id("folders").get_by_role("link", name=folder_title).click()
    gp.get_by_test_id("documents").get_by_role("link", name="Budget 2025").click()
    gp.get_by_role("heading", level=1, name="Budget 2025").wait_for()
    doc_url = gp.url
    with gp.expect_download() as download:
        gp.get_by_test_id("download").click()
    assert download.value.suggested_filename == "Budget_2025.pdf"
    assert Path(download.value.path()).read_bytes() == pdf.read_bytes()

    # The governor comments.
    gp.get_by_label("Add a comment").fill("Is the roof repair in this year's figures?")
    gp.get_by_role("button", name="Post").click()
    comment = gp.get_by_test_id("comment").filter(has_text="roof repair")
    comment.wait_for()
    assert governor.name in comment.inner_text()

    # The Manager sees it on the document, replies, and marks the document for approval.
    mp.goto(doc_url)
    first = mp.get_by_test_id("comment").filter(has_text="roof repair").first
    first.locator("summary", has_text="Reply").click()  # opens the reply form
    first.get_by_label("Your reply").fill("Yes: line 14, capital spending.")
    first.get_by_role("button", name="Reply").click()
    reply = first.get_by_test_id("comment")  # shown under the comment it answers
    reply.wait_for()
    assert "line 14" in reply.inner_text() and manager.name in reply.inner_text()
    mp.get_by_label("Kind of approval").select_option(label="Read and approved")
    mp.get_by_role("button", name="Mark for approval").click()
    mp.get_by_text("Marked for approval: Read and approved").wait_for()
    assert governor.name in mp.get_by_test_id("pending").inner_text()

    # The governor reloads, reads the reply, approves.
    gp.reload()
    thread = gp.locator("#comments")
    assert "line 14, capital spending" in thread.inner_text()
    gp.get_by_role("button", name="I have read and approve this").click()
    gp.get_by_test_id("you-approved").wait_for()
    assert governor.name in gp.get_by_test_id("approved").inner_text()
    screenshot(gp, "library-document-approved")

    # The governor searches for a word that is only inside the PDF, and finds the document.
    gp.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    gp.get_by_label("Search the library").fill(WORD.lower())
    gp.get_by_role("button", name="Search").click()
    results = gp.get_by_test_id("results")
    hit = results.get_by_role("link", name="Budget 2025")
    hit.wait_for()
    assert WORD in results.inner_text()
    search_url = gp.url
    hit.click()
    gp.wait_for_url(doc_url)

    # The Manager deletes the document: gone from the folder and from search.
    mp.goto(doc_url)
    mp.get_by_role("link", name="Delete document").click()
    mp.get_by_role("button", name="Yes, delete it").click()
    mp.wait_for_url(folder_url)
    assert "is in the wastebin" in mp.get_by_role("main").inner_text()
    assert mp.get_by_test_id("documents").count() == 0
    assert gp.reload().status == 404  # the governor, still on the document's page
    gp.goto(search_url)
    gp.get_by_text(f"0 results for “{WORD.lower()}”.").wait_for()

    # ... and restores it from the wastebin; it is back in its folder, and found again.
    mp.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    mp.get_by_role("link", name="Wastebin").click()
    bin_row = mp.get_by_test_id("wastebin").get_by_role("row").filter(has_text="Budget 2025")
    bin_row.get_by_role("button", name="Restore").click()
    mp.get_by_text("Restored to where it was.").wait_for()
    assert mp.get_by_test_id("wastebin").count() == 0
    mp.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    mp.get_by_test_id("folders").get_by_role("link", name=folder_title).click()
    mp.get_by_test_id("documents").get_by_role("link", name="Budget 2025").click()
    mp.wait_for_url(doc_url)
    assert "line 14, capital spending" in mp.locator("#comments").inner_text()
    assert governor.name in mp.get_by_test_id("approved").inner_text()
    gp.goto(search_url)
    gp.get_by_test_id("results").get_by_role("link", name="Budget 2025").wait_for()

    m_watch.assert_clean()
    g_watch.assert_clean()
