"""Acceptance 1: what each role, and someone outside a room, may do in the library."""

import dataclasses
from dataclasses import dataclass

import pytest
from conftest import WebClient, add_person, copy_instance, make_app, make_pdf, sign_in

from gvo.core.identity import Identity
from gvo.discussion import approvals, comments, subjects
from gvo.library import access, documents, folders
from gvo.people import groups
from gvo.security.sessions import cookie_name
from gvo.storage.instance import Instance

from .conftest import Library, Part, post_from

LIMIT = 50 * 1024 * 1024
SESSION_COOKIE = cookie_name("alpha", True)
# Who is in the world, and their role (e-mail addresses as make_user numbers them).
CAST = [("manager", "manager"), ("editor", "editor"), ("author", "author"),
        ("reader", "reader"), ("outsider", "author"), ("room_reader", "reader")]


@dataclass
class World:
    """A school with a public folder and a private room, and one client per person."""

    clients: dict
    people: dict
    public: int
    public_doc: int
    room: int
    room_sub: int
    room_doc: int


def build_world(path) -> tuple[World, dict[str, str]]:
    """The world made in a new instance at `path` (closed afterwards), each person signed in
    through the pages: the world (without clients), and each person's session cookie."""
    inst = Instance.init(path, environ={})
    try:
        inst.create_school("alpha", "Alpha Primary")
        app = make_app(inst)
        persons, cookies = {}, {}
        for n, (who, role) in enumerate(CAST, start=1):
            persons[who] = add_person(inst, "alpha", role, f"{role}{n}@example.org")
            client = WebClient(app.test_client())
            assert sign_in(client, persons[who]).status_code == 302
            cookies[who] = client.cookie(SESSION_COOKIE).value
        lib = Library(inst)
        conn = lib.conn
        panel = groups.save_group(conn, Identity.operator(), group_id=None, name="Pay panel",
                                  description="", members=[persons["editor"].id])
        m = lib.viewer(persons["manager"])
        public = folders.create_folder(conn, m, parent_id=None, title="Board papers")
        public_doc = documents.add_files(conn, m, public, [Part("minutes.pdf",
                                         make_pdf("Minutes zebraword"))], limit=LIMIT)[0]
        # The Manager sets up a room that leaves themselves out.
        room = folders.create_folder(conn, m, parent_id=None, title="Pay panel room",
                                     restricted=True,
                                     users=[persons["author"].id, persons["room_reader"].id],
                                     groups=[panel])
        assert not access.can_see_folder(conn, m, room)
        a = lib.viewer(persons["author"])
        room_sub = folders.create_folder(conn, a, parent_id=room, title="Salaries")
        room_doc = documents.add_files(conn, a, room_sub, [Part("pay.pdf",
                                       make_pdf("Salary quokkaword"))], limit=LIMIT)[0]
        for doc in (public_doc, room_doc):
            viewer = m if doc == public_doc else a
            subject = subjects.load(conn, viewer, "document", doc)
            approvals.request_approval(conn, viewer, subject, "read_approved")
            comments.add(conn, viewer, subject, f"First comment on {doc}")
    finally:
        inst.close()
    return World({}, persons, public, public_doc, room, room_sub, room_doc), cookies


@pytest.fixture(scope="module")
def built_world(tmp_path_factory):
    """(instance directory, world, session cookies): the world, made once for this module."""
    path = tmp_path_factory.mktemp("access-rules") / "instance"
    world, cookies = build_world(path)
    return path, world, cookies


@pytest.fixture
def instance(built_world, tmp_path):
    """This test's own copy of the world's instance (what a test changes stays in it)."""
    inst = copy_instance(built_world[0], tmp_path / "instance")
    yield inst
    inst.close()


@pytest.fixture
def school(instance):
    """School alpha, already in the world's instance."""
    return "alpha"


@pytest.fixture
def world(built_world, new_client):
    """The world, with a client per person holding that person's session."""
    _path, made, cookies = built_world
    clients = {}
    for who, cookie in cookies.items():
        clients[who] = new_client()
        clients[who].c.set_cookie(SESSION_COOKIE, cookie, domain="localhost")
    return dataclasses.replace(made, clients=clients)


ROLES = ["manager", "editor", "author", "reader", "outsider", "room_reader"]
IN_ROOM = {"editor", "author", "room_reader"}
WRITERS = {"manager", "editor", "author", "outsider"}


def test_listing_shows_a_room_only_to_its_members(world):
    for who in ROLES:
        page = world.clients[who].get("/alpha/library").get_data(as_text=True)
        assert "Board papers" in page
        assert ("Pay panel room" in page) == (who in IN_ROOM)


