"""Browser test (issue 12, acceptance 1): on a 390 x 844 phone in Chromium, a governor sends
apologies without a reason (the error beside the field, the choice kept, nothing recorded;
sending again still records no "attending"), then with one (apologies recorded). On the live
server and Debian's Chromium of tests/browser/fixtures.py."""

from datetime import timedelta

import pytest
from browser.fixtures import PHONE, LiveServer, screenshot, sign_in

from gvo.board import bodies
from gvo.core.identity import Identity
from gvo.meetings import attendance, meetings

pytestmark = pytest.mark.browser

OP = Identity.operator()


def test_apologies_on_a_phone_keep_the_choice_and_the_error_sits_beside_the_field(
        live_server: LiveServer, new_context):
    conn = live_server.instance.db(live_server.slug)
    governor = live_server.add_person("author", name="Pip Phone")
    body_id = bodies.save_body(conn, OP, body_id=None, kind="committee",
                               name="Pupil welfare committee")
    bodies.add_member(conn, OP, body_id, governor.id, "member")
    start = meetings.local_now().replace(hour=18, minute=0) + timedelta(days=5)
    meeting_id = meetings.create(conn, OP, meetings.MeetingInput(
        body_id=body_id, title="Welfare review", starts_at=start,
        ends_at=start + timedelta(hours=1), location="Hall"))

    page = new_context(**PHONE).new_page()
    sign_in(page, live_server, governor)
    page.goto(live_server.url(f"/meetings/{meeting_id}"))
    choice = page.get_by_label("Will you attend?")
    reason = page.get_by_label("Reason for apologies")
    choice.select_option("apologies")
    page.get_by_role("button", name="Send answer").click()
    page.wait_for_load_state()

    # The error is beside the reason, tied to it for screen readers; the choice is kept.
    error = page.locator("#reason-error")
    assert "Please give a reason with your apologies." in error.inner_text()
    assert reason.get_attribute("aria-invalid") == "true"
    assert "reason-error" in reason.get_attribute("aria-describedby")
    field_box, error_box = reason.bounding_box(), error.bounding_box()
    assert abs(error_box["y"] - field_box["y"]) < 120  # beside it, not in a banner far away
    assert choice.input_value() == "apologies"
    screenshot(page, "reply-error-phone")
    assert attendance.replies(conn, meeting_id) == {}

    # Sending again as the page stands records no "attending".
    page.get_by_role("button", name="Send answer").click()
    page.wait_for_load_state()
    assert page.get_by_label("Will you attend?").input_value() == "apologies"
    assert attendance.replies(conn, meeting_id) == {}

    page.get_by_label("Reason for apologies").fill("Hospital appointment")
    page.get_by_role("button", name="Send answer").click()
    page.get_by_text("your apologies are sent").wait_for()
    answer = attendance.replies(conn, meeting_id)[governor.id]
    assert (answer["reply"], answer["reason"]) == ("apologies", "Hospital appointment")
