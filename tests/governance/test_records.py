"""Governor records: the term-end rule (29 February), who reads and changes a record
(acceptance 3), every write audited with before and after (acceptance 5), positions kept in
step with the board's chair and vice-chair."""

import json
from datetime import date

import pytest
from conftest import sign_in

from gvo.board import bodies
from gvo.core.errors import InvalidInput, NotPermitted
from gvo.core.identity import Identity
from gvo.governance import categories, records
from gvo.people import accounts

OP = Identity.operator()


@pytest.mark.parametrize("start, years, end", [
    (date(2024, 2, 29), 4, date(2028, 2, 28)),   # the anniversary exists: the day before it
    (date(2024, 2, 29), 1, date(2025, 2, 28)),   # no 29 Feb 2025: anniversary 1 March
    (date(2024, 2, 29), 3, date(2027, 2, 28)),
    (date(2024, 3, 1), 4, date(2028, 2, 29)),    # a four-year term ending on 29 February
    (date(2022, 9, 1), 4, date(2026, 8, 31)),
    (date(2023, 3, 1), 1, date(2024, 2, 29)),    # ends on a 29 February
    (date(2024, 9, 1), 4, date(2028, 8, 31)),    # the school year
    (date(2024, 12, 31), 2, date(2026, 12, 30)),
])
def test_term_end(start, years, end):
    assert records.term_end(start, years) == end


@pytest.mark.parametrize("years", [0, 5, -1])
def test_a_term_outside_one_to_four_years_is_refused(years):
    with pytest.raises(InvalidInput):
        records.term_end(date(2024, 1, 1), years)


def test_save_computes_the_term_end_and_ex_officio_has_none(board, make_user):
    conn, board_id, _ = board
    gov, head = make_user(role="author"), make_user(role="editor")
    rid = records.save(conn, OP, gov.id, records.RecordInput(
        category="parent", appointed_by="Parents", appointed_on=date(2024, 2, 29)))
    row = records.get(conn, rid)
    assert (row["term_years"], row["term_ends_on"]) == (4, "2028-02-28")
    hid = records.save(conn, OP, head.id, records.RecordInput(
        category="headteacher", appointed_on=date(2020, 9, 1), term_years=3))
    assert (records.get(conn, hid)["term_years"], records.get(conn, hid)["term_ends_on"]) == (
        None, None)
    # both are on the board now, and in office
    assert {m["id"] for m in bodies.members(conn, board_id)} == {gov.id, head.id}
    assert {r["user_id"] for r in records.current(conn, on=date(2025, 1, 1))} == {gov.id, head.id}
    assert records.current(conn, on=date(2024, 2, 28))[0]["user_id"] == head.id


def test_bad_values_are_refused_beside_their_field(board, make_user):
    conn, _, _ = board
    gov = make_user()
    cases = [
        (records.RecordInput(category="nonsense"), "category"),
        (records.RecordInput(category="parent", term_years=5), "term_years"),
        (records.RecordInput(category="parent", appointed_on=date(2024, 1, 1),
                             stepped_down_on=date(2023, 1, 1)), "stepped_down_on"),
        (records.RecordInput(category="parent", stepped_down_reason="moved"), "stepped_down_on"),
        (records.RecordInput(category="parent", dbs_reference="x" * 41), "dbs_reference"),
    ]
    for data, name in cases:
        with pytest.raises(InvalidInput) as exc:
            records.save(conn, OP, gov.id, data)
        assert exc.value.field == name
    assert records.record_for(conn, gov.id) is None


def test_stepping_down_keeps_the_record_and_leaves_the_board(board, make_user, clock):
    conn, board_id, _ = board
    gov = make_user()
    rid = records.save(conn, OP, gov.id, records.RecordInput(
        category="parent", appointed_on=date(2020, 9, 1)))
    records.add_position(conn, OP, rid, "Safeguarding", date(2021, 1, 1))
    records.save(conn, OP, gov.id, records.RecordInput(
        category="parent", appointed_on=date(2020, 9, 1), stepped_down_on=date(2024, 3, 1),
        stepped_down_reason="Moved away"))
    assert gov.id not in {m["id"] for m in bodies.members(conn, board_id)}
    assert [r["id"] for r in records.former(conn)] == [rid]
    assert records.positions_of(conn, rid)[0]["ends_on"] == "2024-03-01"


