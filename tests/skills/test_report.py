"""Skills reports: the matrix page, its CSV and its XLSX agree cell for cell (issue 16,
acceptance 3); "what if" changes the view, never the data; N/A is left out of averages;
gaps; names in any script sorted and exported; formulas in free text neutralised."""

import csv
import io

from openpyxl import load_workbook

from gvo.skills import reports

from .conftest import OP, matrix_of

BOARD = "/alpha/skills/report"


def _cells(cells) -> list[str]:
    """A spreadsheet row as Excel shows it (an average's number format "0.0": 3.0 reads
    back as 3 and shows as 3.0), trailing empty cells dropped."""
    out = [f"{c.value:.1f}" if c.number_format == reports.AVERAGE_FORMAT
           and c.value is not None else reports.fmt(c.value) for c in cells]
    while out and out[-1] == "":
        out.pop()
    return out


def _trim(row: list[str]) -> list[str]:
    row = list(row)
    while row and row[-1] == "":
        row.pop()
    return row


def _seat(audit):
    qs = audit.score_questions()
    ana = audit.governor("Ana Ávila")
    lukasz = audit.governor("Łukasz Żółkiewski")
    zhang = audit.governor("张伟")
    audit.answer(ana, {qs[0]["id"]: 5, qs[1]["id"]: "na", qs[2]["id"]: 2})
    audit.answer(lukasz, {qs[0]["id"]: 3, qs[1]["id"]: 4})
    audit.answer(zhang, {qs[0]["id"]: 1}, {audit.text_questions()[0]["id"]: "Lawyer."})
    return ana, lukasz, zhang


def test_the_matrix_page_its_csv_and_its_xlsx_agree_cell_for_cell(manager, audit):
    client, _ = manager
    _seat(audit)
    page = client.get(BOARD)
    assert page.status_code == 200
    shown = [_trim(r) for r in matrix_of(page.get_data(as_text=True))]
    assert shown[0] == ["Question", "Ana Ávila", "Łukasz Żółkiewski", "张伟", "Average", "Gap"]
    assert shown[2][:6] == [audit.score_questions()[0]["wording"], "5", "3", "1", "3.0"]

    book = load_workbook(io.BytesIO(client.download(BOARD.replace("report", "report.xlsx"))
                                    .get_data()))
    sheet = [_cells(r) for r in book["Matrix"].iter_rows()]
    assert sheet == shown
    # Scores and averages are numbers in Excel, not text.
    assert book["Matrix"]["B3"].value == 5 and book["Matrix"]["E3"].value == 3.0

    data = client.download(BOARD.replace("report", "report.csv")).get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert [_trim(r) for r in table[:len(shown)]] == shown
    assert table[len(shown)] == []
    assert table[len(shown) + 1] == ["Question", "Person", "Answer", "Answered on"]
    texts = [_cells(r) for r in book["Free text"].iter_rows()]
    assert texts[1][1:3] == ["张伟", "Lawyer."]
    assert [_trim(r) for r in table[len(shown) + 1:]] == texts


def _snapshot(conn) -> dict:
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('sessions')")]
    return {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in tables}  # noqa: S608


