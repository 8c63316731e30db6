"""A school's export: everything it holds, readable, in one passphrase-encrypted archive.

For a school that leaves, or for its own records (`gvo school export`). The archive is an
AES-256 ZIP (WinZip AE-2, written by pyzipper) holding one entry, `export.zip`: a plain ZIP
with the files. Opening the outer one needs the passphrase; the inner one then opens in any
operating system's own file manager. The outer ZIP would show its entries' names without the
passphrase (ZIP encrypts contents, not names), so the names of the school's files are only
in the inner one (docs/decisions/0011-school-export-archive.md says why this format).

What is inside (README.txt in the archive says the same to its reader):

- library/: the library's folders, each document's latest version under its original file
  name, earlier versions in "earlier versions/"; pages as Markdown (.md) and HTML (.html).
  wastebin/: the same for what was deleted and not yet purged.
- meetings/: a folder per meeting: the approved minutes PDF (byte for byte as approved,
  from their snapshot) and the board pack PDF (everything, part 2 included).
- people.csv, groups.csv, meetings.csv, attendance.csv, governor records.csv, interests.csv,
  policies.csv, audit log.csv.
- tables/: every table of the school's database as CSV, whatever module made it (tables
  added later are exported without any change here), less what only signs people in or
  ties replicas together: sessions, tokens, recovery codes, password and TOTP secrets,
  wrapped keys, the search index and the raw file chunks (the files themselves are above).

Every CSV cell passes through `gvo.core.text.spreadsheet_cell` (no formulas). The school is
read in one read transaction (the archive is one consistent moment); documents are streamed
chunk by chunk (memory holds one chunk and the ZIP's buffers, never the school). Nothing
readable is written to disk: the archive is written encrypted into a 0600 file beside the
destination, renamed into place when complete, removed if anything fails.
"""

import contextlib
import csv
import io
import os
import re
import secrets
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from pathlib import Path

import pyzipper

from gvo.core import clock, text
from gvo.core.errors import GvoError, InvalidInput
from gvo.core.identity import Identity
from gvo.governance import transfer
from gvo.library import blobs, pages, pdf_copies
from gvo.lifecycle import operator_log
from gvo.meetings import meetings as meeting_service
from gvo.meetings import minutes, packs, records
from gvo.replication.targets import fsync_path
from gvo.storage import files
from gvo.storage.instance import Instance
from gvo.storage.sqlcipher import Connection, connect, migrate, transaction

MIN_PASSPHRASE = 16  # characters: AES ZIP's key derivation is PBKDF2-SHA1, 1000 rounds
INNER_NAME = "export.zip"
# Tables never exported: sign-in secrets and their hashes, one-time links, sessions, the
# search index (rebuilt from the rest) and file chunks (the files are exported whole).
SKIPPED_TABLES = frozenset({"sessions", "setup_tokens", "recovery_codes", "password_resets",
                            "calendar_feeds", "login_failures", "search_items", "blob_chunks"})
SKIPPED_PREFIXES = ("sqlite_", "search_fts")
# Columns never exported, in any table (a new module's too): secrets, hashes of secrets.
SECRET_COLUMN = re.compile(r"password|secret|totp|token|wrapped|^(id|code)_hash$")
# A pack is never allowed to start LibreOffice from the export (no such program: a paper
# without its PDF copy is listed in the pack as provided separately; it is in library/).
NO_CONVERTER = ""
README = """\
Export of {name} ({slug}) from GVO, the Governors' Virtual Office
Made {made} (UTC), as the school's data stood at that moment.

What is where
-------------
library/        The library: a folder for each folder. Each document under its original
                file name (its latest version); earlier versions in "earlier versions",
                named "NAME (version N)". Pages as Markdown (.md) and as web pages (.html).
wastebin/       The same for items deleted into the wastebin and not yet purged.
meetings/       A folder per meeting: "minutes (approved).pdf" exactly as approved, and
                "board pack.pdf" with every paper (confidential part 2 included).
                Minutes not yet approved are in tables/minute_items.csv.
people.csv      Everyone with an account: role, groups, boards and committees.
groups.csv      The groups and their members.
meetings.csv    Every meeting; attendance.csv who attended or sent apologies.
governor records.csv
                The board's governor records (the same file GVO exports).
interests.csv   The register of business interests, earlier entries included.
policies.csv    The policy register (each policy's text is in library/).
audit log.csv   Who did what and when (hash-chained: hash and prev_hash link the entries).
tables/         Every table of the school's database as CSV (interests, policies,
                governor checks, actions... and anything else GVO keeps), one file each.
                Left out: passwords, two-step sign-in secrets, sessions, one-time links
                and other secrets, the search index, and raw file chunks (the files are in
                library/). Binary values are shown as "[N bytes]".

CSV files are UTF-8 (with a byte order mark, so spreadsheets read accents right). A cell
that would start with = + - or @ starts with ' so no spreadsheet runs it as a formula.

Counts
------
{counts}
"""


