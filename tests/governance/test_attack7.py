"""Attack 7's findings on governor records, each as its kind: membership by date (F1, F5),
one rule for positions wherever they are written (F2, F3, F6), reappointments (F4), the
import's checks and messages (F6-F9, F14, F15), whole numbers in forms (F10), the register
of interests by date (F11, F12), position labels (F13) and the clerk's public contact
(F16)."""

import io
import re
from datetime import date, timedelta

import pytest
from conftest import sign_in

from gvo.board import bodies
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.governance import gias, interests, public, records, transfer
from gvo.meetings import attendance, meetings
from gvo.people import accounts

OP = Identity.operator()
TODAY = "2026-12-01"


def _person(conn, name: str, category: str = "parent", appointed: str | None = "2023-01-01",
            left: str | None = None) -> tuple[int, int]:
    """(user id, record id) of a governor with a record."""
    uid = accounts.add_user(conn, OP, email=f"{name.lower().replace(' ', '.')}@ex.org",
                            name=name, role="author")
    rid = records.save(conn, OP, uid, records.RecordInput(
        category=category, appointed_on=date.fromisoformat(appointed) if appointed else None,
        stepped_down_on=date.fromisoformat(left) if left else None,
        stepped_down_reason="Moved away" if left else ""))
    return uid, rid


@pytest.fixture
def people(board, day):
    """Alpha's board on 1 December 2026: two governors, the clerk, a governor appointed
    next month and one who stepped down in June."""
    day(TODAY)
    conn, board_id, _ = board
    ann, ann_r = _person(conn, "Ann Able")
    bob, bob_r = _person(conn, "Bob Baker", "co-opted")
    clara, clara_r = _person(conn, "Clara Clerk", "clerk", "2020-09-01")
    fay, fay_r = _person(conn, "Future Fay", "co-opted", "2027-01-01")
    rita, rita_r = _person(conn, "Recent Rita", "co-opted", "2022-09-01", "2026-06-01")
    return conn, board_id, {"ann": (ann, ann_r), "bob": (bob, bob_r), "clara": (clara, clara_r),
                            "fay": (fay, fay_r), "rita": (rita, rita_r)}


# -- F1, F5: who is on the board on a date ------------------------------------------------


def test_members_on_a_date_are_those_in_office_then(people):
    conn, board_id, p = people
    on_day = {m["id"] for m in bodies.members(conn, board_id, date(2026, 12, 1))}
    assert p["fay"][0] not in on_day and p["rita"][0] not in on_day
    assert {p["ann"][0], p["bob"][0], p["clara"][0]} <= on_day
    in_may = {m["id"] for m in bodies.members(conn, board_id, date(2026, 5, 1))}
    assert p["rita"][0] in in_may  # she had not stepped down yet
    assert p["fay"][0] in {m["id"] for m in bodies.members(conn, board_id, date(2027, 1, 1))}
    clerk = next(m for m in bodies.members(conn, board_id, date(2026, 12, 1))
                 if m["id"] == p["clara"][0])
    assert clerk["votes"] == 0


def test_a_past_meetings_register_lists_only_who_was_on_the_board_that_day(people):
    conn, board_id, p = people
    start = meetings.local_now().replace(hour=18, minute=0) - timedelta(days=200)  # May 2026
    mid = meetings.create(conn, OP, meetings.MeetingInput(
        body_id=board_id, title="Board", starts_at=start, ends_at=start + timedelta(hours=2),
        location="Library"))
    listed = {r["user_id"] for r in attendance.attendance_register(conn, mid)}
    assert p["rita"][0] in listed and p["fay"][0] not in listed
    with pytest.raises(InvalidInput):
        attendance.save_attendance_register(conn, OP, mid, {p["fay"][0]: "present"})


def test_the_board_page_counts_governors_in_office_not_the_clerk(people, client, make_user):
    sign_in(client, make_user(role="manager"))
    page = client.get("/alpha/board").get_data(as_text=True)
    assert "2 governors and 1 not counted (clerk, associate members) · quorum 1" in page
    assert "Future Fay" not in page.split("Change members")[0]


def test_the_governors_list_shows_who_is_not_yet_in_office(people, client, make_user):
    sign_in(client, make_user(role="manager"))
    page = client.get("/alpha/governors").get_data(as_text=True)
    assert "Not yet in office" in page
    section = page.split("Not yet in office")[1]
    assert "Future Fay" in section and "appointed from Fri 1 Jan 2027" in section


# -- F2, F3: positions --------------------------------------------------------------------


def _positions(conn, rid):
    return [(p["position"], p["starts_on"], p["ends_on"]) for p in records.positions_of(conn, rid)]


