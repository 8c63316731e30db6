"""PDFs drawn with fpdf2: the minutes and the attendance report, and shared helpers.

Text is drawn in DejaVu Sans, shipped with the package (gvo/fonts, with its
licence) and embedded as a subset, so any name people type (Siân ap Gwŷr,
Łukasz Żółkiewski, Σοφία, curly quotes and dashes) is drawn and extracted as
entered. Scripts it lacks (CJK, Indic, Thai...) are drawn in Debian's Noto fonts
(FALLBACKS, fpdf2's fallback fonts), and right-to-left or joining scripts (Arabic,
Hebrew, Indic) are shaped by HarfBuzz (fpdf2's text shaping, uharfbuzz). A character
no installed font has (an emoji, say, or CJK without fonts-noto-cjk) is drawn as
U+FFFD, the Unicode replacement character, so the gap shows; invisible format
characters it lacks (variation selectors, joiners) are left out. All text, however it
is placed (paragraphs, tables, headings, footers, the pack's agenda lines), goes through
the same path: `Document.normalize_text`, then fpdf2's fragments. Every PDF is built in
memory, never on disk.

Each font is read from disk once per process (`_face`, `_fallback_face`: slow with CJK);
each document draws with its own copy (`_copy_font`), because fpdf2 cuts a font in place
when it writes the PDF. Documents are drawn one after another or at once (waitress serves
on several threads) without sharing anything either changes.
"""

import copy
import dataclasses
import io
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape, unescape
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont, TTLibError
from fpdf import FPDF
from fpdf.enums import TextDirection, TextEmphasis, XPos, YPos
from fpdf.fonts import FontFace, SubsetMap, TextStyle, TTFFont
from fpdf.output import OutputProducer

from gvo.core import dates
from gvo.core.text import cap_marks

FONT = "dejavusans"
FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
MISSING = "\ufffd"
# Fonts for the scripts DejaVu Sans lacks, from Debian's fonts-noto-core and fonts-noto-cjk
# (`make test` and `make run` install them): (file, face in a collection). A character is
# drawn in the first that has it; one none has (or a font not installed) shows as MISSING.
NOTO = Path("/usr/share/fonts/truetype/noto")
FALLBACKS = tuple((NOTO / f"NotoSans{script}-Regular.ttf", 0) for script in (
    "Arabic", "Hebrew", "Devanagari", "Bengali", "Gurmukhi", "Gujarati", "Tamil", "Telugu",
    "Kannada", "Malayalam", "Sinhala", "Thai", "Lao", "Khmer", "Myanmar", "Ethiopic",
    "Armenian", "Georgian", "Symbols2", "Symbols", "Math")) + (
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 0),)
# Characters that need HarfBuzz (fpdf2's text shaping) to be drawn right: right-to-left
# letters (reordered by the Unicode bidirectional algorithm) and scripts whose letters
# join or reorder (Arabic, Indic, Thai...). Text without them is drawn unshaped (faster).
_SHAPED_BIDI = frozenset(("R", "AL", "AN"))
_SHAPED_RANGES = ((0x0590, 0x08FF), (0x0900, 0x0DFF), (0x0E00, 0x0EFF), (0x1000, 0x109F),
                  (0x1780, 0x17FF), (0xFB1D, 0xFDFF), (0xFE70, 0xFEFF))
NEXT_LINE = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}
_KEEP = frozenset("\n\r\t")


# What most documents draw (Latin with Welsh and Central European letters, Greek, Cyrillic,
# punctuation, currency): embedding from a cut of the font holding only these is about four
# times cheaper than from the whole font (fontTools' cost grows with the font's glyphs).
COMMON = ((0x0000, 0x024F), (0x0300, 0x036F), (0x0370, 0x03FF), (0x0400, 0x04FF),
          (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F),
          (0xFFFD, 0xFFFD))