def test_opening_and_downloading(world):
    for who in ROLES:
        c = world.clients[who]
        assert c.get(f"/alpha/library/folders/{world.public}").status_code == 200
        assert c.get(f"/alpha/library/documents/{world.public_doc}").status_code == 200
        assert c.get(f"/alpha/library/documents/{world.public_doc}/download").status_code == 200
        expected = 200 if who in IN_ROOM else 404  # 404, not 403: a room hides its existence
        for url in (f"/alpha/library/folders/{world.room}",
                    f"/alpha/library/folders/{world.room_sub}",
                    f"/alpha/library/documents/{world.room_doc}",
                    f"/alpha/library/documents/{world.room_doc}/download",
                    f"/alpha/library/documents/{world.room_doc}/download?version=1"):
            resp = c.get(url)
            assert resp.status_code == expected, url
            if expected == 404:
                assert "quokkaword" not in resp.get_data(as_text=True)
                assert "Salaries" not in resp.get_data(as_text=True)


def test_search_finds_only_what_may_be_opened(world):
    for who in ROLES:
        c = world.clients[who]
        body = c.get("/alpha/library/search?q=zebraword").get_data(as_text=True)
        assert "minutes" in body
        body = c.get("/alpha/library/search?q=quokkaword").get_data(as_text=True)
        assert ("pay" in body and "0 results" not in body) == (who in IN_ROOM)
        for q in ("Salaries", "Pay panel room"):
            body = c.get("/alpha/library/search", query_string={"q": q}).get_data(as_text=True)
            assert ("0 results" not in body) == (who in IN_ROOM), q


def test_search_service_never_returns_room_items_to_outsiders(world, lib):
    for who in ROLES:
        from gvo.library import search

        viewer = lib.viewer(world.people[who])
        kinds = {(r.kind, r.item_id) for q in ("quokkaword", "Salaries", "comment", "pay")
                 for r in search.search(lib.conn, viewer, q)}
        room_items = {("document", world.room_doc), ("folder", world.room), ("folder",
                      world.room_sub)}
        if who in IN_ROOM:
            assert room_items <= kinds
        else:
            assert not room_items & kinds
            room_comment = [k for k in kinds if k[0] == "comment"]
            assert all(lib.conn.execute("SELECT subject_id FROM comments WHERE id = ?",
                                        (k[1],)).fetchone()[0] != world.room_doc
                       for k in room_comment)
        assert search.count(lib.conn, viewer, "quokkaword") == (1 if who in IN_ROOM else 0)


def test_commenting(world):
    for who in ROLES:
        c = world.clients[who]
        doc_page = f"/alpha/library/documents/{world.public_doc}"
        resp = post_from(c, doc_page, f"/alpha/library/document/{world.public_doc}/comments",
                         {"body": f"comment from {who}"})
        assert resp.status_code == (303 if who in WRITERS else 403), who
        page = c.get(f"/alpha/library/documents/{world.public_doc}").get_data(as_text=True)
        assert (f"comment from {who}" in page) == (who in WRITERS)
        assert ('name="body"' in page) == (who in WRITERS)  # Readers see no comment form
        resp = post_from(c, doc_page, f"/alpha/library/document/{world.room_doc}/comments",
                             {"body": "x"})
        if who in {"reader", "room_reader"}:
            assert resp.status_code == 403  # the role says no before anything is looked up
        else:
            assert resp.status_code == (303 if who in IN_ROOM else 404)


def test_approving(world, lib):
    for who in ROLES:
        c = world.clients[who]
        doc_page = f"/alpha/library/documents/{world.public_doc}"
        resp = post_from(c, doc_page,
                         f"/alpha/library/document/{world.public_doc}/approval/approve")
        assert resp.status_code == (303 if who in WRITERS else 403)
        subject = subjects.load(lib.conn, lib.viewer(world.people["manager"]), "document",
                                world.public_doc)
        done, pending = approvals.status(lib.conn, subject)
        assert (world.people[who].id in {d["user_id"] for d in done}) == (who in WRITERS)
        assert world.people["reader"].id not in {p["id"] for p in pending}
        resp = post_from(c, doc_page,
                             f"/alpha/library/document/{world.room_doc}/approval/approve")
        if who in {"reader", "room_reader"}:
            assert resp.status_code == 403
        else:
            assert resp.status_code == (303 if who in IN_ROOM else 404)


def test_room_approval_list_is_its_members_only(world, lib):
    a = lib.viewer(world.people["author"])
    subject = subjects.load(lib.conn, a, "document", world.room_doc)
    _done, pending = approvals.status(lib.conn, subject)
    ids = {p["id"] for p in pending}
    assert ids == {world.people["author"].id, world.people["editor"].id}


