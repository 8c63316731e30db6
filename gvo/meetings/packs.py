"""Board packs: one PDF per meeting, built in memory and streamed, never written to disk.

Layout: a cover (school, meeting, date, location), the agenda with the page
number of each paper, then for each paper a divider page followed by the paper
itself. Papers that are not PDFs (or not valid PDFs) are listed as "provided
separately" and not merged. Bookmarks: the cover, the agenda, then one per
item with a child per paper. fpdf2 draws the cover, agenda and dividers;
pypdf merges.
"""

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from pypdf import PdfReader, PdfWriter

from gvo.meetings.pdf import Document, human_time, latin1

CHUNK = 64 * 1024


@dataclass
class PackPaper:
    """A paper the reader of the pack may open: its title, file name and content."""

    title: str
    filename: str
    data: bytes | None = None      # None: not a file (a page or policy), listed only
    reader: PdfReader | None = field(default=None, repr=False)
    first_page: int = 0            # 1-based page of its divider in the pack; 0 if not merged
    unreadable: bool = False       # a PDF that pypdf could not merge: listed, not merged

    @property
    def pages(self) -> int:
        """Pages it adds to the pack (divider + its own), 0 if provided separately."""
        return len(self.reader.pages) + 1 if self.reader else 0


@dataclass
class PackItem:
    """An agenda item as the pack shows it."""

    number: int
    title: str
    purpose: str
    presenter: str = ""
    minutes: int = 0
    papers: list[PackPaper] = field(default_factory=list)


def _open_pdf(data: bytes | None) -> PdfReader | None:
    """A reader for a valid PDF with at least one page, else None."""
    if not data or not data.lstrip()[:5].startswith(b"%PDF-"):
        return None
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted or len(reader.pages) == 0:
            return None
        reader.pages[0]  # noqa: B018 (parses the page tree: a broken one fails here)
        return reader
    except Exception:  # a damaged file can make a parser fail in any way: list it instead
        return None


AGENDA_ROW_MM = 6
AGENDA_WIDTHS = (12, 84, 46, 32)


def _fit(doc: Document, text: str, width: float) -> str:
    """Text cut to fit a cell of `width` mm, with '...' when cut (the divider has it in full)."""
    text = latin1(text)
    if doc.get_string_width(text) <= width - 2:
        return text
    while text and doc.get_string_width(text + "...") > width - 2:
        text = text[:-1]
    return text + "..."


def _front(school: str, meeting, items: list[PackItem], generated: str, offset: int) -> Document:
    """Cover and agenda; paper page numbers are shifted by `offset` (the front's own length).

    Drawn with plain cells (one line per row): fpdf2's table layout costs more than merging.
    """
    doc = Document(f"{school} - {meeting['title']}")
    doc.add_page()
    doc.ln(30)
    doc.heading(school, 14)
    doc.ln(6)
    doc.heading(meeting["title"], 24)
    doc.para(meeting["body_name"], 14)
    doc.ln(4)
    doc.para(human_time(meeting["starts_at"], meeting["ends_at"]), 13)
    if meeting["location"]:
        doc.para(f"Location: {meeting['location']}", 13)
    if meeting["online_link"]:
        doc.para(f"Online: {meeting['online_link']}", 11)
    doc.ln(20)
    doc.para(f"Board pack generated {generated}. It contains only the items and papers "
             "its reader may open. Confidential: do not forward.", 9, "I")
    doc.add_page()
    doc.heading("Agenda")
    # doc.text() draws without fpdf2's cell layout, which is most of the drawing time.
    lefts = [doc.l_margin + sum(AGENDA_WIDTHS[:i]) for i in range(len(AGENDA_WIDTHS))]
    bottom = doc.h - doc.b_margin

    def header():
        doc.set_font("Helvetica", "B", 10)
        for text, x in zip(("No.", "Item / paper", "Purpose / file", "Page"), lefts, strict=True):
            doc.text(x, doc.y + 4, text)
        doc.line(doc.l_margin, doc.y + AGENDA_ROW_MM - 0.5, doc.w - doc.r_margin,
                 doc.y + AGENDA_ROW_MM - 0.5)
        doc.set_y(doc.y + AGENDA_ROW_MM)

    header()
    for item in items:
        detail = item.purpose.capitalize()
        if item.presenter:
            detail += f", {item.presenter}"
        if item.minutes:
            detail += f", {item.minutes} min"
        rows = [("B", str(item.number), item.title, detail, "")]
        for paper in item.papers:
            where = (str(paper.first_page + offset) if paper.reader else "provided separately")
            rows.append(("", "", "   " + paper.title, paper.filename, where))
        for style, *cells in rows:
            if doc.y + AGENDA_ROW_MM > bottom:
                doc.add_page()
                header()
            for i, (text, x, width) in enumerate(zip(cells, lefts, AGENDA_WIDTHS, strict=True)):
                doc.set_font("Helvetica", style if i < 2 else "", 10 if i < 2 else 9)
                if text:
                    doc.text(x, doc.y + 4, _fit(doc, text, width))
            doc.set_y(doc.y + AGENDA_ROW_MM)
    return doc


