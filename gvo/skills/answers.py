"""Each person's answers to the skills questions, dated.

Who may: every member of role Author or above, and every governor in office whatever
their role, answers their own questions; a Manager may
answer on someone's behalf, which is recorded (`entered_by` is the Manager, and the audit
entry says `on_behalf`). A person reads their own answers; Managers read anyone's. Nobody
else reads another person's answers (reports: gvo.skills.reports).

History: answers are never overwritten. Saving a screen adds a new dated row for each
question whose answer changed, or that is confirmed on a later day (so a new round of the
audit, a year on, dates every answer given in it); the rows before stay. What reports and
pages use is the latest answer per question per person (`latest`). An answer is a score
1-5, "N/A" (excluded from every average), or text; an emptied text is recorded as such
(no answer now). A screen saved with some questions left blank records the others and
leaves the blank ones as they were: a partial save loses nothing.
"""

from dataclasses import dataclass

from gvo.core import audit, clock, dates, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.governance import records
from gvo.skills import questions
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection

MAX_TEXT = 2000
NA = "na"


@dataclass
class Given:
    """One answer as a form gives it: a score 1-5, or not applicable, or text."""

    question_id: int
    score: int | None = None
    not_applicable: bool = False
    text: str = ""


def may_answer_for(conn: Connection, who: Identity, user_id: int) -> bool:
    """Whether `who` saves answers for person `user_id`: their own (Author or above, or a
    governor in office whatever their role: records.is_governor, so a governor whose
    account is view only answers too), or anyone's as a Manager (on their behalf)."""
    if who.acts_as_manager:
        return True
    return who.user_id == user_id and (who.at_least("author")
                                       or records.is_governor(conn, user_id))


def may_read(who: Identity, user_id: int) -> bool:
    """Whether `who` reads person `user_id`'s answers: their own, or a Manager."""
    return who.acts_as_manager or (who.user_id is not None and who.user_id == user_id)


def person(conn: Connection, who: Identity, user_id: int):
    """The account (id, name, role) whose answers `who` opens. NotFound for no such active
    account; NotPermitted when `who` may not read them (`may_read`), checked first so
    that someone who may not read others' answers learns nothing of which ids exist."""
    if not may_read(who, user_id):  # first: the same 403 whether or not the id exists
        raise NotPermitted("Only the person themselves and Managers see their skills answers.")
    row = conn.execute("SELECT id, name, role FROM users WHERE id = ? AND role != 'inactive'",
                       (user_id,)).fetchone()
    if row is None:
        raise NotFound("no such person")
    return row


@reads.once
def latest(conn: Connection) -> dict[tuple[int, int], dict]:
    """The latest answer per (user id, question id), for everyone: {score, not_applicable,
    answer_text, answered_on, entered_by, entered_by_name, user_id, question_id}."""
    rows = conn.execute(
        "SELECT a.*, coalesce(e.name, '') AS entered_by_name FROM skill_answers a"
        " LEFT JOIN users e ON e.id = a.entered_by WHERE a.id IN"
        " (SELECT max(id) FROM skill_answers GROUP BY user_id, question_id)").fetchall()
    return {(r["user_id"], r["question_id"]): dict(r) for r in rows}


def latest_for(conn: Connection, user_id: int) -> dict[int, dict]:
    """A person's latest answer per question id (see `latest`)."""
    return {q: row for (u, q), row in latest(conn).items() if u == user_id}


def is_answered(row: dict | None) -> bool:
    """Whether an answer row says something (a score, N/A, or text)."""
    return bool(row) and (row["score"] is not None or bool(row["not_applicable"])
                          or bool(row["answer_text"]))


def shown(row: dict | None) -> str:
    """An answer as pages and files show it: "4", "N/A", its text, or "" for none."""
    if not row:
        return ""
    if row["not_applicable"]:
        return "N/A"
    if row["score"] is not None:
        return str(row["score"])
    return row["answer_text"]


def _checked(asked: dict[int, dict], given: Given) -> dict:
    q = asked.get(given.question_id)
    if q is None:
        raise InvalidInput("That question is not asked (it may have been retired).")
    field = f"q{given.question_id}"
    if q["kind"] == "score":
        if given.text:
            raise InvalidInput("Choose a score from 1 to 5, or N/A.", field=field)
        if given.not_applicable:
            return {"score": None, "not_applicable": 1, "answer_text": ""}
        if given.score is None or given.score not in range(1, 6):
            raise InvalidInput("Choose a score from 1 to 5, or N/A.", field=field)
        return {"score": given.score, "not_applicable": 0, "answer_text": ""}
    if given.score is not None or given.not_applicable:
        raise InvalidInput("This question takes words, not a score.", field=field)
    words = text.paragraphs(given.text)
    if len(words) > MAX_TEXT:
        raise InvalidInput(f"At most {MAX_TEXT} characters.", field=field)
    return {"score": None, "not_applicable": 0, "answer_text": words}


def save(conn: Connection, who: Identity, user_id: int, given: list[Given]) -> int:
    """Record `user_id`'s answers (`given`; blank ones are left out by the caller), dated
    today (the school's zone); returns how many rows were added. A given answer equal to
    the latest given the same day adds nothing (on a later day it is a new dated row: the
    answer confirmed). Audited
    "skills.answers" with each question's answer before and after and `on_behalf` when
    `who` is not the person. NotPermitted (`may_answer_for`), NotFound for an account that
    is not active, InvalidInput (field "q<question id>") for a bad answer: nothing saved."""
    if not may_answer_for(conn, who, user_id):
        raise NotPermitted("Only the person themselves, or a Manager on their behalf, "
                           "answers their skills questions.")
    if conn.execute("SELECT 1 FROM users WHERE id = ? AND role != 'inactive'",
                    (user_id,)).fetchone() is None:
        raise NotFound("no such person")
    asked = {q["id"]: q for q in questions.asked(conn)}
    checked = [(g.question_id, _checked(asked, g)) for g in given]
    today, now = dates.today().isoformat(), clock.iso()
    with transaction(conn):
        before = latest_for(conn, user_id)
        changes = []
        for question_id, cols in checked:
            old = before.get(question_id)
            same = old is not None and all(old[k] == v for k, v in cols.items())
            if (same and old["answered_on"] == today) or (old is None and not is_answered(cols)):
                continue
            conn.execute(
                "INSERT INTO skill_answers(question_id, user_id, score, not_applicable,"
                " answer_text, answered_on, answered_at, entered_by) VALUES (?, ?, ?, ?, ?, ?,"
                " ?, ?)", (question_id, user_id, cols["score"], cols["not_applicable"],
                           cols["answer_text"], today, now, who.user_id))
            changes.append({"question": question_id, "before": shown(old),
                            "after": shown(cols)})
        if changes:
            audit.record(conn, who, "skills.answers", f"user:{user_id}", changes=changes,
                         on_behalf=who.user_id != user_id)
    return len(changes)


def progress(conn: Connection, user_id: int) -> dict[int, tuple[int, int]]:
    """{category id: (questions answered, questions asked)} for a person, asked questions
    only."""
    mine = latest_for(conn, user_id)
    out: dict[int, tuple[int, int]] = {}
    for q in questions.asked(conn):
        done, of = out.get(q["category_id"], (0, 0))
        out[q["category_id"]] = (done + is_answered(mine.get(q["id"])), of + 1)
    return out
