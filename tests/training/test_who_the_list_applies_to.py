"""ATTACK13 F3/F4: one rule (records.is_governor) for who the skills audit and the mandatory
training list apply to. A governor whose account is view only answers and records their
own; the clerk and people who are not governors are not shown mandatory courses as "Never
done" nor warned by the newsletter; someone who left office is not counted as mandatory in
the training report (as on the compliance dashboard)."""

from datetime import timedelta

from conftest import page_text

from gvo.core import dates
from gvo.core.identity import Identity
from gvo.governance import records
from gvo.skills import answers
from gvo.training import reports, warnings

from .conftest import APPOINTED, OP, record_via_form, signed_in_as

DONE = (dates.today() - timedelta(days=10)).isoformat()


def test_a_governor_who_is_a_reader_answers_and_records_their_own(board, new_client):
    course = board.course()
    records.save(board.conn, OP, board.reader.id, records.RecordInput(
        category="co-opted", appointed_on=APPOINTED, term_years=4))
    rae = Identity.load(board.conn, board.reader.id)
    assert answers.may_answer_for(board.conn, rae, board.reader.id)
    client = signed_in_as(new_client, board.reader)
    assert "view only" not in page_text(client.get("/alpha/skills"))
    resp = record_via_form(client, "alpha", course, DONE)
    assert resp.status_code == 302, page_text(resp)[:2000]
    assert board.conn.execute("SELECT user_id FROM training_completions").fetchone()[0] == \
        board.reader.id


def test_a_reader_who_is_not_a_governor_still_only_reads(board):
    rae = Identity.load(board.conn, board.reader.id)
    assert not answers.may_answer_for(board.conn, rae, board.reader.id)


def test_the_mandatory_list_leaves_out_the_clerk_and_those_who_left(board, new_client):
    course = board.course()
    clerk = signed_in_as(new_client, board.manager)
    assert "Never done" not in page_text(clerk.get("/alpha/training"))
    manager = Identity.load(board.conn, board.manager.id)
    assert warnings.own_lines(board.conn, manager, None) == []
    ann = Identity.load(board.conn, board.ann.id)
    assert [line.text for line in warnings.own_lines(board.conn, ann, None)] == ["Safeguarding"]
    # Ben completed it long ago, then stepped down: not mandatory for him any more.
    board.conn.execute("INSERT INTO training_completions(course_id, user_id, completed_on,"
                       " recorded_at) VALUES (?, ?, '2020-01-01', '2020-01-01T00:00:00Z')",
                       (course, board.ben.id))
    records.save(board.conn, OP, board.ben.id, records.RecordInput(
        category="co-opted", appointed_on=APPOINTED, term_years=4,
        stepped_down_on=dates.today() - timedelta(days=1)))
    rows = reports.all_rows(board.conn, dates.today())
    [ben] = [r for r in rows if r.user_id == board.ben.id]
    assert not ben.mandatory
    assert {r.user_id for r in rows if r.mandatory} == {board.ann.id}
