"""Acceptance 5, browser test: on a 390 x 844 phone in Chromium, a governor marks their action
done from the home page's "For you" panel: with JavaScript (htmx swaps the row in place) and
without it (the form posts and the home page comes back). On the live server and Debian's
Chromium of tests/browser/fixtures.py."""

from datetime import timedelta

import pytest
from browser.fixtures import PHONE, LiveServer, screenshot, sign_in

from gvo.board import bodies
from gvo.core import dates
from gvo.core.identity import Identity
from gvo.meetings import agenda, meetings, minutes

pytestmark = pytest.mark.browser

OP = Identity.operator()


def _status(conn, task_id):
    return conn.execute("SELECT status, completed_by, completed_at FROM tasks WHERE id = ?",
                        (task_id,)).fetchone()


def test_a_governor_marks_their_action_done_from_for_you_on_a_phone(
        live_server: LiveServer, new_context):
    conn = live_server.instance.db(live_server.slug)
    governor = live_server.add_person("author", name="Dafydd ap Gwilym")
    body_id = bodies.save_body(conn, OP, body_id=None, kind="committee",
                               name="Premises committee")
    bodies.add_member(conn, OP, body_id, governor.id, "member")
    start = meetings.local_now().replace(hour=18, minute=0) - timedelta(days=10)
    meeting_id = meetings.create(conn, OP, meetings.MeetingInput(
        body_id=body_id, title="Premises review", starts_at=start,
        ends_at=start + timedelta(hours=1), location="Hall"))
    item = agenda.add_item(conn, OP, meeting_id, agenda.ItemInput(title="Roof"))
    overdue = minutes.add_action(conn, OP, item, "Get three quotes for the roof", governor.id,
                                 dates.today() - timedelta(days=1))
    later = minutes.add_action(conn, OP, item, "Walk the site with the caretaker", governor.id,
                               dates.today() + timedelta(days=20))

    context = new_context(**PHONE)
    page = context.new_page()
    sign_in(page, live_server, governor)
    page.goto(live_server.url("/"))
    panel = page.get_by_test_id("for-you-actions")
    row = panel.locator(f'[data-task="{overdue}"]')
    assert "Overdue" in row.inner_text()  # words, not colour alone
    assert "rag-red" in row.get_by_test_id("urgency").get_attribute("class")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    screenshot(page, "for-you-actions-phone")
    row.get_by_role("button", name="Mark done").click()
    panel.locator(f'[data-task="{overdue}"]').get_by_text("Marked done.").wait_for()
    done = _status(conn, overdue)
    assert done["status"] == "done" and done["completed_by"] == governor.id
    assert done["completed_at"]
    assert page.url.rstrip("/") == live_server.url("/").rstrip("/")  # swapped in place

    # Without JavaScript the same button posts, and the home page comes back (the same
    # session: a second sign-in within 30 seconds would reuse the one-time code).
    without_js = new_context(**PHONE, java_script_enabled=False)
    without_js.add_cookies(context.cookies())
    plain = without_js.new_page()
    plain.goto(live_server.url("/"))
    plain.locator(f'[data-task="{later}"]').get_by_role("button", name="Mark done").click()
    plain.wait_for_load_state()
    assert _status(conn, later)["status"] == "done"
    assert "Walk the site with the caretaker" in plain.locator(".flash, [role=status], main"
                                                               ).first.inner_text()
    assert plain.locator(f'[data-task="{later}"]').count() == 0  # no longer open
