"""The discussions pages run a number of SQL statements that does not grow with the data,
read each fact once, and the home page's What's new keeps its budget with topics in it (as
tests/test_query_counts.py measures the main pages: the demo school, grown N then 3N)."""

from collections import Counter

import pytest
from test_query_counts import BASE, Riverside, count_statements, signed_in_client, statements_of

from gvo import create_app
from gvo.discussion import comments, subjects, topics


@pytest.fixture
def riverside(instance):
    return Riverside(instance)


def _grow(r: Riverside, n: int) -> None:
    """n more topics in the demo's folder, each with a comment and a reply (to one's own
    comment: replies to the viewer's comments are the home page's "For you", read for at
    most 20 subjects, measured by tests/test_query_counts.py)."""
    conn, gov = r.conn, r.governor
    for _ in range(n):
        k = r.grown = r.grown + 1
        topic_id = topics.create(conn, gov, r.folder, title=f"Topic {k}", body=f"Text {k}")
        first = comments.add(conn, gov, subjects.load(conn, gov, "topic", topic_id),
                             f"Comment {k}")
        comments.add(conn, gov, subjects.load(conn, gov, "topic", topic_id), f"Reply {k}",
                     parent_id=first)
        comments.add(conn, gov, subjects.load(conn, gov, "topic", r.topic), f"More {k}")


def test_discussion_pages_run_as_many_statements_with_3n_topics_as_with_n(instance,
                                                                          riverside):
    app = create_app({"TESTING": True, "GVO_BASE_URL": BASE}, instance=instance)
    r = riverside
    r.topic = topics.create(r.conn, r.governor, r.folder, title="Busy topic", body="Busy")
    s = "/riverside"
    paths = {"discussions": f"{s}/discussions", "by title": f"{s}/discussions?order=title",
             "folder's topics": f"{s}/discussions?folder={r.folder}",
             "topic": f"{s}/discussions/{r.topic}", "new topic": f"{s}/discussions/new",
             "folder": f"{s}/library/folders/{r.folder}", "home": f"{s}/"}
    clients = {who: signed_in_client(app, f"{who}@riverside.example")
               for who in ("governor", "clerk")}

    def counts() -> dict:
        return {(who, name): count_statements(app, instance, client, path)
                for who, client in clients.items() for name, path in paths.items()}

    _grow(r, 2)
    with_n = counts()
    _grow(r, 4)
    with_3n = counts()
    grew = {k: (with_n[k], with_3n[k]) for k in with_n if with_3n[k] != with_n[k]}
    assert not grew, f"statements per page grew with the data (N -> 3N): {grew}"
    repeated = {}
    for who, client in clients.items():
        for name, path in paths.items():
            seen = Counter(statements_of(instance, client, path))
            again = {sql[:120]: n for sql, n in seen.items() if n > 1}
            if again:
                repeated[(who, name)] = again
    assert not repeated, f"statements run more than once in one request: {repeated}"
