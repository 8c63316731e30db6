"""The demo office: Riverside Primary, with a board, committees and a person of each role."""

from gvo.board import bodies
from gvo.core import identity
from gvo.core.identity import Identity
from gvo.people import accounts, groups, settings
from gvo.storage.instance import Instance
from gvo.storage.sqlcipher import transaction

SLUG = "riverside"
NAME = "Riverside Primary"
# One known password for every demo account: the demo school says it is a demo.
PASSWORD = "bluebell-meadow-42"  # noqa: S105 (printed for the demo on purpose)

PEOPLE = [
    # email, name, role, bodies [("board", position, category), (committee, position)]
    ("clerk@riverside.example", "Clara Clerk", "manager", []),
    ("chair@riverside.example", "Charles Chair", "editor",
     [("board", "chair", "co-opted"), ("Resources", "member")]),
    ("head@riverside.example", "Hannah Head", "editor",
     [("board", "member", "headteacher"), ("Resources", "member"),
      ("Teaching and Learning", "member")]),
    ("governor@riverside.example", "Grace Governor", "author",
     [("board", "vice-chair", "parent"), ("Teaching and Learning", "chair")]),
    ("parent@riverside.example", "Peter Parent", "author",
     [("board", "member", "parent"), ("Resources", "chair")]),
    ("staff@riverside.example", "Sam Staff", "author",
     [("board", "member", "staff"), ("Teaching and Learning", "member")]),
    ("inspector@riverside.example", "Ivy Inspector", "reader", []),
    ("former@riverside.example", "Fred Former", "inactive", []),
]
COMMITTEES = [
    ("Resources", "Finance, premises, staffing and health and safety.", 3),
    ("Teaching and Learning", "Curriculum, standards, pupil progress and SEND.", 3),
]


def create(instance: Instance) -> None:
    """Make the demo school with its people and board, in an instance that lacks it."""
    instance.create_school(SLUG, NAME)
    conn = instance.db(SLUG)
    op = Identity.operator()
    with transaction(conn):
        settings.put(conn, "demo", "1")
        settings.put(conn, "mfa_policy", "optional")
    ids = {}
    for email, name, role, _ in PEOPLE:
        ids[email] = accounts.add_user(conn, op, email=email, name=name, role=role,
                                       password=PASSWORD)
    body_ids = {"board": bodies.save_body(
        conn, op, body_id=None, kind="board", name="Full Governing Board",
        description="The accountable body: strategy, holding leaders to account, finance.")}
    for name, description, quorum in COMMITTEES:
        body_ids[name] = bodies.save_body(conn, op, body_id=None, kind="committee", name=name,
                                          description=description, quorum_text=str(quorum))
    for email, _name, _role, memberships in PEOPLE:
        for body, position, *category in memberships:
            bodies.add_member(conn, op, body_ids[body], ids[email], position, *category)
    pay_panel = groups.save_group(
        conn, op, group_id=None, name="Pay panel",
        description="Governors who sit on the pay committee panel.",
        members=[ids["chair@riverside.example"], ids["parent@riverside.example"]])
    _sample_governor_records(conn, ids)
    _sample_library(conn, ids, pay_panel)
    _sample_discussions(conn, ids)
    _sample_meetings(conn, ids, body_ids)
    _sample_interests(conn, ids)
    _sample_places(conn)
    _sample_public_page(conn, ids)
    _sample_policies(conn, ids)
    _sample_skills(conn, ids)
    _sample_training(conn, ids)
    _sample_actions(conn, ids)


def _sample_governor_records(conn, ids: dict) -> None:
    """Governor records, positions and the GIAS change log (gvo.governance.demo_records)."""
    from gvo.governance import demo_records

    demo_records.sample(conn, ids)


def _sample_library(conn, ids: dict, pay_panel: int) -> None:
    """Folders, a private room, documents, pages, comments and approvals (gvo.library.demo)."""
    from gvo.library import demo as library_demo

    library_demo.sample(conn, ids, pay_panel)


def _sample_discussions(conn, ids: dict) -> None:
    """Discussion topics with threaded replies, one in the pay panel's room
    (gvo.discussion.demo_topics); after the library's folders exist."""
    from gvo.discussion import demo_topics

    demo_topics.sample(conn, ids)


def _sample_places(conn) -> None:
    """The instrument of government's places, with one vacancy (gvo.governance.demo_places)."""
    from gvo.governance import demo_places

    demo_places._demo_places(conn)


def _sample_meetings(conn, ids: dict, body_ids: dict) -> None:
    """Past and upcoming meetings with agendas, registers and minutes (gvo.meetings.demo)."""
    from gvo.meetings import demo as meetings_demo

    members = {name: [m["id"] for m in bodies.members(conn, body_id)]
               for name, body_id in body_ids.items()}
    meetings_demo.sample(conn, ids["clerk@riverside.example"], body_ids, members, NAME)


def _sample_public_page(conn, ids: dict) -> None:
    """The public governance page, switched on (gvo.governance.demo_public); after the
    governor records exist."""
    from gvo.governance import demo_public

    demo_public._demo_public(conn, ids["clerk@riverside.example"])


def _sample_interests(conn, ids: dict) -> None:
    """The register of interests and a declaration at a meeting (gvo.governance)."""
    from gvo.governance import demo_interests

    demo_interests.sample(conn, ids)


def _sample_policies(conn, ids: dict) -> None:
    """The policy register: statutory list, live policies, one under review, one overdue
    (gvo.policies.demo)."""
    from gvo.policies import demo as policies_demo

    policies_demo.sample(conn, ids["clerk@riverside.example"], ids["head@riverside.example"])


def _sample_skills(conn, ids: dict) -> None:
    """The skills audit's answers, one governor's entered by the clerk (gvo.skills)."""
    from gvo.skills import demo_skills

    demo_skills.sample(conn, ids)


def _sample_training(conn, ids: dict) -> None:
    """Courses, completions (expiring, expired, never done) and a certificate
    (gvo.training.demo_training)."""
    from gvo.training import demo_training

    demo_training.sample(conn, ids)


def _sample_actions(conn, ids: dict) -> None:
    """Actions from the minutes and made by hand (gvo.actions.demo_actions)."""
    from gvo.actions import demo_actions

    demo_actions.sample(conn, ids)


def credentials_text(base_url: str) -> str:
    """What `make run` prints: where to sign in and with what."""
    lines = [
        "",
        "GVO demo office: Riverside Primary",
        f"  Sign in at {base_url}/{SLUG}/login",
        f"  Password for every demo account: {PASSWORD}",
        "",
    ]
    for email, name, role, _ in PEOPLE:
        if role != "inactive":
            lines.append(f"  {identity.ROLE_LABELS[role]:<8} {email:<30} ({name})")
    lines.append("")
    return "\n".join(lines)
