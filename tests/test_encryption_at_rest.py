"""Confidentiality at rest (issue 2, acceptance 2): nothing readable without the key."""

import sqlite3
import uuid

import pytest
from conftest import sign_in


def _all_files(root):
    return [p for p in root.rglob("*") if p.is_file()]


def test_marker_written_through_the_app_is_in_no_file(instance, client, make_user):
    marker = f"MARKER-{uuid.uuid4().hex}"
    person = make_user(role="manager")
    sign_in(client, person)
    # Through the app: a profile phone number, a group name and description.
    resp = client.post("/alpha/profile", {"name": f"Name {marker}", "phone": marker},
                       form_page="/alpha/profile")
    assert resp.status_code == 302
    resp = client.post("/alpha/admin/groups/new", {"name": marker, "description": marker},
                       form_page="/alpha/admin/groups/new")
    assert resp.status_code == 302
    assert marker in client.get("/alpha/admin/groups").get_data(as_text=True)
    files = _all_files(instance.path)
    names = {p.name for p in files}
    assert {"school.db", "control.db"} <= names
    assert any(n.endswith("-wal") for n in names), "the WAL must be checked too"
    needles = [marker.encode(), marker.encode("utf-16-le"), marker.lower().encode()]
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, f"plaintext marker found in {path}"


def test_plain_sqlite_cannot_read_any_database(instance, school):
    instance.db(school).execute("SELECT 1")  # WAL and SHM files exist too
    dbs = [p for p in _all_files(instance.path) if p.name.endswith(".db")]
    assert len(dbs) == 2
    for path in dbs:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute("SELECT * FROM sqlite_master").fetchall()
        conn.close()


def test_database_files_do_not_start_with_the_sqlite_header(instance, school):
    for path in instance.path.rglob("*.db"):
        assert not path.read_bytes().startswith(b"SQLite format 3")


def test_school_key_is_stored_only_wrapped(instance, school):
    key = instance.school_key(school)
    for path in _all_files(instance.path):
        data = path.read_bytes()
        assert key not in data and key.hex().encode() not in data


def test_connections_have_gvo_settings(instance, school):
    conn = instance.db(school)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert conn.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    assert conn.execute("PRAGMA cipher_integrity_check").fetchall() == []


def test_connection_is_reused_per_thread_and_separate_across_threads(instance, school):
    import threading

    here = instance.db(school)
    assert instance.db(school) is here
    seen = []
    t = threading.Thread(target=lambda: seen.append(instance.db(school)))
    t.start()
    t.join()
    assert seen[0] is not here


def test_migrations_are_applied_on_open(instance, school):
    from gvo.storage.sqlcipher import migrations

    latest = max(n for n, _, _ in migrations("school"))
    assert instance.db(school).execute("PRAGMA user_version").fetchone()[0] == latest
