"""The governor's evening on a phone (issue 12, acceptance 1), in Debian's Chromium at
390 x 844 against the live office of tests/browser/fixtures.py: a paper opens from the
meeting page in one tap; an in-page action after the session ended in another tab lands on
a whole sign-in page (one header), and the comment typed is back after signing in."""

import re
from datetime import timedelta

import pytest
from browser.fixtures import PHONE, LiveServer, sign_in
from conftest import make_pdf

from gvo.board import bodies
from gvo.core.identity import Identity
from gvo.library import documents, folders
from gvo.meetings import agenda, meetings, papers
from gvo.people import signin

pytestmark = pytest.mark.browser

OP = Identity.operator()
COMMENT = "Page 3's figures do not add up: can the bursar check them before Monday?"


class _Part:
    """An upload part as the library's intake reads it."""

    def __init__(self, filename: str, data: bytes):
        self.filename, self._data = filename, data

    def chunks(self):
        yield self._data


@pytest.fixture(scope="module")
def evening(live_server: LiveServer):
    """A governor on the board, next week's meeting with a PDF paper on its agenda."""
    conn = live_server.instance.db(live_server.slug)
    # Two governors: each test signs in once (an authenticator code is used only once).
    governor = live_server.add_person("author", name="Eve Evening", email="eve@example.org")
    second = live_server.add_person("author", name="Nia Night", email="nia@example.org")
    board = bodies.save_body(conn, OP, body_id=None, kind="committee", name="Evening Committee")
    for person in (governor, second):
        bodies.add_member(conn, OP, board, person.id, "member")
    start = meetings.local_now().replace(hour=18, minute=0) + timedelta(days=5)
    meeting_id = meetings.create(conn, OP, meetings.MeetingInput(
        body_id=board, title="Monday's full board", starts_at=start,
        ends_at=start + timedelta(hours=2), location="Hall"))
    item = agenda.add_item(conn, OP, meeting_id, agenda.ItemInput(title="Finance", minutes=15))
    folder = folders.create_folder(conn, OP, parent_id=None, title="Evening papers")
    [doc_id] = documents.add_files(conn, OP, folder,
                                   [_Part("budget.pdf", make_pdf("Budget monitoring"))],
                                   limit=1024 * 1024)
    papers.link(conn, OP, item, "document", doc_id)
    # The second signs in twice within one authenticator step: the second time with a
    # recovery code (a code of now is accepted once).
    codes = signin.regenerate_recovery_codes(conn, Identity.load(conn, second.id),
                                             second.password)
    return {"live": live_server, "governor": governor, "second": second, "codes": codes,
            "meeting": meeting_id, "doc": doc_id}


def test_a_governor_opens_a_paper_from_the_meeting_page_in_one_tap(evening, new_context):
    server = evening["live"]
    page = new_context(**PHONE, accept_downloads=True).new_page()
    downloads = []
    page.on("download", lambda d: downloads.append(d))
    sign_in(page, server, evening["governor"])
    page.goto(server.url(f"/meetings/{evening['meeting']}"))
    paper = page.get_by_role("link", name="budget", exact=True)
    with page.expect_response(lambda r: "/download" in r.url) as answer:
        paper.tap()
    response = answer.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline;")
    page.wait_for_url(f"**/library/documents/{evening['doc']}/download?inline=1")
    assert downloads == []  # opened in the browser, not saved


def test_an_action_after_signing_out_in_another_tab_lands_on_a_whole_sign_in_page(
        evening, new_context):
    server, governor = evening["live"], evening["second"]
    context = new_context(**PHONE)
    paper_page = context.new_page()
    sign_in(paper_page, server, governor)
    doc_url = server.url(f"/library/documents/{evening['doc']}")
    paper_page.goto(doc_url)
    box = paper_page.get_by_label("Add a comment")
    box.fill(COMMENT)

    # In another tab of the same browser, the governor signs out.
    other = context.new_page()
    other.goto(server.url("/"))
    other.get_by_role("button", name="Sign out").click()
    other.wait_for_url("**/login")

    # Back in the first tab: posting the comment (an htmx action) opens the sign-in page as
    # a whole page, saying why; not the sign-in page inside the comments.
    paper_page.get_by_role("button", name="Post").click()
    paper_page.wait_for_url(re.compile(r"/login\?next=/"))
    assert paper_page.locator("header.site-header").count() == 1
    assert paper_page.get_by_role("heading", level=1).count() == 1
    assert "sign in again" in paper_page.get_by_role("main").inner_text()

    # Signed in again, they are back on the paper with what they typed, ready to send.
    paper_page.get_by_label("E-mail address").fill(governor.email)
    paper_page.get_by_label("Password").fill(governor.password)
    paper_page.get_by_role("button", name="Continue").click()
    paper_page.get_by_label("Code").fill(evening["codes"][0])
    paper_page.get_by_role("button", name="Sign in").click()
    paper_page.wait_for_url(doc_url)
    assert paper_page.get_by_label("Add a comment").input_value() == COMMENT
    assert paper_page.get_by_text("was not sent yet").is_visible()
    paper_page.get_by_role("button", name="Post").click()
    paper_page.get_by_test_id("comment").filter(has_text=COMMENT).wait_for()
    # Sent: the text is not put back again.
    paper_page.reload()
    assert paper_page.get_by_label("Add a comment").input_value() == ""