# Tables no embedded font needs: those fpdf2 drops when it cuts a font for the PDF (layout,
# colour and bitmap tables: fpdf2.output.OutputProducer._add_fonts), the old kerning table
# (fontTools drops it beside GPOS), FontForge's time stamp (fontTools cannot cut it) and
# vertical metrics (text is only drawn across). A document's copy of a font is opened
# without them, so the cut does not read them (a third of the cost with CJK). Shaping reads
# the font file itself (HarfBuzz), never this copy.
UNUSED_TABLES = ("GDEF", "GPOS", "GSUB", "MATH", "BASE", "JSTF", "kern", "hdmx", "meta",
                 "sbix", "CBDT", "CBLC", "EBDT", "EBLC", "EBSC", "SVG ", "CPAL", "COLR",
                 "FFTM", "DSIG", "vhea", "vmtx", "VORG")


@dataclass(frozen=True)
class _Face:
    """A font read once per process and never changed after: documents draw with copies of it
    (`_copy_font`), which share only what fpdf2 reads while drawing."""

    prototype: TTFFont      # fpdf2's reading of the font: metrics, character map, glyph ids
    program: bytes          # the font (one face of a collection) without UNUSED_TABLES
    common: bytes = b""     # DejaVu only: the program cut to COMMON, same glyph names
    common_glyphs: frozenset = frozenset()


_faces: dict[str, _Face] = {}            # DejaVu Sans by style
_fallbacks: dict[int, _Face] = {}        # FALLBACKS index -> its face, read on first use
_fallback_cmaps: list[set[int]] = []     # per FALLBACKS entry (empty: not installed)
_reading = threading.Lock()              # held while a font is read (waitress has threads)


def _fallback_index(char: str) -> int | None:
    """The FALLBACKS entry that draws `char` (None: none installed has it). The fonts'
    character maps are read on the first call (fontTools, about a second with CJK)."""
    with _reading:
        if not _fallback_cmaps:
            for path, number in FALLBACKS:
                try:
                    font = TTFont(path, fontNumber=number, lazy=True)
                    _fallback_cmaps.append(set(font.getBestCmap()))
                    font.close()
                except (OSError, TTLibError):
                    _fallback_cmaps.append(set())
    code = ord(char)
    return next((i for i, cmap in enumerate(_fallback_cmaps) if code in cmap), None)


def needs_shaping(text: str) -> bool:
    """Whether `text` holds right-to-left letters or a script whose letters join or reorder."""
    return any(unicodedata.bidirectional(ch) in _SHAPED_BIDI
               or any(low <= ord(ch) <= high for low, high in _SHAPED_RANGES)
               for ch in text if ord(ch) > 0x58F)


def _read_face(key: str, style: str, path: Path, number: int = 0) -> _Face:
    """A font (face `number` of a collection) read from disk; call with `_reading` held.
    fpdf2's own fontTools font of it is closed: no document uses it."""
    reader = FPDF()
    reader.add_font(key, style, path, collection_font_number=number)
    prototype = reader.fonts[key + style]
    prototype.ttfont.close()
    program = TTFont(path, fontNumber=number, lazy=True, recalcTimestamp=False,
                     recalcBBoxes=False)
    for tag in UNUSED_TABLES:
        if tag in program:
            del program[tag]
    data = io.BytesIO()
    program.save(data)
    program.close()
    return _Face(prototype, data.getvalue())


def _fallback_face(index: int) -> _Face:
    """A fallback font, read on first use (once per process: about 1.5 s and 60 MB of memory
    for CJK, whose program alone is 16 MB)."""
    with _reading:
        if index not in _fallbacks:
            path, number = FALLBACKS[index]
            _fallbacks[index] = _read_face(f"fallback{index}", "", path, number)
    return _fallbacks[index]


def _face(style: str) -> _Face:
    """The style of DejaVu Sans, read on first use (about 0.3 s, once per process)."""
    with _reading:
        if style not in _faces:
            face = _read_face(FONT, style, FONT_DIR / FONT_FILES[style])
            # Bounding boxes and maxima are computed again for the cut (once per process).
            cut = TTFont(io.BytesIO(face.program), recalcTimestamp=False)
            options = subset.Options(glyph_names=True, notdef_outline=True,
                                     recommended_glyphs=True, name_IDs=["*"],
                                     name_languages=["*"], layout_features=[])
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=[c for low, high in COMMON for c in range(low, high + 1)])
            subsetter.subset(cut)
            # One Unicode map is enough (the cut holds no character beyond U+FFFF).
            cut["cmap"].tables = [t for t in cut["cmap"].tables
                                  if (t.platformID, t.platEncID) == (3, 1)]
            common = io.BytesIO()
            cut.save(common)
            _faces[style] = dataclasses.replace(face, common=common.getvalue(),
                                                common_glyphs=frozenset(cut.getGlyphOrder()))
    return _faces[style]


