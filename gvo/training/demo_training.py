"""Riverside Primary's training records for the demo: a course list with safeguarding and
induction mandatory, and completions counted back from today, so the demo always shows the
same situation: the chair's safeguarding training expiring within 60 days, the head's
expired, the staff governor's never done (appointed five days ago), a parent governor with
no induction, and the vice-chair's safeguarding certificate (a PDF only she and the
Managers see)."""

from datetime import date

from dateutil.relativedelta import relativedelta

from gvo.core import dates
from gvo.core.identity import Identity
from gvo.library import intake
from gvo.storage.sqlcipher import Connection
from gvo.training import completions, courses

SAFEGUARDING = "Safeguarding and child protection for governors"
INDUCTION = "Induction for new governors"
COURSES = [
    # title, category, provider, mandatory, months, booking link
    (SAFEGUARDING, "Safeguarding", "Riverside Local Authority Governor Services", True, 24,
     "https://governors.riverside.example/courses/safeguarding"),
    (INDUCTION, "Induction", "National Governance Association", True, None,
     "https://learning.riverside.example/induction"),
    ("Prevent duty awareness", "Prevent", "Home Office e-learning", False, 36,
     "https://prevent.riverside.example/"),
    ("Safer recruitment", "Safeguarding", "Riverside Local Authority Governor Services", False,
     60, ""),
    ("Understanding school finance", "Finance", "Riverside Local Authority Governor Services",
     False, None, ""),
]


class _File:
    """An in-memory upload."""

    def __init__(self, filename: str, data: bytes):
        self.filename, self._data = filename, data

    def chunks(self):
        """The file in one piece."""
        yield self._data


def _certificate(name: str, course: str, on: date) -> bytes:
    from gvo.meetings.pdf import Document

    doc = Document("Certificate of completion")
    doc.add_page()
    doc.heading("Certificate of completion")
    doc.para(f"{name} completed “{course}” on {dates.day(on)}.")
    return doc.bytes()


def sample(conn: Connection, ids: dict) -> None:
    """Add the courses and completions (`ids`: e-mail -> user id)."""
    op, today = Identity.operator(), dates.today()
    course_ids = {title: courses.create(conn, op, courses.CourseInput(
        title, category, provider, mandatory, months, url))
        for title, category, provider, mandatory, months, url in COURSES}

    def ago(months: int = 0, days: int = 0) -> date:
        return today - relativedelta(months=months, days=days)

    done = [
        # e-mail, course, completed on
        ("chair@riverside.example", SAFEGUARDING, ago(months=23)),  # expires within 60 days
        ("chair@riverside.example", INDUCTION, ago(months=50)),
        ("chair@riverside.example", "Understanding school finance", ago(months=14)),
        ("head@riverside.example", SAFEGUARDING, ago(months=27)),  # expired
        ("head@riverside.example", INDUCTION, ago(months=70)),
        ("head@riverside.example", "Safer recruitment", ago(months=30)),
        ("governor@riverside.example", INDUCTION, ago(months=23)),
        ("governor@riverside.example", "Prevent duty awareness", ago(months=8)),
        ("parent@riverside.example", SAFEGUARDING, ago(months=10)),  # no induction
        ("staff@riverside.example", INDUCTION, ago(days=2)),  # no safeguarding yet
        ("clerk@riverside.example", "Understanding school finance", ago(months=5)),
    ]
    for email, course, on in done:
        completions.record(conn, op, ids[email], course_ids[course], on)
    grace = Identity.load(conn, ids["governor@riverside.example"])
    on = ago(months=6)
    data = _certificate(grace.name, SAFEGUARDING, on)
    with intake.receive([_File("safeguarding-certificate.pdf", data)], limit=len(data) + 1,
                        max_files=1) as files:
        completions.record(conn, grace, grace.user_id, course_ids[SAFEGUARDING], on, files[0])
