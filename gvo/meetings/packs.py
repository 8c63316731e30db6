"""Board packs: one PDF per meeting, built in memory and streamed, never written to disk.

Layout: a cover (school, meeting, date, location), the agenda with the page
number of each paper, then for each paper a divider page followed by the paper
itself. Word, Excel, PowerPoint and OpenDocument papers are merged as their PDF copies
(`gvo.library.pdf_copies`, made by LibreOffice once per version), library pages as their
Markdown rendered (headings, lists, tables). Papers with nothing to merge (another kind of
file, an office file with no copy because LibreOffice is not installed, PDFs that are not
valid or need a password to open) are listed as "provided separately"; a PDF with only an
owner password is merged. Bookmarks: the cover, the agenda, then one per item with a child
per paper. fpdf2 draws the cover, agenda and dividers; pypdf merges.

Every page, the papers' own included, is stamped "Page N of M" (N and M over the whole pack,
the numbers the agenda gives), and every page of a confidential (part 2) item, its divider
and its papers, "Confidential (part 2)" at the top (`_stamp`); the agenda marks those items
too. A pack made for someone who may not see part 2 holds none of it (`items_for`).

Uploaded PDFs are untrusted: pypdf's work on one is unbounded (a page tree of millions of
pages, a content stream that inflates to gigabytes). So each paper is first read and
written again by pypdf in a child process held to limits (`gvo/library/extract_child.py
clean-pdf`: CPU seconds, memory, wall time, pages, decoded content, size; see LIMITS),
and only what it wrote is merged here. A paper beyond a limit is listed as provided
separately, like one that needs a password. What the child wrote is kept in memory by the
paper's sha256 (CACHE_BYTES at most), so the next pack with the same papers does not read
them again.
"""

import contextlib
import hashlib
import io
import json
import subprocess
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field

from fpdf.fonts import CORE_FONTS_CHARWIDTHS
from pypdf import PasswordType, PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    TextStringObject,
)

from gvo.actions import tasks
from gvo.core import dates
from gvo.core.identity import Identity
from gvo.library import extract, pdf_copies
from gvo.meetings import agenda, meetings, papers
from gvo.meetings.pdf import LANGUAGE, Document, human_time
from gvo.storage.sqlcipher import Connection

CHUNK = 64 * 1024
# What one paper may cost the child that reads it (pages and bytes are the paper's).
LIMITS = {"pages": 1000, "size": extract.MAX_INPUT_BYTES, "expanded": 64 * 1024 * 1024,
          "cpu": extract.CPU_SECONDS, "cpu_total": 600, "memory": extract.MEMORY_BYTES}
WALL_SECONDS = extract.WALL_SECONDS
CACHE_BYTES = 64 * 1024 * 1024
_CHILD = extract._CHILD
# What one board pack reads of its papers (see `items_for`), in bytes.
MAX_PACK_PAPER_BYTES = 50 * 1024 * 1024
MAX_PACK_BYTES = 150 * 1024 * 1024


@dataclass
class PackPaper:
    """A paper the reader of the pack may open: its title, file name and content."""

    title: str
    filename: str
    data: bytes | None = None      # None: not a file (a page or policy), listed only
    reader: PdfReader | None = field(default=None, repr=False)
    first_page: int = 0            # 1-based page of its divider in the pack; 0 if not merged
    unreadable: bool = False       # a PDF that pypdf could not merge: listed, not merged
    status: str = ""               # how the child read it: ok, password, unreadable, limit:..
    digest: str = ""               # sha256 of the paper as uploaded
    too_large: bool = False        # not read for the pack (`items_for`): listed only
    converting: bool = False       # its PDF copy is being made (`items_for`): listed only

    @property
    def pages(self) -> int:
        """Pages it adds to the pack (divider + its own), 0 if provided separately."""
        return len(self.reader.pages) + 1 if self.reader else 0


@dataclass
class PackItem:
    """An agenda item as the pack shows it (`number`: its label on the agenda, '3' or 'C1')."""

    number: str
    title: str
    purpose: str
    presenter: str = ""
    minutes: int = 0
    papers: list[PackPaper] = field(default_factory=list)
    confidential: bool = False     # part 2: its pages are marked CONFIDENTIAL_MARK
    notes: list[str] = field(default_factory=list)   # lines under it: matters arising