def _fresh(data: bytes) -> TTFont:
    """A font program opened for fpdf2 to cut in place (the bytes are shared, never changed).
    Glyphs keep the bounding boxes stored in the file: recomputing them means decoding every
    outline drawn, most of the cost."""
    return TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False, lazy=True)


def _copy_font(doc: FPDF, face: _Face) -> TTFFont:
    """A font read once per process (`_face`, `_fallback_face`) made one document's own.

    Reading a font's metrics takes fpdf2 50 ms (DejaVu) to a second (CJK), so each font is
    read once per process and copied per document. The copy shares with other documents only
    what fpdf2 only reads (character map, glyph ids, metrics) and the font program's bytes.
    It has its own widths (a defaultdict, written to on lookups), its own record of the glyphs
    drawn, its own HarfBuzz font (which holds a size), its own font descriptor (fpdf2 numbers
    it and hangs the embedded font on it when writing) and its own fontTools font opened from
    the program, because fpdf2 cuts that one in place when the document is written
    (`Document.output`). So documents drawn one after another, or at once on several
    threads, never meet a font another has cut.
    """
    prototype = face.prototype
    font = copy.copy(prototype)
    font.cw = prototype.cw.copy()
    font.desc = copy.copy(prototype.desc)
    font.missing_glyphs = []
    font.ttfont = _fresh(face.program)
    font._hbfont = None
    font.i = len(doc.fonts) + 1
    font.subset = SubsetMap(font)
    return font


def _drawable(text: str, cmap, also: frozenset = frozenset()) -> str:
    """`text` with each character `cmap` lacks (and `also` does not hold) replaced by MISSING
    (format characters dropped)."""
    if cmap.keys() >= set(map(ord, text)):
        return text
    out = []
    for ch in text:
        if ord(ch) in cmap or ch in _KEEP or ch in also:
            out.append(ch)
        elif unicodedata.category(ch) != "Cf" and not 0xFE00 <= ord(ch) <= 0xFE0F:
            out.append(MISSING)
    return "".join(out)


LANGUAGE = "en-GB"  # of every PDF GVO draws (its metadata: PDF 1.7, 14.9.2)
FOOTER_SIZE = 8
FOOTER_ROOM_MM = 40  # kept free at the footer's right for the page number


