"""Meeting mail: papers published, minutes circulated and approved reach the board's members
with the meeting's title and a link only; the reminder goes once to those who have not
said whether they will attend."""

from datetime import datetime

import pytest
from conftest import BASE
from meetings.conftest import OP

from gvo.core import clock as gvo_clock
from gvo.core.errors import InvalidInput
from gvo.mail import outbox
from gvo.meetings import attendance, meetings, minutes, notices
from gvo.newsletter import schedule
from mail.scene import build, signed_in_client


@pytest.fixture
def scene(instance, school, mail_app):
    return build(instance.db(school))


def _kinds(conn, kind):
    return sorted((r[0], r[1]) for r in conn.execute(
        "SELECT recipient, subject FROM mail_outbox WHERE kind = ?", (kind,)))


def test_papers_published_records_the_time_and_tells_the_members(scene, instance, clock,
                                                                 smtp_server, start_sender):
    conn = scene.conn
    when = notices.publish_papers(conn, scene.who(scene.clerk), scene.meeting)
    assert meetings.get(conn, scene.meeting)["papers_published_at"] == when
    # Ann is the only active member (Dee is inactive; the clerk acted)
    assert _kinds(conn, "papers_published") == [
        ("ann@ex.org", "Papers published: Full board meeting")]
    # Again at once (a double click, a retried request): a repeat, ignored.
    assert notices.publish_papers(conn, scene.who(scene.clerk), scene.meeting) == when
    assert len(_kinds(conn, "papers_published")) == 1
    clock.advance(notices.REPUBLISH_SECONDS + 1)
    notices.publish_papers(conn, scene.who(scene.clerk), scene.meeting)
    assert ("ann@ex.org", "Papers updated: Full board meeting") in _kinds(conn,
                                                                          "papers_published")
    clock.advance(outbox.COALESCE_SECONDS)  # the second waits for the first's window
    instance.release()
    start_sender()
    arrived = smtp_server.wait_for(2)
    assert {a.rcpt_tos[0] for a in arrived} == {"ann@ex.org"}
    body = arrived[0].part("plain")
    assert f"{BASE}/alpha/meetings/{scene.meeting}#agenda" in body
    assert "Staffing restructure" not in arrived[0].data.decode()  # no item, no paper


def test_papers_of_a_cancelled_meeting_are_not_published(scene):
    meetings.cancel(scene.conn, OP, scene.meeting, "Snow")
    with pytest.raises(InvalidInput, match="cancelled"):
        notices.publish_papers(scene.conn, scene.who(scene.clerk), scene.meeting)
    assert meetings.get(scene.conn, scene.meeting)["papers_published_at"] is None


def test_minutes_circulated_and_approved_reach_the_members(scene, instance, smtp_server,
                                                           start_sender):
    conn, office = scene.conn, scene.office
    earlier = office.meeting(days=-30, title="Autumn full board")
    later = office.meeting(days=-1, title="Spring full board")
    minutes.circulate(conn, scene.who(scene.clerk), earlier)
    attendance.save_attendance_register(conn, OP, earlier, {scene.ann: "present"})
    attendance.lock_attendance_register(conn, OP, earlier)
    minutes.approve(conn, scene.who(scene.clerk), earlier, later, "Alpha Primary")
    assert _kinds(conn, "minutes_circulated") == [
        ("ann@ex.org", "Minutes circulated: Autumn full board")]
    assert _kinds(conn, "minutes_approved") == [
        ("ann@ex.org", "Minutes approved: Autumn full board")]
    instance.release()
    start_sender()
    arrived = smtp_server.wait_for(2, to="ann@ex.org")
    assert len(arrived) == 2
    for mail in arrived:
        assert f"{BASE}/alpha/meetings/{earlier}#minutes" in mail.part("html")
        assert "you are a member of Full Governing Board" in mail.part("plain")


