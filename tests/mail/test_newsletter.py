"""The weekly newsletter: at the school's hour, once; a missed one once after a restart; never
naming what the person may not open; sections other modules add; and "For you"."""

import email
from datetime import timedelta
from email import policy

import pytest
from conftest import BASE, make_pdf, sign_in
from uploads import Part

from gvo.board import bodies
from gvo.core import events
from gvo.core.identity import Identity
from gvo.discussion import approvals, comments, subjects
from gvo.library import folders, pages
from gvo.mail import outbox, volume
from gvo.mail.compose import Letter
from gvo.meetings import agenda, attendance, meetings, papers
from gvo.newsletter import letters, schedule
from gvo.people import accounts

OP = Identity.operator()
MONDAY_8AM = 1_794_816_000.0  # Monday 16 November 2026, 08:00 UTC (and London: GMT)


def _user(conn, name: str, role: str, **kw) -> Identity:
    uid = accounts.add_user(conn, OP, email=f"{name.lower()}@example.org", name=name, role=role,
                            **kw)
    return Identity.load(conn, uid)


def _letters(conn, kind: str = "newsletter") -> dict[str, list]:
    """Queued messages of a kind, parsed, by recipient address."""
    out: dict[str, list] = {}
    for row in conn.execute("SELECT recipient, message FROM mail_outbox WHERE kind = ?"
                            " ORDER BY id", (kind,)):
        out.setdefault(row["recipient"], []).append(
            email.message_from_bytes(bytes(row["message"]), policy=policy.default))
    return out


def _text(msg) -> str:
    return msg.get_body(("plain",)).get_content() + msg.get_body(("html",)).get_content()


@pytest.fixture
def school_week(instance, school, mail_app, clock):
    """Alpha at Monday 16 November 2026, 08:00, newsletter set for Mondays at 09:00; two
    governors; a page added in a public folder this week."""
    clock.t = MONDAY_8AM
    conn = instance.db(school)
    letters.set_schedule(conn, OP, 0, 9)
    manager = _user(conn, "Manager", "manager")
    folder = folders.create_folder(conn, manager, parent_id=None, title="Board papers")
    pages.create_page(conn, manager, folder, title="Spring budget summary", body="Figures")
    _user(conn, "Ann", "author")
    _user(conn, "Bob", "author")
    conn.add_page = lambda title: pages.create_page(conn, manager, folder, title=title,
                                                    body="x")
    return conn