class Document(FPDF):
    """An A4 document in DejaVu Sans with a small footer: title and page number.

    `footer_text` is also the document's title in its metadata, beside its language
    (LANGUAGE). `numbered`: whether the footer shows the page number (the board pack stamps
    its own, "Page N of M", on every page once merged: `gvo.meetings.packs`).
    """

    def __init__(self, footer_text: str = "", *, numbered: bool = True):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.numbered = numbered
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)
        self.set_creator("GVO")
        self.set_lang(LANGUAGE)
        if footer_text:
            self.set_title(footer_text)
        self.set_font(size=11)
        # A paragraph's direction (Unicode bidirectional algorithm, UAX #9): None, from its
        # first letter (rules P2, P3); left to right for a line placed by `text`.
        self._direction: TextDirection | None = None

    def set_font(self, family: str | None = None, style="", size: float = 0) -> None:
        """Choose the style ('' regular, 'B' bold, 'I' italic; bold italic is drawn bold) and
        the size in points. The family is always DejaVu Sans (`family` is ignored); each style
        is added to the document when first used, so only the styles drawn are embedded."""
        if style not in FONT_FILES:  # bold italic, underline, strike-through, TextEmphasis
            style = (style.style if isinstance(style, TextEmphasis) else style).upper()
            face = "B" if "B" in style else "I" if "I" in style else ""
            extras = "".join(c for c in style if c in "SU")
        else:
            face, extras = style, ""
        if (self.font_family == FONT and self.font_style == face + extras
                and size in (0, self.font_size_pt)):
            return  # already set: fpdf2's own check costs more (one call per table cell)
        if FONT + face not in self.fonts:
            self.fonts[FONT + face] = _copy_font(self, _face(face))
        super().set_font(FONT, face + extras, size)

    def normalize_text(self, text: str) -> str:
        """Text as drawn (fpdf2 calls this for all text): composed (NFC), each run of
        combining marks and zero-width characters cut to `gvo.core.text.MAX_MARKS` (fpdf2's line
        breaking takes time quadratic in such a run: it draws nothing, so never breaks: a page
        of U+200D took a minute), and each character the current font lacks shown as MISSING
        (see the module docstring)."""
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        text = cap_marks(text)
        cmap = self.current_font.cmap
        lacking = {ch for ch in set(text) if ord(ch) not in cmap and ch not in _KEEP}
        covered = frozenset(ch for ch in lacking if self._add_fallback(ch))
        if needs_shaping(text):
            if not self.text_shaping or self.text_shaping["direction"] != self._direction:
                self.set_text_shaping(True, direction=self._direction)
        elif self.text_shaping:
            self.set_text_shaping(False)
        return _drawable(text, cmap, covered)

    def _add_fallback(self, char: str) -> bool:
        """Add the fallback font that draws `char` to the document (fpdf2 then draws the
        character in it: `set_fallback_fonts`); False if no installed font has it."""
        index = _fallback_index(char)
        if index is None:
            return False
        key = f"fallback{index}"
        if key not in self.fonts:
            self.fonts[key] = _copy_font(self, _fallback_face(index))
            self._fallback_font_ids = [*self._fallback_font_ids, key]
            self._fallback_font_exact_match = False
        return True

    def text(self, x: float, y: float, text: str = "") -> None:
        """Draw one line of `text` starting at `x` mm on the baseline at `y` mm, in the current
        font, colour and size (fpdf2's text(), which neither falls back nor shapes: drawn here
        as a cell, like every other text, so any script is drawn and right-to-left text reads
        right). The line runs left to right from `x` (a right-to-left name in it reads right
        to left: UAX #9 with the paragraph level set by the layout, HL1), so a footer or an
        agenda line that starts with a Hebrew title keeps its English words where they are.
        The position and the page stay as they were."""
        if not text:
            return
        where, lasth, breaks = (self.x, self.y), self._lasth, self.auto_page_break
        # A cell's baseline is 0.5 h + 0.3 size below its top (fpdf2), its text c_margin in.
        self.x, self.y = x - self.c_margin, y - 0.8 * self.font_size
        self.auto_page_break, self._direction = False, TextDirection.LTR
        try:
            self.cell(h=self.font_size, text=text)
        finally:
            (self.x, self.y), self._lasth, self.auto_page_break = where, lasth, breaks
            self._direction = None

    def _preload_font_styles(self, text, markdown, _initial_emphasis=None):
        """fpdf2's split of text into styled fragments, after the Unicode bidirectional
        algorithm when text is shaped. fpdf2 (2.8.9) applies it to cells and paragraphs but not
        to text laid out by its HTML layout (`write_html`, text regions), which called this
        directly: a right-to-left name in a library page came out backwards."""
        if self.text_shaping and _initial_emphasis is None:
            return self._preload_bidirectional_text(text, markdown)
        return super()._preload_font_styles(text, markdown, _initial_emphasis)

    def _render_styled_text_line(self, text_line, *args, **kwargs):
        """fpdf2's drawing of one line of text (every cell, paragraph, table cell and `text`),
        after giving the page its font outside the line when the line begins in a fallback font.
        fpdf2 (2.8.9) sets it inside the line, which it wraps in q..Q when fonts change within
        it, so the font is gone after the line while fpdf2 counts it as set: the next line in
        the main font was drawn with no font at all (pypdf read it in the fallback font)."""
        fragments = text_line.get_ordered_fragments()
        if (fragments and not self.current_font_is_set_on_page
                and fragments[0].font.fontkey in self._fallback_font_ids):
            self._out(self._set_font_for_page(self.current_font, self.font_size_pt))
        return super()._render_styled_text_line(text_line, *args, **kwargs)

    def wrap(self, text: str, width: float) -> list[str]:
        """`text` in the current font broken into lines that fit `width` mm (less 2 mm of
        gutter): at spaces, and inside a word only when the word alone is wider than a line.
        Nothing is left out: the lines hold every word of `text`."""
        room = width - 2
        text = " ".join(text.split())
        if self.get_string_width(text) <= room:
            return [text] if text else []
        lines: list[str] = []
        line = ""
        for word in text.split():
            joined = f"{line} {word}" if line else word
            if self.get_string_width(joined) <= room:
                line = joined
                continue
            if line:
                lines.append(line)
            while len(word) > 1 and self.get_string_width(word) > room:
                cut = len(word) - 1
                while cut > 1 and self.get_string_width(word[:cut]) > room:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        if line:
            lines.append(line)
        return lines

    def footer(self):
        """Footer on every page: the title (wrapped, never cut: smaller when long, rising
        into the bottom margin) and, if `numbered`, the page number at the right."""
        self.set_text_color(90)
        width = self.w - self.l_margin - self.r_margin - FOOTER_ROOM_MM
        size = FOOTER_SIZE
        self.set_font(size=size)
        lines = self.wrap(self.footer_text, width)
        while len(lines) > 3 and size > 5:
            size -= 1
            self.set_font(size=size)
            lines = self.wrap(self.footer_text, width)
        step = size * 0.4
        for n, line in enumerate(lines):
            self.text(self.l_margin, self.h - 8 - (len(lines) - 1 - n) * step, line)
        if self.numbered:
            self.set_font(size=FOOTER_SIZE)
            number = f"Page {self.page_no()}"
            self.text(self.w - self.r_margin - self.get_string_width(number), self.h - 8,
                      number)
        self.set_text_color(0)

    def heading(self, text: str, size: int = 16) -> None:
        """A bold heading on its own line."""
        self.set_font(style="B", size=size)
        self.multi_cell(0, size * 0.5, text, **NEXT_LINE)
        self.ln(1)
        self.set_font(size=11)

    def para(self, text: str, size: int = 11, style: str = "") -> None:
        """A paragraph of wrapped text."""
        self.set_font(style=style, size=size)
        self.multi_cell(0, size * 0.5, text, **NEXT_LINE)
        self.set_font(size=11)

    def table(self, header: Iterable[str], rows: Iterable[Iterable], widths: list[int]) -> None:
        """A simple table (fpdf2's table layout, repeating the header on each page)."""
        self.set_font(size=10)
        with super().table(col_widths=widths, line_height=6, first_row_as_headings=True,
                           text_align="LEFT") as t:
            t.row(list(header))
            for row in rows:
                t.row([str(c) for c in row])
        self.set_font(size=11)

    def output(self, *args, **kwargs):
        """The PDF (fpdf2's output), each font embedded as `_Writer` says."""
        return super().output(*args, output_producer_class=_Writer, **kwargs)

    def embed_common_cuts(self) -> None:
        """Embed each style of DejaVu Sans from its common cut when that holds every glyph
        drawn (the glyphs are found by name, so either gives the same PDF text). Called once
        everything is drawn, the last page's footer too (`_Writer`)."""
        for style in FONT_FILES:
            font = self.fonts.get(FONT + style)
            if font is not None and set(font.subset.get_all_glyph_names()) <= (
                    _face(style).common_glyphs):
                font.ttfont = _fresh(_face(style).common)

    def bytes(self) -> bytes:
        """The finished PDF."""
        return bytes(self.output())


