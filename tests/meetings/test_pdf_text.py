"""PDFs say what people typed: names in any script, curly quotes and dashes, drawn in an
embedded Unicode font; a character the font lacks shows as U+FFFD, never as '?'."""

import io
from datetime import date

from pypdf import PdfReader

from gvo.board import bodies
from gvo.meetings import attendance, minutes, packs
from gvo.meetings.pdf import FONT_DIR, FONT_FILES, MISSING, Document

from .conftest import OP, download, pdf_text

NAMES = ["Siân ap Gwŷr", "Łukasz Żółkiewski", "Aoife O’Brien", "Σοφία Παπαδοπούλου"]
MEETING = "Cyfarfod Ŵyl Dewi"
COMMITTEE = "Komisja Finansów Łódź"
NOTE = "“Approved” – as amended — by Siân’s motion"


def _flat(data: bytes) -> str:
    """A PDF's text with each run of white space (line breaks of wrapped text) as one space."""
    return " ".join(pdf_text(data).split())


def _names_meeting(office, days=-20, title=MEETING):
    """A meeting of the committee named above, everyone on it present."""
    body = bodies.save_body(office.conn, OP, body_id=None, kind="committee", name=COMMITTEE)
    ids = [office.person(name, on_board=False, email=f"person{n}@ex.org")
           for n, name in enumerate(NAMES)]
    for uid in ids:
        office.member(uid, body_id=body)
    meeting_id = office.meeting(body_id=body, days=days, title=title,
                                location="Neuadd – Ysgol Gymraeg")
    attendance.save_register(office.conn, OP, meeting_id, {uid: "present" for uid in ids})
    return body, meeting_id


def test_the_pack_carries_names_in_any_script_exactly(signed_in, office):
    client, _ = signed_in("manager")
    _body, meeting_id = _names_meeting(office)
    office.item(meeting_id, f"Report from {NAMES[0]} and {NAMES[1]}")
    office.item(meeting_id, f"{NAMES[3]}: {NOTE}")
    resp = download(client, f"/alpha/meetings/{meeting_id}/pack.pdf")
    assert resp.status_code == 200
    text = _flat(resp.data)
    for expected in (MEETING, COMMITTEE, "Neuadd – Ysgol Gymraeg", NAMES[0], NAMES[1],
                     NAMES[3], NOTE):
        assert expected in text
    assert "?" not in text
    reader = PdfReader(io.BytesIO(resp.data))
    assert reader.metadata.title == f"Alpha Primary: {MEETING}"
    assert [o.title for o in reader.outline[2:]] == [
        f"1. Report from {NAMES[0]} and {NAMES[1]}", f"2. {NAMES[3]}: {NOTE}"]


def test_the_minutes_carry_names_in_any_script_exactly(signed_in, office):
    client, _ = signed_in("manager")
    body, meeting_id = _names_meeting(office, days=-40)
    later = office.meeting(body_id=body, days=-5, title="Cyfarfod nesaf")
    item = office.item(meeting_id, f"Cyllideb – {NAMES[2]}")
    minutes.save_item(office.conn, OP, item, f"{NAMES[1]} presented. {NOTE}.",
                      f"Agreed: {NAMES[3]} to write to the trust")
    minutes.add_action(office.conn, OP, item, "Reply to the “Ŵyl” letter", None, None)
    minutes.circulate(office.conn, OP, meeting_id)
    attendance.lock_register(office.conn, OP, meeting_id)
    minutes.approve(office.conn, OP, meeting_id, later, "Alpha Primary")
    text = _flat(download(client, f"/alpha/meetings/{meeting_id}/minutes.pdf").data)
    for expected in (MEETING, COMMITTEE, f"Cyllideb – {NAMES[2]}", NOTE,
                     f"{NAMES[3]} to write to the trust", "Reply to the “Ŵyl” letter",
                     *NAMES):
        assert expected in text
    assert "?" not in text


def test_the_attendance_report_carries_names_in_any_script_exactly(signed_in, office):
    client, _ = signed_in("manager")
    body, _meeting = _names_meeting(office)
    year = date.today().year
    resp = download(client, f"/alpha/meetings/attendance.pdf?body_id={body}"
                            f"&start={year - 1}-01-01&end={year + 1}-12-31")
    assert resp.status_code == 200
    text = _flat(resp.data)
    assert COMMITTEE in text
    for name in NAMES:
        assert name in text
    assert "?" not in text


def test_a_character_the_font_lacks_shows_as_the_replacement_character():
    meeting = {"title": "Summer fair 🎉 planning", "body_name": "Board",
               "starts_at": "2031-03-04T18:00", "ends_at": "2031-03-04T20:00",
               "location": "Hall", "online_link": ""}
    wales = "\U0001F3F4\U000E0067\U000E0062\U000E0077\U000E006C\U000E0073\U000E007F"
    items = [packs.PackItem(1, f"Thank you ❤️ volunteers 👩‍👩‍👧 of Gŵyl Dewi {wales}",
                            "information")]
    text = _flat(packs.build("Alpha", meeting, items, "now"))
    assert f"Summer fair {MISSING} planning" in text
    # Characters the font has stay as typed (❤, the emoji selector, the joiners); each it
    # lacks is one MISSING, except invisible format characters (the flag's tags): left out.
    assert (f"Thank you ❤️ volunteers {MISSING}\u200d{MISSING}\u200d{MISSING} of Gŵyl Dewi "
            f"{MISSING} Information") in text
    assert "?" not in text


