"""Services compose: a service's transaction inside another's is a savepoint of it."""

import pytest

from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput


@pytest.fixture
def conn(instance, school):
    c = instance.db(school)
    c.execute("CREATE TABLE t (v TEXT)")
    return c


def _values(conn):
    return [r[0] for r in conn.execute("SELECT v FROM t ORDER BY rowid")]


def test_an_inner_refusal_the_caller_handles_undoes_only_the_inner_writes(conn):
    with transaction(conn):
        conn.execute("INSERT INTO t VALUES ('outer')")
        with pytest.raises(InvalidInput), transaction(conn):
            conn.execute("INSERT INTO t VALUES ('inner')")
            raise InvalidInput("no")
        conn.execute("INSERT INTO t VALUES ('after')")
    assert _values(conn) == ["outer", "after"]
    assert not conn.in_transaction


def test_a_refusal_after_an_inner_step_undoes_the_inner_step_too(conn):
    with pytest.raises(InvalidInput), transaction(conn):
        with transaction(conn):
            conn.execute("INSERT INTO t VALUES ('made first')")
        raise InvalidInput("refused at the last step")
    assert _values(conn) == []
    assert not conn.in_transaction


def test_alone_it_commits_like_storage_transaction(conn):
    with transaction(conn):
        conn.execute("INSERT INTO t VALUES ('x')")
        assert conn.in_transaction
    assert _values(conn) == ["x"] and not conn.in_transaction


def test_after_commit_hooks_run_once_the_outermost_transaction_commits(conn):
    from gvo.storage.sqlcipher import after_commit

    seen = []
    with transaction(conn):
        with transaction(conn):  # a service's savepoint
            after_commit(conn, lambda: seen.append(_values(conn)))
            conn.execute("INSERT INTO t VALUES ('x')")
        assert seen == []
    assert seen == [["x"]]  # after the commit: another connection would see the row
    with pytest.raises(InvalidInput), transaction(conn):
        after_commit(conn, lambda: seen.append("rolled back"))
        raise InvalidInput("no")
    with transaction(conn):
        conn.execute("INSERT INTO t VALUES ('y')")
    assert seen == [["x"]]  # a rolled-back transaction's hook never runs, nor later
    after_commit(conn, lambda: seen.append("now"))
    assert seen == [["x"], "now"]
