"""`gvo school export`: one AES-256 ZIP that opens with the passphrase and holds the school
(a marker document byte for byte, a non-Latin-named one, minutes, packs, CSVs, README);
without the passphrase nothing of it is readable, not even its file names."""

import csv
import io
import os
import secrets
import struct
import zipfile

import pytest
import pyzipper
from conftest import gvo_command, make_pdf
from uploads import Part

from gvo.core.identity import Identity
from gvo.library import documents, folders
from gvo.lifecycle import export as exporting
from gvo.lifecycle import operator_log
from gvo.people import demo
from gvo.storage.instance import Instance
from gvo.storage.sqlcipher import transaction

PASSPHRASE = "correct horse battery staple"
MARKER = make_pdf("marker " + secrets.token_hex(16))  # found only if copied byte for byte
CYRILLIC = "Протокол засідання №3.txt"
FOLDER = "Für die Gäste: 2026?"  # characters Windows refuses in a folder name


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    """The demo school, with a marker document (two versions) and a non-Latin-named one in
    a folder whose name Windows would refuse, and a table a later module might add."""
    path = tmp_path_factory.mktemp("export") / "inst"
    inst = Instance.init(path, environ={})
    demo.create(inst)
    conn = inst.db(demo.SLUG)
    op = Identity.operator()
    folder = folders.create_folder(conn, op, parent_id=None, title=FOLDER)
    [doc] = documents.add_files(conn, op, folder, [Part("marker.pdf", make_pdf("first"))],
                                limit=10**8)
    documents.add_version(conn, op, doc, [Part("marker.pdf", MARKER)], limit=10**8)
    documents.add_files(conn, op, folder, [Part(CYRILLIC, "Привіт".encode())], limit=10**8)
    with transaction(conn):  # what a module built later (discussions, say) might add
        conn.execute("CREATE TABLE later_module_notes (id INTEGER PRIMARY KEY, note TEXT,"
                     " reset_token TEXT)")
        conn.execute("INSERT INTO later_module_notes(note, reset_token) VALUES"
                     " ('=HYPERLINK(\"http://x\")', 'secret-token-value')")
    inst.close()
    return path


@pytest.fixture(scope="module")
def archive(school, tmp_path_factory):
    folder = tmp_path_factory.mktemp("out")
    (folder / "pass").write_text(PASSPHRASE + "\n")
    dest = folder / "riverside.zip"
    result = gvo_command("--instance", str(school), "school", "export", demo.SLUG, "--to",
                         str(dest), "--passphrase-file", str(folder / "pass"))
    assert result.exit_code == 0, result.output
    assert "Exported riverside" in result.stdout
    return dest


def inner_of(path, passphrase=PASSPHRASE):
    with pyzipper.AESZipFile(path) as outer:
        outer.setpassword(passphrase.encode())
        data = outer.read(exporting.INNER_NAME)
    return zipfile.ZipFile(io.BytesIO(data))


def read_csv(zf, name):
    return list(csv.reader(io.StringIO(zf.read(name).decode("utf-8-sig"))))


def test_the_archive_opens_with_the_passphrase_and_holds_the_documents(archive):
    zf = inner_of(archive)
    names = zf.namelist()
    where = "library/Für die Gäste_ 2026_"
    assert zf.read(f"{where}/marker.pdf") == MARKER
    assert zf.read(f"{where}/earlier versions/marker (version 1).pdf").startswith(b"%PDF-")
    assert zf.read(f"{where}/{CYRILLIC}").decode() == "Привіт"
    assert zf.getinfo(f"{where}/{CYRILLIC}").flag_bits & 0x800  # names stored as UTF-8
    assert "README.txt" in names and b"What is where" in zf.read("README.txt")
    for name in ("people.csv", "groups.csv", "meetings.csv", "attendance.csv",
                 "governor records.csv", "audit log.csv", "interests.csv", "policies.csv",
                 "tables/interests.csv",
                 "tables/policies.csv", "tables/governor_records.csv"):
        assert name in names, name
    assert any(n.startswith("library/") and n.endswith(".md") for n in names)
    assert any(n.startswith("library/") and n.endswith(".html") for n in names)
    assert any(n.endswith("/board pack.pdf") and zf.read(n).startswith(b"%PDF-")
               for n in names if n.startswith("meetings/"))
    people = read_csv(zf, "people.csv")
    assert people[0][:4] == ["name", "email", "phone", "role"]
    assert any(row[1] == "clerk@riverside.example" for row in people[1:])
    assert len(read_csv(zf, "audit log.csv")) > 10
    assert len(read_csv(zf, "interests.csv")) > 1 and len(read_csv(zf, "policies.csv")) > 1


