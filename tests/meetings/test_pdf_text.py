"""PDFs say what people typed: names in any script, curly quotes and dashes, drawn in an
embedded Unicode font; a character the font lacks shows as U+FFFD, never as '?'."""

import http.client
import io
import re
from datetime import date

from conftest import pdf_text
from pypdf import PdfReader

from gvo.board import bodies
from gvo.meetings import attendance, minutes, packs
from gvo.meetings.pdf import FONT_DIR, FONT_FILES, MISSING, Document, html_pdf

from .conftest import OP

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
    attendance.save_attendance_register(office.conn, OP, meeting_id,
                                        {uid: "present" for uid in ids})
    return body, meeting_id


def test_the_pack_carries_names_in_any_script_exactly(signed_in, office):
    client, _ = signed_in("manager")
    _body, meeting_id = _names_meeting(office)
    office.item(meeting_id, f"Report from {NAMES[0]} and {NAMES[1]}")
    office.item(meeting_id, f"{NAMES[3]}: {NOTE}")
    resp = client.download(f"/alpha/meetings/{meeting_id}/pack.pdf")
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
    attendance.lock_attendance_register(office.conn, OP, meeting_id)
    minutes.approve(office.conn, OP, meeting_id, later, "Alpha Primary")
    text = _flat(client.download(f"/alpha/meetings/{meeting_id}/minutes.pdf").data)
    for expected in (MEETING, COMMITTEE, f"Cyllideb – {NAMES[2]}", NOTE,
                     f"{NAMES[3]} to write to the trust", "Reply to the “Ŵyl” letter",
                     *NAMES):
        assert expected in text
    assert "?" not in text


