"""Sample register of interests for the demo school (Riverside Primary): a business
interest, a relationship with a member of staff, a governor of another school, a nil
return, a return overdue from last year, and a declaration of interest against an item of
the spring board meeting (whose minutes are circulated)."""

from datetime import timedelta

from gvo.core import clock
from gvo.core.atomic import transaction
from gvo.core.identity import Identity
from gvo.governance import interests
from gvo.governance.interests import InterestInput
from gvo.meetings import declarations
from gvo.storage.sqlcipher import Connection


def sample(conn: Connection, ids: dict[str, int]) -> None:
    """Fill the demo's register (`ids`: user ids by e-mail address, gvo.people.demo)."""
    clerk = Identity(ids["clerk@riverside.example"], "manager", email="clerk (demo)")

    def own(email: str) -> Identity:
        return Identity(ids[email], "author", email=f"{email} (demo)")

    chair, grace = ids["chair@riverside.example"], ids["governor@riverside.example"]
    sam, peter = ids["staff@riverside.example"], ids["parent@riverside.example"]
    head = ids["head@riverside.example"]
    interests.add(conn, own("chair@riverside.example"), chair, InterestInput(
        "business", "Meadow Build Ltd", "Director and shareholder of a local building firm."))
    interests.make_return(conn, own("chair@riverside.example"), chair, "declared")
    interests.add(conn, own("governor@riverside.example"), grace, InterestInput(
        "governance", "St Mary's CE Primary School", "Co-opted governor."))
    interests.make_return(conn, own("governor@riverside.example"), grace, "declared")
    # Entered by the clerk on Sam's behalf (shown on the register as such).
    interests.add(conn, clerk, sam, InterestInput(
        "relationship", "Riverside Primary School",
        "Sister is a teaching assistant in Year 2."))
    interests.make_return(conn, clerk, sam, "declared")
    interests.make_return(conn, own("parent@riverside.example"), peter, "nil")
    interests.add(conn, clerk, head, InterestInput(
        "employment", "Riverside Primary School", "Headteacher."))
    # The headteacher's last return was a year ago: overdue this year (or due, in the
    # first weeks of the reconfirmation year).
    last_year = interests.year_start(conn) - timedelta(days=20)
    with transaction(conn):
        conn.execute("INSERT INTO interest_returns(user_id, kind, returned_on, entered_by,"
                     " created_at) VALUES (?, 'declared', ?, ?, ?)",
                     (head, last_year.isoformat(), clerk.user_id, clock.iso()))
    item = conn.execute(
        "SELECT i.id FROM agenda_items i JOIN meetings m ON m.id = i.meeting_id"
        " WHERE m.minutes_status = 'circulated' AND i.title = 'Budget monitoring'"
        " ORDER BY m.starts_at DESC LIMIT 1").fetchone()
    if item is not None:
        declarations.declare(conn, clerk, item["id"], chair,
                             "Director of Meadow Build Ltd, which quoted for the roof repairs",
                             withdrew=True)
