"""Numbers larger than SQLite's INTEGER in a URL or a query string: a clear page, never a 500.

Before: an id of 2**64 in any `<int:...>` route, or in `?parent=` / `?body=`, reached
SQLite and raised OverflowError (a 500; in TESTING mode the exception itself).
"""

import base64
from datetime import timedelta
from pathlib import Path

import pytest
from uploads import Part

from gvo.board import bodies
from gvo.core.identity import Identity
from gvo.library import documents, folders
from gvo.meetings import meetings

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
    from gvo.web.access import public

    @public
    def overflowing():
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    app.add_url_rule("/overflowing", "overflowing", overflowing)
    resp = client.get("/overflowing")
    assert resp.status_code == 400
    assert "Something in that request was wrong" in resp.get_data(as_text=True)


# -- Numbers in any script, read by one helper (gvo.core.numbers) -----------------------------


@pytest.mark.parametrize("text, number", [
    ("12", 12), ("１２", 12), ("١٢", 12), ("१२", 12), (" 1 2 ", 12), ("²", 2),
    ("", None), (None, None), ("0", None), ("-1", None), ("+1", None), ("1e3", None),
    ("1_000", None), ("½", None), ("x", None), (str(2**63), None), ("9" * 5000, None),
])
def test_a_whole_number_or_none_reads_digits_of_any_script_and_nothing_else(text, number):
    from gvo.core.numbers import whole_number_or_none

    assert whole_number_or_none(text) == number


def test_a_comment_replying_to_a_superscript_is_a_comment_not_a_500(manager, instance):
    # Found by tests/fuzz: the reply's parent id was read with str.isdigit(), true for "²",
    # then int("²") raised ValueError. Now one helper reads every number.
    from gvo.core.identity import Identity
    from gvo.library import pages
    from gvo.library.folders import create_folder

    conn = instance.db("alpha")
    uid = conn.execute("SELECT id FROM users WHERE role = 'manager'").fetchone()[0]
    who = Identity(uid, "manager")
    page = pages.create_page(conn, who, create_folder(conn, who, parent_id=None, title="F"),
                             title="Note", body="x")

    def reply(parent):
        return manager.post(f"/alpha/library/page/{page}/comments",
                            {"body": f"reply to {parent}", "parent_id": parent},
                            form_page=f"/alpha/library/pages/{page}").status_code

    # Not a number (or no id SQLite holds): a comment of its own.
    assert [reply(p) for p in ("9" * 40, "-1", "x")] == [303, 303, 303]
    ids = [r[0] for r in conn.execute("SELECT id FROM comments ORDER BY id")]
    assert ids == [1, 2, 3]  # a new school's first comments
    # "²" and "١" are the numbers 2 and 1, as anywhere else a number is typed.
    assert [reply("²"), reply("١")] == [303, 303]
    rows = conn.execute("SELECT body, parent_id FROM comments ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [(f"reply to {'9' * 40}", None), ("reply to -1", None),
                                        ("reply to x", None), ("reply to ²", 2),
                                        ("reply to ١", 1)]


def test_dates_times_and_counts_in_arabic_indic_digits_are_read(signed_in, instance):
    # Before: meeting forms read only what NFKC turns into ASCII (full width), so a date in
    # Arabic-Indic digits was refused; folders' sort order read neither.
    from gvo.board import bodies
    from gvo.core.identity import Identity
    from gvo.meetings import meetings

    client, _ = signed_in("manager")
    conn = instance.db("alpha")
    body = bodies.save_body(conn, Identity.operator(), body_id=None, kind="board", name="Board")
    client.get("/alpha/meetings/new")
    resp = client.post("/alpha/meetings/new", {
        "body_id": str(body), "title": "Board", "starts_at": "٢٠٣١-٠٣-٠٤T١٨:٠٠",
        "ends_at": "٢٠٣١-٠٣-٠٤T٢٠:٠٠", "location": "Hall"}, form_page="/alpha/meetings/new")
    assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
    meeting_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert meetings.get(conn, meeting_id)["starts_at"] == "2031-03-04T18:00"
    resp = client.post("/alpha/library/folders/new", {"title": "Policies", "sort_order": "٧"},
                       form_page="/alpha/library/folders/new")
    assert resp.status_code == 303
    assert conn.execute("SELECT sort_order FROM folders WHERE title = 'Policies'"
                        ).fetchone()[0] == 7


# Found by attack 4: a position token is JSON, and JSON can escape a lone surrogate
# ("\ud800"), which no UTF-8 text holds: SQLite's binding raised UnicodeEncodeError (a 500)
# on every paged list. Each list below, by the query parameter of its position.
PAGED_LISTS = [
    ("/alpha/", "news"), ("/alpha/library", "folders"),
    ("/alpha/library/folders/{folder}", "folders"),
    ("/alpha/library/folders/{folder}", "documents"),
    ("/alpha/library/folders/{folder}", "pages"),
    ("/alpha/library/search?q=paper", "after"),
    ("/alpha/library/document/{document}/comments", "after"),
    ("/alpha/meetings/{meeting}/minutes/comments", "after"),
    ("/alpha/admin/audit", "after"),
    ("/alpha/actions", "after"), ("/alpha/discussions", "after"),
]


