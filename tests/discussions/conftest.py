"""Discussions fixtures: school alpha with a private room (Ann and Eve only: the Manager is
outside it too), an open folder, people in and out of the room, and a topic in each."""

from dataclasses import dataclass

import pytest
from conftest import PASSWORD, Person, enrol_authenticator, sign_in

from gvo.core.identity import Identity
from gvo.discussion import topics
from gvo.library import folders
from gvo.mail import config as mail_config
from gvo.people import accounts

OP = Identity.operator()
# Mail on (nothing is sent: no sender runs), so what would be mailed is in mail_outbox.
MAIL = {"GVO_SMTP_URL": "smtp://127.0.0.1:9?starttls=off",
        "GVO_MAIL_FROM": "GVO Office <office@gvo.example>", "GVO_BASE_URL": "https://localhost"}


@dataclass
class Scene:
    """Who is who, the folders and a topic in each."""

    conn: object
    people: dict  # name -> Person (clerk: Manager; ann, eve: in the room; cal, ben: outside)
    room: int
    open_folder: int
    room_topic: int
    open_topic: int

    def who(self, name: str) -> Identity:
        """The person as an Identity."""
        return Identity.load(self.conn, self.people[name].id)


@pytest.fixture
def mail_on():
    """This process sends mail (queued only)."""
    mail_config.configure(mail_config.from_mapping(MAIL))
    yield
    mail_config.configure(None)


@pytest.fixture
def scene(instance, school) -> Scene:
    conn = instance.db(school)
    people = {}
    for name, role in (("clerk", "manager"), ("ann", "author"), ("eve", "editor"),
                       ("cal", "author"), ("ben", "reader")):
        email = f"{name}@example.org"
        uid = accounts.add_user(conn, OP, email=email, name=name.title(), role=role,
                                password=PASSWORD)
        people[name] = Person(uid, email, PASSWORD, role, school,
                              enrol_authenticator(conn, uid))
    clerk = Identity.load(conn, people["clerk"].id)
    room = folders.create_folder(conn, clerk, parent_id=None, title="Pay panel",
                                 restricted=True,
                                 users=[people["ann"].id, people["eve"].id])
    open_folder = folders.create_folder(conn, clerk, parent_id=None, title="Governance")
    ann = Identity.load(conn, people["ann"].id)
    room_topic = topics.create(conn, ann, room, title="Headteacher pay award",
                               body="The adviser recommends one point.")
    open_topic = topics.create(conn, ann, open_folder, title="Governor visits this term",
                               body="Who can visit Year 2?")
    return Scene(conn, people, room, open_folder, room_topic, open_topic)


@pytest.fixture
def as_person(client, scene):
    """as_person(name) -> the client, signed in as that person of the scene."""
    def sign(name: str):
        resp = sign_in(client, scene.people[name])
        assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
        return client
    return sign
