"""The demo school's sample meetings are consistent and their pack builds."""

import io

from pypdf import PdfReader

from gvo.core import audit
from gvo.core.identity import Identity
from gvo.library import pdf_copies
from gvo.meetings import attendance, meetings, packs
from gvo.people import demo


def test_demo_meetings(instance):
    demo.create(instance)
    conn = instance.db(demo.SLUG)
    rows = conn.execute("SELECT * FROM meetings ORDER BY starts_at").fetchall()
    assert [r["minutes_status"] for r in rows] == ["locked", "circulated", "draft", "draft"]
    assert all(r["attendance_register_locked_at"] for r in rows[:2])
    assert attendance.quorum(conn, rows[0]["id"]).quorate
    # The past meetings' papers went out with seven clear days' notice: the compliance
    # dashboard finds each of them on time (only the coming ones have papers to send).
    from gvo.core import dates
    from gvo.governance import compliance

    notice = compliance.papers_notice(conn, dates.today())
    late = [f.text for f in notice.findings if f.status == compliance.FAIL]
    assert not late, late
    assert all(r["papers_first_published_at"] for r in rows[:2])
    upcoming = meetings.upcoming(conn)
    assert len(upcoming) == 2
    summer = next(m for m in upcoming if m["body_name"] == "Full Governing Board")
    clerk = Identity(conn.execute("SELECT id FROM users WHERE email = 'clerk@riverside.example'"
                                ).fetchone()[0], "manager")
    school = pdf_copies.School(demo.SLUG, lambda: instance.db(demo.SLUG), instance.release)
    items = packs.items_for(conn, clerk, summer["id"], school)
    assert sum(len(i.papers) for i in items) == 1
    pack = PdfReader(io.BytesIO(packs.build(demo.NAME, summer, items, "now")))
    assert len(pack.pages) == 4  # cover, agenda, divider, report
    assert audit.verify(conn).ok
