"""The instrument of government: the governing board's places per category of governor, the
vacancies (places with nobody in them) and the quorum that follows from them.

A maintained school's instrument of government sets how many governors of each category
the board has (The School Governance (Constitution) (England) Regulations 2012, Part 2);
they are kept in table `board_places`. Who is *in office* on a date is the records'
rule (gvo.governance.records.governors: appointed by then, not stepped down; the clerk is
not a governor and holds no place, so has no category here either). A record whose
category is not recorded ('') fills no category's place, but is still a governor in office
(it counts towards the quorum). A person on the board with no governor record at all (a
board set up before records existed, records.unrecorded) is counted as a governor in
office of no category.

Quorum (`quorum_rule`):

- the governing board: one half, rounded up to a whole number, of the membership of the
  governing board, excluding vacancies (The School Governance (Roles, Procedures and
  Allowances) (England) Regulations 2013, reg. 14(1)): that is, half of the governors in
  office on the meeting's date. Associate members are not governors (reg. 2 of the same
  Regulations; they sit on committees, reg. 24) and do not count: categories with
  `votes` = 0 are left out. The law fixes the board's quorum; the board cannot set another.
- a committee: "determined by that committee, but in any event must be not less than
  three governors who are members of the committee" (the same Regulations, reg. 22(2)):
  the committee's own number (bodies.quorum) if set, else three.

Who counts as present towards a quorum (`voting_governors`): governors in office on the
date, in a voting category, who sit on the body. Observers, guests, associate members and
members who are not governors do not count.
"""

import math
from dataclasses import asdict, dataclass, field
from datetime import date

from gvo.core import audit, numbers
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.governance import categories as governor_categories
from gvo.governance import records
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection

MAX_PLACES = 100  # board_places.places CHECK (0-100)
COMMITTEE_MINIMUM = 3  # reg. 22(2): not less than three governors who are members
REG_BOARD = ("The School Governance (Roles, Procedures and Allowances) (England) "
             "Regulations 2013, reg. 14(1)")
REG_COMMITTEE = ("The School Governance (Roles, Procedures and Allowances) (England) "
                 "Regulations 2013, reg. 22(2)")


class PlacesInvalid(InvalidInput):
    """Some typed numbers of places were refused; `errors` maps a category key to its
    message (shown beside that category's field)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass
class CategoryPlaces:
    """One category on the instrument of government: its places, the governors in office in
    it on the date, and the vacancies (places minus filled, never below 0)."""

    key: str
    label: str
    votes: bool
    places: int
    filled: int

    @property
    def vacant(self) -> int:
        """Places with nobody in them."""
        return max(0, self.places - self.filled)


@dataclass
class Vacancies:
    """The board's places and vacancies on a date (see `vacancies`)."""

    on: date
    categories: list[CategoryPlaces]
    uncategorised: int  # governors in office whose category is not recorded (fill no place)

    @property
    def places(self) -> int:
        """All places on the instrument of government."""
        return sum(c.places for c in self.categories)

    @property
    def filled(self) -> int:
        """Places filled (governors in office in a category, up to its places)."""
        return sum(min(c.places, c.filled) for c in self.categories)

    @property
    def vacant(self) -> int:
        """All vacancies."""
        return sum(c.vacant for c in self.categories)

    @property
    def governor_places(self) -> int:
        """Places for governors (categories that vote: associate members are not governors)."""
        return sum(c.places for c in self.categories if c.votes)

    @property
    def governor_vacancies(self) -> int:
        """Vacancies among the places for governors (what reg. 14(1) leaves out)."""
        return sum(c.vacant for c in self.categories if c.votes)

    @property
    def governor_filled(self) -> int:
        """Places for governors filled (governors in office in a voting category, up to its
        places): always governor_places - governor_vacancies."""
        return sum(min(c.places, c.filled) for c in self.categories if c.votes)

    @property
    def over(self) -> list[CategoryPlaces]:
        """Categories of governor with more in office than places (0 places included): the
        instrument of government does not allow them."""
        return [c for c in self.categories if c.votes and c.filled > c.places]

    @property
    def associate_places(self) -> int:
        """Places recorded for categories that do not vote (associate members): not places
        on the instrument of government, counted apart."""
        return sum(c.places for c in self.categories if not c.votes)

    def summary(self) -> str:
        """Today's totals in words, as the places page and the compliance rule give them:
        governor places apart from associate members' ("8 governor places, 5 filled, 3
        vacant; associate members: 2 places, 1 filled")."""
        words = (f"{_plural(self.governor_places, 'governor place', 'governor places')}, "
                 f"{self.governor_filled} filled, {self.governor_vacancies} vacant")
        if self.associate_places:
            filled = sum(min(c.places, c.filled) for c in self.categories if not c.votes)
            words += (f"; associate members: "
                      f"{_plural(self.associate_places, 'place', 'places')}, {filled} filled")
        return words


