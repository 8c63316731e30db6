"""Search folds letters SQLite's accent removal leaves alone (issue 9): "Lodz" finds "Łódź",
the same fold at index and query time, for new rows and for rows indexed before the change."""

import pytest
from conftest import add_person, copy_instance, make_pdf

from gvo.library import documents, folders, pages, search
from gvo.storage import sqlcipher
from gvo.storage.instance import Instance

from .conftest import Library, Part


@pytest.fixture(scope="module")
def built_office(tmp_path_factory):
    """(instance directory, its Manager): a folder, a page and a PDF with names to fold, made
    once for the module in an instance that is then closed."""
    path = tmp_path_factory.mktemp("search-folding") / "instance"
    inst = Instance.init(path, environ={})
    try:
        inst.create_school("alpha", "Alpha Primary")
        lib = Library(inst)
        manager = lib.viewer(add_person(inst, "alpha", "manager", "manager1@example.org",
                                        mfa=False))
        folder = folders.create_folder(lib.conn, manager, parent_id=None,
                                       title="Komisja Finansów Łódź", description="Budżet")
        pages.create_page(lib.conn, manager, folder, title="Siân's visit",
                          body="Notes. " + "Filler words here. " * 200
                               + "Søren met the Straße committee.")
        documents.add_files(lib.conn, manager, folder, [Part("Đorđe report.pdf",
                                                             make_pdf("Encyclopaedia Aeneid"))],
                            limit=10 * 1024 * 1024)
    finally:
        inst.close()
    return path, manager


@pytest.fixture
def lib(built_office, tmp_path):
    """Service-level access to this test's own copy of the office."""
    inst = copy_instance(built_office[0], tmp_path / "office")
    yield Library(inst)
    inst.close()


@pytest.fixture
def office(built_office, lib):
    """The office's Manager (as a library viewer), in this test's copy."""
    return built_office[1]


def _titles(lib, viewer, query):
    return {r.title for r in search.search(lib.conn, viewer, query)}


@pytest.mark.parametrize("query,title", [
    ("Lodz", "Komisja Finansów Łódź"), ("Łódź", "Komisja Finansów Łódź"),
    ("lódz", "Komisja Finansów Łódź"), ("finansow lodz", "Komisja Finansów Łódź"),
    ("Budzet", "Komisja Finansów Łódź"),
    ("Sian", "Siân's visit"), ("Siân", "Siân's visit"),
    ("Soren", "Siân's visit"), ("Søren", "Siân's visit"),
    ("strasse", "Siân's visit"), ("Straße", "Siân's visit"), ("STRASSE", "Siân's visit"),
    ("Dorde", "Đorđe report"), ("Đorđe", "Đorđe report"),
])
def test_folded_and_original_spellings_find_the_item(lib, office, query, title):
    assert title in _titles(lib, office, query)


def test_a_folded_match_is_shown_in_its_original_spelling(lib, office):
    [hit] = search.search(lib.conn, office, "soren strasse")
    assert hit.title == "Siân's visit"
    assert f"{search.MARK_START}Søren{search.MARK_END}" in hit.snippet
    assert f"{search.MARK_START}Straße{search.MARK_END}" in hit.snippet
    [hit] = search.search(lib.conn, office, "Søren")
    assert f"{search.MARK_START}Søren{search.MARK_END}" in hit.snippet


def test_a_query_of_any_script_is_a_valid_match_expression(lib, office):
    for query in ('Москва "quoted"', "北京 AND OR NOT", "ъ ь ʼ", "a*b^c", "NEAR(x)"):
        search.search(lib.conn, office, query)  # no FTS5 syntax error


def test_rows_indexed_before_the_fold_are_folded_by_the_upgrade(upgraded_school):
    # A school as the previous release left it: migrations 1-3, search rows of two columns.
    now = "2026-01-01T00:00:00Z"
    conn = upgraded_school(4, f"""
        INSERT INTO folders(id, title, created_at, updated_at)
            VALUES (1, 'Papers', '{now}', '{now}');
        INSERT INTO blobs(id, size, sha256, chunk_size, created_at) VALUES (1, 1, '', 1, '{now}');
        INSERT INTO documents(id, folder_id, title, description, created_at, updated_at)
            VALUES (1, 1, 'Plan', 'Wizyta w Łodzi', '{now}', '{now}');
        INSERT INTO document_versions(document_id, number, blob_id, filename, mime, size,
            uploaded_at) VALUES (1, 1, 1, 'plan' || char(8238) || 'fdp.exe', 'application/pdf',
            1, '{now}');
        INSERT INTO search_items(id, kind, item_id, folder_id) VALUES
            (1, 'folder', 1, 1), (2, 'document', 1, 1);
        INSERT INTO search_fts(rowid, title, body) VALUES (1, 'Papers', 'Søren''s folder'),
            (2, 'Plan', 'plan' || char(8238) || 'fdp.exe' || char(10) || 'Wizyta w Łodzi'
                || char(10) || 'Straße text of the plan');
    """)
    latest = sqlcipher.migrations("school")[-1][0]
    assert conn.execute("PRAGMA user_version").fetchone()[0] == latest
    from gvo.core.identity import Identity

    manager = Identity(0, "manager", email="m@example.org")
    assert _titles_of(conn, manager, "Soren") == {"Papers"}
    assert _titles_of(conn, manager, "lodzi") == {"Plan"}
    assert _titles_of(conn, manager, "strasse") == {"Plan"}
    row = conn.execute("SELECT filename, text_status FROM document_versions").fetchone()
    assert (row["filename"], row["text_status"]) == ("planfdp.exe", "indexed")
    about, body = conn.execute("SELECT about, body FROM search_fts WHERE rowid = 2").fetchone()
    assert about == "planfdp.exe\nWizyta w Łodzi" and body == "Straße text of the plan"


def _titles_of(conn, viewer, query):
    return {r.title for r in search.search(conn, viewer, query)}
