"""Issue 11: the library's long lists (a folder's contents, search results, the top of the
library) come in pages: each answer bounded however many rows there are, and following
the "more" links (htmx, or plain links without JavaScript) reaches every row once."""

import re

import pytest
from paging import follow

from gvo.core import paging
from gvo.library import documents, folders, pages

from .conftest import Part

DOC_LINK = re.compile(r'href="/alpha/library/documents/(\d+)"')
PAGE_LINK = re.compile(r'href="/alpha/library/pages/(\d+)"')
FOLDER_LINK = re.compile(r'<li><a href="/alpha/library/folders/(\d+)">[^<]*</a>\s*'
                         r'<span class="muted">· \d+ document')
LIMIT = 50 * 1024 * 1024
BOUND = 80_000  # bytes: a page of 50 rows, or a whole page of the site with one


@pytest.fixture
def big_folder(as_role, lib):
    """(a Manager's client, the folder, ids of its 130 documents, 120 pages, 110 sub-folders)
    with titles that tie (case and all) so the order needs the id too."""
    client, manager = as_role("manager")
    conn, m = lib.conn, lib.viewer(manager)
    folder = folders.create_folder(conn, m, parent_id=None, title="Board papers")
    docs = [documents.add_files(conn, m, folder, [Part(f"paper-{n % 40}.txt",
                                b"minutes of the zebra meeting %d" % n)], limit=LIMIT)[0]
            for n in range(130)]
    for n, doc in enumerate(docs):
        documents.update_document(conn, m, doc, title=f"{'Paper' if n % 2 else 'paper'} {n % 40}",
                                  description="")
    page_ids = [pages.create_page(conn, m, folder, title=f"Note {n % 30}", body="zebra")
                for n in range(120)]
    subs = [folders.create_folder(conn, m, parent_id=folder, title=f"Term {n % 25}")
            for n in range(110)]
    return client, folder, docs, page_ids, subs


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-javascript"])
def test_a_folders_contents_come_in_pages(big_folder, htmx):
    client, folder, docs, page_ids, subs = big_folder
    url = f"/alpha/library/folders/{folder}"
    first = client.get(url).get_data(as_text=True)
    assert len(DOC_LINK.findall(first)) == paging.SIZE
    for pattern, ids, name in ((DOC_LINK, docs, "documents"), (PAGE_LINK, page_ids, "pages"),
                               (FOLDER_LINK, subs, "folders")):
        seen = follow(client, url, htmx=htmx, ids=pattern, max_bytes=BOUND,
                      max_rows=paging.SIZE, param=name)
        assert sorted(int(i) for i in seen) == sorted(ids), name   # each once
        if htmx:
            assert len(seen) == len(ids)


def test_search_results_come_in_pages(big_folder):
    client, _folder, docs, page_ids, _subs = big_folder
    first = client.get("/alpha/library/search?q=zebra").get_data(as_text=True)
    assert "250 results for “zebra”" in first
    found = re.compile(r'href="/alpha/library/((?:documents|pages)/\d+)">')
    seen = follow(client, "/alpha/library/search?q=zebra", htmx=True, ids=found,
                  max_bytes=BOUND, max_rows=paging.SIZE)
    assert len(seen) == 250 and len(set(seen)) == 250


def test_the_top_of_the_library_comes_in_pages(as_role, lib):
    client, manager = as_role("manager")
    m = lib.viewer(manager)
    tops = [folders.create_folder(lib.conn, m, parent_id=None, title=f"Room {n % 7}")
            for n in range(75)]
    seen = follow(client, "/alpha/library", htmx=True, ids=FOLDER_LINK, max_bytes=BOUND,
                  max_rows=paging.SIZE, param="folders")
    assert sorted(int(i) for i in seen) == sorted(tops)


NEWS = re.compile(r'<li>(?:[^<]*commented on )?<a href="/alpha/library/(?:documents|pages)/\d+'
                  r'(?:#comments)?">[^<]*</a>[^<]*<span class="muted">· <time datetime="[^"]+">')


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-javascript"])
def test_whats_new_on_the_home_page_comes_in_pages(big_folder, lib, htmx):
    from gvo.discussion import comments, subjects

    client, _folder, docs, page_ids, _subs = big_folder
    conn = lib.conn
    manager = conn.execute("SELECT id FROM users WHERE role = 'manager'").fetchone()[0]
    from gvo.core.identity import Identity
    m = Identity(manager, "manager")
    subject = subjects.load(conn, m, "page", page_ids[0])
    for n in range(40):
        comments.add(conn, m, subject, f"Comment {n}")
    seen = follow(client, "/alpha/", htmx=htmx, ids=NEWS, max_bytes=BOUND,
                  max_rows=10, param="news")
    assert len(seen) == len(docs) + len(page_ids) + 40   # every upload, page and comment


def test_the_news_and_the_folder_lists_read_through_indexes(lib):
    """No list reads a whole table to find its page (EXPLAIN QUERY PLAN)."""
    from gvo.core.identity import Identity
    from gvo.library import news

    conn, who = lib.conn, Identity.operator()
    plans = []
    real = conn.execute

    def spy(sql, params=()):
        # A page's statement ends with its LIMIT (written into the SQL: paging.limit_clause).
        if sql.lstrip().startswith(("WITH", "SELECT")) and re.search(r" LIMIT \d+$", sql):
            plans.append("\n".join(r[3] for r in real("EXPLAIN QUERY PLAN " + sql, params)))
        return real(sql, params)

    conn.execute = spy
    try:
        token = paging.encode(("2026-01-01T00:00:00Z", 1, 5))
        news.page(conn, who, token)
        documents.folder_page(conn, who, 1, paging.encode(("a", 1)))
        pages.folder_page(conn, who, 1, paging.encode(("a", 1)))
        folders.children(conn, who, 1, paging.encode((0, "a", 1)))
    finally:
        del conn.execute
    assert len(plans) == 4
    news_plan, doc_plan, page_plan, folder_plan = plans
    # What's new reads each source newest first through its own index.
    for index in ("document_versions_uploaded", "pages_created", "comments_created"):
        assert f"USING INDEX {index} (" in news_plan, news_plan
    # A folder's lists come in the order of their index: nothing read whole and sorted.
    for plan, index in ((doc_plan, "documents_folder"), (page_plan, "pages_folder"),
                        (folder_plan, "folders_parent")):
        assert f"USING INDEX {index} (" in plan and "TEMP B-TREE" not in plan, plan