def test_uploading(world):
    for who in ROLES:
        from .conftest import upload

        c = world.clients[who]
        resp = upload(c, world.public, [(f"{who}.txt", b"hello")])
        assert resp.status_code == (303 if who in WRITERS else 403)
        c.get(f"/alpha/library/folders/{world.public}")  # a page with a CSRF token
        resp = upload(c, world.room, [(f"{who}.txt", b"hello")], page=False)
        if who in {"reader", "room_reader"}:
            assert resp.status_code == 403
        else:
            assert resp.status_code == (303 if who in IN_ROOM else 404)


def test_only_managers_make_top_level_folders(world):
    for who in ("manager", "editor", "author", "reader"):
        allowed = who == "manager"
        c = world.clients[who]
        assert c.get("/alpha/library/folders/new").status_code == (200 if allowed else 403)
    resp = post_from(world.clients["manager"], "/alpha/library/folders/new",
                     "/alpha/library/folders/new", {"title": "Policies", "sort_order": "1"})
    assert resp.status_code == 303
    resp = post_from(world.clients["editor"], "/alpha/library", "/alpha/library/folders/new",
                     {"title": "Mine"})
    assert resp.status_code == 403


def test_sub_folders_where_one_may_write(world):
    for who in ("manager", "editor", "author", "reader", "outsider"):
        resp = post_from(world.clients[who], f"/alpha/library/folders/{world.public}",
                         f"/alpha/library/folders/new?parent={world.public}",
                         {"title": f"Sub of {who}"})
        assert resp.status_code == (403 if who == "reader" else 303), who
    resp = post_from(world.clients["outsider"], "/alpha/library",
                     f"/alpha/library/folders/new?parent={world.room}", {"title": "x"})
    assert resp.status_code == 404


def test_editing_someone_elses_document(world):
    for who in ("manager", "editor", "author", "outsider", "reader"):
        resp = world.clients[who].get(f"/alpha/library/documents/{world.public_doc}/edit")
        assert resp.status_code == (200 if who in ("manager", "editor") else 403), who


def test_author_edits_and_deletes_own_document(world):
    c = world.clients["author"]
    resp = post_from(c, f"/alpha/library/documents/{world.room_doc}/edit",
                     f"/alpha/library/documents/{world.room_doc}/edit",
                     {"title": "Pay 2026", "description": ""})
    assert resp.status_code == 303
    resp = post_from(c, f"/alpha/library/documents/{world.room_doc}",
                     f"/alpha/library/documents/{world.room_doc}/delete", {"confirmed": "1"})
    assert resp.status_code == 303
    assert c.get(f"/alpha/library/documents/{world.room_doc}").status_code == 404


def test_wastebin_keeps_rooms_hidden_and_restores_in_place(world, lib):
    a = lib.viewer(world.people["author"])
    documents.delete_document(lib.conn, a, world.room_doc)
    m = world.clients["manager"]
    page = m.get("/alpha/library/wastebin").get_data(as_text=True)
    assert "pay" not in page.lower().replace("pay panel", "")  # the room's item is not listed
    post_from(m, f"/alpha/library/documents/{world.public_doc}",
              f"/alpha/library/documents/{world.public_doc}/delete", {"confirmed": "1"})
    page = m.get("/alpha/library/wastebin").get_data(as_text=True)
    assert "minutes" in page
    bin_page = "/alpha/library/wastebin"
    assert post_from(m, bin_page, f"{bin_page}/document/{world.room_doc}/restore"
                     ).status_code == 404
    assert post_from(m, bin_page, f"{bin_page}/document/{world.public_doc}/restore"
                     ).status_code == 303
    assert m.get(f"/alpha/library/documents/{world.public_doc}").status_code == 200
    for who in ("editor", "author", "reader"):
        assert world.clients[who].get("/alpha/library/wastebin").status_code == 403


def test_whats_new_shows_only_visible_items(world):
    assert "pay" in world.clients["author"].get("/alpha/").get_data(as_text=True)
    home = world.clients["outsider"].get("/alpha/").get_data(as_text=True)
    assert "minutes" in home
    assert ">pay<" not in home and "Salaries" not in home


def test_counts_respect_restrictions(world, lib):
    out = lib.viewer(world.people["outsider"])
    assert world.room not in access.visible_folder_ids(lib.conn, out)
    assert [f["title"] for f in folders.children(lib.conn, out, None)] == ["Board papers"]


def test_viewer_helpers(world):
    v = Identity(world.people["reader"].id, "reader")
    assert not v.at_least("author")