def test_the_newsletter_goes_out_at_its_hour_once(school_week, clock, instance):
    conn = school_week
    sched = schedule.Scheduler(instance)
    assert sched.tick() == 1  # the first look: from now on, nothing sent yet
    assert _letters(conn) == {}
    clock.t = MONDAY_8AM + 59 * 60
    sched.tick()
    assert _letters(conn) == {}
    clock.t = MONDAY_8AM + 3600 + 30
    sched.tick()
    sent = _letters(conn)
    assert sorted(sent) == ["ann@example.org", "bob@example.org", "manager@example.org"]
    assert "Spring budget summary" in _text(sent["ann@example.org"][0])
    assert sent["ann@example.org"][0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    for later in (60, 3600, 6 * 86400):  # the same week: nothing more
        clock.t = MONDAY_8AM + 3600 + later
        sched.tick()
        assert sum(len(v) for v in _letters(conn).values()) == 3
    conn.add_page("Summer term dates")
    clock.t = MONDAY_8AM + 7 * 86400 + 3600 + 30  # next Monday, 09:00:30
    sched.tick()
    assert sum(len(v) for v in _letters(conn).values()) == 6


def test_a_school_visited_between_its_hours_is_not_opened_again(school_week, clock, instance):
    sched = schedule.Scheduler(instance)
    events.subscribe(events.SCHEDULE_CHANGED, sched._schedule_changed)  # as start() does
    try:
        assert sched.tick() == 1
        clock.t = MONDAY_8AM + 1800
        assert sched.tick() == 0  # its next time (09:00) has not come: not visited
        letters.set_schedule(school_week, OP, 0, 8)  # a new time brings the visit forward
        assert sched.tick() == 1
        assert sched.tick() == 0
    finally:
        events.unsubscribe(events.SCHEDULE_CHANGED, sched._schedule_changed)


def test_a_newsletter_missed_while_the_server_was_down_goes_out_once(
        school_week, clock, instance, smtp_server, start_sender):
    conn = school_week
    schedule.Scheduler(instance).tick()  # the server ran on Monday at 08:00, then stopped
    digest_person = _user(conn, "Dee", "author")
    volume.set_volume(conn, OP, digest_person.user_id, "digest")
    outbox.notify(conn, OP, [digest_person.user_id],
                  Letter("test", "Minutes circulated", "you are a governor"), kind="minutes")
    # It comes back on Wednesday at noon: Monday's newsletter and two digests were missed.
    clock.t = MONDAY_8AM + 2 * 86400 + 4 * 3600
    instance.release()
    server = schedule.Scheduler(instance).start()  # runs at once
    try:
        start_sender()
        arrived = smtp_server.wait_for(5)
    finally:
        server.stop()
    subjects_ = sorted((a.rcpt_tos[0], a.message["Subject"].split(":")[0]) for a in arrived)
    assert subjects_ == [
        ("ann@example.org", "Your week in the governors' office"),
        ("bob@example.org", "Your week in the governors' office"),
        ("dee@example.org", "Today in the governors' office"),  # one digest, not two
        ("dee@example.org", "Your week in the governors' office"),
        ("manager@example.org", "Your week in the governors' office"),
    ]
    # Restarted again (another scheduler, nothing in memory): nothing goes twice.
    schedule.Scheduler(instance).tick()
    assert sum(len(v) for v in _letters(conn).values()) == 4
    assert sum(len(v) for v in _letters(conn, "digest").values()) == 1
    assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'mail.newsletter'"
                        ).fetchone()[0] == 1


@pytest.fixture
def secrets_office(instance, school, mail_app, clock):
    """A public page, a private room's page, and a Part 2 paper of a board meeting; a
    governor on the board, a Reader off it, and the room's one member."""
    clock.t = MONDAY_8AM
    conn = instance.db(school)
    manager = _user(conn, "Manager", "manager")
    member = _user(conn, "Member", "author")
    outsider = _user(conn, "Outsider", "reader")
    roomie = _user(conn, "Roomie", "editor")
    board = bodies.save_body(conn, OP, body_id=None, kind="board", name="Full Governing Board")
    bodies.add_member(conn, OP, board, member.user_id, "member")
    public = folders.create_folder(conn, manager, parent_id=None, title="Board papers")
    public_page = pages.create_page(conn, manager, public, title="Spring budget summary",
                                    body="x")
    room = folders.create_folder(conn, manager, parent_id=None, title="Pay panel",
                                 restricted=True, users=[roomie.user_id])
    room_page = pages.create_page(conn, roomie, room, title="Headteacher pay review", body="x")
    start = (meetings.local_now() + timedelta(days=5)).replace(hour=18, minute=0)
    meeting = meetings.create(conn, manager, meetings.MeetingInput(
        body_id=board, title="Spring full board", starts_at=start,
        ends_at=start + timedelta(hours=2), location="School library"))
    item = agenda.add_item(conn, manager, meeting, agenda.ItemInput(
        title="Staffing", purpose="discussion", confidential=True))
    papers.upload(conn, manager, item, [Part("Staffing restructure.pdf", make_pdf("x"))],
                  limit=10_000_000)
    for who, page_id in ((manager, public_page), (roomie, room_page)):
        subject = subjects.load(conn, who, "page", page_id)
        approvals.request_approval(conn, who, subject, "approved")
    return conn, {"manager": manager, "member": member, "outsider": outsider,
                  "roomie": roomie}, {"public": public_page, "room": room_page,
                                      "meeting": meeting}