class _Writer(OutputProducer):
    """fpdf2's writer of a finished document (`FPDF.output` calls it after drawing the last
    page's footer), which first picks the font programs to embed (`embed_common_cuts`)."""

    def bufferize(self) -> bytearray:
        """The PDF's bytes."""
        if isinstance(self.fpdf, Document):
            self.fpdf.embed_common_cuts()
        return super().bufferize()


# Markdown's HTML (gvo.library.pages.render) as drawn: headings and quotes in black and grey
# rather than fpdf2's red, code in the document's font (fpdf2's Courier has no "£").
_HTML_STYLES = {
    **{f"h{n}": TextStyle(font_style="B", color=0, font_size_pt=size, t_margin=4, b_margin=1)
       for n, size in ((1, 16), (2, 14), (3, 12), (4, 11), (5, 11), (6, 11))},
    "blockquote": TextStyle(color=70, t_margin=2, b_margin=2, l_margin=6),
    "pre": TextStyle(t_margin=3, font_family=FONT),
    "ul": TextStyle(t_margin=2, b_margin=3),
    "ol": TextStyle(t_margin=2, b_margin=3),
    "code": FontFace(family=FONT),
}


_LINK = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.S)
_HREF = re.compile(r'\bhref="([^"]*)"')
_TAG = re.compile(r"<[^>]+>")
_CELL = re.compile(r"(<t[hd]\b[^>]*>)(.*?)(</t[hd]>)", re.S)