@dataclass
class QuorumRule:
    """How many must be present for a body's meeting on a date to be quorate, and why.

    `needed`: the number; `rule`: the rule in words with its numbers ("half of the 11
    governors in office (12 places, 1 vacancy), rounded up: 6"); `basis`: 'board' (reg.
    14(1)), 'committee-set' or 'committee-minimum' (reg. 22(2)); `in_office`: voting
    governors in office (the board), or governors on the committee; `places` and
    `vacancies`: the board's places and vacancies for governors (associate members' left
    out; None when no places are recorded, or for a committee).
    """

    needed: int
    rule: str
    basis: str
    in_office: int
    places: int | None = None
    vacancies: int | None = None
    source: str = field(default="")

    def as_dict(self) -> dict:
        """The rule as JSON-able data (what a locked register's snapshot keeps)."""
        return asdict(self)


board_id = records.board_id  # the governing board's body id, or None (one rule)


def _board(conn: Connection, body_id: int):
    row = conn.execute("SELECT * FROM bodies WHERE id = ?", (body_id,)).fetchone()
    if row is None:
        raise NotFound("no such board or committee")
    if row["kind"] != "board":
        raise InvalidInput("The instrument of government sets places on the governing board, "
                           "not on a committee.")
    return row


@reads.once
def categories(conn: Connection) -> list:
    """The categories of governor that hold places (table governor_categories, read only):
    key, label, votes, in their order. The clerk's category is not one: the clerk is not a
    governor and has no place on the instrument of government."""
    return conn.execute("SELECT key, label, votes FROM governor_categories WHERE key != ?"
                        " ORDER BY sort_order, label", (governor_categories.CLERK,)).fetchall()


@reads.once
def places(conn: Connection, body_id: int) -> dict[str, int]:
    """The board's places per category key (categories with none set are absent)."""
    return {r["category"]: r["places"] for r in conn.execute(
        "SELECT category, places FROM board_places WHERE body_id = ?", (body_id,))}


def in_office(conn: Connection, body_id: int, on: date) -> dict[int, str]:
    """The governors of board `body_id` in office on `on` (a local date): user id -> category
    key ('' when not recorded). The records' rule (records.governors: the clerk is not a
    governor), and anyone on the board with no record at all (records.unrecorded), with
    category ''."""
    found = {r["user_id"]: r["category"] for r in records.governors(conn, on, body_id)}
    for user_id in records.unrecorded(conn, body_id):
        found[user_id] = ""
    return found


def _tally(cats: list, set_places: dict[str, int], held: dict[int, str], on: date) -> Vacancies:
    """Vacancies from the categories, the places and who holds which category."""
    count: dict[str, int] = {}
    for category in held.values():
        count[category] = count.get(category, 0) + 1
    rows = [CategoryPlaces(c["key"], c["label"], bool(c["votes"]), set_places.get(c["key"], 0),
                           count.get(c["key"], 0)) for c in cats]
    return Vacancies(on, rows, count.get("", 0))


def vacancies(conn: Connection, body_id: int, on: date) -> Vacancies:
    """The board's places, governors in office and vacancies per category on `on` (a local
    date), in the categories' order, every category listed (0 places when none set). A
    vacancy is a place with nobody in it; a category with more governors than places has
    none. Governors whose category is not recorded fill no place (`uncategorised`).
    Raises NotFound for an unknown body, InvalidInput for a committee."""
    _board(conn, body_id)
    return _tally(categories(conn), places(conn, body_id), in_office(conn, body_id, on), on)


def _body(conn: Connection, body_id: int):
    from gvo.board import bodies  # bodies reads this module's places

    return bodies.get_body(conn, body_id)


def _voters(conn: Connection, body, on: date, cats: list) -> tuple[set[int], dict[int, str]]:
    """(who counts towards the body's quorum on `on`, the board's governors in office)."""
    board = body["id"] if body["kind"] == "board" else board_id(conn)
    if board is None:
        return set(), {}
    silent = {c["key"] for c in cats if not c["votes"]}
    held = in_office(conn, board, on)
    voters = {uid for uid, cat in held.items() if cat not in silent}
    if body["kind"] != "board":
        voters &= {r[0] for r in conn.execute(
            "SELECT user_id FROM body_members WHERE body_id = ?", (body["id"],))}
    return voters, held


