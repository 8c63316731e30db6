"""Attack 10 (issue 14): wrong answers on the compliance dashboard, the quorum and the public
page, each a kind fixed in its owning service (records.current, places, compliance)."""

from datetime import date

import pytest

from gvo.board import bodies
from gvo.core.errors import InvalidInput
from gvo.governance import compliance, places, public, records
from gvo.governance.compliance import FAIL, PASS
from gvo.meetings import agenda, declarations
from tests.governance.test_compliance import OP, Board, _finding

TODAY = date(2026, 12, 1)


@pytest.fixture
def board(instance, school, clock):
    """Alpha's board, made through the real services, on 1 December 2026."""
    b = Board(instance.db(school), clock)
    b.at("2026-12-01T09:00")
    return b


def _saved(board, name: str, category: str, appointed: str, **more) -> tuple[int, int]:
    """(user id, record id) of a person given a record through the records service."""
    uid = board.person(name)
    rid = records.save(board.conn, OP, uid, records.RecordInput(
        category=category, appointed_on=date.fromisoformat(appointed), **more))
    return uid, rid


# -- F1: academy trust members are not governors -----------------------------------------


def test_an_academy_trust_member_neither_counts_towards_quorum_nor_fills_a_place(board):
    head = board.governor("Hana", "headteacher", appointed_on="2020-01-01")
    sid = board.governor("Sid", "staff", appointed_on="2025-01-01")
    al = board.governor("Al", "member", appointed_on="2025-01-01")
    finance = board.committee("Finance", [sid, al, head])
    assert al not in places.voting_governors(board.conn, board.id, TODAY)
    assert places.quorum_rule(board.conn, board.id, TODAY).in_office == 2
    assert _finding(compliance.committee_governors(board.conn, TODAY), "Finance").text == (
        "Finance: 2 governors")
    assert al not in places.voting_governors(board.conn, finance, TODAY)


# -- F2: a term that ended is out of office ----------------------------------------------


def test_a_governor_whose_term_ended_is_out_of_office_from_the_next_day(board):
    board.places(co_opted=3)
    cora = board.governor("Cora", "co-opted", appointed_on="2022-09-01")  # ends 2026-08-31
    board.governor("Cy", "co-opted", appointed_on="2025-03-01")
    in_august = {r["user_id"] for r in records.current(board.conn, date(2026, 8, 31))}
    in_september = {r["user_id"] for r in records.current(board.conn, date(2026, 9, 1))}
    assert cora in in_august and cora not in in_september
    co_opted = {c.key: c for c in places.vacancies(board.conn, board.id, TODAY).categories}
    assert (co_opted["co-opted"].filled, co_opted["co-opted"].vacant) == (1, 2)
    terms = compliance.terms_ending(board.conn, TODAY)
    assert terms.status == FAIL
    assert "Cora: term ended on Mon 31 Aug 2026 — reappoint" in _finding(terms, "Cora").text
    listed = {g["name"]: g for g in public.governance(board.conn, TODAY).governors}
    assert listed["Cora"]["stepped_down_on"] == "2026-09-01"  # no longer "In office"


# -- F3: an inquorate item fails the quorum rule -----------------------------------------


def test_an_item_left_inquorate_by_withdrawals_fails_the_quorum_rule(board):
    govs = [board.governor(f"G{n}", appointed_on="2025-01-01") for n in range(4)]
    board.at("2026-11-01T09:00")
    m = board.meeting("2026-11-05T18:00", "MC")
    agenda.add_item(board.conn, OP, m, agenda.ItemInput(title="Budget", purpose="decision"))
    item = agenda.add_item(board.conn, OP, m, agenda.ItemInput(title="Catering",
                                                                purpose="decision"))
    declarations.declare(board.conn, OP, item, govs[0], "Owns the caterer", True)
    board.at("2026-11-05T19:00")
    board.register(m, {govs[0]: "present", govs[1]: "present", govs[2]: "absent",
                       govs[3]: "absent"})
    board.at("2026-12-01T09:00")
    result = compliance.quorum_met(board.conn, TODAY)
    assert result.status == FAIL
    assert "item 2 ‘Catering’ was not quorate (1 present, 2 needed" in _finding(
        result, "Catering").text