@dataclass
class Exported:
    """What `export` wrote: the archive, its size in bytes, counts of what it holds."""

    path: Path
    size: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def check_passphrase(passphrase: str) -> bytes:
    """The passphrase as UTF-8 bytes; InvalidInput if shorter than MIN_PASSPHRASE characters
    (an AES ZIP's key is PBKDF2-HMAC-SHA1 with 1000 rounds of it: length is its strength)."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise InvalidInput(f"the passphrase must be at least {MIN_PASSPHRASE} characters "
                           "(several words are easiest to pass on)")
    return passphrase.encode()


class _Inner:
    """The inner ZIP being written: unique, portable paths; CSVs; streamed files."""

    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self._taken: set[str] = set()
        self.counts: dict[str, int] = {}

    def path(self, *parts: str) -> str:
        """A path not used yet in the archive (compared as Windows and macOS compare names,
        case-insensitively): 'NAME (2).EXT' after 'NAME.EXT'."""
        folder = "/".join(parts[:-1])
        stem, dot, ext = parts[-1].rpartition(".")
        if not dot:
            stem, ext = parts[-1], ""
        candidate, n = parts[-1], 1
        while f"{folder}/{candidate}".casefold() in self._taken:
            n += 1
            candidate = f"{stem} ({n}){dot}{ext}"
        full = f"{folder}/{candidate}" if folder else candidate
        self._taken.add(full.casefold())
        return full

    def count(self, what: str) -> None:
        """One more of `what` in the archive (for the README's counts)."""
        self.counts[what] = self.counts.get(what, 0) + 1

    def write(self, path: str, chunks: Iterable[bytes], when: str | None = None) -> None:
        """A file at `path` (already unique), written chunk by chunk, dated `when` (UTC ISO;
        default now)."""
        with self.zf.open(entry(path, when, zipfile.ZIP_DEFLATED), "w",
                          force_zip64=True) as out:
            for chunk in chunks:
                out.write(chunk)

    def csv(self, path: str, header: list[str], rows: Iterable[Iterable]) -> None:
        """A CSV file, UTF-8 with a byte order mark, every cell formula-safe, streamed."""
        with (self.zf.open(entry(self.path(path), None, zipfile.ZIP_DEFLATED), "w",
                           force_zip64=True) as raw,
              io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as out):
            writer = csv.writer(out, dialect="excel")
            writer.writerow([text.spreadsheet_cell(h) for h in header])
            for row in rows:
                writer.writerow([text.spreadsheet_cell(_cell(v)) for v in row])


def entry(path: str, when: str | None, compression: int,
          kind: type[zipfile.ZipInfo] = zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A ZIP entry (of class `kind`) dated `when` (UTC ISO, or now): ZIP stores a local time
    without a zone, so file managers show UTC; 1980 for anything before ZIP's epoch."""
    moment = datetime.fromisoformat(when) if when else clock.utcnow()
    info = kind(path, date_time=max(moment.timetuple()[:6], (1980, 1, 1, 0, 0, 0)))
    info.compress_type = compression
    info.external_attr = 0o600 << 16  # the owner's only, once extracted on Unix
    return info


def _cell(value):
    if isinstance(value, bytes | memoryview):
        return f"[{len(value)} bytes]"
    return "" if value is None else value


def export(inst: Instance, slug: str, dest: Path, passphrase: str) -> Exported:
    """Write school `slug` as an encrypted archive at `dest` (see the module's contents).

    Raises NotFound for an unknown school, InvalidInput for a school that moved to another
    server (the copy here is stale: export it there), a short passphrase, a `dest` that
    exists, whose folder does not, or inside the instance (nothing written then), GvoError
    when the archive cannot be written (a full disk, a read-only folder: the reason, no
    traceback). On any failure the partial archive is removed. The export is recorded in
    the operator log (no passphrase in it).
    """
    record = inst.school(slug)
    if record.moved_to:
        raise InvalidInput(f"school {slug} has moved to {record.moved_to}: the copy here is "
                           "out of date; export it on the server that serves it")
    pwd = check_passphrase(passphrase)
    dest = Path(dest)
    if dest.exists():
        raise InvalidInput(f"{dest} exists; refusing to overwrite it")
    if not dest.parent.is_dir():
        raise InvalidInput(f"no folder {dest.parent} to write the export into")
    if dest.parent.resolve().is_relative_to(inst.path.resolve()):
        raise InvalidInput(f"{dest} is inside the instance {inst.path}: write the export "
                           "elsewhere (it would be copied with the instance)")
    partial = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.partial")
    conn = connect(inst.school_path(slug), inst.school_key(slug))
    try:
        migrate(conn, "school")
        _complete_approved_minutes(inst, slug, conn, record.name)
        with files.open_private(partial, "wb") as out:
            counts = _write(conn, out, pwd, slug, record.name)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, dest)
        fsync_path(dest.parent)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        if isinstance(exc, OSError):
            raise GvoError(f"cannot write the export to {dest.parent}: {exc.strerror or exc}; "
                           "nothing was left there") from None
        raise
    finally:
        conn.close()
    done = Exported(dest, dest.stat().st_size, counts)
    with transaction(inst.control()) as control:
        operator_log.record(control, "school.export", slug, archive=str(dest.resolve()),
                            size=done.size, counts=counts)
    return done


def _complete_approved_minutes(inst: Instance, slug: str, conn: Connection,
                               school_name: str) -> None:
    """Approved minutes from before GVO kept their PDF get it now, as their page would make
    it (stored and audited, through the instance's own connection, so the CLI ships the
    change to the replica): the export then reads every approved PDF as stored."""
    for row in conn.execute("SELECT id FROM meetings WHERE minutes_status IN"
                            " ('approved', 'locked') ORDER BY id").fetchall():
        if records.approved_pdf(conn, row["id"]) is None:
            minutes.approved_pdf(inst.db(slug), row["id"], school_name)


def _write(conn: Connection, out, pwd: bytes, slug: str, name: str) -> dict[str, int]:
    """The archive into the open file `out`, read in one read transaction."""
    conn.execute("BEGIN")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts
        with pyzipper.AESZipFile(out, "w", compression=pyzipper.ZIP_STORED,
                                 encryption=pyzipper.WZ_AES) as outer:
            outer.setpassword(pwd)
            outer.setencryption(pyzipper.WZ_AES, nbits=256)
            with (outer.open(entry(INNER_NAME, None, pyzipper.ZIP_STORED, outer.zipinfo_cls), "w",
                             force_zip64=True) as inner_out,
                  zipfile.ZipFile(inner_out, "w", compression=zipfile.ZIP_DEFLATED) as zf):
                inner = _Inner(zf)
                _library(conn, inner)
                _meetings(conn, inner, slug, name)
                _people(conn, inner)
                _tables(conn, inner)
                counts = dict(sorted(inner.counts.items()))
                readme = README.format(
                    name=name, slug=slug, made=clock.iso(),
                    counts="\n".join(f"{k}: {v}" for k, v in counts.items()) or "nothing")
                inner.write(inner.path("README.txt"), [readme.replace("\n", "\r\n").encode()])
    finally:
        conn.execute("ROLLBACK")
    return counts


# -- the library ----------------------------------------------------------------------


def _folder_paths(conn: Connection) -> dict[int, tuple[str, bool]]:
    """Each folder's path in the archive (portable names) and whether it or a folder above
    it is in the wastebin."""
    rows = {r["id"]: r for r in conn.execute("SELECT id, parent_id, title, deleted_at"
                                              " FROM folders")}
    paths: dict[int, tuple[str, bool]] = {}

    def path_of(folder_id: int, seen: frozenset = frozenset()) -> tuple[str, bool]:
        if folder_id in paths:
            return paths[folder_id]
        row = rows[folder_id]
        here = text.portable_name(row["title"], "folder")
        deleted = row["deleted_at"] is not None
        parent = row["parent_id"]
        if parent is not None and parent in rows and parent not in seen:
            above, gone = path_of(parent, seen | {folder_id})
            here, deleted = f"{above}/{here}", deleted or gone
        paths[folder_id] = (here, deleted)
        return paths[folder_id]

    for folder_id in rows:
        path_of(folder_id)
    return paths


def _library(conn: Connection, inner: _Inner) -> None:
    folders = _folder_paths(conn)

    def place(folder_id: int, deleted_at) -> str:
        path, gone = folders.get(folder_id, ("unfiled", False))
        return f"{'wastebin' if gone or deleted_at else 'library'}/{path}"

    for doc in conn.execute("SELECT id, folder_id, deleted_at FROM documents ORDER BY id"
                            ).fetchall():
        where = place(doc["folder_id"], doc["deleted_at"])
        versions = conn.execute(
            "SELECT number, blob_id, filename, uploaded_at FROM document_versions"
            " WHERE document_id = ?"
            " ORDER BY number DESC", (doc["id"],)).fetchall()
        for i, v in enumerate(versions):
            name = text.portable_name(v["filename"])
            if i == 0:
                path = inner.path(where, name)
            else:
                stem, dot, ext = name.rpartition(".")
                named = f"{stem} (version {v['number']}).{ext}" if dot else \
                    f"{name} (version {v['number']})"
                path = inner.path(where, "earlier versions", text.portable_name(named))
            inner.write(path, blobs.stream(conn, v["blob_id"]), v["uploaded_at"])
            inner.count("document versions")
        inner.count("documents")
    for page in conn.execute("SELECT * FROM pages ORDER BY id").fetchall():
        where = place(page["folder_id"], page["deleted_at"])
        title = text.portable_name(page["title"], "page")
        inner.write(inner.path(where, f"{title}.md"), [page["body"].encode()])
        html = (f"<!doctype html>\n<html><head><meta charset=\"utf-8\">"
                f"<title>{escape(page['title'])}</title></head>\n<body>\n"
                f"<h1>{escape(page['title'])}</h1>\n{pages.render(page['body'])}\n"
                "</body></html>\n")
        inner.write(inner.path(where, f"{title}.html"), [html.encode()])
        inner.count("pages")


# -- meetings ---------------------------------------------------------------------------


def _meetings(conn: Connection, inner: _Inner, slug: str, name: str) -> None:
    school = pdf_copies.School(slug, lambda: conn, lambda: None)
    operator = Identity.operator()
    for row in conn.execute("SELECT id FROM meetings ORDER BY starts_at, id").fetchall():
        meeting = meeting_service.get(conn, row["id"])
        folder = text.portable_name(f"{meeting['starts_at'][:10]} {meeting['title']}",
                                    "meeting")
        stored = records.approved_pdf(conn, meeting["id"])
        if stored is not None:
            inner.write(inner.path("meetings", folder, "minutes (approved).pdf"), [stored[0]])
            inner.count("approved minutes")
        if meeting["status"] == "cancelled":
            continue
        items = packs.items_for(conn, operator, meeting["id"], school, converter=NO_CONVERTER)
        if not items:
            continue
        pack = packs.build(name, meeting, items, f"Exported {clock.iso()[:10]}")
        inner.write(inner.path("meetings", folder, "board pack.pdf"), [pack])
        inner.count("board packs")


# -- people, meetings and attendance as people read them ----------------------------------


def _people(conn: Connection, inner: _Inner) -> None:
    inner.csv("people.csv", ["name", "email", "phone", "role", "capabilities", "groups",
                             "boards and committees", "created at"], conn.execute(
        "SELECT u.name, u.email, u.phone, u.role,"
        " (SELECT group_concat(capability, '; ') FROM user_capabilities WHERE user_id = u.id),"
        " (SELECT group_concat(g.name, '; ') FROM group_members m JOIN groups g"
        "   ON g.id = m.group_id WHERE m.user_id = u.id),"
        " (SELECT group_concat(b.name || ' (' || bm.position || ')', '; ')"
        "   FROM body_members bm JOIN bodies b ON b.id = bm.body_id"
        "   WHERE bm.user_id = u.id),"
        " u.created_at FROM users u ORDER BY u.name COLLATE NOCASE, u.id"))
    inner.csv("groups.csv", ["group", "description", "members"], conn.execute(
        "SELECT g.name, g.description, (SELECT group_concat(u.name, '; ') FROM group_members m"
        " JOIN users u ON u.id = m.user_id WHERE m.group_id = g.id)"
        " FROM groups g ORDER BY g.name COLLATE NOCASE"))
    inner.csv("meetings.csv", ["board or committee", "title", "starts (school's local time)",
                               "ends", "location", "status", "minutes"], conn.execute(
        "SELECT b.name, m.title, m.starts_at, m.ends_at, m.location, m.status,"
        " m.minutes_status FROM meetings m JOIN bodies b ON b.id = m.body_id"
        " ORDER BY m.starts_at, m.id"))
    inner.csv("attendance.csv", ["meeting", "starts", "person", "their reply", "reason",
                                 "register"], conn.execute(
        "SELECT m.title, m.starts_at, u.name, r.reply, r.reason, a.status"
        " FROM meetings m JOIN users u"
        " LEFT JOIN attendance_replies r ON r.meeting_id = m.id AND r.user_id = u.id"
        " LEFT JOIN attendance_register a ON a.meeting_id = m.id AND a.user_id = u.id"
        " WHERE r.user_id IS NOT NULL OR a.user_id IS NOT NULL"
        " ORDER BY m.starts_at, m.id, u.name COLLATE NOCASE"))
    inner.write(inner.path("governor records.csv"), [transfer.to_csv(conn)])
    inner.csv("interests.csv", ["governor", "kind", "organisation", "interest", "from", "until",
                                "declared on", "entered by", "replaced by a later entry"],
              conn.execute(
        "SELECT u.name, i.kind, i.organisation, i.nature, i.starts_on, i.ends_on,"
        " i.declared_on, e.name, CASE WHEN i.replaced_by IS NULL THEN '' ELSE 'yes' END"
        " FROM interests i JOIN users u ON u.id = i.user_id"
        " LEFT JOIN users e ON e.id = i.entered_by"
        " ORDER BY u.name COLLATE NOCASE, i.declared_on, i.id"))
    inner.csv("policies.csv", ["policy", "type", "owned by", "approved by", "status",
                               "in effect from", "review every (months)", "next review",
                               "statutory"], conn.execute(
        "SELECT p.name, t.name, b.name, p.approval_level, p.status, p.effective_on,"
        " p.cycle_months, p.next_review_on, CASE WHEN p.statutory THEN 'yes' ELSE '' END"
        " FROM policies p LEFT JOIN policy_types t ON t.id = p.type_id"
        " LEFT JOIN bodies b ON b.id = p.owner_body_id ORDER BY p.name COLLATE NOCASE, p.id"))
    inner.csv("audit log.csv", ["id", "at (UTC)", "actor email", "action", "target", "detail",
                                "ip", "prev_hash", "hash"], conn.execute(
        "SELECT id, at, actor_email, action, target, detail, ip, prev_hash, hash"
        " FROM audit_log ORDER BY id"))


# -- every table ---------------------------------------------------------------------------


def exported_tables(conn: Connection) -> dict[str, list[str]]:
    """Each table `tables/` holds and its columns, secrets left out (SKIPPED_TABLES,
    SKIPPED_PREFIXES, SECRET_COLUMN): every table of the database, so a module's new table
    is exported without a change here."""
    out = {}
    for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                            " AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name").fetchall():
        table = row["name"]
        if table in SKIPPED_TABLES or table.startswith(SKIPPED_PREFIXES):
            continue
        columns = [c["name"] for c in conn.execute(f'PRAGMA table_info("{table}")')]
        out[table] = [c for c in columns if not SECRET_COLUMN.search(c.lower())]
    return out


def _rows(conn: Connection, table: str, columns: list[str]):
    """The table's rows (those columns), in the order they were stored where it has one."""
    if not columns:
        return []
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    order = "" if "WITHOUT ROWID" in sql.upper() else " ORDER BY rowid"
    listed = ", ".join(f'"{c}"' for c in columns)
    return conn.execute(f'SELECT {listed} FROM "{table}"{order}')


def _tables(conn: Connection, inner: _Inner) -> None:
    for table, columns in exported_tables(conn).items():
        inner.csv(f"tables/{text.portable_name(table)}.csv", columns,
                  _rows(conn, table, columns))
        inner.count("tables")
