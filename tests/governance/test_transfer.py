"""CSV import and CSV / XLSX export (acceptance 4): a malformed file is refused row by row
and writes nothing; a good file round-trips; exported cells never run as formulas."""

import io
from datetime import date

import pytest

from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.governance import records, transfer

OP = Identity.operator()
HEAD = ("E-mail,Name,Category,Appointed by,Date appointed,Term (years),Term ends,"
        "Date stepped down,Reason stepped down,DBS check date,DBS certificate,"
        "Section 128 check date,Positions")
GOOD = [
    'ann@ex.org,Ann Ásgeirsdóttir,Parent governor,Parents,01/09/2024,4,,,,2024-09-10,0012,,'
    '"Chair from 2024-09-01; Safeguarding from 2024-09-01 until 2025-03-01"',
    'head@ex.org,"Hill, Harriet",headteacher,,2020-09-01,not applicable,,,,,,,',
]


def _csv(*lines, bom=False, crlf=True) -> bytes:
    text = ("\r\n" if crlf else "\n").join([HEAD, *lines]) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def _count(conn) -> tuple:
    return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("users", "governor_records", "governor_positions", "audit_log"))


def test_a_good_file_imports_then_round_trips(board):
    conn, _, _ = board
    preview = transfer.parse(conn, OP, _csv(*GOOD, bom=True), "board.csv")
    assert preview.ok, [(r.line, r.errors) for r in preview.rows] + preview.errors
    assert transfer.apply(conn, OP, preview) == 2
    ann = [r for r in records.everyone(conn) if r["email"] == "ann@ex.org"][0]
    assert (ann["appointed_on"], ann["term_ends_on"], ann["name"]) == (
        "2024-09-01", "2028-08-31", "Ann Ásgeirsdóttir")
    first = [dict(r) for r in records.everyone(conn)]
    exported = transfer.to_csv(conn)
    assert exported.startswith(b"\xef\xbb\xbf") and b"\r\n" in exported
    again = transfer.parse(conn, OP, exported, "export.csv")
    assert again.ok
    before = _count(conn)
    transfer.apply(conn, OP, again)
    assert [dict(r) for r in records.everyone(conn)] == first
    assert _count(conn)[:3] == before[:3]  # nothing new: the same records
    assert transfer.to_csv(conn) == exported


@pytest.mark.parametrize("lines, said", [
    (["x@ex.org,X,Parent governor,,2024-13-01,4,,,,,,,"], "is not a date"),
    (["x@ex.org,X,Wizard,,2024-01-01,4,,,,,,,"], "not a category"),
    (["x@ex.org,X,parent,,2024-01-01,4,,,,,,,", "X@ex.org,Y,parent,,,4,,,,,,,"],
     "also on line 3"),
    (["x@ex.org,X,parent,,2024-01-01,7,,,,,,,"], "not 1, 2, 3 or 4"),
    (["not-an-address,X,parent,,,,,,,,,,"], "E-mail"),
    (["x@ex.org,X,parent,,,,,,,,,,,,extra"], "cells"),
])
def test_a_malformed_row_is_refused_and_nothing_is_written(board, lines, said):
    conn, _, _ = board
    before = _count(conn)
    preview = transfer.parse(conn, OP, _csv(GOOD[0], *lines), "board.csv")
    assert not preview.ok
    assert any(said in e for r in preview.rows for e in r.errors), preview.rows
    assert [r.line for r in preview.rows if r.errors][-1] == len(lines) + 2
    with pytest.raises(InvalidInput):
        transfer.apply(conn, OP, preview)
    assert _count(conn) == before


@pytest.mark.parametrize("data, name, said", [
    (b"Name,Colour\r\nA,b\r\n", "a.csv", "Unknown columns"),
    ((HEAD + "\r\nx@ex.org,J\xf6rg,parent\r\n").encode("latin-1"), "a.csv", "Line 2 is not UTF-8"),
    (b"%PDF-1.4\0\0", "a.csv", "binary"),
    (b"E-mail,Name,Category\r\n", "a.xlsx", ".csv"),
    (b"a" * (transfer.MAX_BYTES + 1), "a.csv", "larger than"),
])
def test_a_malformed_file_is_refused_as_a_whole(board, data, name, said):
    conn, _, _ = board
    preview = transfer.parse(conn, OP, data, name)
    assert not preview.ok and any(said in e for e in preview.errors), preview.errors


def test_export_neutralises_formulas_and_the_import_reads_them_back(board, make_user):
    conn, _, _ = board
    gov = make_user()
    records.save(conn, OP, gov.id, records.RecordInput(
        category="parent", appointed_by="=HYPERLINK(\"http://evil\")", dbs_reference="+44",
        appointed_on=date(2024, 1, 1)))
    text = transfer.to_csv(conn).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+44" in text
    row = transfer.parse(conn, OP, text.encode(), "x.csv").rows[0]
    assert row.data.appointed_by.startswith("=HYPERLINK") and row.data.dbs_reference == "+44"


def test_xlsx_export_holds_the_records_as_text(board, make_user):
    from openpyxl import load_workbook

    conn, _, _ = board
    gov = make_user()
    records.save(conn, OP, gov.id, records.RecordInput(category="parent",
                                                       appointed_on=date(2024, 2, 29)))
    sheet = load_workbook(io.BytesIO(transfer.to_xlsx(conn))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "E-mail"
    assert (values[1][4], values[1][6]) == ("2024-02-29", "2028-02-28")


def test_the_pages_preview_then_import_only_when_confirmed(board, signed_in, instance):
    conn, _, _ = board
    client, _ = signed_in("manager")
    before = _count(conn)
    client.get("/alpha/governors/import")
    resp = client.post("/alpha/governors/import", {
        "file": (io.BytesIO(_csv(*GOOD)), "board.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 200 and "Import 2 rows" in resp.get_data(as_text=True)
    assert _count(conn) == before
    content = transfer.parse(conn, OP, _csv(*GOOD)).ok and _csv(*GOOD).decode()
    resp = client.post("/alpha/governors/import/confirm", {"content": content})
    assert resp.status_code == 302
    assert len(records.everyone(conn)) == 2
    bad = client.post("/alpha/governors/import", {
        "file": (io.BytesIO(_csv("x@ex.org,X,Wizard,,,,,,,,,,")), "b.csv")},
        form_page="/alpha/governors/import", content_type="multipart/form-data")
    assert bad.status_code == 422 and "not a category" in bad.get_data(as_text=True)
    csv_file = client.download("/alpha/governors/export.csv")
    assert csv_file.status_code == 200 and csv_file.mimetype == "text/csv"


def test_someone_who_may_not_manage_people_cannot_create_accounts_by_import(board, make_user):
    from gvo.people import accounts

    conn, _, _ = board
    holder = make_user(role="author", email="holder@example.org")
    accounts.set_capabilities(conn, OP, holder.id, {"manage_board"})
    preview = transfer.parse(conn, Identity.load(conn, holder.id), _csv(GOOD[0]))
    assert not preview.ok and "ask someone who manages people" in preview.rows[0].errors[0]