# -- F4: the clerk is not a governor; no silent history rewrite --------------------------


def test_the_clerk_position_cannot_go_to_a_governor_and_a_handover_says_what_it_ends(board):
    _kit, kit = _saved(board, "Kit", "clerk", "2024-01-01")
    records.add_position(board.conn, OP, kit, "clerk", date(2024, 1, 1))
    _cy, cy = _saved(board, "Cy", "co-opted", "2025-03-01")
    with pytest.raises(InvalidInput, match="reg. 10"):
        records.add_position(board.conn, OP, cy, "clerk", date(2026, 1, 1))
    assert compliance.clerk_in_post(board.conn, TODAY).facts == "Clerk in post: Kit."
    _new, new = _saved(board, "Nell", "clerk", "2025-01-01")
    notes: list[str] = []
    records.add_position(board.conn, OP, new, "clerk", date(2026, 1, 1), notes=notes)
    assert notes == ["Kit's clerk ends on 2025-12-31 (the day before Nell's starts)."]
    row = board.conn.execute("SELECT detail FROM audit_log WHERE action ="
                             " 'governor.position_end'").fetchone()
    assert '"backdated": true' in row["detail"]


# -- F5: DBS late or in the future -------------------------------------------------------


def test_a_late_dbs_check_is_not_met_and_a_future_one_refused(board):
    board.governor("Cy", "co-opted", appointed_on="2025-03-01", dbs_checked_on="2026-11-01")
    board.governor("Ok", "co-opted", appointed_on="2025-03-01", dbs_checked_on="2025-03-22")
    result = compliance.dbs_checks(board.conn, TODAY)
    assert result.status == FAIL
    assert "late: 589 days" in _finding(result, "Cy").text
    assert _finding(result, "Ok").status == PASS  # the 21st day is in time
    uid = board.person("Future")
    with pytest.raises(InvalidInput, match="in the future") as exc:
        records.save(board.conn, OP, uid, records.RecordInput(
            category="parent", appointed_on=date(2026, 11, 1),
            dbs_checked_on=date(2026, 12, 2)))
    assert exc.value.field == "dbs_checked_on"


# -- F6, F7: vacancies over a category's places; the quorum sentence adds up --------------


def test_people_in_a_category_with_no_places_are_not_met_and_the_sentence_adds_up(board):
    board.places(parent=2, associate=2)
    board.governor("P1", "parent", appointed_on="2025-01-01")
    board.governor("F1", "foundation", appointed_on="2025-01-01")
    board.governor("A1", "associate", appointed_on="2025-01-01")
    result = compliance.vacancies(board.conn, TODAY)
    assert result.status == FAIL
    assert _finding(result, "Foundation").text == "Foundation governor: 1 in office for 0 places."
    assert result.facts == ("2 governor places, 1 filled, 1 vacant; associate members: "
                            "2 places, 1 filled.")
    rule = places.quorum_rule(board.conn, board.id, TODAY).rule
    assert rule == ("half of the 2 governors in office (2 places, 1 vacancy; 1 in office "
                    "beyond the places or with no category recorded), rounded up: 1")


# -- F8: stepping down takes a governor off committees -----------------------------------


def test_stepping_down_leaves_committees_and_the_public_page_lists_only_those_in_office(
        board):
    paul, _ = _saved(board, "Paul", "parent", "2023-05-01")
    sid, _ = _saved(board, "Sid", "staff", "2025-01-01")
    finance = board.committee("Finance", [paul, sid])
    records.save(board.conn, OP, paul, records.RecordInput(
        category="parent", appointed_on=date(2023, 5, 1), stepped_down_on=date(2026, 10, 15),
        stepped_down_reason="Moved away"))
    assert [m["id"] for m in bodies.members(board.conn, finance)] == [sid]
    with pytest.raises(InvalidInput, match="no longer a governor"):
        bodies.add_member(board.conn, OP, finance, paul, "member")
    page = public.governance(board.conn, TODAY)
    assert [c.members for c in page.committees] == [["Sid"]]
    assert {g["name"]: g["committees"] for g in page.governors}["Paul"] == []