def test_what_if_changes_the_view_and_never_the_data(manager, audit, make_user):
    client, _ = manager
    ana, lukasz, _zhang = _seat(audit)
    outsider = audit.governor("Olu Outsider")
    audit.conn.execute("DELETE FROM body_members WHERE user_id = ?", (outsider,))
    audit.answer(outsider, {audit.score_questions()[2]["id"]: 5})
    client.get(BOARD)
    before = _snapshot(audit.conn)
    page = client.get(f"{BOARD}?add={outsider}&drop={lukasz}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    header = matrix_of(text)[0]
    assert "Olu Outsider" in header and "Łukasz Żółkiewski" not in header
    assert "What if:" in text and "Left out: Łukasz Żółkiewski" in text
    # The question only the outsider scores above 3 is no longer a gap in this view.
    found = reports.build(audit.conn, OP, None, [outsider], [lukasz])
    assert audit.score_questions()[2]["wording"] not in [r.question["wording"]
                                                         for r in found.gaps]
    xlsx = client.download(f"/alpha/skills/report.xlsx?add={outsider}&drop={lukasz}")
    names = next(load_workbook(io.BytesIO(xlsx.get_data()))["Matrix"].iter_rows(
        values_only=True))
    assert "Olu Outsider" in names and "Łukasz Żółkiewski" not in names
    assert _snapshot(audit.conn) == before
    # Without the query string the board is as it is.
    assert "Łukasz Żółkiewski" in matrix_of(client.get(BOARD).get_data(as_text=True))[0]
    # Odd values are left out with a message, never a 500.
    odd = client.get(f"{BOARD}?add=abc&drop=-1&body=x")
    assert odd.status_code == 200 and "not understood" in odd.get_data(as_text=True)
    assert _snapshot(audit.conn) == before
    assert ana


def test_na_and_unanswered_questions_are_left_out_of_averages(audit):
    qs = audit.score_questions()
    a, b, c = (audit.governor(n) for n in ("A", "B", "C"))
    audit.answer(a, {qs[0]["id"]: 4, qs[1]["id"]: 2})
    audit.answer(b, {qs[0]["id"]: "na", qs[1]["id"]: 3})
    audit.answer(c, {qs[1]["id"]: "na"})
    found = reports.build(audit.conn, OP)
    row0, row1 = found.blocks[0].rows[:2]
    assert row0.cells == ["4", "N/A", ""] and row0.average == 4.0
    assert row1.average == 2.5
    # Category average: every score in it; each person's: theirs only.
    assert found.blocks[0].average == 3.0
    assert found.blocks[0].person_averages == [3.0, 3.0, None]


def test_gaps_are_questions_no_one_scores_above_three(audit):
    qs = audit.score_questions()
    a, b = audit.governor("A"), audit.governor("B")
    audit.answer(a, {qs[0]["id"]: 3, qs[1]["id"]: 4})
    audit.answer(b, {qs[0]["id"]: 2, qs[1]["id"]: "na"})
    gaps = {r.question["id"] for r in reports.build(audit.conn, OP).gaps}
    assert qs[0]["id"] in gaps  # 3 and 2: no one above 3
    assert qs[1]["id"] not in gaps  # a 4
    assert qs[2]["id"] in gaps  # unanswered
    assert len(gaps) == len(qs) - 1


def test_names_in_any_script_are_sorted_and_exported(manager, audit):
    client, _ = manager
    for name in ("Zoë Zimmer", "Łucja Ząbek", "Dafydd ap Llŷr", "محمد علي", "王芳",
                 "Ángela Bravo", "lucy lane"):
        audit.governor(name)
    found = reports.build(audit.conn, OP)
    names = [p.name for p in found.people]
    # Transliterated: محمد -> Mhmd, 王 -> Wang; Ł with the Ls, Á with the As.
    assert names == ["Ángela Bravo", "Dafydd ap Llŷr", "Łucja Ząbek", "lucy lane",
                     "محمد علي", "王芳", "Zoë Zimmer"]
    xlsx = client.download("/alpha/skills/report.xlsx").get_data()
    header = next(load_workbook(io.BytesIO(xlsx))["Matrix"].iter_rows(values_only=True))
    assert list(header[1:-2]) == names
    data = client.download("/alpha/skills/report.csv").get_data().decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(data)))[1:-2] == names


def test_formulas_in_free_text_and_names_are_neutralised(manager, audit):
    client, _ = manager
    evil = audit.governor("=cmd|' /C calc'!A0")
    audit.answer(evil, {audit.score_questions()[0]["id"]: 4},
                 {audit.text_questions()[0]["id"]: '=HYPERLINK("http://x.example","go")'})
    data = client.download("/alpha/skills/report.csv").get_data().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(data)))
    assert table[0][1] == "'=cmd|' /C calc'!A0"
    said = [r[2] for r in table if len(r) > 2 and "HYPERLINK" in r[2]]
    assert said == ["'=HYPERLINK(\"http://x.example\",\"go\")"]
    book = load_workbook(io.BytesIO(client.download("/alpha/skills/report.xlsx").get_data()))
    cell = book["Matrix"]["B1"]
    assert cell.value == "'=cmd|' /C calc'!A0" and cell.data_type == "s"
    text_cell = book["Free text"]["C2"]
    assert text_cell.value.startswith("'=HYPERLINK") and text_cell.data_type == "s"


def test_a_committee_report_shows_its_members(manager, audit):
    client, _ = manager
    on = audit.governor("On Committee", committee=True)
    audit.governor("Board Only")
    found = reports.build(audit.conn, OP, audit.committee_id)
    assert [p.user_id for p in found.people] == [on]
    page = client.get(f"{BOARD}?body={audit.committee_id}").get_data(as_text=True)
    assert matrix_of(page)[0][1:-2] == ["On Committee"]
    assert client.get(f"{BOARD}?body=99999").status_code == 404
