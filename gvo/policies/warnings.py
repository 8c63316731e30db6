"""Warnings of policy reviews: in the e-mail newsletter (owners and Managers hear of reviews
due within the school's warning period, default 60 days, and of overdue ones), and on the
home page and the calendar (review dates within the next 14 days).

Each lists only policies the person may see (`register.listing`: room rules apply).
"""

from datetime import date, timedelta

from gvo.core import dates
from gvo.core.identity import Identity
from gvo.newsletter import letters
from gvo.policies import register, statutory
from gvo.storage.sqlcipher import Connection

SOON_DAYS = 14  # the home page and the calendar


def reviews_by(conn: Connection, who: Identity, until: date, *, mine_only: bool = False
               ) -> list[dict]:
    """Live policies `who` may see whose next review is on or before `until` (overdue ones
    too), soonest first; with mine_only, only those `who` owns by name."""
    rows = [p for p in register.listing(conn, who)
            if p["status"] == "live" and p["next_review_on"]
            and p["next_review_on"] <= until.isoformat()]
    if mine_only:
        owned = {r[0] for r in conn.execute("SELECT policy_id FROM policy_owners"
                                            " WHERE user_id = ?", (who.user_id,))}
        rows = [p for p in rows if p["id"] in owned]
    return sorted(rows, key=lambda p: (p["next_review_on"], p["name"].casefold()))


def soon(conn: Connection, who: Identity, today: date | None = None) -> list[dict]:
    """Review dates within the next 14 days (and overdue ones), for the home page and the
    calendar; each policy with `overdue` (bool)."""
    today = today or dates.today()
    rows = reviews_by(conn, who, today + timedelta(days=SOON_DAYS))
    return [p | {"overdue": p["next_review_on"] < today.isoformat()} for p in rows]


def newsletter_lines(conn: Connection, who: Identity, period: letters.Period) -> list:
    """The newsletter's "Policy reviews" section for `who`: Managers hear of every policy
    due within the warning period or overdue, named owners of theirs; others nothing."""
    if who.user_id is None:
        return []
    today = dates.today()
    until = today + timedelta(days=statutory.warning_days(conn))
    rows = reviews_by(conn, who, until, mine_only=not who.acts_as_manager)
    return [letters.Line(p["name"], f"/policies/{p['id']}",
                         ("overdue since " if p["next_review_on"] < today.isoformat()
                          else "review due ") + dates.day(p["next_review_on"]))
            for p in rows]


letters.register_section("policy_reviews", "Policy reviews due", newsletter_lines,
                         managers_only=False)