def voting_governors(conn: Connection, body_id: int, on: date) -> set[int]:
    """Who counts towards the quorum of body `body_id` on `on`: governors of the board in
    office on that date in a category that votes (not associate members), who sit on the
    body (for the board itself: all of them; for a committee: its members who are such
    governors, reg. 22(2)). Raises NotFound for an unknown body."""
    return _voters(conn, _body(conn, body_id), on, categories(conn))[0]


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def quorum_rule(conn: Connection, body_id: int, on: date) -> QuorumRule:
    """The quorum of a meeting of body `body_id` held on `on` (a local date), with the rule in
    words and its numbers (see the module's docstring for the law). Raises NotFound for an
    unknown body."""
    return quorum_and_voters(conn, body_id, on)[0]


def quorum_and_voters(conn: Connection, body_id: int, on: date
                      ) -> tuple[QuorumRule, frozenset[int]]:
    """`quorum_rule` and `voting_governors` together, reading each table once (a meeting's
    page asks for both). Raises NotFound for an unknown body."""
    body = _body(conn, body_id)
    cats = categories(conn)
    voters, held = _voters(conn, body, on, cats)
    governors = len(voters)
    if body["kind"] != "board":
        if body["quorum"]:
            needed = max(COMMITTEE_MINIMUM, body["quorum"])
            return QuorumRule(needed, f"{needed} governors who are members of {body['name']}, "
                              "as the committee set (at least three)", "committee-set",
                              governors, source=REG_COMMITTEE), frozenset(voters)
        return QuorumRule(COMMITTEE_MINIMUM, f"{COMMITTEE_MINIMUM} governors who are members "
                          f"of {body['name']}, the least the law allows (no number set)",
                          "committee-minimum", governors, source=REG_COMMITTEE), frozenset(voters)
    needed = max(1, math.ceil(governors / 2))
    vac = _tally(cats, places(conn, body_id), held, on)
    about = ""
    total_places = vac.governor_places or None
    vacant = vac.governor_vacancies if total_places else None
    if total_places:
        about = (f" ({_plural(total_places, 'place', 'places')}, "
                 f"{_plural(vacant, 'vacancy', 'vacancies')}")
        beyond = governors - vac.governor_filled  # over a category's places, or no category
        about += (f"; {beyond} in office beyond the places or with no category recorded)"
                  if beyond > 0 else ")")
    rule = (f"half of the {_plural(governors, 'governor', 'governors')} in office{about}, "
            f"rounded up: {needed}")
    return (QuorumRule(needed, rule, "board", governors, total_places, vacant, REG_BOARD),
            frozenset(voters))


def set_places(conn: Connection, actor: Identity, body_id: int, typed: dict[str, str]) -> bool:
    """Set the board's places per category from what was typed (category key -> text; digits
    of any script; empty means 0), each 0-100. Returns True if anything changed.

    Only Managers and holders of `manage_board` ("edit board members") may (NotPermitted).
    Raises NotFound for an unknown body, InvalidInput for a committee or an unknown
    category, PlacesInvalid (with a message per category) when a number is refused:
    nothing is written then. The change is audited ("board.places") with the places
    before and after, in the same transaction."""
    if not actor.can("manage_board"):
        raise NotPermitted("Only Managers and those who edit board members set the board's "
                           "places.")
    _board(conn, body_id)
    labels = {c["key"]: c["label"] for c in categories(conn)}
    unknown = set(typed) - set(labels)
    if unknown:
        raise InvalidInput("Unknown category of governor: " + ", ".join(sorted(unknown)) + ".")
    wanted, errors = {}, {}
    for key, text in typed.items():
        if text is None or not text.strip():
            wanted[key] = 0
            continue
        try:
            wanted[key] = numbers.whole_number(text, what=f"{labels[key]} places", low=0,
                                               high=MAX_PLACES)
        except InvalidInput as exc:
            errors[key] = str(exc)
    if errors:
        raise PlacesInvalid(errors)
    with transaction(conn):
        before = places(conn, body_id)
        after = dict(before)
        for key, n in wanted.items():
            if n:
                after[key] = n
            else:
                after.pop(key, None)
        if after == before:
            return False
        conn.execute("DELETE FROM board_places WHERE body_id = ?", (body_id,))
        conn.executemany("INSERT INTO board_places(body_id, category, places) VALUES (?, ?, ?)",
                         [(body_id, k, n) for k, n in sorted(after.items())])
        audit.record(conn, actor, "board.places", f"body:{body_id}", before=before,
                     after=after)
    return True
