"""Attack 10 (issue 14), the low findings F9-F12: the notice check reads the first
publication of the papers; declarations only by members present (not the clerk); permission
before validation on every governance and policies POST; one message per field; the date
appointed of a governor in office kept; free text stored without invisible controls."""

from datetime import date
from pathlib import Path

import pytest

from gvo.board import bodies
from gvo.governance import compliance
from gvo.governance.compliance import PASS
from gvo.meetings import attendance, declarations, notices
from tests.governance.test_compliance import OP, Board, _finding

MIGRATION = (Path(__file__).parents[2] / "gvo" / "storage" / "migrations" / "school"
             / "0032_papers_first_published.sql")


@pytest.fixture
def board(instance, school, clock):
    b = Board(instance.db(school), clock)
    b.at("2026-12-01T09:00")
    return b


# -- F9: publishing the papers again does not reset the seven clear days ------------------


def test_republished_papers_are_judged_by_the_first_publication(board):
    board.at("2026-11-01T10:00")
    m = board.meeting("2026-11-12T18:00", "Autumn board")  # 10 clear days after the 1st
    notices.publish_papers(board.conn, OP, m)
    board.at("2026-11-10T16:00")  # one corrected paper, one clear day before
    notices.publish_papers(board.conn, OP, m)
    board.at("2026-11-20T09:00")
    found = _finding(compliance.papers_notice(board.conn, date(2026, 11, 20)), "Autumn board")
    assert found.status == PASS, found.text
    assert "sent on time" in found.text and "10 clear days" in found.text
    assert "Corrected on Tue 10 Nov 2026" in found.text
    row = board.conn.execute("SELECT papers_published_at, papers_first_published_at"
                             " FROM meetings WHERE id = ?", (m,)).fetchone()
    assert row["papers_first_published_at"] < row["papers_published_at"]


def test_the_migration_takes_the_first_publication_from_the_audit_log(board):
    board.at("2026-11-01T10:00")
    m = board.meeting("2026-11-12T18:00", "Published before the migration")
    first = notices.publish_papers(board.conn, OP, m)
    board.at("2026-11-10T16:00")
    notices.publish_papers(board.conn, OP, m)
    # As a meeting published before the column existed: only the latest was kept.
    board.conn.execute("UPDATE meetings SET papers_first_published_at = NULL")
    update = MIGRATION.read_text().split("ADD COLUMN papers_first_published_at TEXT;")[1]
    board.conn.executescript(update)
    assert board.conn.execute("SELECT papers_first_published_at FROM meetings WHERE id = ?",
                              (m,)).fetchone()[0] == first
    board.at("2026-11-20T09:00")
    assert _finding(compliance.papers_notice(board.conn, date(2026, 11, 20)),
                    "Published before the migration").status == PASS


# -- F10: who may declare, and only those present withdraw ------------------------------


@pytest.fixture
def held(office):
    """A board meeting held two days ago: Ann present, Pam absent, Ava an associate member
    (present), Kit the clerk (present); item "Catering contract"."""
    ann, pam, ava, kit = (office.person(n) for n in ("Ann Able", "Pam Post", "Ava Assoc",
                                                      "Kit Clerk"))
    bodies.add_member(office.conn, OP, office.board_id, ava, "member", "associate")
    bodies.add_member(office.conn, OP, office.board_id, kit, "member", "clerk")
    meeting = office.meeting(days=-2)
    item = office.item(meeting, "Catering contract")
    attendance.save_attendance_register(office.conn, OP, meeting, {
        ann: "present", pam: "absent", ava: "present", kit: "present"})
    return meeting, item, {"ann": ann, "pam": pam, "ava": ava, "kit": kit}


def test_an_absent_member_cannot_be_recorded_as_having_withdrawn(signed_in, office, held):
    meeting, item, who = held
    client, _clerk = signed_in("manager")
    editor = f"/alpha/meetings/{meeting}/minutes"
    resp = client.post(f"/alpha/meetings/{meeting}/agenda/{item}/declarations",
                       {f"d{item}-user_id": str(who["pam"]),
                        f"d{item}-interest": "Sister runs the caterer", f"d{item}-withdrew": "y"},
                       form_page=editor)
    assert resp.status_code == 422
    assert f'id="d{item}-withdrew-error"' in client.last_text
    assert "Pam Post was not present (absent), so cannot have withdrawn" in client.last_text
    assert "Sister runs the caterer" in client.last_text  # what was typed is kept
    assert declarations.for_item(office.conn, item) == []
    # Declared without withdrawing, the absent member's declaration is recorded.
    resp = client.post(f"/alpha/meetings/{meeting}/agenda/{item}/declarations",
                       {f"d{item}-user_id": str(who["pam"]),
                        f"d{item}-interest": "Sister runs the caterer"}, form_page=editor)
    assert resp.status_code == 302
    assert [d["withdrew"] for d in declarations.for_item(office.conn, item)] == [False]