def test_the_font_ships_with_the_package_and_is_embedded():
    for name in FONT_FILES.values():
        assert (FONT_DIR / name).stat().st_size > 100_000
    assert "Bitstream" in (FONT_DIR / "LICENSE").read_text()
    doc = Document("Łódź")
    doc.add_page()
    doc.para("Żółw")
    reader = PdfReader(io.BytesIO(doc.bytes()))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    descendants = [f.get_object()["/DescendantFonts"][0].get_object()
                   for f in fonts.values()]
    assert all("/FontFile2" in d["/FontDescriptor"] for d in descendants)
    assert "DejaVuSans" in str(descendants[0]["/BaseFont"])


def _drawn_glyphs(data: bytes) -> dict[str, dict[str, tuple]]:
    """Per embedded font (by base name): each character drawn -> (glyph name, advance width,
    outline) as the embedded font program has it, found through the PDF's own maps
    (ToUnicode: code -> character; CIDToGIDMap: code -> glyph)."""
    import re

    from fontTools.ttLib import TTFont

    found = {}
    page = PdfReader(io.BytesIO(data)).pages[0]
    for ref in page["/Resources"]["/Font"].values():
        font = ref.get_object()
        cid_font = font["/DescendantFonts"][0].get_object()
        program = TTFont(io.BytesIO(
            cid_font["/FontDescriptor"]["/FontFile2"].get_object().get_data()))
        gids = cid_font["/CIDToGIDMap"].get_object().get_data()
        order, glyf = program.getGlyphOrder(), program["glyf"]
        chars = {}
        cmap = font["/ToUnicode"].get_object().get_data()
        pairs = b"".join(re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S))
        for code, char in re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]{4})>", pairs):
            cid, uni = int(code, 16), int(char, 16)
            if uni in (0, 0x20):
                continue
            name = order[int.from_bytes(gids[2 * cid:2 * cid + 2], "big")]
            chars[chr(uni)] = (name, program["hmtx"][name][0],
                               glyf[name].getCoordinates(glyf)[0].array.tolist())
        found[str(font["/BaseFont"]).split("+", 1)[1]] = chars
    return found


def test_each_character_is_drawn_with_its_own_glyph():
    """The embedded subsets (from the font's common cut, or from the whole font when a
    character is beyond it) draw each character with the glyph the font has for it."""
    from fontTools.ttLib import TTFont

    common = "Siân ap Gwŷr, Łukasz Żółkiewski, Σοφία – “ẁ” €"
    rare = "Աշոտ ნინო ∑"  # Armenian, Georgian, a maths sign: beyond the common cut
    doc = Document("test")
    doc.add_page()
    doc.para(common)
    doc.para(common + " " + rare, style="B")
    drawn = _drawn_glyphs(doc.bytes())
    for style, base in (("", "DejaVuSansBook"), ("B", "DejaVuSansBold")):
        whole = TTFont(FONT_DIR / FONT_FILES[style])
        cmap, glyf = whole.getBestCmap(), whole["glyf"]
        text = common if style == "" else common + rare
        assert set(text) - {" "} <= set(drawn[base])  # and the footer's letters
        for char, (name, width, outline) in drawn[base].items():
            expected = cmap[ord(char)]
            assert name == expected, char
            assert width == whole["hmtx"][expected][0], char
            assert outline == glyf[expected].getCoordinates(glyf)[0].array.tolist(), char


WORLD = {"Welsh": "Siân ap Gwŷr", "Polish": "Łukasz Żółkiewski", "Greek": "Σοφία Παπαδοπούλου",
         "Arabic": "محمد العلي", "Hebrew": "דוד כהן", "Chinese": "王小明", "Japanese": "山田太郎",
         "Korean": "김민준", "Hindi": "प्रिया शर्मा", "Thai": "สมชาย ใจดี"}


def _extracted_lines(data: bytes) -> list[str]:
    """The PDF's lines as pypdf extracts them, without the control characters and spaces it
    puts where shaped clusters and CJK glyphs are (what extraction allows)."""
    import re

    return [re.sub(r"[\x00-\x1f ]", "", line) for line in pdf_text(data).splitlines()]


def test_names_in_every_script_are_drawn_and_extracted_in_logical_order():
    """Arabic and Hebrew are shaped and extracted in logical order; CJK, Indic and Thai are
    drawn in Debian's Noto fonts (fpdf2 fallback fonts), never as U+FFFD."""
    doc = Document("names")
    doc.add_page()
    for name in WORLD.values():
        doc.para(name)
    data = doc.bytes()
    lines = _extracted_lines(data)
    for script, name in WORLD.items():
        assert name.replace(" ", "") in lines, script
    assert MISSING not in pdf_text(data)
    fonts = PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"]
    bases = " ".join(str(f.get_object()["/BaseFont"]) for f in fonts.values())
    # DejaVu Sans has Arabic and Hebrew (drawn shaped); the others come from Noto.
    for family in ("NotoSansCJK", "NotoSansDevanagari", "NotoSansThai"):
        assert family in bases


def test_arabic_is_joined_not_drawn_letter_by_letter():
    """Shaped Arabic uses the joined forms of its letters: the run is narrower than the same
    letters drawn apart (their isolated forms)."""
    from gvo.meetings import pdf

    doc = Document("x")
    doc.add_page()
    doc.normalize_text("محمد")  # adds the Arabic font and turns shaping on
    joined = doc.get_string_width("محمد")
    apart = sum(doc.get_string_width(ch) for ch in "محمد")
    assert pdf.needs_shaping("محمد") and not pdf.needs_shaping("Siân")
    assert joined < apart


def test_a_script_without_an_installed_font_shows_the_marker(monkeypatch):
    from gvo.meetings import pdf

    monkeypatch.setattr(pdf, "_fallback_cmaps", [set() for _ in pdf.FALLBACKS])
    doc = Document("x")
    doc.add_page()
    doc.para("王小明 Siân")
    assert f"{MISSING}{MISSING}{MISSING} Siân" in pdf_text(doc.bytes())
