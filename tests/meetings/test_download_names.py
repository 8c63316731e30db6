"""Downloads named after a meeting or a committee in any language (issue 9): every one answers
200 with RFC 6266's UTF-8 `filename*` and an ASCII `filename`, through one helper."""

import unicodedata
from datetime import date
from urllib.parse import quote, unquote

import pytest

from gvo.board import bodies
from gvo.meetings import attendance
from gvo.web.downloads import content_disposition

from .conftest import OP

WELSH = "Cyfarfod Ŵyl Dewi"
POLISH = "Komisja Finansów Łódź"


def _names(resp) -> tuple[str, str]:
    """The (filename, filename*) a download offers, filename* decoded."""
    value = resp.headers["Content-Disposition"]
    assert value.startswith("attachment; filename=\"")
    fallback = value.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii()
    star = value.split("filename*=UTF-8''", 1)[1]
    return fallback, unquote(star)


def test_meeting_downloads_with_a_welsh_title(signed_in, office):
    client, clerk = signed_in("manager")
    office.member(clerk.id)
    meeting_id = office.meeting(title=WELSH)
    office.item(meeting_id, "Croeso")
    day = office.conn.execute("SELECT starts_at FROM meetings WHERE id = ?",
                              (meeting_id,)).fetchone()[0][:10]
    resp = client.download(f"/alpha/meetings/{meeting_id}/pack.pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    assert _names(resp) == (f"board-pack-{day}-cyfarfod-wyl-dewi.pdf",
                            f"board-pack-{day}-cyfarfod-ŵyl-dewi.pdf")
    resp = client.download(f"/alpha/meetings/{meeting_id}/calendar.ics")
    assert resp.status_code == 200 and WELSH.encode() in resp.data
    assert _names(resp)[1] == f"meeting-{day}-cyfarfod-ŵyl-dewi.ics"


def test_attendance_downloads_of_a_polish_committee(signed_in, office):
    client, _ = signed_in("reader")
    body_id = bodies.save_body(office.conn, OP, body_id=None, kind="committee", name=POLISH,
                               quorum_text="3")
    who = office.person("Zofia Łukasiewicz", on_board=False)
    office.member(who, body_id)
    meeting_id = office.meeting(body_id=body_id, days=-10, title=POLISH)
    attendance.save_attendance_register(office.conn, OP, meeting_id, {who: "present"})
    today = date.today()
    args = f"body_id={body_id}&start={date(today.year - 1, 1, 1)}&end={today}"
    resp = client.download(f"/alpha/meetings/attendance.csv?{args}")
    assert resp.status_code == 200 and "Zofia Łukasiewicz" in resp.get_data(as_text=True)
    fallback, name = _names(resp)
    assert name.startswith("attendance-komisja-finansów-łódź-") and name.endswith(".csv")
    assert fallback.startswith("attendance-komisja-finansow-lodz-")
    resp = client.download(f"/alpha/meetings/attendance.pdf?{args}")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    assert _names(resp) == ("attendance-komisja-finansow-lodz.pdf",
                            "attendance-komisja-finansów-łódź.pdf")


@pytest.mark.parametrize("name,fallback", [
    ("Łódź.pdf", "Lodz.pdf"),
    ("Straße; \"quoted\" 100%.txt", "Strasse_ _quoted_ 100_.txt"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),
    ("a\u2066b\u2069\u200fc\r\n.txt", "abc.txt"),
    ("北京.pdf", "BeiJing.pdf"),
    ("..\\..\\secret.pdf", "secret.pdf"),
    ("\u202e", "document"),
    # Issue 9 (attack review): zero-width and other invisible characters, names of nothing
    # but an extension, padding before a second extension, decomposed letters.
    ("Min\u200butes\u2060 \ufeff2026\u200d.txt", "Minutes 2026.txt"),
    ("   .txt", "document.txt"),
    ("report.pdf\u00a0\u00a0\u3000   .exe", "report.pdf.exe"),
    ("Proce\u0300s-verbal.pdf", "Proces-verbal.pdf"),
    ("\u3164\u115f.pdf", "document.pdf"),
])
def test_content_disposition(name, fallback):
    value = content_disposition(name, inline=name.endswith(".pdf"))
    kind = "inline" if name.endswith(".pdf") else "attachment"
    assert value.startswith(f'{kind}; filename="{fallback}"; filename*=UTF-8\'\'')
    sent = unquote(value.split("''", 1)[1])
    assert not any(c in sent for c in "\u202e\u2066\u2069\u200f\u200b\u200d\u2060\ufeff"
                                      "\u3164\r\n\\/")
    assert unicodedata.is_normalized("NFC", sent) and sent == sent.strip()
    assert quote(sent, safe="") == value.split("''", 1)[1]
    value.encode("latin-1")  # what a WSGI header must be


def test_a_decomposed_title_names_its_downloads_as_composed(signed_in, office):
    # "Ŵ" typed as W + U+0302 (as macOS keeps file and form text) lost its accent as a "-".
    client, _ = signed_in("manager")
    meeting_id = office.meeting(title=unicodedata.normalize("NFD", WELSH))
    day = office.conn.execute("SELECT starts_at FROM meetings WHERE id = ?",
                              (meeting_id,)).fetchone()[0][:10]
    resp = client.download(f"/alpha/meetings/{meeting_id}/calendar.ics")
    assert _names(resp) == (f"meeting-{day}-cyfarfod-wyl-dewi.ics",
                            f"meeting-{day}-cyfarfod-ŵyl-dewi.ics")


@pytest.mark.parametrize("query", ["Lodz", "łódź", "finansow", "Wyl Dewi", "ŵyl"])
def test_the_meetings_list_folds_letters_like_search(office, query):
    from gvo.core.identity import Identity
    from gvo.meetings import meetings

    office.meeting(title=WELSH)
    body_id = bodies.save_body(office.conn, OP, body_id=None, kind="committee", name="Ffair",
                               quorum_text="3")
    office.meeting(body_id=body_id, title=POLISH)
    office.meeting(title="Autumn board")
    reader = Identity(office.person("Rita Reader", "reader", on_board=False), "reader")
    found = {m["title"] for m in meetings.list_meetings(office.conn, reader, query=query)}
    assert found == ({POLISH} if query in ("Lodz", "łódź", "finansow") else {WELSH})
