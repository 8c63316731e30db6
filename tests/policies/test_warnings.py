"""Warnings of policy reviews: the newsletter's section for owners and Managers (due within
the warning period, and overdue), the home page and the calendar (within 14 days)."""

from datetime import timedelta

from gvo.core import clock, dates
from gvo.core.identity import Identity
from gvo.newsletter import letters
from gvo.people import accounts
from gvo.policies import register, statutory, warnings

from .conftest import OP


def _due(office, name, days, **kw) -> int:
    pid = office.policy(name, **kw)
    office.live(pid)
    data = register.input_of(register.get(office.conn, OP, pid))
    data.next_review_on = dates.today() + timedelta(days=days)
    register.update(office.conn, OP, pid, data)
    return pid


def _section(conn, who) -> list:
    period = letters.Period(clock.now(), clock.now() - 7 * 86400)
    letter = letters.build(conn, who, period)
    return [lines for title, lines, _ in letter.sections if title == "Policy reviews due"]


def test_owners_and_managers_hear_of_reviews_due_and_overdue(office):
    conn = office.conn
    owner = accounts.add_user(conn, OP, email="o@ex.org", name="Owner", role="author")
    other = accounts.add_user(conn, OP, email="x@ex.org", name="Other", role="author")
    manager = accounts.add_user(conn, OP, email="m@ex.org", name="Clerk", role="manager")
    _due(office, "Owned and due", 30, owner_ids=[owner])
    _due(office, "Overdue", -3)
    _due(office, "Far off", 200, owner_ids=[owner])
    [lines] = _section(conn, Identity.load(conn, manager))
    assert [(line.text, line.note.split(" ")[0]) for line in lines] == [
        ("Overdue", "overdue"), ("Owned and due", "review")]
    [mine] = _section(conn, Identity.load(conn, owner))
    assert [line.text for line in mine] == ["Owned and due"]
    assert mine[0].path.startswith("/policies/")
    assert _section(conn, Identity.load(conn, other)) == []


def test_the_warning_period_is_the_schools(office):
    conn = office.conn
    manager = Identity.load(conn, accounts.add_user(conn, OP, email="m@ex.org", name="Clerk",
                                                    role="manager"))
    _due(office, "In 50 days", 50)
    assert _section(conn, manager)
    statutory.set_options(conn, OP, kind="maintained", days=30)
    assert _section(conn, manager) == []


def test_home_and_calendar_show_reviews_within_14_days(office, signed_in):
    _due(office, "Soon policy", 10)
    _due(office, "Later policy", 20)
    client, _ = signed_in("reader")
    for path in ("/alpha/", "/alpha/meetings/calendar"):
        client.get(path)
        reviews = client.last_text.split('id="policy-reviews-h"')[1].split("</section>")[0]
        assert "Soon policy</a>:\n      review by" in reviews, path
        assert "Later policy" not in reviews, path
    assert [p["name"] for p in warnings.soon(office.conn, OP)] == ["Soon policy"]
