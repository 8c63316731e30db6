"""Issue 9 (attack review): a file's name is stored, shown and sent as it looks. Composed
(NFC); no zero-width, bidirectional or other invisible characters (U+200B-U+200F, U+2060,
U+FEFF, U+202A-U+202E, U+2066-U+2069 ...); trimmed; a name of nothing but an extension
gets a stem ("   .txt" is "document.txt", not "txt.txt"); the uploader is told the names
as stored. Titles typed for documents and folders follow the same rule."""

import pytest
from conftest import make_pdf

from gvo.core.errors import InvalidInput
from gvo.library import documents, folders, search

from .conftest import upload

NAMES = [  # (as the browser sends it, its content, as stored)
    ("Agenda\u200b 2026\u2060.pdf", make_pdf("Agenda"), "Agenda 2026.pdf"),
    ("evil\u202efdp.exe", b"plain", "evilfdp.exe.txt"),
    ("   .txt", b"notes", "document.txt"),
    ("Proce\u0300s-verbal.txt", b"minutes", "Procès-verbal.txt"),
    ("\ufeffbudget\u2066 \u2069.txt", b"figures", "budget.txt"),
    ("report.pdf\u00a0\u00a0          .txt", b"text", "report.pdf.txt"),
    ("Bud\u200dget \u200ereview\u200f.txt", b"review", "Budget review.txt"),
]


def test_names_are_stored_and_shown_as_they_look(author_in_folder, lib):
    client, _person, folder = author_in_folder
    resp = upload(client, folder, [(name, body) for name, body, _ in NAMES], htmx=True)
    assert resp.status_code == 200
    stored = [row["filename"] for row in lib.conn.execute(
        "SELECT filename FROM document_versions ORDER BY id")]
    assert stored == [name for _, _, name in NAMES]
    message = resp.get_data(as_text=True)
    assert ("Uploaded 7 files: " + ", ".join(f"“{name}”" for _, _, name in NAMES) + ".") \
        in message
    titles = [row["title"] for row in lib.conn.execute("SELECT title FROM documents ORDER BY id")]
    assert titles[:3] == ["Agenda 2026", "evilfdp.exe", "document"]
    doc = lib.conn.execute("SELECT document_id FROM document_versions WHERE filename = ?",
                           ("document.txt",)).fetchone()[0]
    cd = client.download(f"/alpha/library/documents/{doc}/download").headers["Content-Disposition"]
    assert cd == "attachment; filename=\"document.txt\"; filename*=UTF-8''document.txt"


def test_a_new_versions_name_is_stored_and_shown_as_it_looks(author_in_folder, lib):
    client, _person, folder = author_in_folder
    upload(client, folder, [("policy.txt", b"version one")])
    doc = lib.conn.execute("SELECT id FROM documents").fetchone()[0]
    page = f"/alpha/library/documents/{doc}"
    resp = upload(client, None, [(" \u200b .txt", b"version two")], page=False,
                  url=f"{page}/versions", field="file")
    assert resp.status_code == 303
    html = client.get(page).get_data(as_text=True)
    assert "Version 2 uploaded: “document.txt”." in html
    assert lib.conn.execute("SELECT filename FROM document_versions WHERE number = 2"
                            ).fetchone()[0] == "document.txt"


def test_titles_typed_for_documents_and_folders_lose_invisible_characters(author_in_folder,
                                                                          lib, make_user):
    client, person, folder = author_in_folder
    upload(client, folder, [("plan.txt", b"plan")])
    doc = lib.conn.execute("SELECT id FROM documents").fetchone()[0]
    who = lib.viewer(person)
    documents.update_document(lib.conn, who, doc, title="  Budget\u202e\u200b  pla\u0301n ",
                              description="")
    assert documents.get_document(lib.conn, who, doc)["title"] == "Budget plán"
    manager = lib.viewer(make_user("alpha", "manager"))
    room = folders.create_folder(lib.conn, manager, parent_id=None, title="Pay\u2066\u2069 panel")
    assert folders.get_folder(lib.conn, manager, room)["title"] == "Pay panel"
    with pytest.raises(InvalidInput, match="A title of 1-200 characters"):
        documents.update_document(lib.conn, who, doc, title="\u200b\u202e \ufeff",
                                  description="")


def test_names_stored_before_are_cleaned_by_the_upgrade(upgraded_school):
    # A school as the previous release left it: names kept their zero-width characters.
    now = "2026-01-01T00:00:00Z"
    conn = upgraded_school(9, f"""
        INSERT INTO folders(id, title, created_at, updated_at)
            VALUES (1, 'Papers', '{now}', '{now}');
        INSERT INTO blobs(id, size, sha256, chunk_size, created_at) VALUES (1, 1, '', 1, '{now}');
        INSERT INTO documents(id, folder_id, title, description, created_at, updated_at)
            VALUES (1, 1, 'Plan', 'Wizyta', '{now}', '{now}');
        INSERT INTO document_versions(document_id, number, blob_id, filename, mime, size,
            uploaded_at) VALUES
            (1, 1, 1, 'old' || char(8203) || '.pdf', 'application/pdf', 1, '{now}'),
            (1, 2, 1, 'Bud' || char(8203) || 'get ' || char(8288) || '2026.pdf',
             'application/pdf', 1, '{now}');
        INSERT INTO search_items(id, kind, item_id, folder_id) VALUES (1, 'document', 1, 1);
        INSERT INTO search_fts(rowid, title, about, body, folded) VALUES
            (1, 'Plan', 'Bud' || char(8203) || 'get ' || char(8288) || '2026.pdf'
                || char(10) || 'Wizyta', 'Text of the plan', '');
    """)
    names = [r[0] for r in conn.execute("SELECT filename FROM document_versions ORDER BY number")]
    assert names == ["old.pdf", "Budget 2026.pdf"]
    about = conn.execute("SELECT about FROM search_fts WHERE rowid = 1").fetchone()[0]
    assert about == "Budget 2026.pdf\nWizyta"
    from gvo.core.identity import Identity

    manager = Identity(0, "manager", email="m@example.org")
    assert {r.title for r in search.search(conn, manager, "budget")} == {"Plan"}
