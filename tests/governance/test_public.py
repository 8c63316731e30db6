"""The public governance page, its CSV and its JSON (issue 14, acceptance 2).

Served without sign-in when the school switches it on (404 otherwise, the same 404 as any
missing page); exactly the published fields (gvo.governance.public.FIELDS) in all three;
governors in office and those who stepped down in the last 12 months, never one who left
earlier; nothing private; attendance from locked registers only; a page that writes nothing.

Governor records, positions and interests are inserted here directly (the records and
interests services were built at the same time, in other branches).
"""

import csv
import io
import json
import re
from datetime import UTC, date, datetime

import pytest
from conftest import BASE

from gvo.board import bodies
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.governance import public
from gvo.meetings import attendance, meetings
from gvo.people import accounts, settings

OP = Identity.operator()
TODAY = date(2026, 10, 15)                # last school year: 1 Sep 2025 - 31 Aug 2026
CUTOFF = date(2025, 10, 15)               # 12 months before TODAY
PRIVATE = ("private.person@example.org", "07700 900123", "DBS-001122334455",
           "Moved away for a new job", "Signed the code of conduct")
PAGES = ("/alpha/governance", "/alpha/governance.csv", "/alpha/governance.json")


@pytest.fixture
def today(clock):
    """The application's clock at noon on TODAY (UTC, BST in the school: still TODAY)."""
    clock.t = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC).timestamp()
    return TODAY


class Board:
    """Alpha's board and a committee, with helpers to add governors and their details."""

    def __init__(self, conn):
        self.conn = conn
        self.board = bodies.save_body(conn, OP, body_id=None, kind="board",
                                      name="Full Governing Board",
                                      description="Strategy and accountability.")
        self.committee = bodies.save_body(conn, OP, body_id=None, kind="committee",
                                          name="Resources", description="Money and buildings.")

    def governor(self, name, category="parent", *, email=None, phone="", **record) -> int:
        """A person on the board with a governor record (fields of `record` set on it)."""
        email = email or f"{name.lower().replace(' ', '.')}@people.example"
        uid = accounts.add_user(self.conn, OP, email=email, name=name, role="author")
        if phone:
            self.conn.execute("UPDATE users SET phone = ? WHERE id = ?", (phone, uid))
        bodies.add_member(self.conn, OP, self.board, uid, "member", category)
        if record:
            sets = ", ".join(f"{k} = ?" for k in record)
            with transaction(self.conn):
                self.conn.execute(f"UPDATE governor_records SET {sets} WHERE user_id = ?",
                                  (*record.values(), uid))
        return uid

    def record_id(self, uid) -> int:
        return self.conn.execute("SELECT id FROM governor_records WHERE user_id = ?",
                                 (uid,)).fetchone()[0]

    def position(self, uid, position, starts_on, ends_on=None) -> None:
        with transaction(self.conn):
            self.conn.execute("INSERT INTO governor_positions(record_id, position, starts_on,"
                              " ends_on) VALUES (?, ?, ?, ?)",
                              (self.record_id(uid), position, starts_on, ends_on))

    def interest(self, uid, kind, organisation, nature, declared_on="2025-09-10", *,
                 ends_on=None) -> int:
        with transaction(self.conn):
            return self.conn.execute(
                "INSERT INTO interests(user_id, kind, organisation, nature, declared_on,"
                " ends_on, created_at) VALUES (?, ?, ?, ?, ?, ?, '2025-09-10T00:00:00Z')",
                (uid, kind, organisation, nature, declared_on, ends_on)).lastrowid

    def nil_return(self, uid, returned_on="2025-09-10") -> None:
        with transaction(self.conn):
            self.conn.execute("INSERT INTO interest_returns(user_id, kind, returned_on,"
                              " created_at) VALUES (?, 'nil', ?, '2025-09-10T00:00:00Z')",
                              (uid, returned_on))

    def meeting(self, when: str, body_id=None) -> int:
        start = meetings.parse_stamp(when)
        return meetings.create(self.conn, OP, meetings.MeetingInput(
            body_id=body_id or self.board, title="Meeting", starts_at=start,
            ends_at=start.replace(hour=start.hour + 2), location="Hall"))


def publish(conn, on=True, contact="") -> None:
    public.set_publishing(conn, OP, on, contact)


@pytest.fixture
def board(instance, school, today):
    """Alpha's board, its page switched on."""
    conn = instance.db(school)
    made = Board(conn)
    publish(conn)
    return made