def test_the_clerk_is_not_offered_as_declaring_but_associates_are(signed_in, office, held):
    meeting, item, who = held
    client, _clerk = signed_in("manager")
    editor = f"/alpha/meetings/{meeting}/minutes"
    page = client.get(editor).get_data(as_text=True)
    select = page.split(f'id="d{item}-user_id"')[1].split("</select>")[0]
    assert "Ann Able" in select and "Ava Assoc" in select and "Pam Post" in select
    assert "Kit Clerk" not in select
    resp = client.post(f"/alpha/meetings/{meeting}/agenda/{item}/declarations",
                       {f"d{item}-user_id": str(who["kit"]), f"d{item}-interest": "Something"},
                       form_page=editor)
    assert resp.status_code == 422 and f'id="d{item}-user_id-error"' in client.last_text
    assert declarations.for_item(office.conn, item) == []
    # The associate declares and withdraws; never counted, the item's quorum is unchanged.
    declarations.declare(office.conn, OP, item, who["ava"], "Works for the caterer", True)
    assert declarations.inquorate_items(office.conn, meeting) == []


# -- F11: permission before validation on every governance and policies POST --------------

GARBAGE = {"kind": "confirm", "nature": "", "organisation": "x" * 5000, "ends_on": "31/02/2026",
           "starts_on": "abc", "days": "abc", "month": "13", "day": "99", "category": "nope",
           "appointed_on": "not a date", "term_years": "-3", "position": "", "label": "",
           "name": "", "check_id": "zz", "reported_on": "yesterday", "file": "not a file"}


def _walked(app, ids: dict) -> list[str]:
    """Every POST route of the governance and policies blueprints, its arguments filled
    from `ids` (things that exist, so a refusal is not a 404)."""
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in ("governance", "policies") and "POST" in rule.methods:
            path = rule.rule.replace("<school>", "alpha")
            for arg in rule.arguments - {"school"}:
                path = path.replace(f"<int:{arg}>", str(ids[arg]))
            paths.append(path)
    return paths


def test_whoever_may_not_change_gets_403_before_any_form_is_read(app, signed_in, board):
    from gvo.governance import interests, records
    from gvo.policies import register

    client, reader = signed_in("reader")
    own = records.save(board.conn, OP, reader.id, records.RecordInput(
        category="parent", appointed_on=date(2025, 1, 1)))
    other_uid = board.person("Olga Other")
    other = records.save(board.conn, OP, other_uid, records.RecordInput(
        category="parent", appointed_on=date(2025, 1, 1)))
    interest = interests.add(board.conn, OP, other_uid, interests.InterestInput(
        kind=next(iter(interests.KINDS)), organisation="Meadow Build Ltd", nature="Director"))
    position = records.add_position(board.conn, OP, other, "safeguarding", date(2025, 1, 1))
    change = board.conn.execute("SELECT id FROM gias_changes LIMIT 1").fetchone()[0]
    policy = register.create(board.conn, OP, register.PolicyInput(name="Charging"))
    before = board.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    for uid, rid in ((reader.id, own), (other_uid, other)):
        ids = {"user_id": uid, "record_id": rid, "interest_id": interest,
               "position_id": position, "change_id": change, "policy_id": policy}
        paths = _walked(app, ids)
        assert len(paths) >= 28
        for path in paths:
            resp = client.post(path, GARBAGE, form_page="/alpha/profile")
            assert resp.status_code == 403, (path, resp.status_code, client.last_text[:300])
    # Nothing was written (the audit log has no entry of theirs).
    assert board.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before


# -- F12: one message per field; the date appointed kept; no invisible characters --------


def _field_errors(page: str, field_id: str) -> list[str]:
    block = page.split(f'id="{field_id}-error"')[1].split("</div>")[0]
    return [p.split("</span>")[1].split("</p>")[0].strip() for p in block.split("<p>")[1:]]