def _unlinked(html: str) -> str:
    """`html` with each link replaced by its text, followed by its address in brackets when
    that is a web or mail address other than the text (printed, a link is its address).
    fpdf2's HTML layout refuses a link in a table cell, one without an address and one to a
    place in the page."""
    def text(match: re.Match) -> str:
        found = _HREF.search(match.group(1))
        href = unescape(found.group(1)) if found else ""
        label = match.group(2)
        if href.startswith(("http://", "https://", "mailto:")) and (
                unescape(_TAG.sub("", label)).strip() != href):
            return f"{label} ({escape(href.removeprefix('mailto:'))})"
        return label
    return _LINK.sub(text, html)


def _for_fpdf(html: str) -> str:
    """Cleaned HTML as fpdf2's layout takes it: links as text (`_unlinked`), tables ruled,
    and table cells in plain text (it refuses inline tags in a cell)."""
    html = _unlinked(html).replace("<table>", '<table border="1">')
    return _CELL.sub(lambda m: m.group(1) + _TAG.sub("", m.group(2)) + m.group(3), html)


def html_pdf(title: str, html: str, note: str = "") -> bytes:
    """A library page as a PDF, to merge into a pack: its title, `note` (when it was
    updated), then its body as HTML already rendered from Markdown and cleaned
    (`gvo.library.pages.render`: headings, paragraphs, lists, tables, quotes, code), drawn by
    fpdf2's HTML layout; links are printed as their text and address. Tables get ruled cells
    and repeat their header on each page. Should fpdf2's layout refuse what the page holds
    (it takes less than browsers do), the page's text is drawn as plain paragraphs instead:
    a page never stops a pack."""
    def start() -> Document:
        doc = Document(title)
        doc.add_page()
        doc.heading(title)
        if note:
            doc.para(note, 9, "I")
            doc.ln(2)
        doc.set_font(size=11)
        return doc

    doc = start()
    try:
        if "<table" in html:  # fpdf2 checks the bold style is there before drawing headers
            doc.set_font(style="B")
            doc.set_font()
        doc.write_html(_for_fpdf(html), tag_styles=_HTML_STYLES, li_prefix_color=(0, 0, 0),
                       warn_on_tags_not_matching=False)
    except Exception:  # noqa: BLE001 - fpdf2 refuses some HTML in many ways: draw it plainly
        doc = start()
        for block in re.split(r"</(?:p|h\d|li|tr|pre|blockquote)>", html):
            text = unescape(_TAG.sub(" ", block)).strip()
            if text:
                doc.para(text)
                doc.ln(1)
    return doc.bytes()


def human_time(starts_at: str, ends_at: str) -> str:
    """'Tue 2 Mar 2027, 6 pm to 8 pm' from stored local stamps (gvo.core.dates.span; as
    stored for a stored time that is not one)."""
    return dates.span(starts_at, ends_at)


def _attendee(member: dict) -> str:
    """'Name (chair)' for a chair or vice-chair, else the name."""
    position = member.get("position", "")
    return f"{member['name']} ({position})" if position in ("chair", "vice-chair") else (
        member["name"])