def get_all(client) -> tuple[str, list[list[str]], dict]:
    page = client.get(PAGES[0])
    assert page.status_code == 200, page.status_code
    sheet = client.get(PAGES[1])
    assert sheet.status_code == 200 and sheet.mimetype == "text/csv"
    data = client.get(PAGES[2])
    assert data.status_code == 200 and data.mimetype == "application/json"
    rows = list(csv.reader(io.StringIO(sheet.get_data().decode("utf-8-sig"))))
    return page.get_data(as_text=True), rows, data.get_json()


def listed_names(client) -> tuple[set, set, set]:
    """The governors' names on the page, in the CSV and in the JSON."""
    html, rows, data = get_all(client)
    on_page = set(re.findall(r'<h3 id="governor-\d+" data-field="name">([^<]+)</h3>', html))
    return on_page, {r[0] for r in rows[1:]}, {g["name"] for g in data["governors"]}


def test_served_without_sign_in_with_public_cache_and_no_cookie(board, client):
    board.governor("Ada Parent")
    for path in PAGES:
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert resp.headers["Cache-Control"] == "public, max-age=300", path
        assert "Set-Cookie" not in resp.headers, path
    html = client.get(PAGES[0]).get_data(as_text=True)
    assert "Ada Parent" in html
    assert 'aria-label="Main"' not in html and "csrf_token" not in html.lower()


def test_a_signed_in_member_sees_the_same_page_without_the_navigation(board, signed_in):
    board.governor("Ada Parent")
    client, _ = signed_in("manager")
    html = client.get(PAGES[0]).get_data(as_text=True)
    assert "Ada Parent" in html and 'aria-label="Main"' not in html
    assert client.get("/alpha/").status_code == 200  # still signed in elsewhere


def test_exactly_the_listed_fields_in_page_csv_and_json(board, client):
    uid = board.governor("Ada Parent", appointed_by="Parents (election)",
                         appointed_on="2024-09-01", term_ends_on="2028-08-31")
    board.position(uid, "chair", "2025-09-01")
    bodies.add_member(board.conn, OP, board.committee, uid, "member")
    board.interest(uid, "business", "Ada Ltd", "Director")
    html, rows, data = get_all(client)
    keys = [key for key, _ in public.FIELDS]
    headings = [heading for _, heading in public.FIELDS]
    # JSON: the document's own keys, and exactly the fields for each governor.
    assert set(data) == {"school", "as_of", "board", "clerk", "committees",
                         "attendance_period", "governors"}
    assert set(data["board"]) == {"name", "description", "chair"}
    assert set(data["clerk"]) == {"name", "contact"}
    assert [set(g) for g in data["governors"]] == [set(keys)]
    assert list(data["governors"][0]) == keys
    # CSV: the headings, one row of as many cells.
    assert rows[0] == headings and len(rows) == 2 and len(rows[1]) == len(keys)
    assert rows[1] == ["Ada Parent", "Parent governor", "Parents (election)", "2024-09-01",
                       "2028-08-31", "", "Chair from 2025-09-01", "Resources", "0 of 0",
                       "Business interest: Ada Ltd, Director"]
    # The page: each governor's fields, marked with their keys, under the same headings.
    article = html[html.index('<article class="governor"'):html.index("</article>")]
    assert re.findall(r'data-field="([a-z_]+)"', article) == keys
    assert re.findall(r"<dt>([^<]+)</dt>", article) == headings[1:]
    assert "since Mon 1 Sept 2025" in article and "Director" in article


def test_never_a_governor_who_left_more_than_12_months_ago(board, client):
    board.governor("Still Serving")
    board.governor("Left Exactly A Year Ago", stepped_down_on=CUTOFF.isoformat())
    board.governor("Left A Year And A Day Ago",
                   stepped_down_on=date(2025, 10, 14).isoformat())
    board.governor("Left Long Ago", stepped_down_on="2019-07-31")
    board.governor("Not Yet Appointed", appointed_on="2026-10-16")
    expected = {"Still Serving", "Left Exactly A Year Ago"}
    for names in listed_names(client):
        assert names == expected


def test_twelve_months_before_29_february_is_28_february():
    assert public.twelve_months_before(date(2028, 2, 29)) == date(2027, 2, 28)
    assert public.twelve_months_before(date(2026, 10, 15)) == date(2025, 10, 15)