def test_the_attendance_report_carries_names_in_any_script_exactly(signed_in, office):
    client, _ = signed_in("manager")
    body, _meeting = _names_meeting(office)
    year = date.today().year
    resp = client.download(f"/alpha/meetings/attendance.pdf?body_id={body}"
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


def _squeezed(text: str) -> str:
    """`text` without the control characters and spaces pypdf puts where shaped clusters and
    CJK glyphs are (what extraction allows)."""
    return re.sub(r"[\x00-\x1f ]", "", text)


def _extracted_lines(data: bytes) -> list[str]:
    """The PDF's lines as pypdf extracts them, squeezed (`_squeezed`)."""
    return [_squeezed(line) for line in pdf_text(data).splitlines()]


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


# -- Every PDF in a process, one after another or at once (issue 9, PDF round 3) -----------
# Before: every document embedded the fallback fonts from one fontTools font per process,
# which fpdf2 cuts in place when it writes a PDF; after the first PDF with Chinese, every
# later one failed (MissingGlyphsSubsettingError, KeyError 'glyph09889', 'SubrsIndex' object
# has no attribute 'file') until restart, and so did Arabic, Hebrew, Devanagari and Thai.

ROUNDS = [("Chinese", "Japanese", "Korean"), ("Hebrew", "Chinese"),
          ("Arabic", "Hindi", "Thai"), ("Chinese",), ("Thai", "Hindi", "Chinese", "Arabic"),
          ("Hindi", "Hebrew", "Japanese"), ("Korean", "Thai", "Welsh", "Greek")]
MORE = {"Chinese": ["会议纪要", "财务委员会", "王小明"], "Japanese": ["佐藤花子", "山田太郎"],
        "Korean": ["이서연", "김민준"], "Hindi": ["राहुल वर्मा", "प्रिया शर्मा"],
        "Thai": ["นภา สุขใจ", "สมชาย ใจดี"], "Arabic": ["فاطمة الزهراء", "محمد العلي"],
        "Hebrew": ["שרה לוי", "דוד כהן"], "Welsh": ["Siân ap Gwŷr"], "Greek": ["Σοφία"]}


def _round_pdf(n: int, scripts: tuple) -> tuple[list[str], bytes]:
    """A document naming people in `scripts` (which names: by round `n`, so the glyphs drawn
    differ from one document to the next), in its body and in its footer; every other one a
    library page (`html_pdf`)."""
    names = [MORE[s][n % len(MORE[s])] for s in scripts]
    if n % 2:
        return names, html_pdf(" ".join(names), "".join(f"<p>{n}</p>" for n in names))
    doc = Document(" ".join(names))
    doc.add_page()
    for name in names:
        doc.para(name)
    return names, doc.bytes()


def _assert_drawn(names: list[str], data: bytes) -> None:
    lines = _extracted_lines(data)
    for name in names:
        assert name.replace(" ", "") in lines, name
    footer = "".join(names).replace(" ", "") + "Page1"
    assert footer in lines
    assert MISSING not in pdf_text(data)


def test_pdfs_in_any_script_one_after_another_all_draw():
    for n, scripts in enumerate(ROUNDS * 2):
        names, data = _round_pdf(n, scripts)
        _assert_drawn(names, data)


def test_pdfs_drawn_at_once_on_several_threads_all_draw():
    """waitress serves requests on several threads: documents drawn at the same time share
    nothing they change (each starts on a different round, so the scripts meet in turn)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    threads = 4
    start = Barrier(threads)

    def draw(first: int) -> list:
        start.wait()
        return [_round_pdf(n, ROUNDS[n % len(ROUNDS)]) for n in range(first, first + 5)]

    with ThreadPoolExecutor(threads) as pool:
        made = [d for batch in pool.map(draw, range(threads)) for d in batch]
    assert len(made) == threads * 5
    for names, data in made:
        _assert_drawn(names, data)


def test_the_attendance_report_of_a_committee_named_in_hebrew_or_arabic(signed_in, office):
    """Before: the report failed (MissingGlyphsSubsettingError {'uni05E2',..}) whenever the
    committee's name was only in the heading and the footer: the footer is drawn last, after
    the document had chosen to embed the font's common cut (no Hebrew, no Arabic)."""
    client, _ = signed_in("manager")
    year = date.today().year
    for name in ("ועדת כספים", "لجنة المالية"):
        body = bodies.save_body(office.conn, OP, body_id=None, kind="committee", name=name)
        member = office.person(f"Member of {body}", on_board=False, email=f"m{body}@ex.org")
        office.member(member, body_id=body)
        meeting = office.meeting(body_id=body, days=-10, title="Meeting")
        attendance.save_attendance_register(office.conn, OP, meeting, {member: "present"})
        resp = client.download(f"/alpha/meetings/attendance.pdf?body_id={body}"
                                f"&start={year - 1}-01-01&end={year + 1}-12-31")
        assert resp.status_code == 200, name
        lines = _extracted_lines(resp.data)
        assert f"Attendanceatmeetings:{name.replace(' ', '')}" in lines
        assert f"AlphaPrimary-attendance-{name.replace(' ', '')}Page1" in lines
        assert f"Memberof{body}" in "".join(lines)


def test_the_footer_is_drawn_like_any_text():
    """The footer (fpdf2's text(), which neither shapes nor falls back) showed
    'Σοφία  םולש': no Chinese, no marker, Hebrew reversed."""
    title = "Cyfarfod Gŵyl Dewi — Σοφία 会议 שלום"
    doc = Document(title)
    doc.add_page()
    doc.para("Body")
    data = doc.bytes()
    assert f"{title}    Page 1".replace(" ", "") in _extracted_lines(data)
    assert MISSING not in pdf_text(data)
    # What no installed font has is shown, in the footer too.
    doc = Document("Summer fair 🎉")
    doc.add_page()
    assert f"Summerfair{MISSING}Page1" in _extracted_lines(doc.bytes())


def test_the_packs_agenda_and_dividers_are_drawn_like_any_text(office):
    """The pack's agenda and divider pages (drawn line by line) shape and fall back too."""
    from conftest import make_pdf

    meeting = {"title": "会议 Cyfarfod", "body_name": "ועדת כספים",
               "starts_at": "2031-03-04T18:00", "ends_at": "2031-03-04T20:00",
               "location": "Hall", "online_link": ""}
    titles = ["预算 שלום", "محمد العلي प्रिया", "สมชาย ใจดี"]
    items = [packs.PackItem(str(n), title, "discussion", presenter="王小明",
                            papers=[packs.PackPaper(f"Paper {title}", f"{n}.pdf",
                                                    make_pdf("Paper"))])
             for n, title in enumerate(titles, 1)]
    data = packs.build("Alpha", meeting, items, "now")
    reader = PdfReader(io.BytesIO(data))
    agenda = _squeezed(reader.pages[1].extract_text())
    for n, title in enumerate(titles, 1):
        assert f"{n}{title.replace(' ', '')}" in agenda
        assert f"Paper{title.replace(' ', '')}" in agenda
        divider = _squeezed(reader.pages[2 * n].extract_text())
        assert f"Item{n}:{title.replace(' ', '')}" in divider
        assert f"Paper{title.replace(' ', '')}" in divider
    assert "Discussion,王小明" in agenda
    assert MISSING not in pdf_text(data)


def _text_drawn_without_a_font(data: bytes) -> list[str]:
    """The operators of each page that show text while no font is set (the font is graphics
    state: q saves it, Q restores it; ISO 32000-1, 8.4 and 9.3)."""
    from pypdf.generic import ContentStream

    reader = PdfReader(io.BytesIO(data))
    bad = []
    for number, page in enumerate(reader.pages, 1):
        font, saved = None, []
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"q":
                saved.append(font)
            elif operator == b"Q":
                font = saved.pop()
            elif operator == b"Tf":
                font = operands[0]
            elif operator in (b"Tj", b"TJ", b"'", b'"') and font is None:
                bad.append(f"page {number}: {operator.decode()} {operands}")
    return bad


def test_a_line_after_one_that_begins_in_a_fallback_font_has_its_font():
    """fpdf2 set the page's font inside a line that begins in a fallback font and changes
    font (ending in another font than it began, wrapped in q..Q), then counted it as set: the
    next line in DejaVu Sans was drawn with no font (pypdf read it in the fallback font; a
    viewer may draw nothing)."""
    doc = Document("x")
    doc.add_page()
    for line in ("นภา สุขใจ", "محمد العلي", "Siân ap Gwŷr"):
        doc.para(line)
    data = doc.bytes()
    assert _text_drawn_without_a_font(data) == []
    assert _extracted_lines(data)[:3] == ["นภาสุขใจ", "محمدالعلي", "SiânapGwŷr"]


COMMITTEES = {"Hebrew": "ועדת כספים", "Arabic": "لجنة المالية", "Chinese": "财务委员会",
              "Hindi": "वित्त समिति", "Thai": "คณะกรรมการการเงิน", "Korean": "재정 위원회"}


def test_pdfs_in_any_script_through_gvo_serve_in_a_row_and_at_once(tmp_path):
    """What the tester met through a real `gvo serve` (waitress, requests on several
    threads): after the first PDF with Chinese every later one was a 500 until restart, and
    a report for a committee named in Hebrew or Arabic always was."""
    from concurrent.futures import ThreadPoolExecutor

    import pyotp
    from replication.conftest import free_port
    from serving import CLERK, PASSWORD, SLUG, Caller, gvo_serve, make_office, stop

    from gvo.storage.instance import Instance

    from .conftest import Office

    instance = tmp_path / "instance"
    secret = make_office(instance)
    inst = Instance.open(instance, environ={})
    try:
        conn = inst.db(SLUG)
        office = Office(0, 0, conn)
        committees = {}
        for n, (script, name) in enumerate(COMMITTEES.items()):
            body = bodies.save_body(conn, OP, body_id=None, kind="committee", name=name)
            member = office.person(MORE.get(script, ["Siân ap Gwŷr"])[0], on_board=False,
                                   email=f"member{n}@ex.org")
            office.member(member, body_id=body)
            meeting = office.meeting(body_id=body, days=-10, title="Meeting")
            attendance.save_attendance_register(conn, OP, meeting, {member: "present"})
            committees[script] = body
    finally:
        inst.close()
    port = free_port()
    gvo = gvo_serve(instance, port)
    try:
        clerk = Caller("127.0.0.70", port, host=f"127.0.0.1:{port}")
        assert clerk.password_step(CLERK, PASSWORD).status == 302
        token = clerk.token(f"/{SLUG}/login/verify")
        assert clerk.request("POST", f"/{SLUG}/login/verify", {
            "csrf_token": token, "code": pyotp.TOTP(secret).now()}).status == 302
        year = date.today().year

        cookie = "; ".join(f"{k}={v}" for k, v in clerk.cookies.items())

        def report(script: str) -> tuple[int, bytes]:
            """The committee's attendance report, as the signed-in clerk (its own connection:
            Caller reads answers as text)."""
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                conn.request("GET", f"/{SLUG}/meetings/attendance.pdf"
                                    f"?body_id={committees[script]}"
                                    f"&start={year - 1}-01-01&end={year + 1}-12-31",
                             headers={"Host": clerk.host, "Cookie": cookie})
                resp = conn.getresponse()
                return resp.status, resp.read()
            finally:
                conn.close()

        def check(script: str, status: int, data: bytes) -> None:
            assert status == 200, (script, data[:300])
            name = COMMITTEES[script].replace(" ", "")
            assert f"Attendanceatmeetings:{name}" in _extracted_lines(data), script

        # One after another, twice round (the second PDF of each script is the one that
        # failed), then all at once on the server's threads.
        for script in [*COMMITTEES, *COMMITTEES]:
            check(script, *report(script))
        with ThreadPoolExecutor(len(COMMITTEES)) as pool:
            for script, answer in zip(COMMITTEES, pool.map(report, COMMITTEES), strict=True):
                check(script, *answer)
    finally:
        stop(gvo)