def _token(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def test_every_paged_list_is_in_the_list_above():
    # Each view reads a list's position through gvo.web.paging.after: one call per page of
    # lists (the folder's three lists share one call).
    calls = sum(p.read_text().count("paging.after(")
                for p in Path("gvo/blueprints").rglob("*.py"))
    assert calls == len(PAGED_LISTS) - 2


@pytest.mark.parametrize("url, param", PAGED_LISTS)
def test_a_position_with_a_lone_surrogate_is_a_clear_400_on_every_list(
        signed_in, instance, url, param):
    client, person = signed_in("manager")
    conn, who = instance.db("alpha"), Identity(person.id, person.role, email=person.email)
    folder = folders.create_folder(conn, who, parent_id=None, title="Papers")
    document = documents.add_files(conn, who, folder, [Part("paper.txt", b"a paper")],
                                   limit=10_000_000)[0]
    board = bodies.save_body(conn, Identity.operator(), body_id=None, kind="board",
                             name="Full Governing Board")
    start = meetings.local_now().replace(hour=18, minute=0)
    meeting = meetings.create(conn, Identity.operator(), meetings.MeetingInput(
        body_id=board, title="Board", starts_at=start, ends_at=start + timedelta(hours=1),
        location="Library"))
    address = url.format(folder=folder, document=document, meeting=meeting)
    assert client.get(address).status_code == 200
    joiner = "&" if "?" in address else "?"
    for value in ('"\\ud800"', '"a\\udfff"'):
        for arity in (1, 2, 3):   # one of them the list's own
            raw = "[" + ",".join([value] * arity) + "]"
            for htmx in ({}, {"HX-Request": "true"}):
                resp = client.get(f"{address}{joiner}{param}={_token(raw)}", headers=htmx)
                assert resp.status_code == 400, (address, param, raw)
                assert "That link to the rest of the list is not valid" in \
                    resp.get_data(as_text=True)


def test_names_and_titles_in_any_script_sort_by_one_key():
    """gvo.core.text.sort_key is the one sort rule for names and titles (people in the skills
    and training reports, courses, discussion topics): letters beyond ASCII sort with their
    Latin forms, case never splits equal names, and names that fold alike keep one order."""
    from gvo.core.text import sort_key

    names = ["Zoe Zander", "Łucja Łukasiewicz", "lucja lukasiewicz", "Ávila Ana", "王伟",
             "Ψηφοφορία", "Bethan Ŵyn"]
    assert sorted(names, key=sort_key) == ["Ávila Ana", "Bethan Ŵyn", "lucja lukasiewicz",
                                          "Łucja Łukasiewicz", "Ψηφοφορία", "王伟", "Zoe Zander"]
    assert sort_key("ĆWICZENIA") == sort_key("ćwiczenia")


def test_every_paged_list_loads_its_next_page_with_htmx(signed_in, instance):
    # Found by attack 14: the actions list imported its `more` macro outside the block htmx
    # redraws, so "More actions" was a 500. Each list in PAGED_LISTS gets more than one page
    # of real rows; its "more" link, followed as htmx does, gives the next rows and no error.
    import re

    from gvo.actions import tasks
    from gvo.discussion import comments, subjects, topics
    from gvo.library import pages
    from gvo.meetings import minutes

    client, person = signed_in("manager")
    conn, who = instance.db("alpha"), Identity(person.id, person.role, email=person.email)
    op = Identity.operator()
    many = 51
    for n in range(many):
        folders.create_folder(conn, who, parent_id=None, title=f"Top {n:02}")
    folder = folders.create_folder(conn, who, parent_id=None, title="Papers")
    for n in range(many):
        folders.create_folder(conn, who, parent_id=folder, title=f"Sub {n:02}")
        pages.create_page(conn, who, folder, title=f"Page {n:02}", body="x")
        topics.create(conn, who, folder, title=f"Topic {n:02}", body="x")
        tasks.create(conn, who, tasks.TaskInput(title=f"Action {n:02}", folder_id=folder,
                                                assignee_ids=[person.id]))
    docs = [d for start in range(0, many, 17) for d in documents.add_files(
        conn, who, folder, [Part(f"paper {n:02}.txt", b"a paper")
                            for n in range(start, min(start + 17, many))], limit=10_000_000)]
    subject = subjects.load(conn, who, "document", docs[0])
    for n in range(many):
        comments.add(conn, who, subject, f"Comment {n:02}")
    board = bodies.save_body(conn, op, body_id=None, kind="board", name="Full Governing Board")
    start = meetings.local_now().replace(hour=18, minute=0) - timedelta(days=2)
    meeting = meetings.create(conn, op, meetings.MeetingInput(
        body_id=board, title="Board", starts_at=start, ends_at=start + timedelta(hours=1),
        location="Library"))
    minutes.circulate(conn, op, meeting)
    for n in range(many):
        minutes.add_comment(conn, who, meeting, f"Minute comment {n:02}")
    for url, param in PAGED_LISTS:
        address = url.format(folder=folder, document=docs[0], meeting=meeting)
        page = client.get(address).get_data(as_text=True)
        found = re.search(rf'hx-get="([^"]*[?&amp;]{param}=[^"]+)"', page)
        assert found, (address, param)
        more = found.group(1).replace("&amp;", "&")
        resp = client.get(more, headers={"HX-Request": "true"})
        assert resp.status_code == 200, (address, param, resp.status_code)
        assert "<html" not in resp.get_data(as_text=True), (address, param)