def test_attendance_year_is_the_last_whole_school_year():
    assert public.attendance_year(date(2026, 10, 15)) == (date(2025, 9, 1), date(2026, 8, 31))
    assert public.attendance_year(date(2026, 8, 31)) == (date(2024, 9, 1), date(2025, 8, 31))
    assert public.attendance_year(date(2026, 9, 1)) == (date(2025, 9, 1), date(2026, 8, 31))


def test_nothing_private_leaves_the_office(board, client):
    uid = board.governor("Pat Private", email=PRIVATE[0], phone=PRIVATE[1],
                         dbs_reference=PRIVATE[2], dbs_checked_on="2025-09-02",
                         s128_checked_on="2025-09-03", stepped_down_on="2026-01-05",
                         stepped_down_reason=PRIVATE[3])
    with transaction(board.conn):
        check = board.conn.execute("INSERT INTO governor_checks(label) VALUES (?)",
                                   (PRIVATE[4],)).lastrowid
        board.conn.execute("INSERT INTO governor_check_marks(record_id, check_id, done_on)"
                           " VALUES (?, ?, '2025-09-04')", (board.record_id(uid), check))
    html, rows, data = get_all(client)
    everything = html + json.dumps(rows) + json.dumps(data, ensure_ascii=False)
    assert "Pat Private" in everything
    for secret in (*PRIVATE, "2025-09-02", "2 Sep 2025", "2025-09-03", "3 Sep 2025",
                   "2025-09-04", "4 Sep 2025"):
        assert secret not in everything, secret


@pytest.mark.parametrize("category", ["", "clerk"])
def test_the_clerk_and_their_contact(board, client, category):
    conn = board.conn
    clerk = board.governor("Clara Clerk", category=category, email="clara.home@example.org")
    board.position(clerk, "clerk", "2024-01-01")
    chair = board.governor("Charlie Chair")
    board.position(chair, "chair", "2025-09-01")
    settings.set_reply_to(conn, OP, "clerk@alpha.example")
    data = client.get(PAGES[2]).get_json()
    assert data["clerk"] == {"name": "Clara Clerk", "contact": "clerk@alpha.example"}
    assert data["board"]["chair"] == "Charlie Chair"
    assert [g["name"] for g in data["governors"]] == ["Charlie Chair"]  # not the clerk
    publish(conn, contact="governance@alpha.example")
    page = client.get(PAGES[0]).get_data(as_text=True)
    assert "mailto:governance@alpha.example" in page and "clara.home" not in page


def test_interests_current_only_nil_return_and_not_yet_declared(board, client):
    ada = board.governor("Ada Declared")
    board.interest(ada, "business", "Ada Ltd", "Director")
    board.interest(ada, "employment", "Old Firm", "Employee", ends_on="2026-03-01")
    old = board.interest(ada, "financial", "Bank", "Shares")
    new = board.interest(ada, "financial", "Bank", "Shares (sold half)")
    with transaction(board.conn):
        board.conn.execute("UPDATE interests SET replaced_by = ? WHERE id = ?", (new, old))
    ben = board.governor("Ben Nil")
    board.nil_return(ben)
    board.governor("Cat Never")
    found = {g["name"]: g["interests"] for g in client.get(PAGES[2]).get_json()["governors"]}
    assert found["Ada Declared"] == {"status": "declared", "declared": [
        {"kind": "Business interest", "organisation": "Ada Ltd", "nature": "Director"},
        {"kind": "Financial interest", "organisation": "Bank", "nature": "Shares (sold half)"}]}
    assert found["Ben Nil"] == {"status": "none declared", "declared": []}
    assert found["Cat Never"] == {"status": "not yet declared", "declared": []}
    page = client.get(PAGES[0]).get_data(as_text=True)
    assert "None declared" in page and "Not yet declared" in page and "Old Firm" not in page


