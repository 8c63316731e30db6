"""Sample meetings for the demo school: past ones with registers and approved minutes,
upcoming ones with agendas and a paper."""

from datetime import timedelta

from gvo.core import clock, dates
from gvo.core.identity import Identity
from gvo.meetings import agenda, attendance, meetings, minutes, notices, papers
from gvo.storage.sqlcipher import Connection

AGENDA = [
    ("Welcome, apologies and declarations of interest", "information", "Chair", 5, False),
    ("Minutes of the last meeting and matters arising", "decision", "Chair", 10, False),
    ("Headteacher's report", "discussion", "Headteacher", 30, False),
    ("Budget monitoring", "decision", "Chair of Resources", 20, False),
    ("Staffing matters", "decision", "Headteacher", 15, True),
    ("Any other business", "information", "Chair", 5, False),
]


class _Part:
    """An in-memory upload for the library."""

    def __init__(self, filename: str, data: bytes):
        self.filename, self._data = filename, data

    def chunks(self):
        """The file in one piece."""
        yield self._data


def _report_pdf() -> bytes:
    from gvo.meetings.pdf import Document

    doc = Document("Riverside Primary - Headteacher's report")
    doc.add_page()
    doc.heading("Headteacher's report to governors")
    for heading, text in [
        ("Pupil numbers", "Roll: 412 pupils. Reception is full for September."),
        ("Attendance", "Whole-school attendance is 95.8%; persistent absence has fallen to 9%."),
        ("Curriculum", "Phonics screening results improved; the new maths scheme is embedded."),
        ("Safeguarding", "Training is up to date for all staff. No concerns to report."),
    ]:
        doc.heading(heading, 13)
        doc.para(text)
    return doc.bytes()


def sample(conn: Connection, clerk_id: int, body_ids: dict[str, int],
           members: dict[str, list[int]], school: str) -> None:
    """Add meetings to the demo school called `school` (body_ids/members by body name; 'board'
    for the FGB)."""
    op = Identity(clerk_id, "manager", email="clerk (demo)")
    now = meetings.local_now().replace(hour=18, minute=0)

    def meeting(body: str, title: str, days: int,
                location: str = "School library") -> tuple[int, list[int]]:
        start = now + timedelta(days=days)
        meeting_id = meetings.create(conn, op, meetings.MeetingInput(
            body_id=body_ids[body], title=title, starts_at=start,
            ends_at=start + timedelta(hours=2), location=location,
            online_link="https://meet.example.org/riverside-governors",
            description="Papers are in the board pack a week before the meeting."))
        ids = [agenda.add_item(conn, op, meeting_id, agenda.ItemInput(
            title=t, purpose=p, presenter=who, minutes=m, confidential=c))
            for t, p, who, m, c in AGENDA]
        return meeting_id, ids

    autumn, autumn_items = meeting("board", "Full governing board", -70)
    spring, spring_items = meeting("board", "Full governing board", -14)
    summer, summer_items = meeting("board", "Full governing board", 21)
    resources, _ = meeting("Resources", "Resources committee", 9, "Staff room")
    # The past meetings' papers went out ten days before (seven clear days' notice, which
    # the compliance dashboard checks), as of that day.
    for meeting_id, days in ((autumn, -70), (spring, -14)):
        sent = (now + timedelta(days=days - 10)).replace(tzinfo=dates.ZONE)
        with clock.frozen_at(sent.timestamp()):
            notices.publish_papers(conn, op, meeting_id)

    for meeting_id, items in ((autumn, autumn_items), (spring, spring_items)):
        board = members["board"]
        statuses = {uid: "present" for uid in board}
        statuses[board[-1]] = "apologies_accepted"
        attendance.reply(conn, op, meeting_id, board[-1], "apologies", "Work commitment")
        # Only those on the board on the meeting's day (a governor appointed since is not).
        eligible = {r["user_id"] for r in attendance.attendance_register(conn, meeting_id)}
        attendance.save_attendance_register(
            conn, op, meeting_id, {u: s for u, s in statuses.items() if u in eligible})
        attendance.add_guest(conn, op, meeting_id, "Jo Bursar", "guest", "School business manager")
        attendance.lock_attendance_register(conn, op, meeting_id)
        minutes.save_item(conn, op, items[2], "The headteacher presented the report. Governors "
                          "asked about persistent absence and the support for disadvantaged "
                          "pupils.", "Report received.")
        minutes.save_item(conn, op, items[3], "Spending is 2% under profile.",
                          "The revised budget was approved.")
        minutes.save_item(conn, op, items[4], "A restructure of the support staff team was "
                          "discussed.", "Proceed to consultation.")
        minutes.add_action(conn, op, items[3], "Send the revised budget to the local authority",
                           clerk_id, (now + timedelta(days=-60 if meeting_id == autumn else 7)
                                      ).date())
        minutes.circulate(conn, op, meeting_id)
    minutes.approve(conn, op, autumn, spring, school)
    minutes.lock(conn, op, autumn)
    # Spring's minutes wait for approval at the summer meeting.

    for meeting_id in (summer, resources):
        papers.ensure_folder(conn, op, meeting_id)
    papers.upload(conn, op, summer_items[2], [_Part("headteachers-report.pdf", _report_pdf())],
                  limit=5 * 1024 * 1024, fields={"title": "Headteacher's report, summer term"})
    governor = members["board"][1] if len(members["board"]) > 1 else clerk_id
    attendance.reply(conn, op, summer, governor, "attending")
