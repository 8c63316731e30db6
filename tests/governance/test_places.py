"""The instrument of government's places and the vacancies: the service, its page, who may
use it, bad input, the audit, the demo."""

import json
from datetime import date

import pytest

from gvo.core import audit, dates
from gvo.core.errors import InvalidInput, NotPermitted
from gvo.core.identity import Identity
from gvo.governance import places
from gvo.people import accounts
from tests.governance.board import OP, board  # noqa: F401 (the fixture)

PAGE = "/alpha/governance/places"


def test_vacancies_per_category_on_a_date(board):  # noqa: F811
    places.set_places(board.conn, OP, board.board_id,
                      {"parent": "2", "staff": "1", "co-opted": "3", "associate": "1"})
    board.governor("Pat", "parent", appointed_on="2024-09-01")
    board.governor("Pam", "parent", appointed_on="2030-09-01")  # not yet in office
    board.governor("Sid", "staff", stepped_down_on="2024-12-31")
    for n in range(4):
        board.governor(f"Co {n}", "co-opted")  # one more than the places: no vacancy
    board.governor("Una", "")  # no category recorded: fills no place
    v = places.vacancies(board.conn, board.board_id, date(2025, 1, 1))
    rows = {c.key: (c.places, c.filled, c.vacant) for c in v.categories}
    assert rows["parent"] == (2, 1, 1)
    assert rows["staff"] == (1, 0, 1)
    assert rows["co-opted"] == (3, 4, 0)
    assert rows["associate"] == (1, 0, 1)
    assert rows["headteacher"] == (0, 0, 0)
    assert (v.places, v.filled, v.vacant, v.uncategorised) == (7, 4, 3, 1)
    assert (v.governor_places, v.governor_vacancies) == (6, 2)
    earlier = places.vacancies(board.conn, board.board_id, date(2024, 12, 30))
    assert {c.key: c.filled for c in earlier.categories}["staff"] == 1


@pytest.mark.parametrize(("typed", "message"), [
    ("lots", "Parent governor places must be a whole number, written in digits."),
    ("-1", "Parent governor places must be a whole number, written in digits."),
    ("101", "Parent governor places must be between 0 and 100."),
    ("9" * 30, "Parent governor places must be between 0 and 100."),
])
def test_bad_numbers_are_refused_and_nothing_is_written(board, typed, message):  # noqa: F811
    places.set_places(board.conn, OP, board.board_id, {"staff": "1"})
    with pytest.raises(places.PlacesInvalid) as refused:
        places.set_places(board.conn, OP, board.board_id, {"staff": "2", "parent": typed})
    assert refused.value.errors == {"parent": message}
    assert places.places(board.conn, board.board_id) == {"staff": 1}


def test_digits_of_any_script_and_empty_for_none(board):  # noqa: F811
    assert places.set_places(board.conn, OP, board.board_id,
                             {"parent": "２", "staff": "١", "co-opted": " 6 "})
    assert places.places(board.conn, board.board_id) == {"parent": 2, "staff": 1, "co-opted": 6}
    places.set_places(board.conn, OP, board.board_id, {"staff": "", "co-opted": "0"})
    assert places.places(board.conn, board.board_id) == {"parent": 2}
    assert not places.set_places(board.conn, OP, board.board_id, {"parent": "2"})


def test_unknown_category_and_committees_are_refused(board):  # noqa: F811
    with pytest.raises(InvalidInput, match="Unknown category"):
        places.set_places(board.conn, OP, board.board_id, {"wizard": "1"})
    with pytest.raises(InvalidInput, match="not on a committee"):
        places.set_places(board.conn, OP, board.committee_id, {"parent": "1"})


def test_only_managers_and_board_editors_set_places(board):  # noqa: F811
    uid = accounts.add_user(board.conn, OP, email="ed@ex.org", name="Ed", role="editor")
    editor = Identity(user_id=uid, email="ed@ex.org", name="Ed", role="editor")
    with pytest.raises(NotPermitted):
        places.set_places(board.conn, editor, board.board_id, {"parent": "1"})
    assert places.places(board.conn, board.board_id) == {}


def test_a_change_is_audited_with_before_and_after(board):  # noqa: F811
    places.set_places(board.conn, OP, board.board_id, {"parent": "2", "staff": "1"})
    places.set_places(board.conn, OP, board.board_id, {"parent": "3", "staff": ""})
    entries = [e for e in audit.recent(board.conn) if e["action"] == "board.places"]
    assert len(entries) == 2
    latest = entries[0]
    assert latest["target"] == f"body:{board.board_id}"
    detail = json.loads(latest["detail"])
    assert detail["before"] == {"parent": 2, "staff": 1} and detail["after"] == {"parent": 3}


@pytest.mark.parametrize(("role", "caps", "status"), [
    ("manager", set(), 200), ("editor", {"manage_board"}, 200), ("editor", set(), 403),
    ("reader", set(), 403),
])
def test_who_may_open_the_page(signed_in, board, instance, role, caps, status):  # noqa: F811
    client, person = signed_in(role)
    if caps:
        accounts.set_capabilities(instance.db("alpha"), OP, person.id, caps)
    assert client.get(PAGE).status_code == status


def test_the_page_sets_places_shows_vacancies_and_is_linked_from_the_board(
        signed_in, board):  # noqa: F811
    client, _ = signed_in("manager")
    board.governor("Pat", "parent")
    board.governor("Una", "")
    assert PAGE in client.get("/alpha/board").get_data(as_text=True)
    resp = client.post(PAGE, {"places-parent": "2", "places-co-opted": "3"}, form_page=PAGE)
    assert resp.status_code == 302
    page = client.get(PAGE).get_data(as_text=True)
    assert "5 governor places, 1 filled, 4 vacant" in page
    assert "1 governor has no category recorded: they fill no place" in page
    # The sentence adds up: 5 places - 4 vacancies = 1 filled, and Una (no category) is the
    # other governor counted (attack 10, F7).
    assert ("half of the 2 governors in office (5 places, 4 vacancies; 1 in office beyond "
            "the places or with no category recorded), rounded up: 1") in page


def test_the_page_keeps_what_was_typed_and_says_what_is_wrong(signed_in, board):  # noqa: F811
    client, _ = signed_in("manager")
    resp = client.post(PAGE, {"places-parent": "two", "places-staff": "1"}, form_page=PAGE)
    assert resp.status_code == 422
    text = client.last_text
    assert 'id="places-parent-error" role="alert"' in text
    assert "Parent governor places must be a whole number" in text
    assert 'value="two"' in text and places.places(board.conn, board.board_id) == {}


def test_the_demo_has_realistic_places_and_one_vacancy(instance):
    from gvo.people import demo

    demo.create(instance)
    conn = instance.db(demo.SLUG)
    board_id = places.board_id(conn)
    v = places.vacancies(conn, board_id, dates.today())
    assert v.governor_vacancies == 1
    assert {c.key: c.vacant for c in v.categories if c.vacant} == {"local-authority": 1}
    assert places.places(conn, board_id)["parent"] == 2