def test_attendance_counts_locked_registers_of_the_last_school_year_only(board, client):
    conn = board.conn
    ada = board.governor("Ada Attender")
    ben = board.governor("Ben Absent")
    bodies.add_member(conn, OP, board.committee, ada, "member")

    def held(when, statuses, *, lock=True, body_id=None):
        meeting_id = board.meeting(when, body_id)
        attendance.save_attendance_register(conn, OP, meeting_id, statuses)
        if lock:
            attendance.lock_attendance_register(conn, OP, meeting_id)
        return meeting_id

    held("2025-10-01T18:00", {ada: "present", ben: "absent"})
    held("2026-01-20T18:00", {ada: "present", ben: "apologies_accepted"})
    held("2026-03-03T18:00", {ada: "present"}, body_id=board.committee)
    held("2026-05-05T18:00", {ada: "absent", ben: "present"}, lock=False)   # not locked
    held("2025-08-31T18:00", {ada: "present", ben: "present"})              # year before
    held("2026-09-01T18:00", {ada: "present", ben: "present"})              # this year
    legacy = held("2026-06-10T18:00", {ada: "apologies_accepted", ben: "present"})
    # A register locked before snapshots existed: counted from its rows, and read only.
    with transaction(conn):
        conn.execute("DELETE FROM meeting_records WHERE meeting_id = ?", (legacy,))
    cancelled = board.meeting("2026-07-01T18:00")
    meetings.cancel(conn, OP, cancelled, "No quorum expected")
    version = conn.execute("PRAGMA data_version").fetchone()[0]
    _, rows, data = get_all(client)
    found = {g["name"]: g["attendance"] for g in data["governors"]}
    assert found == {"Ada Attender": {"attended": 3, "meetings": 4},
                     "Ben Absent": {"attended": 1, "meetings": 3}}
    assert {r[0]: r[8] for r in rows[1:]} == {"Ada Attender": "3 of 4",
                                              "Ben Absent": "1 of 3"}
    assert data["attendance_period"] == {"from": "2025-09-01", "to": "2026-08-31"}
    assert conn.execute("SELECT attendance_register FROM meeting_records WHERE meeting_id = ?",
                        (legacy,)).fetchone() is None  # no late snapshot taken by a read
    assert conn.execute("PRAGMA data_version").fetchone()[0] == version


def test_csv_cells_never_start_a_formula(board, client):
    board.governor("=HYPERLINK(\"http://evil.example\",\"x\")", email="evil@people.example",
                   appointed_by="+cmd|' /C calc'!A0")
    rows = list(csv.reader(io.StringIO(client.get(PAGES[1]).get_data().decode("utf-8-sig"))))
    assert rows[1][0].startswith("'=") and rows[1][2].startswith("'+")
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def _without_token(resp) -> bytes:
    return re.sub(rb'"X-CSRFToken": "[^"]+"', b"", resp.get_data())


def test_switched_off_is_404_and_says_nothing_about_governors(board, client):
    publish(board.conn, on=False)
    before = {path: client.get(path) for path in PAGES}  # no governors yet
    board.governor("Ada Parent")
    board.position(board.governor("Charlie Chair"), "chair", "2025-09-01")
    for path in PAGES:
        resp = client.get(path)
        assert resp.status_code == before[path].status_code == 404, path
        assert resp.headers["Cache-Control"] == "no-store"
        assert _without_token(resp) == _without_token(before[path]), path
        assert b"Ada Parent" not in resp.get_data()


def test_off_by_default(instance, school, client):
    assert not public.is_published(instance.db(school))
    assert client.get(PAGES[0]).status_code == 404


def test_a_manager_switches_it_on_audited(board, signed_in):
    conn = board.conn
    publish(conn, on=False)
    client, _ = signed_in("manager")
    page = client.get("/alpha/governance/publish")
    assert page.status_code == 200 and "not published" in page.get_data(as_text=True)
    resp = client.post("/alpha/governance/publish",
                       {"published": "y", "contact": "governance@alpha.example"})
    assert resp.status_code == 302
    assert public.is_published(conn)
    entry = conn.execute("SELECT detail FROM audit_log WHERE action = 'governance.public'"
                         " ORDER BY id DESC").fetchone()
    assert json.loads(entry["detail"]) == {
        "old": {"published": False, "contact": ""},
        "new": {"published": True, "contact": "governance@alpha.example"}}
    resp = client.post("/alpha/governance/publish", {"published": "y", "contact": "nope"},
                       form_page="/alpha/governance/publish")
    assert resp.status_code == 422
    assert 'id="contact-error"' in resp.get_data(as_text=True)
    assert public.own_clerk_contact(conn) == "governance@alpha.example"  # nothing lost


@pytest.mark.parametrize("role", ["editor", "author", "reader"])
def test_only_managers_switch_it(board, signed_in, role):
    client, _ = signed_in(role)
    assert client.get("/alpha/governance/publish").status_code == 403
    resp = client.c.post("/alpha/governance/publish", data={"published": "y"}, base_url=BASE)
    assert resp.status_code in (400, 403)
    assert public.is_published(board.conn)


def test_a_bad_contact_address_is_refused_by_the_service(board):
    with pytest.raises(InvalidInput) as refused:
        publish(board.conn, contact="clerk@")
    assert refused.value.field == "contact"
