"""One rule per fact: the services that show the same fact about the board agree.

A small board on 1 December 2026: governors in office (one whose term ends soon, a
headteacher ex officio), one who stepped down, an associate member, the clerk (recorded
with the clerk's category, or with none and the clerk's position), and someone appointed
from next month. Who is in office, who counts towards the quorum, who is checked for DBS
and terms, each person's red/amber/green on the register of interests, the places filled,
the chair and the clerk must read the same in gvo.governance.records, places, interests,
compliance and the public page: a second answer to one question is the bug these catch.
"""

from datetime import date

import pytest

from gvo.board import bodies
from gvo.governance import compliance, interests, places, public, records
from gvo.governance.records import RecordInput
from gvo.people import accounts

from .conftest import OP

TODAY = date(2026, 12, 1)


class Small:
    """The board, made through the records and interests services."""

    def __init__(self, conn, board_id, committee_id, day):
        self.conn, self.board_id, self.committee_id, self.day = (conn, board_id, committee_id,
                                                                 day)
        self.ids: dict[str, int] = {}

    def person(self, name: str, category: str, appointed: str, **more) -> int:
        uid = accounts.add_user(self.conn, OP, name=name, role="author",
                                email=f"{name.lower().replace(' ', '.')}@ex.org")
        if category:
            records.save(self.conn, OP, uid, RecordInput(
                category=category, appointed_by="The board",
                appointed_on=date.fromisoformat(appointed), **more))
        else:  # no category recorded: only the board page makes such a record
            bodies.add_member(self.conn, OP, self.board_id, uid, "member", "")
        self.ids[name] = uid
        return uid

    def names(self, user_ids) -> set[str]:
        by_id = {uid: name for name, uid in self.ids.items()}
        return {by_id[uid] for uid in user_ids}


@pytest.fixture(params=["clerk", ""], ids=["clerk-category", "no-category-clerk-position"])
def small(request, board, day):
    conn, board_id, committee_id = board
    s = Small(conn, board_id, committee_id, day)
    day("2026-09-02")
    ann = s.person("Ann Chair", "parent", "2024-09-01", dbs_checked_on=date(2024, 9, 10))
    s.person("Tom Term", "co-opted", "2023-01-20", dbs_checked_on=date(2023, 1, 25))
    s.person("Hal Head", "headteacher", "2019-09-01", dbs_checked_on=date(2019, 9, 1))
    s.person("Nia New", "parent", "2026-11-20")            # DBS due, interests amber
    s.person("Ava Associate", "associate", "2025-01-01")
    s.person("Sam Stepped", "parent", "2024-01-01", stepped_down_on=date(2026, 10, 1),
             stepped_down_reason="Moved away")
    s.person("Fay Future", "parent", "2027-01-04")
    clerk = s.person("Clara Clerk", request.param, "2024-01-01")
    records.add_position(conn, OP, records.record_for(conn, clerk)["id"], "clerk",
                         date(2024, 1, 1))
    records.add_position(conn, OP, records.record_for(conn, ann)["id"], "chair",
                         date(2025, 9, 1))
    for name in ("Ann Chair", "Hal Head", "Ava Associate", "Nia New"):
        bodies.add_member(conn, OP, committee_id, s.ids[name], "member")
    conn.execute("INSERT INTO board_places(body_id, category, places) VALUES"
                 " (?, 'parent', 3), (?, 'co-opted', 2), (?, 'headteacher', 1)",
                 (board_id, board_id, board_id))
    interests.make_return(conn, OP, ann, "nil")             # green
    day("2026-12-01")
    return s


def _names(result) -> dict[str, str]:
    """{name: status} of a rule's findings (the name is the text before the first colon)."""
    return {f.text.split(":")[0]: f.status for f in result.findings}


def test_in_office_is_one_rule_everywhere(small):
    conn = small.conn
    governors = {r["user_id"] for r in records.governors(conn, TODAY)}
    assert small.names(governors) == {"Ann Chair", "Tom Term", "Hal Head", "Nia New",
                                      "Ava Associate"}
    # records.current is the same plus the clerk, and nobody else
    assert small.names(r["user_id"] for r in records.current(conn, TODAY)) == (
        small.names(governors) | {"Clara Clerk"})
    assert set(places.in_office(conn, small.board_id, TODAY)) == governors
    assert {g["id"] for g in interests.register(conn, TODAY)} == governors
    assert set(_names(compliance.interests_reconfirmed(conn, TODAY))) == small.names(governors)
    page = public.governance(conn, TODAY)
    in_office = {g["name"] for g in page.governors if g["stepped_down_on"] is None}
    assert in_office == small.names(governors)
    assert {g["name"] for g in page.governors} == in_office | {"Sam Stepped"}