def test_one_chair_at_a_time_and_nobody_elses_history_is_rewritten(people):
    conn, _, p = people
    records.add_position(conn, OP, p["ann"][1], "Chair", date(2024, 12, 1))
    with pytest.raises(InvalidInput, match="one chair at a time"):  # closed, overlapping
        records.add_position(conn, OP, p["bob"][1], "Chair", date(2025, 1, 1), date(2026, 12, 31))
    with pytest.raises(InvalidInput, match="one chair at a time"):  # before Ann's start
        records.add_position(conn, OP, p["bob"][1], "chair", date(2024, 6, 1))
    assert _positions(conn, p["ann"][1]) == [("chair", "2024-12-01", None)]
    # a new chair after Ann's start ends hers the day before, as before
    records.add_position(conn, OP, p["bob"][1], "Chair", date(2026, 9, 1))
    assert _positions(conn, p["ann"][1]) == [("chair", "2024-12-01", "2026-08-31")]
    # nor may Bob be vice-chair while chair, nor the end of Ann's run into Bob's time
    with pytest.raises(InvalidInput, match="chair and vice-chair at once"):
        records.add_position(conn, OP, p["bob"][1], "Vice chair", date(2026, 10, 1))
    ann_chair = records.positions_of(conn, p["ann"][1])[0]["id"]
    with pytest.raises(InvalidInput, match="one chair at a time"):
        records.end_position(conn, OP, ann_chair, date(2026, 10, 1))


def test_one_clerk_at_a_time(people):
    conn, _, p = people
    records.add_position(conn, OP, p["clara"][1], "Clerk", date(2021, 1, 1), date(2022, 1, 1))
    _colin, colin = _person(conn, "Colin Clerk", "clerk", "2020-09-01")
    with pytest.raises(InvalidInput, match="one clerk at a time"):
        records.add_position(conn, OP, colin, "clerk", date(2021, 6, 1), date(2021, 7, 1))


@pytest.mark.parametrize("who, start, end, said", [
    ("fay", "2026-11-30", None, "before Future Fay was appointed"),
    ("rita", "2026-11-01", None, "after Recent Rita stepped down"),
    ("rita", "2025-01-01", "2026-07-01", "after Recent Rita stepped down"),
])
def test_no_position_for_someone_not_in_office(people, who, start, end, said):
    conn, _, p = people
    records.add_position(conn, OP, p["ann"][1], "Vice-chair", date(2023, 1, 1))
    with pytest.raises(InvalidInput, match=said):
        records.add_position(conn, OP, p[who][1], "Vice-chair", date.fromisoformat(start),
                             date.fromisoformat(end) if end else None)
    assert _positions(conn, p["ann"][1]) == [("vice-chair", "2023-01-01", None)]  # untouched


def test_the_rule_is_checked_inside_the_write_transaction(people):
    """A chair written by another request before ours takes its lock is seen by our check
    (the check and the write are in one BEGIN IMMEDIATE transaction)."""
    conn, _, p = people
    from gvo.core.atomic import transaction
    with transaction(conn):
        conn.execute("INSERT INTO governor_positions(record_id, position, starts_on)"
                     " VALUES (?, 'vice-chair', '2026-11-21')", (p["ann"][1],))
        with pytest.raises(InvalidInput, match="one vice-chair at a time"):
            records.add_position(conn, OP, p["bob"][1], "Vice-chair", date(2026, 11, 21))


def test_the_position_form_shows_the_rule_beside_the_field(people, client, make_user):
    conn, _, p = people
    records.add_position(conn, OP, p["ann"][1], "Chair", date(2024, 12, 1))
    sign_in(client, make_user(role="manager"))
    resp = client.post(f"/alpha/governors/{p['bob'][1]}/positions",
                       {"position": "Chair", "starts_on": "2024-06-01"},
                       form_page=f"/alpha/governors/{p['bob'][1]}")
    assert resp.status_code == 422
    assert "one chair at a time" in resp.get_data(as_text=True)


# -- F4: reappointment --------------------------------------------------------------------


def test_a_reappointment_is_logged_for_gias_and_keeps_the_first_term(people, client, make_user):
    conn, _, p = people
    uid, rid = p["rita"]
    before = len(gias.changes(conn))
    records.save(conn, OP, uid, records.RecordInput(category="co-opted",
                                                    appointed_on=date(2026, 11, 15)))
    assert len(gias.changes(conn)) == before + 1
    assert ("appointed", "2026-11-15") in [(c["kind"], c["happened_on"])
                                           for c in gias.changes(conn) if c["record_id"] == rid]
    kept = records.terms(conn, rid)
    assert [(t["appointed_on"], t["stepped_down_on"]) for t in kept] == [
        ("2022-09-01", "2026-06-01")]
    sign_in(client, make_user(role="manager"))
    page = client.get(f"/alpha/governors/{rid}").get_data(as_text=True)
    assert re.search(r"Earlier terms.*from Thu 1 Sept? 2022, stepped down Mon 1 Jun 2026",
                     page, re.S)


