"""PDFs drawn with fpdf2: the minutes and the attendance report, and shared helpers.

fpdf2's core fonts (Helvetica) cover Latin-1 only. Rather than ship a font,
text is folded to Latin-1: typographic punctuation to its plain form, accented
letters outside Latin-1 to their base letter (Ł -> L, ő -> o), and anything
left (e.g. Greek, CJK) to '?'. Every PDF is built in memory, never on disk.
"""

import unicodedata
from collections.abc import Iterable

from fpdf import FPDF
from fpdf.enums import XPos, YPos

_PLAIN = str.maketrans({
    "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-",
    "‒": "-", "−": "-", "…": "...", "•": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "Œ": "OE", "œ": "oe",
    "€": "EUR", "™": "(TM)",
})
NEXT_LINE = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}


def latin1(text: str) -> str:
    """Text folded to what the PDF core fonts can draw (see the module docstring)."""
    text = str(text or "").translate(_PLAIN)
    out = []
    for ch in text:
        if ord(ch) < 256:
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch)
                       if not unicodedata.combining(c))
        out.append(base if base and all(ord(c) < 256 for c in base) else "?")
    return "".join(out)


class Document(FPDF):
    """An A4 document in Helvetica with a small footer: title and page number."""

    def __init__(self, footer_text: str = ""):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = latin1(footer_text)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)
        self.set_creator("GVO")
        self.set_font("Helvetica", size=11)
        # A merged document (the board pack) shows its own page numbers for some pages.
        self.page_numbers: dict[int, int] = {}

    def footer(self):
        """Footer on every page: the title and the page number."""
        number = self.page_numbers.get(self.page_no(), self.page_no())
        self.set_font("Helvetica", size=8)
        self.set_text_color(90)
        self.text(self.l_margin, self.h - 8, f"{self.footer_text}    Page {number}"
                  if self.footer_text else f"Page {number}")
        self.set_text_color(0)

    def heading(self, text: str, size: int = 16) -> None:
        """A bold heading on its own line."""
        self.set_font("Helvetica", "B", size)
        self.multi_cell(0, size * 0.5, latin1(text), **NEXT_LINE)
        self.ln(1)
        self.set_font("Helvetica", size=11)

    def para(self, text: str, size: int = 11, style: str = "") -> None:
        """A paragraph of wrapped text."""
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, size * 0.5, latin1(text), **NEXT_LINE)
        self.set_font("Helvetica", size=11)

    def table(self, header: Iterable[str], rows: Iterable[Iterable], widths: list[int]) -> None:
        """A simple table (fpdf2's table layout, repeating the header on each page)."""
        self.set_font("Helvetica", size=10)
        with super().table(col_widths=widths, line_height=6, first_row_as_headings=True,
                           text_align="LEFT") as t:
            t.row([latin1(h) for h in header])
            for row in rows:
                t.row([latin1(str(c)) for c in row])
        self.set_font("Helvetica", size=11)

    def bytes(self) -> bytes:
        """The finished PDF."""
        return bytes(self.output())


def text_pdf(title: str, body: str, note: str = "") -> bytes:
    """A library page (Markdown source) as a plain PDF, to merge into a pack."""
    doc = Document(title)
    doc.add_page()
    doc.heading(title)
    if note:
        doc.para(note, 9, "I")
        doc.ln(2)
    for block in body.replace("\r\n", "\n").split("\n\n"):
        text = block.strip()
        if text.startswith("#"):
            doc.heading(text.lstrip("#").strip(), 13)
        elif text:
            doc.para(text)
            doc.ln(1)
    return doc.bytes()


def human_time(starts_at: str, ends_at: str) -> str:
    """'Tuesday 3 March 2027, 18:00-20:00' from stored local stamps."""
    from gvo.meetings.meetings import parse_stamp

    start, end = parse_stamp(starts_at), parse_stamp(ends_at)
    day = f"{start:%A} {start.day} {start:%B %Y}"
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}-{end:%H:%M}"
    return f"{day} {start:%H:%M} to {end:%A} {end.day} {end:%B %Y} {end:%H:%M}"


def minutes_pdf(school_name: str, meeting, part1: list, attendance_rows: list,
                guests: list, quorum, approval: dict | None, generated_at: str) -> bytes:
    """The approved minutes (part 1 only: never the confidential part), ready to publish."""
    doc = Document(f"{school_name} - minutes - {meeting['title']}")
    doc.add_page()
    doc.heading(school_name, 12)
    doc.heading(f"Minutes: {meeting['title']}")
    doc.para(f"{meeting['body_name']}. {human_time(meeting['starts_at'], meeting['ends_at'])}")
    if meeting["location"]:
        doc.para(f"Location: {meeting['location']}")
    if approval:
        doc.para(f"Approved at the meeting of {approval['meeting']['starts_at'][:10]} "
                 f"({approval['meeting']['title']}).", style="I")
    doc.ln(2)
    present = [r["name"] for r in attendance_rows if r["status"] == "present"]
    apologies = [r["name"] for r in attendance_rows if r["status"] == "apologies_accepted"]
    not_accepted = [r["name"] for r in attendance_rows
                    if r["status"] == "apologies_not_accepted"]
    absent = [r["name"] for r in attendance_rows if r["status"] == "absent"]
    doc.heading("Attendance", 13)
    doc.para("Present: " + (", ".join(present) or "none"))
    if apologies:
        doc.para("Apologies accepted: " + ", ".join(apologies))
    if not_accepted:
        doc.para("Apologies not accepted: " + ", ".join(not_accepted))
    if absent:
        doc.para("Absent: " + ", ".join(absent))
    if guests:
        doc.para("In attendance: " + ", ".join(
            f"{g['name']} ({g['kind']}{', ' + g['organisation'] if g['organisation'] else ''})"
            for g in guests))
    doc.para(f"Quorum: {quorum.needed} ({quorum.rule}); {quorum.present} present - "
             f"{'the meeting was quorate' if quorum.quorate else 'the meeting was NOT quorate'}.")
    for item in part1:
        doc.ln(2)
        doc.heading(f"{item['number']}. {item['title']}", 13)
        if item["discussion"]:
            doc.para(item["discussion"])
        if item["decisions"]:
            doc.para("Decisions: " + item["decisions"], style="B")
        for action in item["actions"]:
            who = action["owner_name"] or "unassigned"
            due = f", due {action['due_on']}" if action["due_on"] else ""
            doc.para(f"Action: {action['text']} ({who}{due})", style="I")
    doc.ln(4)
    doc.para(f"Generated by GVO on {generated_at}.", size=8)
    return doc.bytes()


def attendance_pdf(school_name: str, body_name: str, start: str, end: str, rows: list,
                   meetings: int, generated_at: str) -> bytes:
    """The attendance report as a PDF fit for the school website."""
    doc = Document(f"{school_name} - attendance - {body_name}")
    doc.add_page()
    doc.heading(school_name, 12)
    doc.heading(f"Attendance at meetings: {body_name}")
    doc.para(f"From {start} to {end}: {meetings} meeting(s) with a register taken.")
    doc.ln(2)
    doc.table(["Name", "Attended", "Eligible", "Attendance"],
              [(r.name, r.attended, r.eligible, f"{r.percent}%" if r.percent is not None else "-")
               for r in rows], widths=[80, 30, 30, 34])
    doc.ln(4)
    doc.para(f"Generated by GVO on {generated_at}.", size=8)
    return doc.bytes()