def _dividers(doc: Document, items: list[PackItem], offset: int) -> None:
    """One divider page per merged paper, in order, added at the end of `doc`."""
    for item in items:
        for paper in item.papers:
            if paper.reader:
                doc.add_page()
                doc.page_numbers[doc.page_no()] = paper.first_page + offset
                doc.set_font("Helvetica", "B", 14)
                doc.text(doc.l_margin, 100, _fit(doc, f"Item {item.number}: {item.title}", 174))
                doc.set_font("Helvetica", "B", 20)
                doc.text(doc.l_margin, 115, _fit(doc, paper.title, 174))
                doc.set_font("Helvetica", "", 11)
                doc.text(doc.l_margin, 125, _fit(doc, paper.filename, 174))


class _PaperFailed(Exception):
    def __init__(self, paper: PackPaper):
        super().__init__(paper.filename)
        self.paper = paper


def _merges(paper: PackPaper) -> bool:
    """Whether a paper merges and writes on its own (to find the one that broke a build)."""
    try:
        writer = PdfWriter()
        writer.append(_open_pdf(paper.data), import_outline=False)
        writer.write(io.BytesIO())
        return True
    except Exception:
        return False


def build(school: str, meeting, items: list[PackItem], generated: str) -> bytes:
    """The board pack as PDF bytes (built in memory).

    A PDF that opens but then fails to merge (damaged inside) is marked unreadable and the
    pack is built again without it: one bad paper never stops the pack.
    """
    papers = [p for item in items for p in item.papers]
    for _ in range(len(papers) + 1):
        try:
            return _assemble(school, meeting, items, generated)
        except _PaperFailed as failed:
            failed.paper.unreadable = True
        except Exception:
            culprits = [p for p in papers if p.reader and not _merges(p)]
            if not culprits:
                raise
            for paper in culprits:
                paper.unreadable = True
    raise RuntimeError("the board pack could not be built")


def _assemble(school: str, meeting, items: list[PackItem], generated: str) -> bytes:
    page = 1  # page numbers relative to the first page after the front matter
    for item in items:
        for paper in item.papers:
            paper.reader = None if paper.unreadable else _open_pdf(paper.data)
            paper.first_page = 0
            if paper.reader:
                paper.first_page = page
                page += paper.pages
    # The agenda gives page numbers, which depend on its own length: guess, check, redo if off.
    rows = sum(1 + len(item.papers) for item in items)
    guess = 2 + rows // 40
    front = _front(school, meeting, items, generated, guess)
    if front.pages_count != guess:
        front = _front(school, meeting, items, generated, front.pages_count)
    front_pages = front.pages_count
    # Dividers go in the same fpdf2 document: one drawing, one parse.
    _dividers(front, items, front_pages)
    drawn = PdfReader(io.BytesIO(front.bytes()))

    writer = PdfWriter()
    writer.append(drawn, pages=(0, front_pages), import_outline=False)
    writer.add_outline_item(title="Cover", page_number=0)
    writer.add_outline_item(title="Agenda", page_number=1)
    divider = 0
    for item in items:
        parent = None
        for paper in item.papers:
            if not paper.reader:
                continue
            at = len(writer.pages)
            writer.add_page(drawn.pages[front_pages + divider])
            divider += 1
            if parent is None:
                parent = writer.add_outline_item(
                    title=latin1(f"{item.number}. {item.title}"), page_number=at)
            try:
                writer.append(paper.reader, import_outline=False)
            except Exception as exc:
                raise _PaperFailed(paper) from exc
            writer.add_outline_item(title=latin1(paper.title), page_number=at, parent=parent)
        if parent is None:
            # No merged paper: the bookmark points at the agenda, where the item is listed.
            writer.add_outline_item(title=latin1(f"{item.number}. {item.title}"), page_number=1)
    writer.set_page_label(0, len(writer.pages) - 1, style="/D", start=1)
    writer.add_metadata({"/Title": latin1(f"{school}: {meeting['title']}"), "/Creator": "GVO"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def stream(data: bytes) -> Iterator[bytes]:
    """The pack in chunks, for a streamed response."""
    view = memoryview(data)
    for start in range(0, len(view), CHUNK):
        yield bytes(view[start:start + CHUNK])