def test_correcting_the_date_appointed_is_not_a_reappointment(people):
    conn, _, p = people
    uid, rid = p["ann"]
    before = len(gias.changes(conn))
    records.save(conn, OP, uid, records.RecordInput(category="parent",
                                                    appointed_on=date(2020, 9, 2)))
    assert len(gias.changes(conn)) == before and records.terms(conn, rid) == []


# -- F6-F9, F14, F15: the import ----------------------------------------------------------


HEAD = "E-mail,Name,Category,Date appointed,Date stepped down,Positions"


def _file(*lines: str) -> bytes:
    return ("\r\n".join([HEAD, *lines]) + "\r\n").encode()


def _errors(preview) -> list[str]:
    return preview.errors + [e for r in preview.rows for e in r.errors]


@pytest.mark.parametrize("lines, said", [
    (["b@ex.org,Bea,Parent governor,2020-01-01,,Chair from 2022-01-01 until 2021-01-01"],
     "ends before it starts"),
    (["b@ex.org,Bea,Parent governor,2019-01-01,,Chair from 2020-01-01; Chair from 2021-01-01"],
     "overlaps"),
    (["b@ex.org,Bea,Parent governor,2019-01-01,,Chair from 2020-01-01 until 2022-01-01",
      "c@ex.org,Cy,Parent governor,2019-01-01,,Chair from 2021-01-01 until 2023-01-01"],
     "one chair at a time"),
    (["b@ex.org,Bea,Parent governor,2019-01-01,2020-06-01,Chair from 2021-01-01"],
     "after Bea stepped down"),
    (["b@ex.org,Bea,Parent governor,2027-01-01,,Vice-chair from 2026-12-01"],
     "before Bea was appointed"),
])
def test_the_preview_checks_positions_as_the_record_page_does(people, lines, said):
    conn, _, _ = people
    preview = transfer.parse(conn, OP, _file(*lines), "g.csv")
    assert not preview.ok and any(said in e for e in _errors(preview)), _errors(preview)


def test_the_preview_checks_positions_against_the_board(people):
    conn, _, p = people
    records.add_position(conn, OP, p["ann"][1], "Chair", date(2024, 12, 1))
    preview = transfer.parse(conn, OP, _file(
        "b@ex.org,Bea,Parent governor,2019-01-01,,Chair from 2022-01-01 until 2026-05-31"))
    assert any("Ann Able is chair" in e for e in _errors(preview)), _errors(preview)
    # an open-ended chair after Ann's start is what the record page allows: hers ends
    preview = transfer.parse(conn, OP, _file(
        "b@ex.org,Bea,Parent governor,2019-01-01,,Chair from 2026-09-01"))
    assert preview.ok and preview.rows[0].notes == [
        "Ann Able's chair ends on 2026-08-31 (the day before Bea's starts)."]
    transfer.apply(conn, OP, preview)
    assert _positions(conn, p["ann"][1]) == [("chair", "2024-12-01", "2026-08-31")]


def test_a_refused_confirm_shows_the_rows_not_a_400(people, client, make_user):
    conn, _, p = people
    sign_in(client, make_user(role="manager"))
    content = (HEAD + "\r\nb@ex.org,Bea,Parent governor,2019-01-01,,"
               "Chair from 2022-01-01 until 2021-01-01\r\n")
    resp = client.post("/alpha/governors/import/confirm", {"content": content},
                       form_page="/alpha/governors/import")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "ends before it starts" in page and "<td>2</td>" in page


@pytest.mark.parametrize("data, said", [
    (b"E-mail,Name,Category,Name\r\nq@ex.org,Q,Parent governor,Other\r\n",
     "The heading “Name” appears twice"),
    (b"E-mail,Name,Category,Date appointed\r\nq@ex.org,Q,Parent governor,20250101\r\n",
     "is not a date"),
    (b"E-mail,Name,Category,Date appointed\r\nq@ex.org,Q,Parent governor,2025-W01-1\r\n",
     "is not a date"),
    (b"E-mail,Name,Category,Term (years)\r\nq@ex.org,Q,Parent governor,n/a\r\n",
     "only for a place held ex officio"),
    (b"E-mail,Name,Category,Date appointed\r\n", "The file has no rows"),
    (b"E-mail;Name;Category\r\nq@ex.org;Q;Parent governor\r\n", "separated by semicolons"),
])
def test_the_import_says_what_is_wrong(people, data, said):
    conn, _, _ = people
    preview = transfer.parse(conn, OP, data, "g.csv")
    assert not preview.ok and any(said in e for e in _errors(preview)), _errors(preview)


