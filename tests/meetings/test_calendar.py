"""Calendar: an .ics per meeting and a private, revocable feed (acceptance 3)."""

import icalendar
from conftest import feed_path_in, new_feed_path

from gvo.core import audit
from gvo.core.identity import Identity
from gvo.meetings import calendar_feed, meetings

from .conftest import OP


def test_a_meeting_ics_parses_with_icalendar(signed_in, office):
    client, _ = signed_in("reader")
    meeting_id = office.meeting(days=10, title="Summer full board", location="Hall")
    resp = client.download(f"/alpha/meetings/{meeting_id}/calendar.ics")
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    cal = icalendar.Calendar.from_ical(resp.data)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert str(event["summary"]).startswith("Summer full board")
    assert str(event["location"]) == "Hall"
    row = meetings.get(office.conn, meeting_id)
    start = meetings.parse_stamp(row["starts_at"]).replace(tzinfo=meetings.SCHOOL_TZ)
    assert event.decoded("dtstart") == start
    assert f"/alpha/meetings/{meeting_id}" in str(event["url"])


def test_the_private_feed_works_until_revoked(signed_in, new_client, office):
    client, person = signed_in("author")
    office.meeting(days=3, title="Finance review", body_id=office.committee_id)
    cancelled = office.meeting(days=5, title="Extra meeting")
    meetings.cancel(office.conn, OP, cancelled, "Not needed")
    path = new_feed_path(client)
    assert path.startswith("/alpha/calendar/") and path.endswith(".ics")

    anonymous = new_client()
    resp = anonymous.c.get(path, base_url="https://localhost")
    assert resp.status_code == 200
    cal = icalendar.Calendar.from_ical(resp.data)
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert "Finance review" in events  # its title names the committee: not repeated
    assert str(events["Extra meeting (Full Governing Board)"]["status"]) == "CANCELLED"
    token = path.rsplit("/", 1)[1][:-4]
    assert token not in "".join(str(r["detail"]) for r in audit.recent(office.conn))

    # A new address replaces the old one; revoking stops it.
    new_path = new_feed_path(client)
    assert anonymous.c.get(path, base_url="https://localhost").status_code == 404
    assert anonymous.c.get(new_path, base_url="https://localhost").status_code == 200
    client.post("/alpha/profile/calendar-feed/revoke", {}, form_page="/alpha/profile")
    assert anonymous.c.get(new_path, base_url="https://localhost").status_code == 404
    assert calendar_feed.feed_created(office.conn, person.id) is None
    assert {"calendar.feed_new", "calendar.feed_revoke"} <= {
        e["action"] for e in audit.recent(office.conn)}


def test_a_feed_of_an_inactive_person_stops(office):
    from gvo.people import accounts

    uid = office.person("Leaving Governor")
    token = calendar_feed.new_token(office.conn, OP, uid)
    assert calendar_feed.viewer_for_token(office.conn, token) is not None
    accounts.set_role(office.conn, OP, uid, "inactive")
    assert calendar_feed.viewer_for_token(office.conn, token) is None
    assert calendar_feed.viewer_for_token(office.conn, "nonsense") is None


def _content_lines_are_clean(data: bytes) -> None:
    """Every content line ends in CRLF and holds no other CR or LF (RFC 5545 section 3.1)."""
    assert data.endswith(b"\r\n")
    for line in data[:-2].split(b"\r\n"):
        assert b"\r" not in line and b"\n" not in line, line


