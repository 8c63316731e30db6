"""Who sees what in the skills audit: a governor sees and answers only their own, never
another's answers nor the reports; a Manager answers on someone's behalf, recorded as
such; the chair and holders of manage_board see reports."""

import json

from conftest import sign_in

from gvo.board import bodies
from gvo.core.identity import Identity
from gvo.people import accounts
from gvo.skills import answers

from .conftest import OP


def _first_category(audit) -> int:
    return audit.score_questions()[0]["category_id"]


def test_a_governor_cannot_see_others_answers_or_the_reports(client, make_user, audit):
    other = audit.governor("Other Governor")
    audit.answer(other, {audit.score_questions()[0]["id"]: 2},
                 {audit.text_questions()[0]["id"]: "A private answer"})
    person = make_user(role="editor")  # an Editor, not the chair: no reports
    sign_in(client, person)
    cat = _first_category(audit)
    for path in (f"/alpha/skills/people/{other}", f"/alpha/skills/people/{other}/{cat}",
                 "/alpha/skills/report", "/alpha/skills/report.csv",
                 "/alpha/skills/report.xlsx", f"/alpha/skills/report?body={audit.board_id}"):
        resp = client.get(path)
        assert resp.status_code == 403, path
        assert "A private answer" not in resp.get_data(as_text=True)
    resp = client.post(f"/alpha/skills/people/{other}/{cat}",
                       {f"q{audit.score_questions()[0]['id']}": "5"},
                       form_page=f"/alpha/skills/people/{person.id}/{cat}")
    assert resp.status_code == 403
    assert answers.latest_for(audit.conn, other)[audit.score_questions()[0]["id"]]["score"] == 2
    # Their own answers are theirs to see and give.
    assert client.get(f"/alpha/skills/people/{person.id}").status_code == 200
    assert "Reports" not in client.get("/alpha/skills").get_data(as_text=True)


def test_a_governor_answers_their_own_one_category_per_screen(signed_in, audit):
    client, person = signed_in("author")
    qs = [q for q in audit.score_questions() if q["category_id"] == _first_category(audit)]
    path = f"/alpha/skills/people/{person.id}/{_first_category(audit)}"
    page = client.get(path).get_data(as_text=True)
    assert qs[0]["wording"] in page and qs[0]["low_means"] in page and "N/A" in page
    resp = client.post(path, {f"q{qs[0]['id']}": "4", f"q{qs[1]['id']}": "na"})
    assert resp.status_code == 302  # on to the next category
    mine = answers.latest_for(audit.conn, person.id)
    assert mine[qs[0]["id"]]["score"] == 4 and mine[qs[1]["id"]]["not_applicable"] == 1
    assert mine[qs[0]["id"]]["entered_by"] == person.id
    # A partial save loses nothing: the question left blank keeps its answer.
    client.post(path, {f"q{qs[1]['id']}": "2"}, form_page=path)
    mine = answers.latest_for(audit.conn, person.id)
    assert mine[qs[0]["id"]]["score"] == 4 and mine[qs[1]["id"]]["score"] == 2
    # A bad value: the screen again with the error beside the question, nothing saved.
    count = audit.conn.execute("SELECT count(*) FROM skill_answers").fetchone()[0]
    resp = client.post(path, {f"q{qs[0]['id']}": "7", f"q{qs[1]['id']}": "5"}, form_page=path)
    assert resp.status_code == 422
    assert f'id="q{qs[0]["id"]}-error"' in resp.get_data(as_text=True)
    assert audit.conn.execute("SELECT count(*) FROM skill_answers").fetchone()[0] == count


def test_a_reader_has_nothing_to_answer(signed_in, audit):
    client, person = signed_in("reader")
    assert "view only" in client.get("/alpha/skills").get_data(as_text=True)
    path = f"/alpha/skills/people/{person.id}/{_first_category(audit)}"
    assert client.get(path).status_code == 302


def test_a_manager_answers_on_someones_behalf_and_it_is_recorded(manager, audit):
    client, clerk = manager
    governor = audit.governor("Gwen Governor")
    q = audit.score_questions()[0]
    path = f"/alpha/skills/people/{governor}/{q['category_id']}"
    page = client.get(path).get_data(as_text=True)
    assert "on behalf of <strong>Gwen Governor</strong>" in page
    client.post(path, {f"q{q['id']}": "3"})
    row = answers.latest_for(audit.conn, governor)[q["id"]]
    assert row["user_id"] == governor and row["entered_by"] == clerk.id
    entry = audit.conn.execute("SELECT * FROM audit_log WHERE action = 'skills.answers'"
                               " ORDER BY id DESC").fetchone()
    detail = json.loads(entry["detail"])
    assert entry["actor_id"] == clerk.id and entry["target"] == f"user:{governor}"
    assert detail["on_behalf"] is True
    assert detail["changes"] == [{"question": q["id"], "before": "", "after": "3"}]
    shown = client.get(f"/alpha/skills/people/{governor}").get_data(as_text=True)
    assert "entered by Test Manager" in shown


def test_the_chair_and_board_editors_see_reports(client, make_user, audit):
    chair = make_user(role="author")
    audit.conn.execute("UPDATE users SET name = 'Cath Chair' WHERE id = ?", (chair.id,))
    bodies.add_member(audit.conn, OP, audit.board_id, chair.id, "chair", "co-opted")
    sign_in(client, chair)
    assert client.get("/alpha/skills/report").status_code == 200
    editor = make_user(role="author")
    accounts.set_capabilities(audit.conn, OP, editor.id, {"manage_board"})
    assert answers.may_read(Identity.load(audit.conn, editor.id), chair.id) is False
    other = client.__class__(client.c.application.test_client())
    sign_in(other, editor)
    assert other.get("/alpha/skills/report.csv").status_code == 200