def test_n_a_is_still_read_for_an_ex_officio_place(people):
    conn, _, _ = people
    preview = transfer.parse(conn, OP, b"E-mail,Name,Category,Term (years)\r\n"
                             b"h@ex.org,Head,Headteacher,n/a\r\n", "g.csv")
    assert preview.ok, _errors(preview)


def test_an_import_of_history_does_not_flood_the_gias_log(people):
    conn, _, _ = people
    before = len(gias.changes(conn))
    preview = transfer.parse(conn, OP, _file(
        "old@ex.org,Old Olga,Parent governor,2018-09-01,2022-08-31,Chair from 2019-09-01 until"
        " 2022-08-31",
        "new@ex.org,New Nia,Parent governor,2026-11-20,,"))
    assert preview.ok, _errors(preview)
    transfer.apply(conn, OP, preview)
    assert len(gias.changes(conn)) == before + 1  # Olga's 2018-2022 changes are history
    assert any("New Nia appointed" in c["summary"] for c in gias.changes(conn))


def test_re_importing_an_unchanged_export_says_no_change(people, client, make_user):
    conn, _, p = people
    records.add_position(conn, OP, p["ann"][1], "Safeguarding", date(2023, 1, 1))
    exported = transfer.to_csv(conn)
    preview = transfer.parse(conn, OP, exported, "export.csv")
    assert preview.ok and all(r.unchanged for r in preview.rows), [
        (r.line, r.errors, r.unchanged) for r in preview.rows]
    audits = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    transfer.apply(conn, OP, preview)
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == audits
    sign_in(client, make_user(role="manager"))
    resp = client.post("/alpha/governors/import", {"file": (io.BytesIO(exported), "export.csv")},
                       form_page="/alpha/governors/import", content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert "No change" in page and "Record saved" not in page


# -- F10: whole numbers in forms ----------------------------------------------------------


@pytest.mark.parametrize("path, form_page, data, field", [
    ("/alpha/interests/reconfirmation", "/alpha/interests/register",
     {"month": "2", "day": "99999999999999999999"}, "day"),
    ("/alpha/interests/reconfirmation", "/alpha/interests/register",
     {"month": "9", "day": "99999999999999999999"}, "day"),
    ("/alpha/governance/compliance/warning-period", "/alpha/governance/compliance",
     {"days": "99999999999999999999"}, "days"),
    ("/alpha/policies/settings", "/alpha/policies/settings",
     {"warning_days": "99999999999999999999"}, "warning_days"),
])
def test_an_oversized_number_gets_a_message_beside_its_field(people, client, make_user, path,
                                                            form_page, data, field):
    sign_in(client, make_user(role="manager"))
    resp = client.post(path, data, form_page=form_page)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422, page[:300]
    assert "That number is too large." in page
    assert "99999999999999999999" in page  # what was typed is kept


# -- F11, F12: the register of interests ---------------------------------------------------


def test_the_register_is_of_governors_in_office_and_a_former_ones_is_kept(people, client,
                                                                         make_user):
    conn, _, p = people
    on_register = {g["id"] for g in interests.governors(conn)}
    assert p["clara"][0] not in on_register  # the clerk is not a governor
    assert p["fay"][0] not in on_register and p["rita"][0] not in on_register
    # a date stepped down still to come keeps them on until then
    records.save(conn, OP, p["bob"][0], records.RecordInput(
        category="co-opted", appointed_on=date(2023, 9, 1), stepped_down_on=date(2027, 3, 1)))
    assert p["bob"][0] in {g["id"] for g in interests.governors(conn)}
    sign_in(client, make_user(role="manager"))
    assert client.get(f"/alpha/interests/people/{p['rita'][0]}").status_code == 200
    assert client.get(f"/alpha/interests/people/{p['rita'][0]}/history").status_code == 200
    page = client.get("/alpha/interests/register").get_data(as_text=True)
    assert "Clara Clerk" not in page


# -- F13, F16: the public page ------------------------------------------------------------


def test_the_public_page_shows_position_labels(people):
    conn, _, p = people
    records.add_position(conn, OP, p["ann"][1], "safeguarding", date(2023, 1, 1))
    ann = next(g for g in public.governance(conn).governors if g["name"] == "Ann Able")
    assert [x["position"] for x in ann["positions"]] == ["Safeguarding link governor"]


def test_no_clerk_contact_is_said_to_the_manager_and_nothing_is_published(people, client,
                                                                         make_user):
    conn, _, _ = people
    public.set_publishing(conn, OP, True, "")
    sign_in(client, make_user(role="manager"))
    page = client.get("/alpha/governance/publish").get_data(as_text=True)
    assert 'data-testid="no-clerk-contact"' in page
    shown = client.get("/alpha/governance").get_data(as_text=True)
    assert "Contact the clerk" not in shown and "school office" not in shown
