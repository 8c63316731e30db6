"""A real SMTP server (aiosmtpd) on loopback, started by the tests, and a mail-sending app.

`smtp_server` records what arrives (envelope and the message's bytes as received); it can
refuse recipients with a given answer, and be stopped and started again on the same port
(the mail server "down for a while").
"""

import asyncio
import email
import threading
import time
from dataclasses import dataclass
from email import policy

import pytest
from aiosmtpd.controller import Controller
from conftest import BASE, TEMPLATE_CODE
from replication.conftest import free_port

from gvo import create_app
from gvo.mail import config
from gvo.mail.sender import Sender

MAIL_FROM = "GVO Office <office@gvo.example>"


@dataclass
class Arrived:
    """One message as the SMTP server received it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        """The message parsed (headers decoded)."""
        return email.message_from_bytes(self.data, policy=policy.default)

    def part(self, subtype: str) -> str:
        """The text of its text/plain or text/html part."""
        return self.message.get_body(preferencelist=(subtype,)).get_content()


class Recorder:
    """aiosmtpd handler: keeps every message; `refuse` (e.g. "550 5.1.1 No such user")
    answers every RCPT with it instead."""

    def __init__(self):
        self.arrived: list[Arrived] = []
        self.refuse: str | None = None
        self.lock = threading.Lock()
        self.hold = threading.Event()  # while set, a message is kept but not yet answered

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        """Accept the recipient, or answer with `refuse`."""
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        """Keep the message."""
        with self.lock:
            self.arrived.append(Arrived(envelope.mail_from, list(envelope.rcpt_tos),
                                        envelope.original_content))
        while self.hold.is_set():  # the message is received; the answer waits
            await asyncio.sleep(0.02)
        return "250 2.0.0 Ok: queued as test"


class SmtpServer:
    """aiosmtpd on 127.0.0.1:`port`, which can go down and come back."""

    def __init__(self):
        self.port = free_port()
        self.handler = Recorder()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        """GVO_SMTP_URL for it (plain SMTP: loopback)."""
        return f"smtp://127.0.0.1:{self.port}?starttls=off"

    @property
    def arrived(self) -> list[Arrived]:
        """What arrived so far."""
        with self.handler.lock:
            return list(self.handler.arrived)

    def start(self) -> "SmtpServer":
        """Listen (again)."""
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop listening (connections are refused)."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str, subject: str | None = None) -> list[Arrived]:
        """What arrived for `address` (with that subject, if given)."""
        return [a for a in self.arrived if address in a.rcpt_tos
                and (subject is None or a.message["Subject"] == subject)]

    def wait_for(self, count: int, to: str | None = None, subject: str | None = None,
                 limit: float = 60.0) -> list[Arrived]:
        """What arrived (for `to`, with `subject`, if given) once `count` messages have, or
        `limit` seconds passed (a guard against a hang, not a measure: the test asserts on
        what arrived)."""
        deadline = time.monotonic() + limit
        while True:
            got = self.to(to, subject) if to else self.arrived
            if len(got) >= count or time.monotonic() > deadline:
                return got
            time.sleep(0.02)


@pytest.fixture
def smtp_server():
    """A running loopback SMTP server recording what arrives."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_down():
    """A loopback SMTP server not yet started (start() brings it up)."""
    server = SmtpServer()
    yield server
    server.stop()


def mail_settings(server: SmtpServer) -> dict:
    """The GVO_* settings of an office sending through `server`."""
    return {"GVO_SMTP_URL": server.url, "GVO_MAIL_FROM": MAIL_FROM, "GVO_BASE_URL": BASE}


def mail_app_for(instance, server: SmtpServer):
    """The web app (as the tests run it) of an office that sends through `server`."""
    app = create_app({"TESTING": True, **mail_settings(server)}, instance=instance)
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    return app


@pytest.fixture
def mail_app(instance, smtp_server):
    """The app of an office sending through the running test SMTP server."""
    return mail_app_for(instance, smtp_server)


@pytest.fixture
def start_sender(instance):
    """Factory: start_sender(**options) -> a running Sender for the test instance with short
    retry times (stopped at the end)."""
    started = []

    def start(**options):
        options = {"retry_base": 0.05, "retry_max": 0.2, "sweep": 3600.0, **options}
        sender = Sender(instance, config.current(), **options).start()
        started.append(sender)
        return sender

    yield start
    for sender in started:
        sender.stop()


def serve_ready_office(tmp_path, server: SmtpServer, prepare) -> tuple:
    """An instance with school alpha and its clerk (tests/serving.py), mail set to
    go through `server`, and `prepare(conn, clerk)` run on it before `gvo serve` starts
    (the clerk as an Identity); (the instance's path, its GVO_* settings, what prepare
    returned)."""
    from serving import SLUG, make_office

    from gvo.core.identity import Identity
    from gvo.storage.instance import Instance

    instance = tmp_path / "instance"
    make_office(instance)
    settings = mail_settings(server)
    config.configure(config.from_mapping(settings))
    inst = Instance.open(instance, environ={})
    try:
        conn = inst.db(SLUG)
        clerk = Identity.load(conn, conn.execute("SELECT id FROM users WHERE role = 'manager'")
                              .fetchone()[0])
        return instance, settings, prepare(conn, clerk)
    finally:
        inst.close()
