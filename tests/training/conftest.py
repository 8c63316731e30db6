"""Training fixtures: Alpha's board with two governors in office, a Manager, a holder of
"Manage training" who is not a Manager, and a Reader; each can sign in. Helpers to set the
school's date and to record a completion with a certificate through the page's form."""

import io
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from conftest import add_person, sign_in

from gvo.board import bodies
from gvo.core import dates
from gvo.core.identity import Identity
from gvo.governance import records
from gvo.people import accounts
from gvo.training import courses

OP = Identity.operator()
APPOINTED = date(2025, 9, 1)  # in office to 31 August 2029: the tests' dates fall inside


@dataclass
class Board:
    """The people of Alpha's board and the school's connection."""

    conn: object
    board_id: int
    ann: object      # governor, Author
    ben: object      # governor, Author
    manager: object  # the clerk, Manager (not a governor)
    trainer: object  # Author holding manage_training, not a governor
    reader: object   # Reader, not a governor

    def course(self, title="Safeguarding", *, mandatory=True, months=36, **kw) -> int:
        """A course (by the operator)."""
        return courses.create(self.conn, OP, courses.CourseInput(
            title, mandatory=mandatory, validity_months=months, **kw))


@pytest.fixture
def board(instance, school):
    """Alpha's board: Ann and Ben governors in office (appointed 1 September 2025 for four
    years), Mo the Manager, Tess who manages training, Rae a Reader."""
    conn = instance.db(school)
    board_id = bodies.save_body(conn, OP, body_id=None, kind="board", name="Full Governing Board")
    people = {}
    for key, role, email in (("ann", "author", "ann@ex.org"), ("ben", "author", "ben@ex.org"),
                             ("manager", "manager", "mo@ex.org"),
                             ("trainer", "author", "tess@ex.org"),
                             ("reader", "reader", "rae@ex.org")):
        people[key] = add_person(instance, school, role, email)
    accounts.update_profile(conn, OP, people["ann"].id, name="Ann Governor", phone="")
    accounts.update_profile(conn, OP, people["ben"].id, name="Ben Governor", phone="")
    for key in ("ann", "ben"):
        bodies.add_member(conn, OP, board_id, people[key].id, "member", "co-opted")
        records.save(conn, OP, people[key].id, records.RecordInput(
            category="co-opted", appointed_on=APPOINTED, term_years=4))
    accounts.set_capabilities(conn, OP, people["trainer"].id, {"manage_training"})
    return Board(conn, board_id, **people)


def set_today(clock, day: date) -> None:
    """Make `day` the school's today (noon in London)."""
    clock.t = datetime(day.year, day.month, day.day, 12, tzinfo=dates.ZONE).timestamp()


def record_via_form(client, slug: str, course_id: int, completed_on: str,
                    certificate: tuple[str, bytes] | None = None, user_id: int | None = None):
    """Record a completion through the training page's form (a streamed upload: multipart,
    with or without a file, as a browser sends it)."""
    client.get(f"/{slug}/training")
    if 'name="csrf_token" type="hidden"' not in client.last_text:  # a Reader's: no form
        client.get(f"/{slug}/profile")
    data = {"course_id": str(course_id), "completed_on": completed_on}
    if user_id is not None:
        data["user_id"] = str(user_id)
    if certificate is not None:
        data["certificate"] = (io.BytesIO(certificate[1]), certificate[0])
    return client.c.post(f"/{slug}/training/completions", base_url="https://localhost",
                         data=data, content_type="multipart/form-data",
                         headers={"X-CSRFToken": client.token(),
                                  "Referer": f"https://localhost/{slug}/training"})


def signed_in_as(new_client, person):
    """A new client signed in as `person`."""
    client = new_client()
    assert sign_in(client, person).status_code == 302
    return client