def test_a_new_chair_ends_the_old_one_and_the_board_follows(board, make_user):
    conn, board_id, _ = board
    a, b = make_user(), make_user()
    ra = records.save(conn, OP, a.id, records.RecordInput(category="parent",
                                                          appointed_on=date(2020, 1, 1)))
    rb = records.save(conn, OP, b.id, records.RecordInput(category="co-opted",
                                                          appointed_on=date(2020, 1, 1)))
    records.add_position(conn, OP, ra, "chair", date(2021, 9, 1))
    assert {m["id"]: m["position"] for m in bodies.members(conn, board_id)}[a.id] == "chair"
    records.add_position(conn, OP, rb, "Chair", date(2023, 9, 1))
    seats = {m["id"]: m["position"] for m in bodies.members(conn, board_id)}
    assert (seats[a.id], seats[b.id]) == ("member", "chair")
    assert records.positions_of(conn, ra)[0]["ends_on"] == "2023-08-31"
    # and the board page's way of making a chair gives a dated position too
    bodies.add_member(conn, OP, board_id, a.id, "chair", "parent")
    assert records.positions_held(conn)[ra] == ["chair"]
    assert rb not in records.positions_held(conn)


def test_managers_add_categories_that_forms_then_offer(board, make_user):
    conn, _, _ = board
    key = categories.add(conn, OP, label="Sponsor governor", votes=True, ex_officio=False)
    assert categories.labels(conn)[key] == "Sponsor governor"
    with pytest.raises(InvalidInput):
        categories.add(conn, OP, label="sponsor  GOVERNOR")
    editor = make_user(role="editor")
    with pytest.raises(NotPermitted):
        categories.add(conn, Identity.load(conn, editor.id), label="Another")
    gov = make_user()
    records.save(conn, OP, gov.id, records.RecordInput(category=key))
    assert records.record_for(conn, gov.id)["category_label"] == "Sponsor governor"


# -- access (acceptance 3) --------------------------------------------------------------


def _record(conn, person, **kw) -> int:
    return records.save(conn, OP, person.id, records.RecordInput(
        category="parent", appointed_on=date(2023, 9, 1), dbs_checked_on=date(2023, 9, 10),
        dbs_reference="001234567890", **kw))


def _form(**kw) -> dict:
    data = {"category": "parent", "appointed_by": "Parents", "appointed_on": "2023-09-01",
            "term_years": "4", "dbs_checked_on": "2023-09-10", "dbs_reference": "001234567890",
            "s128_checked_on": "", "stepped_down_on": "", "stepped_down_reason": ""}
    return data | kw


def test_a_reader_sees_names_and_categories_and_changes_nothing(board, signed_in, make_user,
                                                                instance):
    conn, _, _ = board
    gov = make_user()
    rid = _record(conn, gov)
    client, _ = signed_in("reader")
    page = client.get("/alpha/governors").get_data(as_text=True)
    assert "Test Author" in page and "Parent governor" in page
    assert "001234567890" not in page and "DBS" not in page
    assert client.get(f"/alpha/governors/{rid}").status_code == 403
    before = dict(records.get(conn, rid))
    client.get("/alpha/profile")  # a page with a form: its CSRF token
    resp = client.post(f"/alpha/governors/{rid}", _form(term_years="2"))
    assert resp.status_code == 403
    for path in (f"/alpha/governors/{rid}/positions", "/alpha/governors/gias/1/reported",
                 "/alpha/governors/import/confirm"):
        assert client.post(path, {"position": "Chair", "starts_on": "2024-01-01"},
                           form_page="/alpha/profile").status_code == 403
    assert dict(records.get(conn, rid)) == before
    assert client.download("/alpha/governors/export.csv").status_code == 403


