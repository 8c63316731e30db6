"""Assignees hear of new actions by e-mail (a 'task' reference, checked again when the mail
is made), the newsletter lists their actions due this week or overdue, and the private
calendar feed shows their own actions on their due dates."""

from datetime import timedelta

import icalendar
from conftest import new_feed_path
from mail.conftest import mail_app, smtp_server  # noqa: F401,F811 (fixtures)

from gvo.actions import newsletter, tasks  # noqa: F401 (newsletter registers its section)
from gvo.core import clock, dates
from gvo.core.identity import Identity
from gvo.mail import refs
from gvo.meetings import minutes
from gvo.newsletter import letters

from .conftest import OP


def test_the_assignee_hears_of_a_new_action_by_email(instance, school, mail_app, office):  # noqa: F811, E501
    meeting = office.meeting(days=-2)
    item = office.item(meeting, "Budget")
    ann = office.person("Ann Able")
    task_id = minutes.add_action(office.conn, OP, item, "Send the budget", ann, None)
    rows = office.conn.execute("SELECT user_id, subject, ref_type, ref_id FROM mail_outbox"
                               " WHERE kind = 'task_assigned'").fetchall()
    assert [(r["user_id"], r["ref_type"], r["ref_id"]) for r in rows] == [
        (ann, "task", task_id)]
    assert rows[0]["subject"] == "An action for you: Send the budget"
    assert refs.may_open(office.conn, ann, "task", task_id)


def test_the_newsletter_lists_the_persons_actions_due_this_week_or_overdue(office):
    meeting = office.meeting(days=-2)
    item = office.item(meeting, "Budget")
    ann = office.person("Ann Able")
    bob = office.person("Bob Brown")
    today = dates.today()
    for title, who, days in (("Overdue one", ann, -3), ("This week", ann, 5),
                             ("Far off", ann, 40), ("Bob's", bob, 1)):
        minutes.add_action(office.conn, OP, item, title, who, today + timedelta(days=days))
    done = minutes.add_action(office.conn, OP, item, "Done one", ann, today)
    tasks.set_status(office.conn, OP, done, "done")
    period = letters.Period(clock.now(), clock.now() - 7 * 86400)
    letter = letters.build(office.conn, Identity.load(office.conn, ann), period)
    [lines] = [lines for title, lines, _ in letter.sections
               if title == "Your actions due this week or overdue"]
    assert [(line.text, line.note.split(" ")[0]) for line in lines] == [
        ("Overdue one", "overdue"), ("This week", "due")]


def test_the_private_feed_shows_the_persons_own_actions_on_their_due_dates(
        signed_in, new_client, office):
    client, person = signed_in("author")
    office.member(person.id)
    meeting = office.meeting(days=-2)
    item = office.item(meeting, "Budget")
    other = office.person("Ann Able")
    due = dates.today() + timedelta(days=9)
    minutes.add_action(office.conn, OP, item, "Mine to do", person.id, due)
    minutes.add_action(office.conn, OP, item, "Someone else's", other, due)
    path = new_feed_path(client)
    resp = new_client().c.get(path, base_url="https://localhost")
    cal = icalendar.Calendar.from_ical(resp.data)
    entries = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert "Action due: Mine to do" in entries
    assert not any("Someone else" in s for s in entries)
    assert entries["Action due: Mine to do"].decoded("dtstart") == due


def test_the_feed_names_no_part_2_action_only_its_due_date(signed_in, new_client, office):
    # Attack 14: a feed's address is handed to outside calendar services.
    client, person = signed_in("editor")
    office.member(person.id)
    meeting = office.meeting(days=-2)
    secret = office.item(meeting, "Head's pay", confidential=True)
    due = dates.today() + timedelta(days=9)
    minutes.add_action(office.conn, OP, secret, "CONF-ACTION pay review", person.id, due)
    resp = new_client().c.get(new_feed_path(client), base_url="https://localhost")
    assert b"CONF-ACTION" not in resp.data
    cal = icalendar.Calendar.from_ical(resp.data)
    entries = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert entries["Action due: Confidential action (Part 2)"].decoded("dtstart") == due
    assert "Head's pay" not in resp.data.decode()   # nor the item's title, for meetings


def test_assignees_hear_of_a_new_due_date_or_title_and_of_being_taken_off(
        instance, school, mail_app, office):  # noqa: F811
    # Attack 14: a due date brought forward told nobody.
    from datetime import date
    meeting = office.meeting(days=-2)
    item = office.item(meeting, "Budget")
    ann, bob = office.person("Ann Able"), office.person("Bob Baker")
    clerk = office.person("Cleo Clerk", role="manager")
    task_id = minutes.add_action(office.conn, OP, item, "Send the budget", ann,
                                 date(2031, 12, 20))
    who = Identity.load(office.conn, clerk)
    tasks.update(office.conn, who, task_id, tasks.TaskInput(
        title="Send the budget", due_on=date(2031, 12, 20), assignee_ids=[ann, bob, clerk]))
    office.conn.execute("DELETE FROM mail_outbox")
    tasks.update(office.conn, who, task_id, tasks.TaskInput(
        title="Send the budget now", due_on=date(2031, 12, 3), assignee_ids=[ann, clerk]))
    rows = office.conn.execute("SELECT user_id, subject, ref_type, ref_id FROM mail_outbox"
                               " WHERE kind = 'task_assigned' ORDER BY user_id").fetchall()
    assert [(r["user_id"], r["subject"], r["ref_type"], r["ref_id"]) for r in rows] == [
        (ann, "An action for you has changed: Send the budget now", "task", task_id),
        (bob, "An action is no longer yours: Send the budget now", "task", task_id)]
    office.conn.execute("DELETE FROM mail_outbox")
    tasks.update(office.conn, who, task_id, tasks.TaskInput(   # nothing they see changed
        title="Send the budget now", description="More words", due_on=date(2031, 12, 3),
        assignee_ids=[ann, clerk]))
    assert office.conn.execute("SELECT count(*) FROM mail_outbox").fetchone()[0] == 0