def test_approved_minutes_are_the_stored_pdf(school, archive):
    inst = Instance.open(school, environ={})
    try:
        conn = inst.db(demo.SLUG)
        stored = conn.execute("SELECT m.starts_at, m.title, r.minutes_pdf FROM meetings m"
                              " JOIN meeting_records r ON r.meeting_id = m.id"
                              " WHERE r.minutes_pdf IS NOT NULL").fetchall()
    finally:
        inst.close()
    assert stored, "the demo school has approved minutes"
    zf = inner_of(archive)
    for row in stored:
        folder = exporting.text.portable_name(f"{row['starts_at'][:10]} {row['title']}")
        assert zf.read(f"meetings/{folder}/minutes (approved).pdf") == bytes(row[2])


def test_every_table_less_secrets_and_cells_formula_safe(archive):
    zf = inner_of(archive)
    names = set(zf.namelist())
    later = read_csv(zf, "tables/later_module_notes.csv")
    assert later == [["id", "note"], ["1", "'=HYPERLINK(\"http://x\")"]]
    users = read_csv(zf, "tables/users.csv")
    assert "password_hash" not in users[0] and "totp_secret" not in users[0]
    for secret in ("sessions", "setup_tokens", "recovery_codes", "password_resets",
                   "calendar_feeds", "blob_chunks"):
        assert f"tables/{secret}.csv" not in names
    everything = b"".join(zf.read(n) for n in names if n.endswith(".csv"))
    assert b"secret-token-value" not in everything and b"$argon2" not in everything
    for name in names:
        if name.endswith(".csv"):
            for row in read_csv(zf, name)[1:]:
                assert not any(c[:1] in ("=", "+", "@") for c in row), (name, row)


def test_nothing_is_readable_without_the_passphrase(archive):
    raw = archive.read_bytes()
    # No file name of the school, no content, in the bytes on disk.
    for needle in (b"marker", CYRILLIC.encode(), b"README", b"people.csv", b"Riverside",
                   MARKER[:64], "Für".encode()):
        assert needle not in raw
    # The only entry an unencrypted look shows is export.zip, AES-256 (WinZip AE-2).
    with zipfile.ZipFile(archive) as plain:
        (info,) = plain.infolist()
        assert info.filename == exporting.INNER_NAME and info.flag_bits & 1
        assert info.compress_type == 99  # AES
        vendor = info.extra[info.extra.index(b"\x01\x99") + 4:]
        assert struct.unpack("<H2sBH", vendor[:7])[1:3] == (b"AE", 3)  # strength 3: 256 bits
        with pytest.raises(RuntimeError, match="password required"):
            plain.read(info)
    with pytest.raises(RuntimeError, match="Bad password"):
        inner_of(archive, "a wrong passphrase, long enough")


def test_recorded_in_the_operator_log(school, archive):
    inst = Instance.open(school, environ={})
    try:
        (entry,) = [e for e in operator_log.entries(inst.control())
                    if e["action"] == "school.export"]
    finally:
        inst.close()
    assert entry["detail"]["archive"] == str(archive.resolve())
    assert PASSPHRASE not in str(entry)


def test_refusals_write_nothing(school, tmp_path):
    short = tmp_path / "short"
    short.write_text("too short\n")
    dest = tmp_path / "x.zip"
    result = gvo_command("--instance", str(school), "school", "export", demo.SLUG, "--to",
                         str(dest), "--passphrase-file", str(short))
    assert result.exit_code == 1 and "at least 16 characters" in result.stderr
    dest.write_bytes(b"kept")
    (tmp_path / "pass").write_text(PASSPHRASE)
    again = gvo_command("--instance", str(school), "school", "export", demo.SLUG, "--to",
                        str(dest), "--passphrase-file", str(tmp_path / "pass"))
    assert again.exit_code == 1 and "refusing to overwrite" in again.stderr
    assert dest.read_bytes() == b"kept"
    assert sorted(os.listdir(tmp_path)) == ["pass", "short", "x.zip"]


