"""The weekly newsletter's "Your actions" section: the person's open actions due within the
week or overdue (one rule: `tasks.due_for`). Registered when imported (the actions
blueprint imports it, as every feature's section is)."""

from datetime import timedelta

from gvo.actions import notices, tasks
from gvo.core import dates
from gvo.core.identity import Identity
from gvo.newsletter import letters
from gvo.storage.sqlcipher import Connection

WEEK_DAYS = 7  # actions due within this many days, and overdue ones


def newsletter_lines(conn: Connection, who: Identity, period: letters.Period) -> list:
    """The newsletter's "Your actions" section: the person's open actions due within the
    next WEEK_DAYS days or overdue, soonest first."""
    if who.user_id is None:
        return []
    today = dates.today()
    return [letters.Line(t["title"], notices.path(t["id"]),
                         ("overdue since " if t["urgency"] == "red" else "due ")
                         + dates.day(t["due_on"]))
            for t in tasks.due_for(conn, who, today + timedelta(days=WEEK_DAYS))]


letters.register_section("actions", "Your actions due this week or overdue", newsletter_lines,
                         managers_only=False)
