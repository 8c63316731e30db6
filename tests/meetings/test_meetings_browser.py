"""Browser test (acceptance 4): the clerk schedules a meeting with an agenda and a paper, a
governor sends apologies and downloads the pack, the clerk takes the register and records the
approval of the previous minutes. On the live server and Chromium of tests/browser/fixtures.py
(Debian's Chromium through Playwright)."""

import io
from datetime import timedelta

import pytest
from browser.fixtures import LiveServer, sign_in
from conftest import make_pdf
from pypdf import PdfReader

from gvo.board import bodies
from gvo.core.identity import Identity
from gvo.meetings import agenda, attendance, meetings, minutes
from gvo.people import accounts

pytestmark = pytest.mark.browser

OP = Identity.operator()


@pytest.fixture(scope="module")
def server(live_server: LiveServer):
    """The live office with a board, its clerk, two governors and a previous meeting."""
    conn = live_server.instance.db(live_server.slug)
    clerk = live_server.add_person("manager", name="Clara Clerk", email="clerk@example.org")
    governor = live_server.add_person("author", name="Gita Governor", email="gov@example.org")
    other = accounts.add_user(conn, OP, email="olu@example.org", name="Olu Other", role="author")
    board_id = bodies.save_body(conn, OP, body_id=None, kind="board", name="Full Governing Board")
    for uid in (clerk.id, governor.id, other):
        bodies.add_member(conn, OP, board_id, uid, "member")
    start = meetings.local_now().replace(hour=18, minute=0) - timedelta(days=40)
    previous = meetings.create(conn, OP, meetings.MeetingInput(
        body_id=board_id, title="Previous full board", starts_at=start,
        ends_at=start + timedelta(hours=2), location="Hall"))
    item = agenda.add_item(conn, OP, previous, agenda.ItemInput(title="Budget", minutes=10))
    minutes.save_item(conn, OP, item, "Discussed.", "Approved.")
    attendance.save_attendance_register(conn, OP, previous, {clerk.id: "present", other: "present"})
    attendance.lock_attendance_register(conn, OP, previous)
    minutes.circulate(conn, OP, previous)
    return {"live": live_server, "origin": live_server.origin, "clerk": clerk,
            "governor": governor, "conn": conn, "previous": previous, "other": other}


def _sign_in(new_context, server, who):
    ctx = new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = ctx.new_page()
    sign_in(page, server["live"], who)
    return ctx, page


def test_clerk_and_governor_run_a_meeting(server, new_context):
    _scenario(server, new_context)


def _scenario(server, new_context):
    conn = server["conn"]
    clerk_ctx, clerk = _sign_in(new_context, server, server["clerk"])
    try:
        # The clerk schedules the meeting.
        clerk.get_by_role("link", name="Meetings", exact=True).click()
        clerk.get_by_role("link", name="Schedule a meeting").click()
        start = meetings.local_now().replace(hour=18, minute=0) + timedelta(days=10)
        clerk.get_by_label("Title").fill("Spring full board")
        clerk.get_by_label("Starts").fill(start.strftime("%Y-%m-%dT%H:%M"))
        clerk.get_by_label("Ends").fill((start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
        clerk.get_by_label("Location").fill("School library")
        clerk.get_by_role("button", name="Schedule meeting").click()
        clerk.wait_for_url("**/alpha/meetings/*")
        meeting_id = int(clerk.url.rstrip("/").split("/")[-1])

        # Its agenda: two items, then reorder with htmx (no page load).
        for title in ("Budget 2031", "Welcome and apologies"):
            clerk.get_by_label("Item title").fill(title)
            clerk.get_by_role("button", name="Add item").click()
            clerk.get_by_role("heading", name=title).wait_for()
        clerk.get_by_role("button", name="Move up Welcome and apologies").click()
        clerk.locator("#agenda-list h3").first.filter(has_text="1. Welcome and apologies"
                                                      ).wait_for()
        assert [i["title"] for i in agenda.items(conn, meeting_id)] == [
            "Welcome and apologies", "Budget 2031"]

        # A paper for the budget item, uploaded into the meeting's folder.
        budget = agenda.items(conn, meeting_id)[1]["number"]
        clerk.locator(f"#item-{budget} summary").click()
        clerk.get_by_label("File for item 2").set_input_files(files=[{
            "name": "budget.pdf", "mimeType": "application/pdf",
            "buffer": make_pdf("Budgetpaper", 2)}])
        clerk.locator(f"#item-{budget}").get_by_role("button", name="Upload paper").click()
        clerk.get_by_text("Uploaded and attached 1 paper").wait_for()
        assert clerk.get_by_role("link", name="budget").count() >= 1

        # A governor sends apologies and downloads the pack.
        gov_ctx, gov = _sign_in(new_context, server, server["governor"])
        try:
            # "For you" on the home page asks for the reply.
            gov.get_by_test_id("for-you-meetings").get_by_role(
                "link", name="Spring full board").click()
            gov.get_by_label("Will you attend?").select_option("apologies")
            gov.get_by_label("Reason for apologies").fill("Parents' evening at work")
            gov.get_by_role("button", name="Send answer").click()
            gov.get_by_text("your apologies are sent").wait_for()
            with gov.expect_download() as info:
                gov.get_by_role("link", name="Download board pack (PDF)").click()
            pack = info.value
            with open(pack.path(), "rb") as f:
                data = f.read()
            reader = PdfReader(io.BytesIO(data))
            assert len(reader.pages) == 2 + 1 + 2  # cover, agenda, divider, paper
            assert "Budgetpaper page 2" in reader.pages[-1].extract_text()
        finally:
            gov_ctx.close()
        assert attendance.replies(conn, meeting_id)[server["governor"].id]["reply"] == (
            "apologies")

        # The day comes: the meeting starts (a register is locked, and earlier minutes
        # approved, only at a meeting that has started).
        row = meetings.get(conn, meeting_id)
        began = meetings.local_now() - timedelta(minutes=30)
        meetings.update(conn, OP, meeting_id, meetings.MeetingInput(
            body_id=row["body_id"], title=row["title"], starts_at=began,
            ends_at=began + timedelta(hours=2), location=row["location"]))

        # The clerk takes the register, sees the quorum, confirms and locks it.
        clerk.goto(f"{server['origin']}/alpha/meetings/{meeting_id}/register")
        clerk.get_by_text("Parents' evening at work").wait_for()
        clerk.get_by_label("Clara Clerk").select_option("present")
        clerk.get_by_label("Olu Other").select_option("present")
        clerk.get_by_role("button", name="Save register").click()
        clerk.get_by_text("The register is saved").wait_for()
        assert "Quorate" in clerk.get_by_test_id("quorum").inner_text()
        clerk.get_by_label("I have checked this register").check()
        clerk.get_by_role("button", name="Lock register").click()
        clerk.get_by_text("The register is locked.").wait_for()
        statuses = {r["user_id"]: r["status"]
                    for r in attendance.attendance_register(conn, meeting_id)}
        assert statuses[server["governor"].id] == "apologies_accepted"

        # ...and records the previous meeting's minutes as approved at this one.
        clerk.goto(f"{server['origin']}/alpha/meetings/{meeting_id}")
        clerk.get_by_role("button", name="Record as approved at this meeting").click()
        clerk.get_by_text("recorded as approved at this meeting").wait_for()
        previous = meetings.get(conn, server["previous"])
        assert previous["minutes_status"] == "approved"
        assert previous["minutes_approved_meeting_id"] == meeting_id
    finally:
        clerk_ctx.close()