def _open_pdf(data: bytes | None) -> PdfReader | None:
    """A reader for a valid PDF with at least one page that opens without a password, else None.

    A PDF with only an owner password (restrictions on printing or copying, opened with an
    empty user password: `qpdf --encrypt "" owner 256 --`) opens, and merges decrypted; one
    that needs a password to open does not (it is listed as provided separately).
    """
    if not data or not data.lstrip()[:5].startswith(b"%PDF-"):
        return None
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            return None
        if len(reader.pages) == 0:
            return None
        reader.pages[0]  # noqa: B018 (parses the page tree: a broken one fails here)
        return reader
    except Exception:  # a damaged file can make a parser fail in any way: list it instead
        return None


CONFIDENTIAL_MARK = "Confidential (part 2)"
AGENDA_LINE_MM = 4.5
AGENDA_PAD_MM = 1.5
AGENDA_WIDTHS = (12, 82, 44, 36)
PAPER_INDENT_MM = 4


def _front(school: str, meeting, items: list[PackItem], generated: str, offset: int) -> Document:
    """Cover and agenda; paper page numbers are shifted by `offset` (the front's own length).

    The agenda is drawn line by line with doc.text() (long titles, presenters and durations
    wrap, never cut): fpdf2's table layout costs more than all the merging. Page numbers are
    not drawn in the footer: the whole pack is stamped once merged (`_stamp`).
    """
    doc = Document(f"{school} - {meeting['title']}", numbered=False)
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
             "its reader may open. Do not forward it.", 9)
    doc.add_page()
    doc.heading("Agenda")
    lefts = [doc.l_margin + sum(AGENDA_WIDTHS[:i]) for i in range(len(AGENDA_WIDTHS))]
    bottom = doc.h - doc.b_margin

    def header():
        doc.set_font(style="B", size=10)
        for text, x in zip(("No.", "Item / paper", "Purpose / file", "Page"), lefts, strict=True):
            doc.text(x, doc.y + 4, text)
        row = AGENDA_LINE_MM + AGENDA_PAD_MM
        doc.line(doc.l_margin, doc.y + row - 0.5, doc.w - doc.r_margin, doc.y + row - 0.5)
        doc.set_y(doc.y + row)

    header()
    for item in items:
        detail = item.purpose.capitalize()
        if item.presenter:
            detail += f", {item.presenter}"
        if item.minutes:
            detail += f", {item.minutes} min"
        if item.confidential:
            detail = f"{CONFIDENTIAL_MARK}. {detail}"
        rows = [("B", 0, (str(item.number), item.title, detail, ""))]
        rows += [("", PAPER_INDENT_MM, ("", note, "", "")) for note in item.notes]
        for paper in item.papers:
            where = (str(paper.first_page + offset) if paper.reader
                     else "provided separately (too large for the pack)" if paper.too_large
                     else "provided separately (being converted)" if paper.converting
                     else "provided separately")
            rows.append(("", PAPER_INDENT_MM, ("", paper.title, paper.filename, where)))
        for style, indent, cells in rows:
            columns = []
            for i, text in enumerate(cells):
                doc.set_font(style=style if i < 2 else "", size=10 if i < 2 else 9)
                width = AGENDA_WIDTHS[i] - (indent if i == 1 else 0)
                columns.append((style if i < 2 else "", 10 if i < 2 else 9,
                                doc.wrap(text, width)))
            height = max(len(lines) for *_, lines in columns) * AGENDA_LINE_MM + AGENDA_PAD_MM
            if doc.y + height > bottom:
                doc.add_page()
                header()
            for i, (font_style, size, lines) in enumerate(columns):
                doc.set_font(style=font_style, size=size)
                x = lefts[i] + (indent if i == 1 else 0)
                for n, line in enumerate(lines):
                    doc.text(x, doc.y + 4 + n * AGENDA_LINE_MM, line)
            doc.set_y(doc.y + height)
    return doc


