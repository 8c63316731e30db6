"""The school's question set: Managers add, edit, reorder and retire questions (audited);
retired questions are no longer asked nor reported, and their answers stay readable;
history is kept and reports read the latest answer."""

from datetime import timedelta

import pytest

from gvo.core.errors import InvalidInput
from gvo.skills import answers, questions, reports

from .conftest import OP


def _actions(conn) -> list[str]:
    return [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE action LIKE"
                                       " 'skills.%' ORDER BY id")]


def test_the_default_set_covers_the_competency_framework_and_knowledge(audit):
    names = [c["name"] for c in questions.categories(audit.conn)]
    for area in ("Strategic leadership", "Accountability", "People", "Structures",
                 "Compliance", "Evaluation", "Finance", "Safeguarding", "Data"):
        assert area in names
    assert audit.text_questions() and all(q["low_means"] and q["high_means"]
                                          for q in audit.score_questions())


def test_a_manager_adds_edits_moves_and_retires_questions(manager, audit):
    client, _ = manager
    conn = audit.conn
    finance = next(c["id"] for c in questions.categories(conn) if c["name"] == "Finance")
    resp = client.post("/alpha/skills/questions/new", {
        "category_id": str(finance), "kind": "score", "wording": "Reading a pupil premium plan",
        "low_means": "Never seen one", "high_means": "I write them"},
        form_page="/alpha/skills/questions/new")
    assert resp.status_code == 302
    new = [q for q in questions.every(conn) if q["category_id"] == finance][-1]
    assert new["wording"] == "Reading a pupil premium plan"
    # A score question needs both meanings: the form says so beside the field.
    resp = client.post("/alpha/skills/questions/new", {
        "category_id": str(finance), "kind": "score", "wording": "X", "low_means": "Low"},
        form_page="/alpha/skills/questions/new")
    assert resp.status_code == 422 and 'id="high_means-error"' in client.last_text
    client.post(f"/alpha/skills/questions/{new['id']}/edit", {
        "category_id": str(finance), "kind": "score", "wording": "Reading a PP strategy",
        "low_means": "Never seen one", "high_means": "I write them"},
        form_page=f"/alpha/skills/questions/{new['id']}/edit")
    assert questions.get(conn, new["id"])["wording"] == "Reading a PP strategy"
    client.post(f"/alpha/skills/questions/{new['id']}/move", {"step": "up"},
                form_page="/alpha/skills/questions")
    order = [q["id"] for q in questions.every(conn) if q["category_id"] == finance]
    assert order.index(new["id"]) == len(order) - 2
    client.post(f"/alpha/skills/questions/{new['id']}/retire", {},
                form_page="/alpha/skills/questions")
    assert new["id"] not in [q["id"] for q in questions.asked(conn)]
    client.post(f"/alpha/skills/questions/{new['id']}/retire", {"restore": "1"},
                form_page="/alpha/skills/questions")
    assert new["id"] in [q["id"] for q in questions.asked(conn)]
    client.post("/alpha/skills/categories", {"name": "Local knowledge"},
                form_page="/alpha/skills/questions")
    assert "Local knowledge" in [c["name"] for c in questions.categories(conn)]
    assert _actions(conn) == ["skills.question_add", "skills.question_edit",
                              "skills.question_move", "skills.question_retire",
                              "skills.question_restore", "skills.category_add"]


def test_only_managers_change_the_questions(signed_in, audit):
    client, _ = signed_in("editor")
    q = audit.score_questions()[0]
    assert client.get("/alpha/skills/questions").status_code == 403
    assert client.get(f"/alpha/skills/questions/{q['id']}/edit").status_code == 403


def test_a_kind_does_not_change_under_its_answers(audit):
    q = audit.score_questions()[0]
    audit.answer(audit.governor("A"), {q["id"]: 3})
    with pytest.raises(InvalidInput) as refused:
        questions.update(audit.conn, OP, q["id"], questions.QuestionInput(
            q["category_id"], "text", q["wording"]))
    assert refused.value.field == "kind"
    assert questions.get(audit.conn, q["id"])["kind"] == "score"


def test_retired_answers_stay_readable_and_leave_the_reports(manager, audit):
    client, _ = manager
    q = audit.score_questions()[0]
    gov = audit.governor("Rhiannon Retired-Question")
    audit.answer(gov, {q["id"]: 5})
    questions.retire(audit.conn, OP, q["id"])
    found = reports.build(audit.conn, OP)
    assert q["id"] not in [r.question["id"] for b in found.blocks for r in b.rows]
    page = client.get(f"/alpha/skills/people/{gov}").get_data(as_text=True)
    assert "Retired questions" in page and q["wording"] in page


def test_a_new_round_keeps_history_and_reports_read_the_latest(audit, clock):
    q = audit.score_questions()[0]
    gov = audit.governor("A")
    audit.answer(gov, {q["id"]: 2})
    audit.answer(gov, {q["id"]: 2})  # the same answer the same day: nothing new
    clock.advance(timedelta(days=365).total_seconds())
    audit.answer(gov, {q["id"]: 4})
    rows = audit.conn.execute("SELECT score, answered_on FROM skill_answers WHERE user_id = ?"
                              " ORDER BY id", (gov,)).fetchall()
    assert [r["score"] for r in rows] == [2, 4]
    assert rows[0]["answered_on"] < rows[1]["answered_on"]
    assert answers.latest_for(audit.conn, gov)[q["id"]]["score"] == 4
    assert reports.build(audit.conn, OP).blocks[0].rows[0].cells == ["4"]
