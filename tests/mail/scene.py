"""A school for the share, subscribe and meeting mail tests: a board, a private room, a
meeting with a Part 2 (confidential) item and its paper, and people in and out of each."""

from dataclasses import dataclass

from meetings.conftest import OP, Office
from uploads import Part

from gvo.board import bodies
from gvo.core.identity import Identity
from gvo.library import documents, folders
from gvo.meetings import papers
from gvo.people import accounts, groups

PAPER_WORDS = "Headteacher salary review recommendation"


@dataclass
class Scene:
    """Who is who, and the items."""

    conn: object
    office: Office
    clerk: int       # a Manager, in the room
    ann: int         # an Author, on the board, in the room
    ben: int         # a Reader, not on the board, not in the room
    cal: int         # an Author, not on the board, not in the room
    dee: int         # inactive
    room: int        # the restricted folder "Pay panel" (clerk, ann)
    room_doc: int
    open_folder: int
    open_doc: int
    meeting: int
    part2_item: int
    part2_doc: int
    everyone: int    # a group: ann, ben, cal, dee

    def who(self, user_id: int) -> Identity:
        """The person as an Identity."""
        return Identity.load(self.conn, user_id)


def build(conn) -> Scene:
    """Make the scene in school alpha (`conn`)."""
    board = bodies.save_body(conn, OP, body_id=None, kind="board", name="Full Governing Board")
    office = Office(board, board, conn)

    def person(name, role):
        return accounts.add_user(conn, OP, email=f"{name.lower()}@ex.org", name=name, role=role)

    clerk, ann = person("Clerk", "manager"), person("Ann", "author")
    ben, cal, dee = person("Ben", "reader"), person("Cal", "author"), person("Dee", "author")
    accounts.set_role(conn, OP, dee, "inactive")
    office.member(ann)
    office.member(dee)
    me = Identity.load(conn, clerk)
    room = folders.create_folder(conn, me, parent_id=None, title="Pay panel", restricted=True,
                                 users=[clerk, ann])
    open_folder = folders.create_folder(conn, me, parent_id=None, title="Policies")
    room_doc = documents.add_files(conn, me, room, [Part("appraisal.pdf", _pdf())],
                                   limit=10**7)[0]
    open_doc = documents.add_files(conn, me, open_folder, [Part("uniform.pdf", _pdf())],
                                   limit=10**7)[0]
    meeting = office.meeting(days=10)
    office.item(meeting, "Budget")
    part2 = office.item(meeting, "Staffing restructure", confidential=True)
    [part2_doc] = papers.upload(conn, me, part2, [Part("restructure.pdf", _pdf())],
                                limit=10**7)
    everyone = groups.save_group(conn, OP, group_id=None, name="Everyone", description="",
                                 members=[ann, ben, cal, dee])
    return Scene(conn, office, clerk, ann, ben, cal, dee, room, room_doc, open_folder, open_doc,
                 meeting, part2, part2_doc, everyone)


def _pdf() -> bytes:
    from conftest import make_pdf

    return make_pdf(PAPER_WORDS)


def signed_in_client(app, scene: Scene, user_id: int):
    """A browser-like client of `app`, signed in as the scene's person `user_id` (given a
    password and an authenticator here)."""
    from conftest import Person, WebClient, enrol_authenticator, sign_in

    from gvo.people import accounts

    row = scene.conn.execute("SELECT email, role FROM users WHERE id = ?", (user_id,)).fetchone()
    accounts.set_password(scene.conn, OP, user_id, "a-long-passphrase-12")
    person = Person(user_id, row["email"], "a-long-passphrase-12", row["role"], "alpha",
                    enrol_authenticator(scene.conn, user_id))
    client = WebClient(app.test_client())
    assert sign_in(client, person).status_code == 302
    return client
