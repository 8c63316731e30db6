"""Issue 11: a thread of any length is served in pages, and posting a comment answers with
that comment alone; the thread's queries use indexes (no scan of the comments table)."""

import re

import pytest
from paging import follow

from gvo.discussion import comments, subjects
from gvo.library import folders, pages

COMMENT = re.compile(r'<li class="comment" id="c(\d+)"')
PAGE_BYTES = 120_000   # a page of 50 comments with their forms is about 60 KB


@pytest.fixture
def long_thread(as_role, lib):
    """(the Author's client, the page's URL, the ids of its 1,000 comments): 150 threads of
    a comment and 3 replies (one a reply to a reply), one thread of a comment and 399
    replies (longer than a page), and comments deleted on the way (not counted)."""
    client, author = as_role("author")
    _m, manager = as_role("manager")
    conn, m = lib.conn, lib.viewer(manager)
    folder = folders.create_folder(conn, m, parent_id=None, title="Board papers")
    page_id = pages.create_page(conn, m, folder, title="Budget", body="Figures")
    subject = subjects.load(conn, m, "page", page_id)
    ids = []
    for n in range(150):
        if n == 70:  # a thread longer than a page, in the middle
            top = comments.add(conn, m, subject, "Long thread")
            ids.append(top)
            ids += [comments.add(conn, m, subject, f"Reply {k}", top) for k in range(399)]
        top = comments.add(conn, m, subject, f"Question {n}")
        first = comments.add(conn, m, subject, f"Answer {n}", top)
        ids += [top, first, comments.add(conn, m, subject, f"Thanks {n}", first),
                comments.add(conn, m, subject, f"More {n}", top)]
        gone = comments.add(conn, m, subject, f"Oops {n}")
        comments.delete(conn, m, subject, gone)
    assert len(ids) == 1000
    return client, f"/alpha/library/pages/{page_id}", ids


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-javascript"])
def test_a_thread_of_1000_comments_is_served_in_bounded_pages(long_thread, htmx):
    client, url, ids = long_thread
    first = client.get(url)
    assert first.status_code == 200
    assert "Comments (<span id=\"comment-count\">1000</span>)" in first.get_data(as_text=True)
    seen = follow(client, url, htmx=htmx, ids=COMMENT, max_bytes=PAGE_BYTES,
                  max_rows=comments.PAGE_SIZE)
    assert sorted(int(i) for i in seen) == sorted(ids)   # every comment, exactly once
    assert len(seen) == len(set(seen))


def test_replies_stay_under_their_comment_across_pages(long_thread):
    client, url, _ids = long_thread
    text = client.get(url).get_data(as_text=True)
    # "Question 0" is followed by its answer inside its own replies list.
    question = text.index("Question 0</div>")
    assert text.index("Answer 0", question) < text.index("Question 1</div>")
    assert re.search(r'id="replies-\d+">\s*<li class="comment"', text)
    # The thread of 400 is cut over pages; its later replies say what they answer.
    reached = "".join(client.get(f"{url.replace('/pages/', '/page/')}/comments?after={a}")
                      .get_data(as_text=True) for a in _afters(client, url, 12))
    assert "a reply to an earlier comment" in reached


def _afters(client, url, n):
    """The position tokens of the first `n` following pages."""
    from paging import more_link
    tokens, link = [], more_link(client.get(url).get_data(as_text=True))
    while link and len(tokens) < n:
        tokens.append(link.split("after=")[1])
        link = more_link(client.get(link).get_data(as_text=True))
    return tokens


def test_posting_a_comment_answers_with_that_comment_and_the_count_only(long_thread):
    client, url, ids = long_thread
    client.get(url)
    path = url.replace("/pages/", "/page/") + "/comments"
    resp = client.post(path, {"body": "Is the roof in this year's figures?", "parent_id": ""},
                       headers={"HX-Request": "true"})
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert len(COMMENT.findall(text)) == 1 and "roof in this year" in text
    assert 'id="comment-count" hx-swap-oob="true">1001<' in text
    assert len(resp.get_data()) < 5_000
    # A reply answers with the reply alone too.
    resp = client.post(path, {"body": "Yes, line 14.", "parent_id": str(ids[0])},
                       headers={"HX-Request": "true"})
    text = resp.get_data(as_text=True)
    assert len(COMMENT.findall(text)) == 1 and "line 14" in text
    assert 'id="comment-count" hx-swap-oob="true">1002<' in text