@pytest.mark.parametrize(("path", "data", "field_id", "message"), [
    ("/alpha/governance/compliance/warning-period", {"days": "abc"}, "days",
     "Write a whole number in digits."),
    ("/alpha/interests/reconfirmation", {"month": "9", "day": "abc"}, "day",
     "Write a whole number in digits."),
    ("/alpha/policies/settings", {"warning_days": "abc"}, "warning_days",
     "Write a whole number in digits."),
])
def test_a_number_that_cannot_be_read_gets_one_message(signed_in, path, data, field_id,
                                                        message):
    client, _manager = signed_in("manager")
    resp = client.post(path, data, form_page="/alpha/profile")
    assert resp.status_code == 422
    assert _field_errors(client.last_text, field_id) == [message]


def test_a_range_alone_speaks_for_an_empty_number(signed_in):
    client, _manager = signed_in("manager")
    resp = client.post("/alpha/governance/compliance/warning-period", {"days": ""},
                       form_page="/alpha/profile")
    assert resp.status_code == 422
    assert len(_field_errors(client.last_text, "days")) == 1


def test_the_date_appointed_of_a_governor_in_office_cannot_be_cleared(signed_in, board):
    from gvo.governance import records

    client, _manager = signed_in("manager")
    uid = board.person("Ada Appointed")
    rid = records.save(board.conn, OP, uid, records.RecordInput(
        category="parent", appointed_on=date(2025, 1, 1)))
    form = {"category": "parent", "appointed_by": "Parents", "appointed_on": "",
            "term_years": "4", "dbs_checked_on": "2025-01-10", "dbs_reference": "",
            "s128_checked_on": "", "stepped_down_on": "", "stepped_down_reason": ""}
    resp = client.post(f"/alpha/governors/{rid}", form, form_page=f"/alpha/governors/{rid}")
    assert resp.status_code == 422
    assert _field_errors(client.last_text, "appointed_on") == [records.CLEARED_APPOINTMENT]
    assert records.get(board.conn, rid)["appointed_on"] == "2025-01-01"
    # Corrected (not emptied), it is saved.
    resp = client.post(f"/alpha/governors/{rid}", form | {"appointed_on": "2025-01-02"},
                       form_page=f"/alpha/governors/{rid}")
    assert resp.status_code == 302
    assert records.get(board.conn, rid)["appointed_on"] == "2025-01-02"


HIDDEN = "\u202e\u200b\u2066\ufeff"


def test_free_text_of_records_and_interests_stores_no_invisible_characters(signed_in, board):
    from gvo.governance import interests, records

    client, _manager = signed_in("manager")
    uid = board.person("Ida Invisible")
    rid = records.save(board.conn, OP, uid, records.RecordInput(
        category="parent", appointed_on=date(2025, 1, 1)))
    page = f"/alpha/governors/{rid}"
    resp = client.post(page, {
        "category": "parent", "appointed_by": f"Par{HIDDEN}ents", "appointed_on": "2025-01-01",
        "term_years": "4", "dbs_checked_on": "2025-01-10", "dbs_reference": f"00{HIDDEN}1234",
        "s128_checked_on": "", "stepped_down_on": "2026-11-30",
        "stepped_down_reason": f"Moved{HIDDEN} away"}, form_page=page)
    assert resp.status_code == 302, client.last_text[:500]
    row = records.get(board.conn, rid)
    assert (row["appointed_by"], row["dbs_reference"], row["stepped_down_reason"]) == (
        "Parents", "001234", "Moved away")
    other = board.person("Ned Nature")
    records.save(board.conn, OP, other, records.RecordInput(
        category="parent", appointed_on=date(2025, 1, 1)))
    resp = client.post(f"/alpha/interests/people/{other}/add", {
        "kind": next(iter(interests.KINDS)), "organisation": f"Meadow{HIDDEN} Build",
        "nature": f"Direc{HIDDEN}tor\r\nand share{HIDDEN}holder", "starts_on": ""},
        form_page=f"/alpha/interests/people/{other}")
    assert resp.status_code == 302, client.last_text[:500]
    (held,) = interests.current_interests(board.conn, other)
    assert (held["organisation"], held["nature"]) == ("Meadow Build",
                                                     "Director\nand shareholder")
    positions = f"/alpha/governors/{rid}/positions"
    board.conn.execute("UPDATE governor_records SET stepped_down_on = NULL,"
                       " stepped_down_reason = '' WHERE id = ?", (rid,))
    resp = client.post(positions, {"position": f"Safe{HIDDEN}guarding",
                                   "starts_on": "2025-02-01", "ends_on": ""}, form_page=page)
    assert resp.status_code == 302, client.last_text[:500]
    assert [p for (p,) in board.conn.execute(
        "SELECT position FROM governor_positions WHERE record_id = ?", (rid,))] == [
        "safeguarding"]