def _dividers(doc: Document, items: list[PackItem]) -> None:
    """One divider page per merged paper, in order, added at the end of `doc`."""
    width = doc.w - doc.l_margin - doc.r_margin
    for item in items:
        for paper in item.papers:
            if paper.reader:
                doc.add_page()
                y = 100.0
                lines = [(f"Item {item.number}: {item.title}", "B", 14),
                         (paper.title, "B", 20), (paper.filename, "", 11)]
                if item.confidential:
                    lines.append((f"{CONFIDENTIAL_MARK}: for those who may see part 2 of "
                                  "the agenda only.", "B", 11))
                for text, style, size in lines:
                    doc.set_font(style=style, size=size)
                    for line in doc.wrap(text, width):
                        doc.text(doc.l_margin, y, line)
                        y += size * 0.45
                    y += 4


# The stamps on every page of a pack (`_stamp`): Helvetica Bold, one of the PDF standard
# fonts every reader has (PDF 1.7, 9.6.2.2), so nothing is embedded; text in WinAnsi.
STAMP_FONT = "/GVOStamp"
STAMP_SIZE = 8                        # points
STAMP_MARGIN = 18 / 25.4 * 72         # from the page's side, as the drawn pages' margins
STAMP_BASELINE = 8 / 25.4 * 72        # from the page's bottom, as the drawn pages' footers
_STAMP_WIDTHS = CORE_FONTS_CHARWIDTHS["helveticaB"]


def _stamp_width(text: str, size: float) -> float:
    """Width in points of `text` in Helvetica Bold at `size` points."""
    return sum(_STAMP_WIDTHS[ch] for ch in text) * size / 1000


def _stamp_ops(text: str, x: float, y: float, rgb: str) -> str:
    """Content operators drawing `text` at (x, y) points on a white band, in colour `rgb`."""
    width = _stamp_width(text, STAMP_SIZE)
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return (f"1 g {x - 2:.2f} {y - 2.5:.2f} {width + 4:.2f} {STAMP_SIZE + 3:.2f} re f "
            f"BT {STAMP_FONT} {STAMP_SIZE} Tf {rgb} rg {x:.2f} {y:.2f} Td ({escaped}) Tj ET ")


A4_POINTS = (0.0, 0.0, 595.28, 841.89)


def _shown(page) -> tuple[float, float, float, float, int]:
    """The box a page is shown in (its crop box, else its media box; A4 if it has neither
    that reads) and its rotation (a multiple of 90 degrees, 0 if it is not one)."""
    try:
        box = tuple(float(v) for v in page.cropbox)
    except (ValueError, TypeError):
        box = A4_POINTS
    x0, y0, x1, y1 = min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(
        box[1], box[3])
    try:
        rotation = int(page.rotation) % 360
    except (ValueError, TypeError):
        rotation = 0
    return x0, y0, x1, y1, rotation if rotation in (0, 90, 180, 270) else 0


def _dictionary(parent: DictionaryObject, key: str) -> DictionaryObject:
    """`parent[key]` when it is a dictionary (an empty one if it is missing or damaged)."""
    found = parent.get(key)
    found = found.get_object() if found is not None else None
    return found if isinstance(found, DictionaryObject) else DictionaryObject()


def _stamp(writer: PdfWriter, confidential: list[bool]) -> None:
    """Stamp each page "Page N of M" at the bottom right, and each page marked in
    `confidential` (one flag a page) CONFIDENTIAL_MARK at the top, as the page is shown (its
    crop box and rotation). The page's own content is left as it is, wrapped in q..Q so
    nothing it leaves set (a transformation, a colour) moves or hides the stamp."""
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica-Bold"),
        NameObject("/Encoding"): NameObject("/WinAnsiEncoding")}))
    opening = DecodedStreamObject()
    opening.set_data(b"q\n")
    opening = writer._add_object(opening)
    total = len(writer.pages)
    for number, page in enumerate(writer.pages, start=1):
        x0, y0, x1, y1, rotation = _shown(page)
        width, height = (y1 - y0, x1 - x0) if rotation in (90, 270) else (x1 - x0, y1 - y0)
        # From the page as shown (origin at its bottom left) to the page's own space.
        matrix = {0: (1, 0, 0, 1, x0, y0), 90: (0, 1, -1, 0, x1, y0),
                  180: (-1, 0, 0, -1, x1, y1), 270: (0, -1, 1, 0, x0, y1)}[rotation]
        label = f"Page {number} of {total}"
        ops = _stamp_ops(label, width - STAMP_MARGIN - _stamp_width(label, STAMP_SIZE),
                         STAMP_BASELINE, "0.25 0.25 0.25")
        if confidential[number - 1]:
            mark = CONFIDENTIAL_MARK.upper()
            ops += _stamp_ops(mark, (width - _stamp_width(mark, STAMP_SIZE)) / 2,
                              height - STAMP_BASELINE - STAMP_SIZE, "0.7 0 0")
        closing = DecodedStreamObject()
        closing.set_data(("Q q {} {} {} {} {:.2f} {:.2f} cm ".format(*matrix) + ops + "Q\n")
                         .encode("latin-1"))
        raw = page.raw_get("/Contents") if "/Contents" in page else None
        content = raw.get_object() if raw is not None else None
        parts = (list(content) if isinstance(content, ArrayObject)
                 else [] if content is None
                 else [raw if isinstance(raw, IndirectObject) else writer._add_object(content)])
        page[NameObject("/Contents")] = ArrayObject(
            [opening, *parts, writer._add_object(closing)])
        resources = DictionaryObject(_dictionary(page, "/Resources"))
        fonts = DictionaryObject(_dictionary(resources, "/Font"))
        fonts[NameObject(STAMP_FONT)] = font
        resources[NameObject("/Font")] = fonts
        page[NameObject("/Resources")] = resources


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


