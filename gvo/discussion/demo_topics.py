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


# (author, folder, title, opening text, [(who, text, index of the post replied to)]).
TOPICS = [
    ("governor", "Governor visits", "Planning governor visits for the spring term",
     "I would like us to agree who visits what before the next full board meeting, so the "
     "monitoring plan can be **approved there**.\n\n- Reading and phonics (Year 1 and 2)\n"
     "- SEND provision\n- Online safety\n\nWhich of these could you take on?", [
         ("parent", "I can do SEND provision; my Tuesdays are free after half term.", None),
         ("head", "Thank you, Peter. Our SENCo is in on Tuesdays, so that works well.", 0),
         ("chair", "I will take online safety with the computing lead. Grace, could you keep "
                   "reading and phonics, following on from your last visit?", None),
         ("governor", "Yes, happy to. I will put a draft plan on the agenda for the next "
                      "meeting.", 2)]),
    ("parent", "Finance", "Questions on the quarter 2 budget monitoring",
     "Before the Resources committee meets, a few questions on the monitoring report in this "
     "folder:\n\n1. Premises is forecast £5,000 over budget: is that the boiler repair?\n"
     "2. Learning resources are well under: is spending planned for the spring?", [
         ("head", "1. Yes, the boiler repair in October. 2. Yes: the new reading scheme books "
                  "are ordered for January.", None),
         ("parent", "Thank you. I will ask for a virement to cover premises at the committee, "
                    "as only the committee can agree it.", 0)]),
    # In the pay panel's room: only the chair and Peter Parent see it.
    ("chair", "Pay panel (confidential)", "Evidence to read before the pay panel meets",
     "The adviser's recommendation is in this room. Please read it before the panel meets; "
     "we will **decide at the panel meeting**, not here.", [
         ("parent", "Read, thank you. I have a question on the appraisal targets, which I "
                    "will raise at the meeting.", None)]),
]


def sample(conn: Connection, ids: dict[str, int]) -> None:
    """Fill the demo's discussions (ids: demo users by e-mail). After the library's sample,
    whose folders ("Governor visits", "Finance", "Pay panel (confidential)") they use; the
    clerk follows the first topic."""
    def person(name: str) -> Identity:
        return Identity.load(conn, ids[f"{name}@riverside.example"])

    made = []
    for author, folder, title, body, posts in TOPICS:
        made.append(topics.create(conn, person(author), _folder(conn, folder), title=title,
                                  body=body))
        _thread(conn, made[-1], [(person(who), text, parent) for who, text, parent in posts])
    clerk = person("clerk")
    followers.set_following(conn, clerk, subjects.load(conn, clerk, topics.KIND, made[0]), True)
