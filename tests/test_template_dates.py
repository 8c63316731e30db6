"""Issue 12: every date and time on a page is said through gvo.core.dates' filters ("Wed 9 Dec
2026, 6 pm", Europe/London). A template that slices a stored ISO string ("2026-12-09T18:00"[:10])
or formats it by hand shows UTC or machine text; this test finds any that creep back in
(three merges brought such slices back in one day)."""

import re
from pathlib import Path

GVO = Path(__file__).resolve().parents[1] / "gvo"
TEMPLATES = GVO / "templates"
HAND_MADE = re.compile(r"\w*at\s*\[\s*:?\s*\d+\s*:?\s*\d*\s*\]|replace\(\s*'T'|strftime")
# A stored time shown as it is: `{{ m.failed_at }}` with no filter (but as the machine-readable
# datetime attribute of <time>; `chain.broken_at` is an audit entry's number).
UNFILTERED = re.compile(r"(?<!datetime=\")\{\{\s*(?!chain\.broken_at)[\w.]*_(?:at|when|on)\s*\}\}")
# ... or made into text by hand before it reaches a template or a message (attack 4: the
# failed-mail page showed "2026-12-01 01:47:46Z", prepared so in gvo/mail/outbox.py).
HAND_MADE_PY = re.compile(r"""(?:iso|isoformat)\([^()]*\)\s*\.\s*replace\(\s*["']T["']""")


def test_no_template_formats_a_date_by_hand():
    found = [f"{path.relative_to(TEMPLATES)}:{n}: {line.strip()}"
             for path in sorted(TEMPLATES.rglob("*.html"))
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if HAND_MADE.search(line) or UNFILTERED.search(line)]
    assert found == [], "use the date filters (day, when, moment...):\n" + "\n".join(found)


def test_no_code_makes_a_stored_time_into_text_by_hand():
    found = [f"{path.relative_to(GVO)}:{n}: {line.strip()}"
             for path in sorted(GVO.rglob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if HAND_MADE_PY.search(line)]
    assert found == [], "use gvo.core.dates (moment, when, day...):\n" + "\n".join(found)