def items_for(conn: Connection, who: Identity, meeting_id: int, school: pdf_copies.School, *,
              converter: str = pdf_copies.PROGRAM) -> list[PackItem]:
    """What goes into a meeting's pack for `who`: the agenda items they may see (part 2 only
    for those who may see it), each with the papers they may open (`papers.content`: a PDF
    document's latest version, an office document's PDF copy, a page rendered; any other
    document listed, unread). An office document without its copy yet is listed as provided
    separately (being converted), its conversion queued for `school` with the LibreOffice
    program `converter`: a pack never waits for a conversion.

    A pack is built in memory, so a paper larger than MAX_PACK_PAPER_BYTES, or one that would
    take the papers read for one pack past MAX_PACK_BYTES, is not read: the pack lists it as
    provided separately (too large), and it is downloaded from the meeting's page.
    """
    left = MAX_PACK_BYTES
    items = []
    listed = agenda.items(conn, meeting_id, who)
    by_item = papers.for_items(conn, who, [item["id"] for item in listed])
    for item in listed:
        found = []
        for paper in by_item[item["id"]]:
            pack_paper = PackPaper(paper.title, paper.filename or "library page")
            if paper.kind == "document" and paper.size > min(left, MAX_PACK_PAPER_BYTES):
                pack_paper.too_large = True
            else:
                data, how = papers.content(conn, who, paper, school, converter=converter)
                pack_paper.converting = how == "converting"
                if data is not None and len(data) > min(left, MAX_PACK_PAPER_BYTES):
                    pack_paper.too_large = True  # a PDF copy larger than its original
                else:
                    pack_paper.data = data
                    left -= len(data or b"")
            found.append(pack_paper)
        items.append(PackItem(item["number"], item["title"], item["purpose"],
                              item["presenter"], item["minutes"], found,
                              bool(item["confidential"]), _notes(conn, who, item)))
    return items


def _notes(conn: Connection, who: Identity, item) -> list[str]:
    """The lines the pack shows under an item: for the "Matters arising" item (by its kind,
    whatever its title), the open actions from the body's earlier meetings that `who` may
    see (gvo.actions.tasks.matters_arising), each with who does it and by when."""
    if item["kind"] != agenda.MATTERS_ARISING:
        return []
    found = tasks.matters_arising(conn, who, meetings.get(conn, item["meeting_id"]))
    return [f"Action: {t['title']}" + (f" ({t['assignee_names']})" if t["assignee_names"]
                                       else "")
            + (f", due {dates.day(t['due_on'])}" if t["due_on"] else "") for t in found] or [
        "No open actions from earlier meetings."]


_cache: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
_cache_lock = threading.Lock()


def _remember(digest: str, answer: tuple[str, bytes]) -> None:
    with _cache_lock:
        _cache[digest] = answer
        while sum(len(data) for _status, data in _cache.values()) > CACHE_BYTES:
            _cache.popitem(last=False)


def _recalled(digest: str) -> tuple[str, bytes] | None:
    with _cache_lock:
        if digest in _cache:
            _cache.move_to_end(digest)
            return _cache[digest]
    return None