def test_the_passphrase_can_be_typed(school, tmp_path):
    dest = tmp_path / "typed.zip"
    result = gvo_command("--instance", str(school), "school", "export", demo.SLUG, "--to",
                         str(dest), input_text=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert result.exit_code == 0, result.output
    assert PASSPHRASE not in result.output
    assert inner_of(dest).read("README.txt")
    assert sorted(os.listdir(tmp_path)) == ["typed.zip"]  # no plaintext left beside it


def test_documents_are_streamed_not_held_in_memory(tmp_path):
    """A school with a 24 MB document exports with Python's memory peak well under the
    document's size (tracemalloc counts every bytes object the export makes)."""
    import tracemalloc

    inst = Instance.init(tmp_path / "inst", environ={})
    try:
        inst.create_school("big", "Big School")
        conn = inst.db("big")
        op = Identity.operator()
        folder = folders.create_folder(conn, op, parent_id=None, title="Big")
        body = make_pdf("big") + secrets.token_bytes(24 * 1024 * 1024)
        documents.add_files(conn, op, folder, [Part("big.pdf", body, piece=1 << 20)],
                            limit=10**9)
        tracemalloc.start()
        try:
            exporting.export(inst, "big", tmp_path / "big.zip", PASSPHRASE)
            _size, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        inst.close()
    assert peak < 8 * 1024 * 1024, peak
    assert inner_of(tmp_path / "big.zip").read("library/Big/big.pdf") == body


def test_one_consistent_moment(tmp_path, monkeypatch):
    """A write committed while the export runs (after the library, before the people and
    the tables) is in none of the archive's files: it is read in one read transaction."""
    inst = Instance.init(tmp_path / "inst", environ={})
    try:
        inst.create_school("busy", "Busy School")
        real_people = exporting._people

        def people_after_a_write(conn, inner):
            other = inst.db("busy")
            with transaction(other):
                other.execute("INSERT INTO groups(name) VALUES ('Joined meanwhile')")
            real_people(conn, inner)

        monkeypatch.setattr(exporting, "_people", people_after_a_write)
        exporting.export(inst, "busy", tmp_path / "busy.zip", PASSPHRASE)
        assert inst.db("busy").execute("SELECT count(*) FROM groups").fetchone()[0] == 1
    finally:
        inst.close()
    zf = inner_of(tmp_path / "busy.zip")
    assert read_csv(zf, "groups.csv") == [["group", "description", "members"]]
    assert len(read_csv(zf, "tables/groups.csv")) == 1


@pytest.mark.parametrize(("name", "portable"), [
    ("CON.txt", "_CON.txt"), ("lpt1", "_lpt1"), ("a<b>c:d|e?.pdf", "a_b_c_d_e_.pdf"),
    ('Minutes "final" *v2*.docx', "Minutes _final_ _v2_.docx"), ("report. . ", "report"),
    ("Протокол засідання №3.txt", "Протокол засідання №3.txt"), ("会議録.pdf", "会議録.pdf"),
    ("x/../../etc/passwd", "passwd"), ("", "document"),
])
def test_names_every_system_takes(name, portable):
    assert exporting.text.portable_name(name) == portable


def test_long_names_in_any_script_fit_every_file_system():
    name = exporting.text.portable_name("会議録" * 100 + ".pdf")
    assert name.endswith(".pdf") and len(name.encode()) <= 200


def test_a_place_it_cannot_be_written_a_moved_school_and_the_instance_are_refused_clearly(
        school, tmp_path):
    """No traceback when the archive cannot be written (here /proc, which takes no new file;
    a full disk or a read-only folder answer the same way); no export of a school's stale
    copy once it moved to another server; no export into the instance itself."""
    (tmp_path / "pass").write_text(PASSPHRASE)
    cannot = gvo_command("--instance", str(school), "school", "export", demo.SLUG, "--to",
                         "/proc/export.zip", "--passphrase-file", str(tmp_path / "pass"))
    assert cannot.exit_code == 1 and "cannot write the export" in cannot.stderr
    assert "Traceback" not in cannot.output + cannot.stderr
    inside = gvo_command("--instance", str(school), "school", "export", demo.SLUG, "--to",
                         str(school / "export.zip"), "--passphrase-file", str(tmp_path / "pass"))
    assert inside.exit_code == 1 and "inside the instance" in inside.stderr
    assert not (school / "export.zip").exists()
    inst = Instance.open(school, environ={})
    try:
        inst.mark_moved(demo.SLUG, "https://two.example.org/riverside/")
    finally:
        inst.close()
    try:
        moved = gvo_command("--instance", str(school), "school", "export", demo.SLUG, "--to",
                            str(tmp_path / "stale.zip"), "--passphrase-file",
                            str(tmp_path / "pass"))
    finally:  # the module's school serves here again for the other tests
        inst = Instance.open(school, environ={})
        try:
            with transaction(inst.control()) as control:
                control.execute("DELETE FROM moved_schools WHERE slug = ?", (demo.SLUG,))
        finally:
            inst.close()
    assert moved.exit_code == 1 and "has moved to https://two.example.org" in moved.stderr
    assert not (tmp_path / "stale.zip").exists()