def test_a_refused_comment_says_why_and_keeps_the_thread(long_thread):
    client, url, _ids = long_thread
    client.get(url)
    path = url.replace("/pages/", "/page/") + "/comments"
    resp = client.post(path, {"body": "x" * 10_001, "parent_id": ""},
                       headers={"HX-Request": "true"})
    assert resp.status_code == 422
    assert resp.headers["HX-Retarget"] == "#comments-status"
    assert "1-10,000 characters" in resp.get_data(as_text=True)


def test_a_refused_comment_without_script_keeps_the_text_beside_its_reason(long_thread):
    """Attack 5, F7: without script, a comment too long (or empty) comes back in its form
    (422) with the reason beside the box, instead of a banner and the text lost."""
    client, url, _ids = long_thread
    client.get(url)
    path = url.replace("/pages/", "/page/") + "/comments"
    typed = "Careful words " + "x" * 10_000
    resp = client.post(path, {"body": typed, "parent_id": ""})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert typed in page and "1-10,000 characters" in page
    box = re.search(r'<textarea[^>]*id="comment-refused"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in box and 'aria-describedby="comment-refused-error"' in box
    assert '<div class="error" id="comment-refused-error" role="alert">' in page
    assert f'action="{path}"' in page


def test_a_forged_position_is_a_clear_400(long_thread):
    client, url, _ids = long_thread
    path = url.replace("/pages/", "/page/") + "/comments"
    for bad in ("zzz", "WyJhIl0", "!!", "x" * 5000):
        resp = client.get(f"{path}?after={bad}")
        assert resp.status_code == 400
        assert "not valid" in resp.get_data(as_text=True)


def plan(conn, sql: str, params) -> str:
    """SQLite's query plan for `sql`, one line per step."""
    return "\n".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params))


def test_the_reply_count_and_the_thread_listing_use_indexes(lib):
    conn = lib.conn
    listing = plan(conn, comments._ROW + " WHERE c.subject_type = :type AND c.subject_id = :id"
                   f" AND {comments._SHOWN} AND (c.root_id, c.id) > (:a, :b)"
                   " ORDER BY c.root_id, c.id LIMIT 51",
                   {"type": "page", "id": 1, "a": 1, "b": 1})
    assert "SCAN c" not in listing and "SCAN comments" not in listing, listing
    assert "USE TEMP B-TREE" not in listing, listing    # the index gives the order
    assert "comments_parent" in listing and "comments_subject" in listing, listing
    count = plan(conn, "SELECT count(*) FROM comments r WHERE r.parent_id = ?"
                 " AND r.deleted_at IS NULL", (1,))
    assert "SCAN" not in count and "comments_parent" in count, count


OLD_THREAD = """
    INSERT INTO users(id, email, name, role, created_at, updated_at) VALUES
        (1, 'ann@example.org', 'Ann Able', 'author', '2026-01-01T00:00:00Z',
         '2026-01-01T00:00:00Z');
    INSERT INTO comments(id, subject_type, subject_id, parent_id, author_id, body, created_at)
    VALUES (1, 'page', 7, NULL, 1, 'top one', '2026-01-01T00:00:00Z'),
           (2, 'page', 7, NULL, 1, 'top two', '2026-01-01T00:01:00Z'),
           (3, 'page', 7, 1, 1, 'reply to one', '2026-01-01T00:02:00Z'),
           (4, 'page', 7, 3, 1, 'reply to the reply', '2026-01-01T00:03:00Z'),
           (5, 'page', 7, 2, 1, 'reply to two', '2026-01-01T00:04:00Z');
"""


def test_an_upgraded_school_knows_each_comments_thread(upgraded_school):
    conn = upgraded_school(13, OLD_THREAD)
    roots = dict(tuple(r) for r in conn.execute("SELECT id, root_id FROM comments"))
    assert roots == {1: 1, 2: 2, 3: 1, 4: 1, 5: 2}
    subject = subjects.Subject("page", 7, "Old page", None, "library.show_page", {})
    page = comments.thread(conn, subject)
    assert [c.body for c in page] == ["top one", "top two"]
    assert [r.body for r in page.items[0].replies] == ["reply to one"]
    assert [r.body for r in page.items[0].replies[0].replies] == ["reply to the reply"]
    assert page.after is None
