"""The minutes editor in Debian's Chromium (attack 5, F4): a new action's text, owner and due
date are guarded by the unsaved-changes warning like the big text boxes, and are put back
after the session ended."""

import re
from datetime import timedelta

import pytest
from browser.fixtures import LiveServer, end_session_elsewhere, sign_in, sign_in_here

from gvo.board import bodies
from gvo.core.identity import Identity
from gvo.meetings import agenda, meetings
from gvo.people import signin

pytestmark = pytest.mark.browser

OP = Identity.operator()


@pytest.fixture(scope="module")
def editor(live_server: LiveServer):
    """A clerk (Manager) and last week's meeting with two items."""
    conn = live_server.instance.db(live_server.slug)
    clerk = live_server.add_person("manager", name="Clara Clerk", email="clara@example.org")
    board = bodies.save_body(conn, OP, body_id=None, kind="committee", name="Minutes Committee")
    bodies.add_member(conn, OP, board, clerk.id, "member")
    start = meetings.local_now().replace(hour=18, minute=0) - timedelta(days=7)
    meeting_id = meetings.create(conn, OP, meetings.MeetingInput(
        body_id=board, title="Last week's committee", starts_at=start,
        ends_at=start + timedelta(hours=2), location="Hall"))
    for title in ("Welcome", "Finance"):
        agenda.add_item(conn, OP, meeting_id, agenda.ItemInput(title=title, minutes=15))
    codes = signin.regenerate_recovery_codes(conn, Identity.load(conn, clerk.id),
                                             clerk.password)
    return {"live": live_server, "clerk": clerk, "meeting": meeting_id, "codes": codes}


def test_a_new_action_is_guarded_and_put_back(editor, new_context):
    server, clerk = editor["live"], editor["clerk"]
    context = new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, server, clerk)
    url = server.url(f"/meetings/{editor['meeting']}/minutes")
    page.goto(url)
    action = page.get_by_label("Action").first
    action.click()
    action.press_sequentially("Chase the LA")
    page.get_by_label("Owner").first.select_option(label="Clara Clerk")

    # Leaving by a link asks first, as for the big text boxes.
    page.on("dialog", lambda d: d.dismiss())  # stay on the page
    with page.expect_event("dialog") as asked:
        page.get_by_role("link", name="Back to Last week's committee").click()
    assert asked.value.type == "beforeunload"
    assert page.url == url

    # The session ends in another tab; saving lands on the sign-in page; signed in again,
    # the action's text and owner are back.
    end_session_elsewhere(context, server)
    page.get_by_role("button", name="Add action to item 1 and save").click()
    page.wait_for_url(re.compile(r"/login\?next=/"))
    sign_in_here(page, clerk, editor["codes"][0])
    page.wait_for_url(re.compile(r"/minutes(#.*)?$"))
    assert page.get_by_label("Action").first.input_value() == "Chase the LA"
    owner = page.get_by_label("Owner").first
    assert owner.evaluate("el => el.options[el.selectedIndex].text") == "Clara Clerk"