def test_who_counts_and_who_is_checked_for_dbs_is_one_rule(small):
    conn = small.conn
    voters = places.voting_governors(conn, small.board_id, TODAY)
    assert small.names(voters) == {"Ann Chair", "Tom Term", "Hal Head", "Nia New"}
    assert places.quorum_rule(conn, small.board_id, TODAY).in_office == len(voters) == 4
    assert set(_names(compliance.dbs_checks(conn, TODAY))) == small.names(voters)
    # the committee's governors: the committee quorum's own count (the associate is not one)
    committee = places.voting_governors(conn, small.committee_id, TODAY)
    assert small.names(committee) == {"Ann Chair", "Hal Head", "Nia New"}
    result = compliance.committee_governors(conn, TODAY)
    assert result.findings[0].text == f"Finance: {len(committee)} governors"


def test_places_filled_are_the_places_pages_count(small):
    conn = small.conn
    vac = places.vacancies(conn, small.board_id, TODAY)
    assert (vac.places, vac.filled, vac.vacant) == (6, 4, 2)
    assert "clerk" not in {c.key for c in vac.categories}  # the clerk holds no place
    assert "6 governor places, 4 filled, 2 vacant" in compliance.vacancies(conn, TODAY).facts


def test_the_register_and_the_dashboard_show_the_same_status_for_each_person(small):
    conn = small.conn
    register = {g["name"]: g["status"].rag for g in interests.register(conn, TODAY)}
    assert register == {"Ann Chair": "green", "Nia New": "amber", "Tom Term": "red",
                        "Hal Head": "red", "Ava Associate": "red"}
    dashboard = _names(compliance.interests_reconfirmed(conn, TODAY))
    assert dashboard == {name: compliance.RAG_STATUS[rag] for name, rag in register.items()}
    # the day before Nia New's grace period (the register's 30 days) runs out: still amber
    # on both (a 28-day grace on the dashboard once made it "Not met" here)
    later = date(2026, 12, 19)
    assert dict(_names(compliance.interests_reconfirmed(conn, later)))["Nia New"] == \
        compliance.WARN
    assert {g["name"]: compliance.RAG_STATUS[g["status"].rag]
            for g in interests.register(conn, later)} == _names(
        compliance.interests_reconfirmed(conn, later))


def test_a_terms_end_is_one_rule(small):
    conn = small.conn
    ends = {r["name"]: records.term_end_of(r) for r in records.governors(conn, TODAY)}
    assert ends["Tom Term"] == date(2027, 1, 19) and ends["Hal Head"] is None
    published = {g["name"]: g["term_ends_on"] for g in public.governance(conn, TODAY).governors}
    for name, end in ends.items():
        assert published[name] == (end.isoformat() if end else public.NOT_APPLICABLE), name
    warned = {w.name: w.on for w in compliance.warnings(conn, TODAY) if w.kind == "term"}
    assert warned == {"Tom Term": date(2027, 1, 19)}
    assert _names(compliance.terms_ending(conn, TODAY)) == {"Tom Term": compliance.WARN}


def test_the_clerk_is_named_as_clerk_and_is_no_governor_anywhere(small):
    conn = small.conn
    clerk = "Clara Clerk"
    (holder,) = records.holders(conn, "clerk", TODAY)
    assert holder["name"] == clerk and holder["is_clerk"]
    page = public.governance(conn, TODAY)
    assert page.clerk == clerk
    assert compliance.clerk_in_post(conn, TODAY).facts == f"Clerk in post: {clerk}."
    assert page.chair == records.chair(conn, TODAY) == "Ann Chair"
    uid = small.ids[clerk]
    assert uid not in places.in_office(conn, small.board_id, TODAY)
    assert uid not in places.voting_governors(conn, small.board_id, TODAY)
    assert not interests.is_governor(conn, uid)
    assert clerk not in {g["name"] for g in page.governors}
    assert clerk not in {c for committee in page.committees for c in committee.members}
    for rule in compliance.RULES:
        if rule.key != "clerk_in_post":
            result = rule.check(conn, TODAY)
            assert all(clerk not in f.text for f in result.findings), rule.key
    assert all(w.name != clerk for w in compliance.warnings(conn, TODAY))
    assert records.term_end_of(records.record_for(conn, uid)) is None