def test_line_breaks_in_calendar_text_are_escaped(signed_in, office):
    """Stored one-line fields with line breaks (written before they were normalised) go out
    on one line; the description's own lines are escaped."""
    client, _ = signed_in("author")
    meeting_id = office.meeting(days=4, title="Spring board")
    other = office.meeting(days=6, title="Summer board")
    office.conn.execute("UPDATE meetings SET title = ?, location = ? WHERE id = ?",
                        ("Spring\rboard", "Hall\nBlock B", meeting_id))
    office.conn.execute("UPDATE meetings SET title = ? WHERE id = ?", ("Summer\nboard", other))
    office.conn.execute("UPDATE meetings SET status = 'cancelled', cancel_reason = ?"
                        " WHERE id = ?", ("Snow\r\nSchool closed", other))
    for mid, title in ((meeting_id, "Spring board"), (other, "Summer board")):
        resp = client.download(f"/alpha/meetings/{mid}/calendar.ics")
        assert resp.status_code == 200
        _content_lines_are_clean(resp.data)
        assert b"\r\nX-WR-CALNAME:Alpha Primary: " + title.encode() + b"\r\n" in resp.data
        cal = icalendar.Calendar.from_ical(resp.data)
        assert str(cal.walk("VEVENT")[0]["summary"]).startswith(title)
    path = new_feed_path(client)
    resp = client.c.get(path, base_url="https://localhost")
    assert resp.status_code == 200
    _content_lines_are_clean(resp.data)
    events = {str(e["summary"]): e for e in icalendar.Calendar.from_ical(resp.data).walk(
        "VEVENT")}
    assert str(events["Spring board (Full Governing Board)"]["location"]) == "Hall Block B"
    assert "Cancelled: Snow\nSchool closed" in str(
        events["Summer board (Full Governing Board)"]["description"])


def test_a_title_with_a_line_break_is_kept_on_one_line(signed_in, office):
    client, _ = signed_in("manager")
    resp = client.post("/alpha/meetings/new", {
        "body_id": str(office.board_id), "title": "Spring\nboard",
        "starts_at": "2031-03-04T18:00", "ends_at": "2031-03-04T20:00", "location": "Hall"},
        form_page="/alpha/meetings/new")
    assert resp.status_code == 302
    [row] = meetings.list_meetings(office.conn, Identity(0, "manager"))
    assert row["title"] == "Spring board"


def test_the_profile_page_offers_a_subscribe_link_and_a_copy_button(signed_in):
    client, _person = signed_in("author")
    path = new_feed_path(client)
    client.post("/alpha/profile/calendar-feed", {}, form_page="/alpha/profile")
    page = client.get("/alpha/profile").get_data(as_text=True)
    box = page.split('data-testid="new-feed"')[1].split("</div>")[0]
    new_path = feed_path_in(page)
    assert new_path != path
    assert f'href="webcal://localhost{new_path}"' in box
    assert 'data-copy="feed-url"' in box
    assert "copy.js" in page and "<script>" not in page  # no inline script (strict CSP)
    flashes = page.split('class="flash')[1:]
    assert not any("/calendar/" in f.split("</")[0] for f in flashes)  # not in a message
    # Shown once: the next visit no longer shows it.
    assert "webcal://" not in client.get("/alpha/profile").get_data(as_text=True)


def test_calendar_entries_of_two_schools_on_one_server_never_share_a_uid(
        signed_in, new_client, office, instance, make_user):
    # Attack 4: the UID was "meeting-<id>@<host>", the same for meeting 1 of every school,
    # so a governor of two schools saw one school's meeting replace the other's.
    from conftest import sign_in

    from gvo.board import bodies

    from .conftest import Office

    instance.create_school("beta", "Beta Primary")
    conn_b = instance.db("beta")
    board_b = bodies.save_body(conn_b, OP, body_id=None, kind="board", name="Beta board")
    ids = {"alpha": office.meeting(title="Alpha meeting"),
           "beta": Office(board_b, board_b, conn_b).meeting(title="Beta meeting")}
    assert ids["alpha"] == ids["beta"]  # the same number in each school's own database
    clients = {"alpha": signed_in("manager")[0], "beta": new_client()}
    assert sign_in(clients["beta"], make_user("beta", "manager")).status_code == 302
    uids = {}
    for slug, client in clients.items():
        ics = client.download(f"/{slug}/meetings/{ids[slug]}/calendar.ics").data
        [event] = icalendar.Calendar.from_ical(ics).walk("VEVENT")
        path = new_feed_path(client, slug)
        [fed] = icalendar.Calendar.from_ical(client.download(path).data).walk("VEVENT")
        assert str(fed["uid"]) == str(event["uid"])  # the .ics and the feed agree
        uids[slug] = str(event["uid"])
    assert uids["alpha"] != uids["beta"]
    assert uids["alpha"].startswith(f"meeting-{ids['alpha']}@alpha.")
    assert uids["beta"].startswith(f"meeting-{ids['beta']}@beta.")
