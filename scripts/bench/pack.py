"""Benchmark: building a 300-page board pack vs pypdf merely concatenating the same papers.

Both are measured in this one run on the same 30 generated papers of 10 pages
each. The pack adds a cover, an agenda with page numbers, 30 dividers,
bookmarks and a "Page N of M" stamp on every page. Prints the ratio (best of
several rounds each, interleaved) beside its target.
Usage: .venv/bin/python scripts/bench/pack.py [--rounds N]
"""

import argparse
import gc
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fpdf import FPDF  # noqa: E402
from pypdf import PdfReader, PdfWriter  # noqa: E402

from gvo.meetings import packs  # noqa: E402

TARGET = 1.5
PAPERS, PAGES = 30, 10


def make_paper(n: int, pages: int) -> bytes:
    """A PDF paper with a little text on each page."""
    doc = FPDF()
    doc.set_font("Helvetica", size=11)
    for p in range(pages):
        doc.add_page()
        doc.cell(0, 10, f"Paper {n}, page {p + 1}")
        doc.ln(12)
        doc.multi_cell(0, 6, "The governing board considered the report in detail. " * 12)
    return bytes(doc.output())


def concatenate(files: list[bytes]) -> bytes:
    """The baseline: pypdf appending the files, nothing else."""
    writer = PdfWriter()
    for data in files:
        writer.append(io.BytesIO(data))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pack(files: list[bytes]) -> bytes:
    """The full board pack of the same files."""
    meeting = {"title": "Full Governing Board", "body_name": "Full Governing Board",
               "starts_at": "2027-03-02T18:00", "ends_at": "2027-03-02T20:00",
               "location": "School library", "online_link": ""}
    items = [packs.PackItem(str(i + 1), f"Agenda item {i + 1}", "decision", "Chair", 10,
                            [packs.PackPaper(f"Paper {i + 1}", f"paper-{i + 1}.pdf", data)])
             for i, data in enumerate(files)]
    return packs.build("Riverside Primary", meeting, items, "2027-03-01 09:00 UTC")


def best(fn, files) -> float:
    """Time one call with the collector paused."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn(files)
        return time.perf_counter() - start
    finally:
        gc.enable()


def main() -> None:
    """Run the benchmark and print the ratio beside its target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    files = [make_paper(i, PAGES) for i in range(PAPERS)]
    built = pack(files)  # warm-up (imports, font metrics) and a check of the result
    pages = len(PdfReader(io.BytesIO(built)).pages)
    concatenate(files)
    base, full = [], []
    for _ in range(rounds):
        base.append(best(concatenate, files))
        full.append(best(pack, files))
    ratio = min(full) / min(base)
    print(f"papers: {PAPERS} x {PAGES} pages; pack: {pages} pages "
          f"(cover, agenda, {PAPERS} dividers, bookmarks, page stamps)")
    print(f"pypdf concatenation: {min(base) * 1000:.1f} ms (best of {rounds})")
    print(f"board pack:          {min(full) * 1000:.1f} ms (best of {rounds})")
    verdict = "ok" if ratio <= TARGET else "OVER TARGET"
    print(f"ratio pack / concatenation: {ratio:.2f}x (target: at most {TARGET:.1f}x) {verdict}")


if __name__ == "__main__":
    main()
