"""Issue 12: every date and time on a page is said through gvo.core.dates' filters ("Wed 9 Dec
2026, 6 pm", Europe/London). A template that slices a stored ISO string ("2026-12-09T18:00"[:10])
or formats it by hand shows UTC or machine text; this test finds any that creep back in
(three merges brought such slices back in one day)."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "gvo" / "templates"
HAND_MADE = re.compile(r"\w*at\s*\[\s*:?\s*\d+\s*:?\s*\d*\s*\]|replace\(\s*'T'|strftime")


def test_no_template_formats_a_date_by_hand():
    found = [f"{path.relative_to(TEMPLATES)}:{n}: {line.strip()}"
             for path in sorted(TEMPLATES.rglob("*.html"))
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if HAND_MADE.search(line)]
    assert found == [], "use the date filters (day, when, moment...):\n" + "\n".join(found)
