"""The public governance page in a real Chromium through a real server (issue 14, acceptance
2): axe-core finds no WCAG 2.2 A or AA violation at 1280 px or 390 px, nothing scrolls
sideways on a phone, a visitor gets no cookie, and the CSV and JSON are served too.

Its own school and server (gvo.people.demo's Riverside has the page on but little on it):
a board and a committee, a chair, a clerk, governors in office and one who stepped down,
declared interests, a nil return and a locked register in the last school year.
"""

from datetime import timedelta

import pytest

from gvo.board import bodies
from gvo.core.atomic import transaction
from gvo.core.identity import Identity
from gvo.governance import public
from gvo.meetings import attendance, meetings
from gvo.people import accounts

from .fixtures import serve
from .test_accessibility import PHONE, WIDE, check_page

pytestmark = pytest.mark.browser
OP = Identity.operator()
SLUG = "gamma"


def _office(conn) -> None:
    board = bodies.save_body(conn, OP, body_id=None, kind="board", name="Full Governing Board",
                             description="Strategy, holding leaders to account, finance.")
    committee = bodies.save_body(conn, OP, body_id=None, kind="committee", name="Resources",
                                 description="Finance, premises and staffing.")
    people = {}
    for name, category in (("Anna Appleby", "parent"), ("Bilal Brook", "co-opted"),
                           ("Chen Carter", "headteacher"), ("Dora Dean", "staff"),
                           ("Eve Evans", "")):
        uid = accounts.add_user(conn, OP, email=f"{name.split()[0].lower()}@people.example",
                                name=name, role="author")
        bodies.add_member(conn, OP, board, uid, "member", category)
        people[name] = uid
    bodies.add_member(conn, OP, committee, people["Anna Appleby"], "chair")
    bodies.add_member(conn, OP, committee, people["Bilal Brook"], "member")
    start = meetings.local_now().replace(hour=18, minute=0) - timedelta(days=400)
    meeting = meetings.create(conn, OP, meetings.MeetingInput(
        body_id=board, title="Full board", starts_at=start, ends_at=start + timedelta(hours=2),
        location="Library"))
    attendance.save_attendance_register(conn, OP, meeting, {
        people["Anna Appleby"]: "present", people["Bilal Brook"]: "apologies_accepted",
        people["Chen Carter"]: "present"})
    attendance.lock_attendance_register(conn, OP, meeting)
    bodies.remove_member(conn, OP, board, people["Dora Dean"])
    with transaction(conn):
        records = {r["user_id"]: r["id"] for r in conn.execute(
            "SELECT id, user_id FROM governor_records")}
        conn.execute("UPDATE governor_records SET appointed_by = 'Parents (election)',"
                     " appointed_on = '2023-09-01', term_ends_on = '2027-08-31'"
                     " WHERE user_id = ?", (people["Anna Appleby"],))
        for who, position in (("Anna Appleby", "chair"), ("Bilal Brook", "safeguarding link"),
                              ("Eve Evans", "clerk")):
            conn.execute("INSERT INTO governor_positions(record_id, position, starts_on)"
                         " VALUES (?, ?, '2023-09-01')", (records[people[who]], position))
        conn.execute("INSERT INTO interests(user_id, kind, organisation, nature, declared_on,"
                     " created_at) VALUES (?, 'business', 'Appleby Builders Ltd', 'Director',"
                     " '2024-09-05', '2024-09-05T09:00:00Z')", (people["Anna Appleby"],))
        conn.execute("INSERT INTO interest_returns(user_id, kind, returned_on, created_at)"
                     " VALUES (?, 'nil', '2024-09-05', '2024-09-05T09:00:00Z')",
                     (people["Bilal Brook"],))
    public.set_publishing(conn, OP, True, "governance@gamma.example")


@pytest.fixture(scope="module")
def gamma(tmp_path_factory):
    """A school with a published governance page, served by waitress."""
    from gvo.storage.instance import Instance

    inst = Instance.init(tmp_path_factory.mktemp("public-governance") / "instance", environ={})
    inst.create_school(SLUG, "Gamma Primary")
    _office(inst.db(SLUG))
    with serve(inst) as origin:
        yield origin, inst


def test_the_public_page_passes_axe_fits_a_phone_and_sets_no_cookie(gamma, new_context):
    origin, _ = gamma
    context = new_context(viewport=WIDE)
    page = context.new_page()
    resp = page.goto(f"{origin}/{SLUG}/governance")
    assert resp.status == 200
    assert resp.headers["cache-control"] == "public, max-age=300"
    assert page.get_by_role("heading", name="Governance of Gamma Primary").is_visible()
    assert page.get_by_role("heading", name="Anna Appleby").is_visible()
    assert page.get_by_role("heading", name="Dora Dean").is_visible()      # stepped down
    assert page.get_by_text("Appleby Builders Ltd").is_visible()
    problems = check_page(page)
    assert not problems, "\n".join(problems)
    page.set_viewport_size(PHONE)
    assert context.cookies() == [], "a visitor of the public page got a cookie"
    for suffix, kind in ((".csv", "text/csv"), (".json", "application/json")):
        got = page.request.get(f"{origin}/{SLUG}/governance{suffix}")
        assert got.ok and got.headers["content-type"].startswith(kind)
    assert "anna@people.example" not in page.content()


def test_switched_off_the_page_is_not_found(gamma, new_context):
    origin, inst = gamma
    conn = inst.db(SLUG)
    public.set_publishing(conn, OP, False, "")
    try:
        page = new_context(viewport=WIDE).new_page()
        assert page.goto(f"{origin}/{SLUG}/governance").status == 404
        assert page.get_by_role("heading", name="Page not found").is_visible()
    finally:
        public.set_publishing(conn, OP, True, "governance@gamma.example")


def test_the_demo_schools_public_page_is_on_and_passes_axe(demo_server, new_context):
    page = new_context(viewport=WIDE).new_page()
    assert page.goto(demo_server.url("/governance")).status == 200
    problems = check_page(page)
    assert not problems, "\n".join(problems)
