"""Sample discussion topics for the demo school: three conversations between meetings with
threaded replies, one in the pay panel's private room, all made through the services (so
they are audited, and only those who may open the room see the third)."""

from gvo.core.identity import Identity
from gvo.discussion import comments, followers, subjects, topics
from gvo.storage.sqlcipher import Connection


def _folder(conn: Connection, title: str) -> int:
    return conn.execute("SELECT id FROM folders WHERE title = ? AND deleted_at IS NULL",
                        (title,)).fetchone()[0]


def _thread(conn: Connection, topic_id: int, posts: list[tuple[Identity, str, int | None]]
            ) -> None:
    """Post (person, text, index of the post replied to or None) in order."""
    made: list[int] = []
    for who, body, parent in posts:
        subject = subjects.load(conn, who, topics.KIND, topic_id)
        made.append(comments.add(conn, who, subject, body,
                                 made[parent] if parent is not None else None))


def sample(conn: Connection, ids: dict[str, int]) -> None:
    """Fill the demo's discussions (ids: demo users by e-mail). After the library's sample,
    whose folders ("Governor visits", "Finance", "Pay panel (confidential)") they use."""
    def person(name: str) -> Identity:
        return Identity.load(conn, ids[f"{name}@riverside.example"])

    clerk, chair, head, governor, parent = (
        person(name) for name in ("clerk", "chair", "head", "governor", "parent"))

    visits = topics.create(
        conn, governor, _folder(conn, "Governor visits"),
        title="Planning governor visits for the spring term",
        body="I would like us to agree who visits what before the next full board meeting, "
             "so the monitoring plan can be **approved there**.\n\n"
             "- Reading and phonics (Year 1 and 2)\n- SEND provision\n- Online safety\n\n"
             "Which of these could you take on?")
    _thread(conn, visits, [
        (parent, "I can do SEND provision; my Tuesdays are free after half term.", None),
        (head, "Thank you, Peter. Our SENCo is in on Tuesdays, so that works well.", 0),
        (chair, "I will take online safety with the computing lead. Grace, could you keep "
                "reading and phonics, following on from your last visit?", None),
        (governor, "Yes, happy to. I will put a draft plan on the agenda for the next "
                   "meeting.", 2),
    ])
    followers.set_following(conn, clerk, subjects.load(conn, clerk, topics.KIND, visits), True)

    budget = topics.create(
        conn, parent, _folder(conn, "Finance"),
        title="Questions on the quarter 2 budget monitoring",
        body="Before the Resources committee meets, a few questions on the monitoring report "
             "in this folder:\n\n1. Premises is forecast £5,000 over budget: is that the "
             "boiler repair?\n2. Learning resources are well under: is spending planned for "
             "the spring?")
    _thread(conn, budget, [
        (head, "1. Yes, the boiler repair in October. 2. Yes: the new reading scheme books "
               "are ordered for January.", None),
        (parent, "Thank you. I will ask for a virement to cover premises at the committee, "
                 "as only the committee can agree it.", 0),
    ])

    pay = topics.create(
        conn, chair, _folder(conn, "Pay panel (confidential)"),
        title="Evidence to read before the pay panel meets",
        body="The adviser's recommendation is in this room. Please read it before the panel "
             "meets; we will **decide at the panel meeting**, not here.")
    _thread(conn, pay, [
        (parent, "Read, thank you. I have a question on the appraisal targets, which I will "
                 "raise at the meeting.", None),
    ])