def minutes_pdf(school_name: str, minutes: dict, register: dict, made_at: str) -> bytes:
    """The approved minutes (part 1 only: never the confidential part), ready to publish,
    drawn from the minutes' and the register's snapshots (gvo.meetings.records); `made_at`
    is when the approved copy was made (UTC ISO)."""
    meeting, approval = minutes["meeting"], minutes["approval"]
    doc = Document(f"{school_name} - minutes - {meeting['title']}")
    doc.add_page()
    doc.heading(school_name, 12)
    doc.heading(f"Minutes: {meeting['title']}")
    doc.para(f"{meeting['body_name']}. {human_time(meeting['starts_at'], meeting['ends_at'])}")
    if meeting["location"]:
        doc.para(f"Location: {meeting['location']}")
    doc.para(f"Approved at the meeting of {dates.day(approval['meeting']['starts_at'])} "
             f"({approval['meeting']['title']}).", style="I")
    doc.ln(2)
    by_status: dict[str, list[str]] = {}
    for member in register["members"]:
        by_status.setdefault(member["status"], []).append(_attendee(member))
    doc.heading("Attendance", 13)
    doc.para("Present: " + (", ".join(by_status.get("present", [])) or "none"))
    for status, label in (("apologies_accepted", "Apologies accepted"),
                          ("apologies_not_accepted", "Apologies not accepted"),
                          ("absent", "Absent")):
        if by_status.get(status):
            doc.para(f"{label}: " + ", ".join(by_status[status]))
    if register["guests"]:
        doc.para("In attendance: " + ", ".join(
            f"{g['name']} ({g['kind']}{', ' + g['organisation'] if g['organisation'] else ''})"
            for g in register["guests"]))
    quorum = register["quorum"]
    quorate = quorum["present"] >= quorum["needed"]
    doc.para(f"Quorum: {quorum['needed']} ({quorum['rule']}); {quorum['present']} present - "
             f"{'the meeting was quorate' if quorate else 'the meeting was NOT quorate'}.")
    for item in minutes["part1"]:
        doc.ln(2)
        doc.heading(f"{item['number']}. {item['title']}", 13)
        _declarations(doc, item.get("declarations", []), register)
        if item["discussion"]:
            doc.para(item["discussion"])
        if item["decisions"]:
            doc.para("Decisions: " + item["decisions"], style="B")
        for action in item["actions"]:
            who = action["owner_name"] or "unassigned"
            due = f", due {dates.day(action['due_on'])}" if action["due_on"] else ""
            doc.para(f"Action: {action['text']} ({who}{due})", style="I")
    doc.ln(4)
    doc.para(f"Approved copy made by GVO on {dates.moment(made_at)}.", size=8)
    return doc.bytes()


def _declarations(doc: "Document", declared: list[dict], register: dict) -> None:
    """An item's declarations of interest, and its quorum when a withdrawal changes it
    (gvo.meetings.declarations.item_quorum)."""
    from gvo.meetings.declarations import item_quorum

    for d in declared:
        left = "withdrew for this item" if d["withdrew"] else "stayed for this item"
        doc.para(f"Declaration of interest: {d['name']}: {d['interest']} ({left}).", style="I")
    q = item_quorum(register["quorum"], register["members"], declared)
    if q:
        doc.para(f"Quorum for this item: {q['needed']} ({q['rule']}); {q['present']} present - "
                 f"{'quorate' if q['quorate'] else 'NOT quorate'}.", style="I")


def attendance_pdf(school_name: str, body_name: str, start: str, end: str, rows: list,
                   meetings: int, generated_at: str) -> bytes:
    """The attendance report as a PDF fit for the school website."""
    doc = Document(f"{school_name} - attendance - {body_name}")
    doc.add_page()
    doc.heading(school_name, 12)
    doc.heading(f"Attendance at meetings: {body_name}")
    doc.para(f"From {dates.day(start)} to {dates.day(end)}: {meetings} meeting(s) with a "
             "register taken.")
    doc.ln(2)
    doc.table(["Name", "Attended", "Apologies accepted", "Absent", "Eligible", "Attendance"],
              [(r.name, r.attended, r.apologies, r.absent, r.eligible,
                f"{r.percent}%" if r.percent is not None else "-")
               for r in rows], widths=[56, 22, 30, 22, 22, 22])
    doc.ln(4)
    doc.para(f"Generated by GVO on {generated_at}.", size=8)
    return doc.bytes()