SECRETS = ("Headteacher pay review", "Staffing restructure")


def test_the_newsletter_never_names_what_the_person_may_not_open(secrets_office, clock):
    conn, people, _ids = secrets_office
    letters.send_newsletters(conn, "test", clock.t)
    sent = {addr: _text(msgs[0]) for addr, msgs in _letters(conn).items()}
    outsider = sent["outsider@example.org"]
    assert "Spring budget summary" in outsider and "Spring full board" in outsider
    assert not any(s in outsider for s in SECRETS)
    member = sent["member@example.org"]
    assert "Staffing restructure" in member  # a board member reads Part 2 papers
    assert "Headteacher pay review" not in member
    assert "Will you attend?" in member and "Will you attend?" not in outsider
    assert "Waiting for your approval" in member  # the public page's
    assert "Waiting for your approval" not in outsider  # a Reader does not approve
    roomie = sent["roomie@example.org"]
    assert "Headteacher pay review" in roomie
    assert "Headteacher pay review" not in sent["manager@example.org"]  # a room binds Managers


def test_the_newsletters_links_lead_to_the_items(secrets_office, clock, mail_app, instance):
    conn, _people, ids = secrets_office
    letters.send_newsletters(conn, "test", clock.t)
    text = _text(_letters(conn)["member@example.org"][0])
    assert f"{BASE}/alpha/library/pages/{ids['public']}" in text
    assert f"{BASE}/alpha/meetings/{ids['meeting']}" in text


def test_sections_other_modules_add_reach_managers_only(secrets_office, clock, monkeypatch):
    conn, people, _ids = secrets_office
    monkeypatch.setattr(letters, "_sections", {})
    seen = []

    def terms_ending(conn, who, period):
        seen.append(who.user_id)
        return [letters.Line("Ann Smith's term ends on 3 January", "/board")]

    letters.register_section("terms", "Governors' terms ending", terms_ending)
    letters.send_newsletters(conn, "test", clock.t)
    sent = {addr: _text(msgs[0]) for addr, msgs in _letters(conn).items()}
    assert "Ann Smith's term ends" in sent["manager@example.org"]
    assert not any("Ann Smith" in t for a, t in sent.items() if a != "manager@example.org")
    assert seen == [people["manager"].user_id]


def test_for_you_shows_what_waits_for_the_person(secrets_office, app, new_client, instance):
    conn, people, ids = secrets_office
    member_id = people["member"].user_id
    accounts.set_password(conn, OP, member_id, "a-fine-long-passphrase-1")
    conn.execute("UPDATE settings SET value = 'optional' WHERE key = 'mfa_policy'")
    other = people["manager"]
    public = subjects.load(conn, other, "page", ids["public"])
    mine = comments.add(conn, people["member"], public, "What about the roof?")
    comments.add(conn, other, public, "It is in line 12.", parent_id=mine)
    # A reply in the room the member cannot open is not shown.
    room = subjects.load(conn, people["roomie"], "page", ids["room"])
    comments.add(conn, people["roomie"], room, "Room talk")
    instance.release()

    class Member:
        id, email, password, slug, totp_secret = (member_id, "member@example.org",
                                                  "a-fine-long-passphrase-1", "alpha", None)

    client = new_client()
    sign_in(client, Member)
    page = client.get("/alpha/").get_data(as_text=True)
    box = page.split('data-testid="for-you"')[1].split("</section>")[0]
    assert "Spring budget summary" in box.split('data-testid="for-you-approvals"')[1]
    assert "Spring full board" in box.split('data-testid="for-you-meetings"')[1]
    assert "Manager replied on" in box.split('data-testid="for-you-replies"')[1]
    assert not any(s in box for s in SECRETS)
    # Replying and approving take them off.
    conn = instance.db("alpha")
    attendance.reply(conn, people["member"], ids["meeting"], member_id, "attending")
    approvals.approve(conn, people["member"], subjects.load(conn, people["member"], "page",
                                                             ids["public"]))
    instance.release()
    box = client.get("/alpha/").get_data(as_text=True).split('data-testid="for-you"')[1]
    assert 'data-testid="for-you-approvals"' not in box.split("</section>")[0]
    assert 'data-testid="for-you-meetings"' not in box.split("</section>")[0]


