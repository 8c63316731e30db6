"""The school's skills questions, in categories: numeric questions (1 to 5, or N/A, with
what 1 and 5 mean) and free-text questions.

Managers add, edit, reorder and retire questions (`may_manage`); a retired question is no
longer asked nor reported, and its answers stay readable on each person's own page.
Every write is audited in its transaction, with the values before and after for a change.
GVO's default set (migration 0035) follows the six features of the DfE's "A competency
framework for governance" (2017) and the knowledge areas a board needs; its wording is
GVO's own.
"""

from dataclasses import dataclass

from gvo.core import audit, dates, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection

KINDS = {"score": "A score from 1 to 5 (or N/A)", "text": "Free text"}
MAX_WORDING = 300
MAX_MEANS = 120
MAX_CATEGORY = 100


def may_manage(who: Identity) -> bool:
    """Whether `who` changes the question set: Managers (and the operator)."""
    return who.acts_as_manager


def _require_manager(who: Identity) -> None:
    if not may_manage(who):
        raise NotPermitted("Only a Manager changes the skills questions.")


@dataclass
class QuestionInput:
    """A question as the form gives it."""

    category_id: int
    kind: str
    wording: str
    low_means: str = ""
    high_means: str = ""


@reads.once
def categories(conn: Connection) -> list:
    """Every category (id, name, sort_order), in order."""
    return conn.execute("SELECT * FROM skill_categories ORDER BY sort_order, id").fetchall()


@reads.once
def every(conn: Connection) -> list:
    """Every question, retired too, with its category's name (`category`), in the order the
    categories and questions are set."""
    return conn.execute(
        "SELECT q.*, c.name AS category, c.sort_order AS category_order FROM skill_questions q"
        " JOIN skill_categories c ON c.id = q.category_id"
        " ORDER BY c.sort_order, c.id, q.sort_order, q.id").fetchall()


def asked(conn: Connection) -> list:
    """The questions asked now (not retired), in order (columns as `every`)."""
    return [q for q in every(conn) if q["retired_on"] is None]


def grouped(rows: list) -> list[tuple[dict, list]]:
    """Questions (rows of `every`) grouped by category, in order: [({id, name}, [rows])]."""
    out: list[tuple[dict, list]] = []
    for q in rows:
        if not out or out[-1][0]["id"] != q["category_id"]:
            out.append(({"id": q["category_id"], "name": q["category"]}, []))
        out[-1][1].append(q)
    return out


def get(conn: Connection, question_id: int):
    """One question (columns as `every`); NotFound if none."""
    for q in every(conn):
        if q["id"] == question_id:
            return q
    raise NotFound("no such question")


def category(conn: Connection, category_id: int):
    """One category; NotFound if none."""
    for c in categories(conn):
        if c["id"] == category_id:
            return c
    raise NotFound("no such category")


def _checked(conn: Connection, data: QuestionInput) -> dict:
    wording = text.one_line(data.wording)
    if not wording or len(wording) > MAX_WORDING:
        raise InvalidInput(f"Write the question in 1-{MAX_WORDING} characters.", field="wording")
    if data.kind not in KINDS:
        raise InvalidInput("Choose the kind of answer.", field="kind")
    if not any(c["id"] == data.category_id for c in categories(conn)):
        raise InvalidInput("Choose a category from the list.", field="category_id")
    low, high = text.one_line(data.low_means), text.one_line(data.high_means)
    for value, name in ((low, "low_means"), (high, "high_means")):
        if len(value) > MAX_MEANS:
            raise InvalidInput(f"At most {MAX_MEANS} characters.", field=name)
    if data.kind == "score" and not (low and high):
        raise InvalidInput("Say what a 1 and a 5 mean.", field="low_means" if not low
                           else "high_means")
    if data.kind == "text":
        low = high = ""
    return {"category_id": data.category_id, "kind": data.kind, "wording": wording,
            "low_means": low, "high_means": high}


def _next_order(conn: Connection, category_id: int) -> int:
    return conn.execute("SELECT coalesce(max(sort_order), 0) + 1 FROM skill_questions"
                        " WHERE category_id = ?", (category_id,)).fetchone()[0]