def _read_in_child(papers: list[PackPaper]) -> int:
    """Have one child read `papers` in turn (see the module docstring); sets each one's
    status and data. Returns how many it answered for: when the child dies on a paper (its
    CPU or memory limit, or killed at WALL_SECONDS), that paper counts, as limit:time."""
    child = subprocess.Popen(  # noqa: S603 - our own script, arguments we made
        [sys.executable, "-I", str(_CHILD), "clean-pdf", json.dumps(LIMITS)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    answered = 0
    try:
        for paper in papers:
            answered += 1
            timer = threading.Timer(WALL_SECONDS, child.kill)
            timer.start()
            try:
                child.stdin.write(len(paper.data).to_bytes(8, "big"))
                child.stdin.write(paper.data)
                child.stdin.flush()
                answer = json.loads(child.stdout.readline() or b"null")
                data = child.stdout.read(answer["length"]) if answer else b""
            except (OSError, ValueError):
                answer = None
            finally:
                timer.cancel()
            if not answer or len(data) != answer["length"]:
                paper.status, paper.data = "limit:time", None
                break
            paper.status, paper.data = answer["status"], data or None
            _remember(paper.digest, (paper.status, data))
        else:
            child.stdin.write(b"\0" * 8)
            child.stdin.flush()
    except OSError:
        pass  # the child is gone: the paper it was reading has its status
    finally:
        for pipe in (child.stdin, child.stdout):
            with contextlib.suppress(OSError):
                pipe.close()
        if child.poll() is None:
            child.kill()
        child.wait()
    return answered


def read_papers(papers: list[PackPaper]) -> None:
    """Replace each PDF paper's data by the child's reading of it (None, with its status,
    when it is not to be merged); other papers are left as they are."""
    todo = []
    for paper in papers:
        if not paper.data or not paper.data.lstrip()[:5].startswith(b"%PDF-"):
            continue
        paper.digest = hashlib.sha256(paper.data).hexdigest()
        known = _recalled(paper.digest)
        if known is not None:
            paper.status, paper.data = known[0], known[1] or None
        else:
            todo.append(paper)
    while todo:
        todo = todo[_read_in_child(todo):]


def build(school: str, meeting, items: list[PackItem], generated: str) -> bytes:
    """The board pack as PDF bytes (built in memory).

    Each PDF paper is first read in a limited child process (`read_papers`). A PDF that
    opens but then fails to merge (damaged inside) is marked unreadable and the pack is built
    again without it: one bad paper never stops the pack.
    """
    papers = [p for item in items for p in item.papers]
    read_papers(papers)
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
    guess = 2 + rows // 40  # rows are one line each unless a title wraps
    front = _front(school, meeting, items, generated, guess)
    if front.pages_count != guess:
        front = _front(school, meeting, items, generated, front.pages_count)
    front_pages = front.pages_count
    # Dividers go in the same fpdf2 document: one drawing, one parse.
    _dividers(front, items)
    drawn = PdfReader(io.BytesIO(front.bytes()))

    writer = PdfWriter()
    writer.append(drawn, pages=(0, front_pages), import_outline=False)
    confidential = [False] * front_pages
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
                    title=f"{item.number}. {item.title}", page_number=at)
            try:
                writer.append(paper.reader, import_outline=False)
            except Exception as exc:
                raise _PaperFailed(paper) from exc
            writer.add_outline_item(title=paper.title, page_number=at, parent=parent)
            confidential += [item.confidential] * (len(writer.pages) - at)
        if parent is None:
            # No merged paper: the bookmark points at the agenda, where the item is listed.
            writer.add_outline_item(title=f"{item.number}. {item.title}", page_number=1)
    _stamp(writer, confidential)
    writer.set_page_label(0, len(writer.pages) - 1, style="/D", start=1)
    writer.add_metadata({"/Title": f"{school}: {meeting['title']}", "/Creator": "GVO"})
    writer.root_object[NameObject("/Lang")] = TextStringObject(LANGUAGE)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def stream(data: bytes) -> Iterator[bytes]:
    """The pack in chunks, for a streamed response."""
    view = memoryview(data)
    for start in range(0, len(view), CHUNK):
        yield bytes(view[start:start + CHUNK])
