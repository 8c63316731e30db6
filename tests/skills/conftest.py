"""Skills fixtures: a board of governors with names in several scripts (`audit`), and a
reader of the matrix table a page shows (`matrix_of`)."""

from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from conftest import sign_in

from gvo.board import bodies
from gvo.core.identity import Identity
from gvo.people import accounts
from gvo.skills import answers, questions

OP = Identity.operator()


@dataclass
class Audit:
    """Alpha's board and a committee, with helpers to seat people and give answers."""

    conn: object
    board_id: int
    committee_id: int

    def governor(self, name: str, *, committee: bool = False, role: str = "author") -> int:
        """A person in office on the board (and on the committee if asked); their id."""
        email = f"g{self.conn.execute('SELECT count(*) FROM users').fetchone()[0]}@ex.org"
        uid = accounts.add_user(self.conn, OP, email=email, name=name, role=role)
        bodies.add_member(self.conn, OP, self.board_id, uid, "member", "parent")
        if committee:
            bodies.add_member(self.conn, OP, self.committee_id, uid, "member")
        return uid

    def score_questions(self) -> list:
        """The asked score questions, in order."""
        return [q for q in questions.asked(self.conn) if q["kind"] == "score"]

    def text_questions(self) -> list:
        """The asked free-text questions, in order."""
        return [q for q in questions.asked(self.conn) if q["kind"] == "text"]

    def answer(self, user_id: int, scores: dict[int, int | str] = (), texts: dict = ()):
        """Save answers for `user_id` as the operator: {question id: 1-5 or "na"}, and
        {question id: text}."""
        given = [answers.Given(q, not_applicable=s == "na", score=None if s == "na" else s)
                 for q, s in dict(scores).items()]
        given += [answers.Given(q, text=t) for q, t in dict(texts).items()]
        answers.save(self.conn, OP, user_id, given)


@pytest.fixture
def audit(instance, school):
    """Alpha's Full Governing Board and a Finance committee, nobody on them yet."""
    conn = instance.db(school)
    board_id = bodies.save_body(conn, OP, body_id=None, kind="board", name="Full Governing Board")
    committee_id = bodies.save_body(conn, OP, body_id=None, kind="committee", name="Finance")
    return Audit(conn, board_id, committee_id)


class _Matrix(HTMLParser):
    """The rows of table#skills-matrix as lists of cell texts (visually hidden text, such as
    "No answer", left out: it is what a screen reader adds to an empty cell)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.inside = self.hidden = 0
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == "skills-matrix":
            self.inside = 1
        elif not self.inside:
            return
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "span" and (self.hidden or "visually-hidden" in (a.get("class") or "")):
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = 0
        elif not self.inside:
            return
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "span" and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if self.inside and self.cell is not None and not self.hidden:
            self.cell.append(data)


def matrix_of(page: str) -> list[list[str]]:
    """The skills matrix a report page shows, row by row, cell texts (caption left out)."""
    parser = _Matrix()
    parser.feed(page)
    return parser.rows


@pytest.fixture
def manager(client, make_user):
    """A Manager signed in: (client, person)."""
    person = make_user(role="manager")
    assert sign_in(client, person).status_code == 302
    return client, person