def test_a_governor_sees_their_own_full_record_and_no_one_elses(board, client, make_user):
    conn, _, _ = board
    me, other = make_user(), make_user(email="other@example.org")
    mine, theirs = _record(conn, me), _record(conn, other)
    sign_in(client, me)
    resp = client.get("/alpha/governors/me")
    assert resp.headers["Location"].endswith(f"/alpha/governors/{mine}")
    page = client.get(f"/alpha/governors/{mine}").get_data(as_text=True)
    assert "001234567890" in page and "Save record" not in page
    assert client.get(f"/alpha/governors/{theirs}").status_code == 403
    assert client.post(f"/alpha/governors/{mine}", _form(term_years="1"),
                       form_page="/alpha/profile").status_code == 403
    assert records.get(conn, mine)["term_years"] == 4


def test_a_manage_board_holder_changes_a_record_and_the_audit_page_shows_before_and_after(
        board, client, make_user, instance):
    conn, _, _ = board
    gov = make_user()
    rid = _record(conn, gov)
    holder = make_user(role="author", email="holder@example.org")
    accounts.set_capabilities(conn, OP, holder.id, {"manage_board"})
    sign_in(client, holder)
    resp = client.post(f"/alpha/governors/{rid}", _form(term_years="2"),
                       form_page=f"/alpha/governors/{rid}")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    row = records.get(conn, rid)
    assert (row["term_years"], row["term_ends_on"]) == (2, "2025-08-31")
    entry = conn.execute("SELECT * FROM audit_log WHERE action = 'governor.record_update'"
                         " ORDER BY id DESC").fetchone()
    detail = json.loads(entry["detail"])
    assert detail["before"] == {"term_years": 4, "term_ends_on": "2027-08-31",
                                "appointed_by": ""}
    assert detail["after"] == {"term_years": 2, "term_ends_on": "2025-08-31",
                               "appointed_by": "Parents"}
    # the audit page (a Manager's) says it with before and after
    manager = make_user(role="manager", email="clerk@example.org")
    other = client.__class__(client.c.application.test_client())
    sign_in(other, manager)
    page = other.get("/alpha/admin/audit").get_data(as_text=True)
    assert "before appointed_by: “”; term_ends_on: “2027-08-31”; term_years: 4" in page
    assert "after appointed_by: “Parents”; term_ends_on: “2025-08-31”; term_years: 2" in page


def test_a_refused_value_is_shown_beside_its_field(board, signed_in, make_user):
    conn, _, _ = board
    gov = make_user()
    rid = _record(conn, gov)
    client, _ = signed_in("manager")
    resp = client.post(f"/alpha/governors/{rid}", _form(stepped_down_on="2020-01-01"),
                       form_page=f"/alpha/governors/{rid}")
    assert resp.status_code == 422
    assert 'id="stepped_down_on-error"' in resp.get_data(as_text=True)
    resp = client.post(f"/alpha/governors/{rid}", _form(appointed_on="31/02/2024"),
                       form_page=f"/alpha/governors/{rid}")
    assert resp.status_code == 422 and 'id="appointed_on-error"' in resp.get_data(as_text=True)


def test_positions_and_checks_through_the_pages_are_audited(board, signed_in, make_user):
    conn, _, _ = board
    gov = make_user()
    rid = _record(conn, gov)
    check = records.add_check(conn, OP, "Signed the code of conduct")
    client, _ = signed_in("manager")
    resp = client.post(f"/alpha/governors/{rid}/positions",
                       {"position": "Safeguarding", "starts_on": "2024-01-05", "ends_on": ""},
                       form_page=f"/alpha/governors/{rid}")
    assert resp.status_code == 302
    client.post(f"/alpha/governors/{rid}/checks", {"check_id": str(check),
                                                   "done_on": "2024-02-01"},
                form_page=f"/alpha/governors/{rid}")
    page = client.get(f"/alpha/governors/{rid}").get_data(as_text=True)
    assert "Safeguarding link governor" in page and "Signed the code of conduct" in page
    assert records.check_marks(conn, rid) == {check: "2024-02-01"}
    actions = [r["action"] for r in conn.execute("SELECT action FROM audit_log")]
    assert "governor.position_add" in actions and "governor.check" in actions