def test_the_school_sets_the_newsletters_time(signed_in, instance, school):
    client, _manager = signed_in("manager")
    client.post("/alpha/admin/settings/newsletter", {"day": "2", "hour": "7"},
                form_page="/alpha/admin/settings")
    conn = instance.db(school)
    assert letters.schedule_of(conn) == (2, 7)
    resp = client.post("/alpha/admin/settings/newsletter", {"day": "9", "hour": "7"},
                       form_page="/alpha/admin/settings")
    assert resp.status_code == 422
    assert letters.schedule_of(conn) == (2, 7)


def test_a_changed_schedule_never_sends_a_second_newsletter_in_the_same_week(
        school_week, clock):
    conn = school_week
    digest_person = _user(conn, "Dee", "author")
    volume.set_volume(conn, OP, digest_person.user_id, "digest")

    def held(subject):
        outbox.notify(conn, OP, [digest_person.user_id],
                      Letter("test", subject, "you are a governor"), kind="minutes")

    letters.send_due(conn)  # Monday 08:00: the first look
    held("First")
    clock.t = MONDAY_8AM + 3600 + 30  # Monday 09:00:30: the newsletter and the digest go
    letters.send_due(conn)
    assert sum(len(v) for v in _letters(conn).values()) == 4
    assert len(_letters(conn, "digest")["dee@example.org"]) == 1
    # The clerk moves it to 10:00 the same day, then to Friday 16:00: the same school week.
    held("Second")
    letters.set_schedule(conn, OP, 0, 10)
    clock.t = MONDAY_8AM + 2 * 3600 + 30
    letters.send_due(conn)
    assert sum(len(v) for v in _letters(conn).values()) == 4
    assert len(_letters(conn, "digest")["dee@example.org"]) == 1  # one digest a day, too
    letters.set_schedule(conn, OP, 4, 16)
    clock.t = MONDAY_8AM + 4 * 86400 + 8 * 3600 + 30  # Friday 16:00:30
    letters.send_due(conn)
    assert sum(len(v) for v in _letters(conn).values()) == 4
    assert len(_letters(conn, "digest")["dee@example.org"]) == 2  # Friday's digest: "Second"
    # Moved to Monday 09:00 on Friday evening: next Monday's goes, not a "missed" one now.
    letters.set_schedule(conn, OP, 0, 9)
    clock.t = MONDAY_8AM + 4 * 86400 + 12 * 3600
    letters.send_due(conn)
    assert sum(len(v) for v in _letters(conn).values()) == 4
    conn.add_page("Summer term dates")
    clock.t = MONDAY_8AM + 7 * 86400 + 3600 + 30
    letters.send_due(conn)
    assert sum(len(v) for v in _letters(conn).values()) == 8
    assert conn.execute("SELECT value FROM settings WHERE key = ?", (letters.NEWSLETTER_DONE,)
                        ).fetchone()[0] == "2026-W48"


def test_a_week_recorded_by_the_older_version_is_read_as_its_week(school_week, clock):
    conn = school_week
    conn.execute("INSERT INTO settings(key, value) VALUES ('newsletter_last_period', ?)",
                 ("2026-11-16T09:00:00+00:00",))  # this Monday's slot, sent
    conn.execute("INSERT INTO settings(key, value) VALUES ('digest_last_period', ?)",
                 ("2026-11-16T09:00:00+00:00",))
    letters.set_schedule(conn, OP, 0, 10)
    clock.t = MONDAY_8AM + 2 * 3600 + 30
    letters.send_due(conn)
    assert _letters(conn) == {}
