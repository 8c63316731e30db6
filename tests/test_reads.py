"""A request reads each fact once (gvo.storage.reads): the memo's rules, on a real school.

Counting statements with SQLite's trace callback on the school's connection, no clock.
"""

import pytest

from gvo import create_app
from gvo.core.errors import NotFound
from gvo.meetings import meetings
from gvo.people import demo
from gvo.storage import reads, sqlcipher

BASE = "https://localhost"


@pytest.fixture
def school(instance):
    demo.create(instance)
    return instance.db(demo.SLUG)


def _counted(conn, call):
    """(the answer of `call()`, the statements it ran on `conn`)."""
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        return call(), statements
    finally:
        conn.set_trace_callback(None)


def _meeting_id(conn) -> int:
    return conn.execute("SELECT min(id) FROM meetings").fetchone()[0]


def test_a_read_inside_a_scope_runs_once_and_outside_every_time(school):
    mid = _meeting_id(school)
    with reads.scope():
        first, ran = _counted(school, lambda: meetings.get(school, mid))
        assert len(ran) == 1
        again, ran = _counted(school, lambda: meetings.get(school, mid))
        assert ran == [] and again["title"] == first["title"]
    _, ran = _counted(school, lambda: meetings.get(school, mid))
    assert len(ran) == 1
    _, ran = _counted(school, lambda: meetings.get(school, mid))
    assert len(ran) == 1


def test_any_write_on_the_connection_reads_again_and_sees_it(school):
    mid = _meeting_id(school)
    with reads.scope():
        meetings.get(school, mid)
        with sqlcipher.transaction(school):
            school.execute("UPDATE meetings SET title = 'Renamed' WHERE id = ?", (mid,))
        row, ran = _counted(school, lambda: meetings.get(school, mid))
        assert len(ran) == 1 and row["title"] == "Renamed"
        # A write rolled back moves the count too: the next read is fresh, and right.
        try:
            with sqlcipher.transaction(school):
                school.execute("UPDATE meetings SET title = 'Gone' WHERE id = ?", (mid,))
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        row, ran = _counted(school, lambda: meetings.get(school, mid))
        assert len(ran) == 1 and row["title"] == "Renamed"


def test_callers_get_their_own_copies(school):
    @reads.once
    def listed(conn, n):
        conn.execute("SELECT 1").fetchone()
        return [{"n": n}, [n]]

    with reads.scope():
        got = listed(school, 1)
        got[0]["n"] = 99
        got[1].append(2)
        got.append("more")
        again, ran = _counted(school, lambda: listed(school, 1))
        assert ran == [] and again == [{"n": 1}, [1]]


def test_unhashable_arguments_and_errors_are_not_kept(school):
    calls = []

    @reads.once
    def read(conn, ids):
        calls.append(ids)
        return conn.execute("SELECT count(*) FROM meetings").fetchone()[0]

    with reads.scope():
        read(school, [1, 2])
        read(school, [1, 2])
        assert len(calls) == 2
        for _ in range(2):
            with pytest.raises(NotFound):
                meetings.get(school, 10 ** 9)
        _, ran = _counted(school, lambda: pytest.raises(NotFound, meetings.get, school, 10 ** 9))
        assert len(ran) == 1


def test_a_scope_is_one_request_the_next_request_sees_other_connections_commits(instance, school):
    # The memo lives for one request: a change committed by another connection (another
    # thread or process) between two requests shows on the second.
    app = create_app({"TESTING": True, "GVO_BASE_URL": BASE}, instance=instance)
    mid = _meeting_id(school)
    client = app.test_client()
    page = client.get(f"/{demo.SLUG}/login", base_url=BASE).get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    resp = client.post(f"/{demo.SLUG}/login", base_url=BASE,
                       data={"csrf_token": token, "email": "clerk@riverside.example",
                             "password": demo.PASSWORD},
                       headers={"Referer": f"{BASE}/{demo.SLUG}/login"})
    assert resp.status_code == 302
    assert client.get(f"/{demo.SLUG}/meetings/{mid}", base_url=BASE).status_code == 200
    other = sqlcipher.connect(instance.school_path(demo.SLUG), instance.school_key(demo.SLUG))
    try:
        with sqlcipher.transaction(other):
            other.execute("UPDATE meetings SET title = 'Retitled elsewhere' WHERE id = ?",
                          (mid,))
    finally:
        other.close()
    html = client.get(f"/{demo.SLUG}/meetings/{mid}", base_url=BASE).get_data(as_text=True)
    assert "Retitled elsewhere" in html
    assert not reads.active()
