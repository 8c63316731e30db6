"""Numbers larger than SQLite's INTEGER in a URL or a query string: a clear page, never a 500.

Before: an id of 2**64 in any `<int:...>` route, or in `?parent=` / `?body=`, reached
SQLite and raised OverflowError (a 500; in TESTING mode the exception itself).
"""

import pytest

TOO_BIG = str(2**64)
JUST_TOO_BIG = str(2**63)  # one past SQLite's largest INTEGER
LARGEST = str(2**63 - 1)


@pytest.fixture
def manager(signed_in):
    client, _person = signed_in("manager")
    return client


@pytest.mark.parametrize("number", [TOO_BIG, JUST_TOO_BIG, "9" * 40])
@pytest.mark.parametrize("path", [
    "/alpha/library/folders/{}",
    "/alpha/library/documents/{}",
    "/alpha/library/documents/{}/download",
    "/alpha/meetings/{}",
    "/alpha/meetings/{}/edit",
])
def test_too_large_ids_in_routes_are_not_found(manager, path, number):
    resp = manager.get(path.format(number))
    assert resp.status_code == 404
    assert "Page not found" in resp.get_data(as_text=True)


def test_the_largest_id_sqlite_holds_is_an_ordinary_missing_id(manager):
    assert manager.get(f"/alpha/library/documents/{LARGEST}").status_code == 404
    assert manager.get(f"/alpha/meetings/{LARGEST}").status_code == 404


def test_too_large_numbers_in_query_strings_are_ignored_like_other_bad_values(manager):
    # request.args.get(..., type=int) gives the default, as for ?body=abc.
    for number in (TOO_BIG, JUST_TOO_BIG):
        resp = manager.get(f"/alpha/meetings?body={number}")
        assert resp.status_code == 200
        assert manager.get("/alpha/meetings?body=abc").get_data(as_text=True).count(
            "<form") == resp.get_data(as_text=True).count("<form")
        assert manager.get(f"/alpha/library/folders/new?parent={number}").status_code == 200


def test_the_audit_page_number_of_any_size_is_read_not_overflowed(manager):
    # The audit page computes an offset from ?page=: in range for Python's int() and for
    # SQLite as a page, but not once multiplied. It clamps the number itself.
    resp = manager.get(f"/alpha/admin/audit?page={2**62}")
    assert resp.status_code == 200


def test_a_number_a_view_overflows_itself_is_a_bad_request(app, client):
    # The backstop for any view that still parses a number by hand: 400, never a 500.
    from gvo.access import public

    @public
    def overflowing():
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    app.add_url_rule("/overflowing", "overflowing", overflowing)
    resp = client.get("/overflowing")
    assert resp.status_code == 400
    assert "Something in that request was wrong" in resp.get_data(as_text=True)