def add(conn: Connection, who: Identity, data: QuestionInput) -> int:
    """Add a question at the end of its category; its id. Audited "skills.question_add".
    NotPermitted for a non-Manager; InvalidInput naming the field."""
    _require_manager(who)
    cols = _checked(conn, data)
    with transaction(conn):
        cols["sort_order"] = _next_order(conn, cols["category_id"])
        question_id = conn.execute(
            f"INSERT INTO skill_questions({', '.join(cols)}) VALUES "
            f"({', '.join('?' * len(cols))})", tuple(cols.values())).lastrowid
        audit.record(conn, who, "skills.question_add", f"skill_question:{question_id}", **cols)
    return question_id


def update(conn: Connection, who: Identity, question_id: int, data: QuestionInput) -> None:
    """Change a question's wording, meanings or category (moved to the end of a new
    category); its kind only while it has no answers. Audited "skills.question_edit" with
    before and after."""
    _require_manager(who)
    old = get(conn, question_id)
    cols = _checked(conn, data)
    if cols["kind"] != old["kind"] and conn.execute(
            "SELECT 1 FROM skill_answers WHERE question_id = ? LIMIT 1",
            (question_id,)).fetchone():
        raise InvalidInput("This question has answers: its kind of answer stays as it is. "
                           "Retire it and add a new question instead.", field="kind")
    with transaction(conn):
        if cols["category_id"] != old["category_id"]:
            cols["sort_order"] = _next_order(conn, cols["category_id"])
        conn.execute(f"UPDATE skill_questions SET {', '.join(f'{c} = ?' for c in cols)}"
                     " WHERE id = ?", (*cols.values(), question_id))
        audit.record(conn, who, "skills.question_edit", f"skill_question:{question_id}",
                     before={k: old[k] for k in cols}, after=cols)


def move(conn: Connection, who: Identity, question_id: int, step: int) -> None:
    """Move a question one place up (`step` -1) or down (+1) within its category; at either
    end nothing moves. Audited "skills.question_move"."""
    _require_manager(who)
    if step not in (-1, 1):
        raise InvalidInput("Move a question up or down.")
    q = get(conn, question_id)
    siblings = [r for r in every(conn) if r["category_id"] == q["category_id"]]
    at = next(i for i, r in enumerate(siblings) if r["id"] == question_id)
    if not 0 <= at + step < len(siblings):
        return
    siblings[at], siblings[at + step] = siblings[at + step], siblings[at]
    with transaction(conn):
        conn.executemany("UPDATE skill_questions SET sort_order = ? WHERE id = ?",
                         [(n, r["id"]) for n, r in enumerate(siblings, start=1)])
        audit.record(conn, who, "skills.question_move", f"skill_question:{question_id}",
                     before=at + 1, after=at + step + 1)


def retire(conn: Connection, who: Identity, question_id: int, retired: bool = True) -> None:
    """Retire a question (no longer asked nor reported; its answers kept and readable) or,
    with `retired` False, ask it again. Audited "skills.question_retire" / "_restore"."""
    _require_manager(who)
    q = get(conn, question_id)
    if (q["retired_on"] is not None) == retired:
        return
    with transaction(conn):
        conn.execute("UPDATE skill_questions SET retired_on = ? WHERE id = ?",
                     (dates.today().isoformat() if retired else None, question_id))
        audit.record(conn, who, "skills.question_retire" if retired
                     else "skills.question_restore", f"skill_question:{question_id}",
                     wording=q["wording"])


def add_category(conn: Connection, who: Identity, name: str) -> int:
    """Add a category at the end of the list; its id. Audited "skills.category_add".
    InvalidInput (field "name") for an empty, too long or repeated name."""
    _require_manager(who)
    name = text.one_line(name)
    if not name or len(name) > MAX_CATEGORY:
        raise InvalidInput(f"Name the category in 1-{MAX_CATEGORY} characters.", field="name")
    if any(c["name"].casefold() == name.casefold() for c in categories(conn)):
        raise InvalidInput("There is a category of that name already.", field="name")
    with transaction(conn):
        order = conn.execute("SELECT coalesce(max(sort_order), 0) + 1 FROM skill_categories"
                             ).fetchone()[0]
        category_id = conn.execute("INSERT INTO skill_categories(name, sort_order) VALUES"
                                   " (?, ?)", (name, order)).lastrowid
        audit.record(conn, who, "skills.category_add", f"skill_category:{category_id}",
                     name=name)
    return category_id
