"""Riverside Primary's skills audit for the demo: realistic answers for the governors, one
set entered by the clerk on a governor's behalf, free-text answers, and gaps the board
would notice (data protection and premises, where no one scores above 3)."""

from gvo.core.identity import Identity
from gvo.skills import answers, questions

# Per person (e-mail): a score 1-5 (0: N/A) for each asked score question in order, by
# category; missing categories are left unanswered (a partial audit).
SCORES = {
    "chair@riverside.example": {
        "Strategic leadership": [5, 4, 4], "Accountability": [5, 3, 4], "People": [4, 4, 5],
        "Structures": [5, 4], "Compliance": [4, 3], "Evaluation": [4, 3], "Finance": [3, 3],
        "Safeguarding": [3, 3], "Education and the curriculum": [2, 2],
        "Staffing and HR": [4, 4], "Premises and health and safety": [2, 2],
        "Special educational needs and disabilities": [2, 2], "Data": [2, 3]},
    "head@riverside.example": {
        "Strategic leadership": [5, 5, 4], "Accountability": [4, 4, 4], "People": [5, 5, 0],
        "Structures": [4, 5], "Compliance": [4, 4], "Evaluation": [4, 4], "Finance": [4, 3],
        "Safeguarding": [5, 5], "Education and the curriculum": [5, 5],
        "Staffing and HR": [4, 4], "Premises and health and safety": [3, 3],
        "Special educational needs and disabilities": [4, 4], "Data": [3, 2]},
    "governor@riverside.example": {
        "Strategic leadership": [3, 3, 2], "Accountability": [3, 2, 3], "People": [4, 3, 3],
        "Structures": [3, 3], "Compliance": [2, 2], "Evaluation": [2, 3], "Finance": [2, 2],
        "Safeguarding": [4, 3], "Education and the curriculum": [3, 3],
        "Staffing and HR": [1, 1], "Premises and health and safety": [1, 2],
        "Special educational needs and disabilities": [5, 4], "Data": [2, 1]},
    "parent@riverside.example": {
        "Strategic leadership": [3, 4, 4], "Accountability": [3, 5, 2], "People": [3, 3, 2],
        "Structures": [2, 2], "Compliance": [3, 3], "Evaluation": [3, 4], "Finance": [5, 5],
        "Safeguarding": [2, 2], "Education and the curriculum": [1, 2],
        "Staffing and HR": [3, 2], "Premises and health and safety": [3, 2],
        "Special educational needs and disabilities": [0, 0], "Data": [3, 3]},
    "staff@riverside.example": {
        "Strategic leadership": [2, 2, 2], "Accountability": [2, 2, 2], "People": [4, 4, 2],
        "Education and the curriculum": [4, 4], "Safeguarding": [4, 3]},
}
TEXTS = {
    "chair@riverside.example": [
        "Twenty years in local government, the last eight running a housing team.",
        "A refresher on exclusions and the board's part in reviewing them."],
    "head@riverside.example": [
        "Headteacher here for six years; before that deputy head at a larger primary.",
        "Nothing new this year."],
    "governor@riverside.example": [
        "Parent of two pupils here, one with an EHC plan; I chair the local parent carers' "
        "forum.",
        "Finance training: I would like to follow the budget monitoring better."],
    "parent@riverside.example": [
        "Chartered accountant; I audit charities' accounts.",
        "Safeguarding training for governors, and an introduction to the curriculum."],
}
ON_BEHALF = "staff@riverside.example"  # gave their answers on paper; the clerk typed them


def sample(conn, ids: dict) -> None:
    """Give the demo's governors their skills answers (`ids`: e-mail -> user id)."""
    clerk = Identity.of_account(conn.execute(
        "SELECT id, role, email, name FROM users WHERE id = ?",
        (ids["clerk@riverside.example"],)).fetchone())
    groups = questions.grouped(questions.asked(conn))
    for email, by_category in SCORES.items():
        who = clerk if email == ON_BEHALF else Identity.of_account(conn.execute(
            "SELECT id, role, email, name FROM users WHERE id = ?", (ids[email],)).fetchone())
        given = []
        for category, qs in groups:
            scores = by_category.get(category["name"], [])
            score_qs = [q for q in qs if q["kind"] == "score"]
            given += [answers.Given(q["id"], score=s or None, not_applicable=s == 0)
                      for q, s in zip(score_qs, scores, strict=False)]
            text_qs = [q for q in qs if q["kind"] == "text"]
            given += [answers.Given(q["id"], text=t)
                      for q, t in zip(text_qs, TEXTS.get(email, []), strict=False)]
        answers.save(conn, who, ids[email], given)