def test_the_reminder_goes_once_to_members_who_have_not_replied(scene, instance, clock,
                                                                smtp_server, start_sender):
    conn, office = scene.conn, scene.office
    bea = office.person("Bea")  # a second active member, who will reply
    attendance.reply(conn, scene.who(scene.clerk), scene.meeting, bea, "attending")
    soon = office.meeting(days=2, title="Extra board")
    # 10 days away (scene.meeting) and 2 days away: with 3 days, only the second is due
    assert notices.reminder_days(conn) == 3
    assert notices.due_reminders(conn, gvo_clock.now()) == 2  # Ann and Bea, for soon
    assert notices.due_reminders(conn, gvo_clock.now()) == 0  # once only
    clock.advance(8 * 86400)  # now the first meeting is 2 days away: Ann only (Bea replied)
    assert notices.due_reminders(conn, gvo_clock.now()) == 1
    rows = conn.execute("SELECT meeting_id, user_id FROM meeting_reminders ORDER BY 1, 2"
                        ).fetchall()
    assert [tuple(r) for r in rows] == [(scene.meeting, scene.ann), (soon, scene.ann),
                                        (soon, bea)]
    assert _kinds(conn, "attendance_reminder") == [
        ("ann@ex.org", "Will you attend? Extra board"),
        ("ann@ex.org", "Will you attend? Full board meeting"),
        ("bea@ex.org", "Will you attend? Extra board")]
    instance.release()
    schedule.Scheduler(instance).tick()  # the scheduler runs them again: none is due again
    start_sender()
    assert len(smtp_server.wait_for(3)) == 3
    assert len(_kinds(conn, "attendance_reminder")) == 3


def test_the_one_scheduler_sends_reminders_that_fell_due(scene, instance, smtp_server,
                                                         start_sender, clock):
    scene.office.meeting(days=1, title="Tomorrow's board")
    later = scene.office.meeting(days=20, title="Next month's board")
    instance.release()
    sender = start_sender()  # the sender only sends: it plans no timed work (decision 0009)
    assert _kinds(scene.conn, "attendance_reminder") == []
    sched = schedule.Scheduler(instance)
    assert sched.tick() == 1  # the scheduler's visit runs the reminders
    [mail] = smtp_server.wait_for(1)
    # It knows when the next reminder falls due (3 days before the later meeting), and
    # visits the school then, not before its regular visit.
    starts = meetings.get(scene.conn, later)["starts_at"]
    due = datetime.fromisoformat(starts).replace(tzinfo=meetings.SCHOOL_TZ).timestamp() \
        - 3 * 86400
    assert sched._next["alpha"] == min(due, gvo_clock.now() + schedule.SWEEP_SECONDS)
    clock.t = due + 1
    assert sched.tick() == 1
    assert ("ann@ex.org", "Will you attend? Next month's board") in _kinds(
        scene.conn, "attendance_reminder")
    assert sender is not None
    assert mail.message["Subject"] == "Will you attend? Tomorrow's board"
    assert mail.rcpt_tos == ["ann@ex.org"]


def test_reminder_days_are_a_school_setting(scene):
    notices.set_reminder_days(scene.conn, scene.who(scene.clerk), 0)
    scene.office.meeting(days=1, title="Tomorrow's board")
    assert notices.due_reminders(scene.conn, gvo_clock.now()) == 0
    with pytest.raises(InvalidInput, match="from 0 to 60"):
        notices.set_reminder_days(scene.conn, scene.who(scene.clerk), 61)


def test_the_clerk_publishes_papers_and_sets_the_reminder_on_the_pages(scene, mail_app):
    client = signed_in_client(mail_app, scene, scene.clerk)
    page = f"/alpha/meetings/{scene.meeting}"
    assert "Papers not yet published" in client.get(page).get_data(as_text=True)
    client.post(f"{page}/publish-papers", {"confirmed": "1"}, form_page=page)
    assert meetings.get(scene.conn, scene.meeting)["papers_published_at"]
    assert "Papers published" in client.get(page).get_data(as_text=True)
    assert _kinds(scene.conn, "papers_published") == [
        ("ann@ex.org", "Papers published: Full board meeting")]
    settings = "/alpha/admin/settings"
    resp = client.post(f"{settings}/reminders", {"days": "99"}, form_page=settings)
    assert resp.status_code == 422 and "from 0 to 60" in resp.get_data(as_text=True)
    resp = client.post(f"{settings}/reminders", {"days": "5"}, form_page=settings)
    assert resp.status_code == 302 and notices.reminder_days(scene.conn) == 5
