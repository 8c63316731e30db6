"""A real `gvo serve` killed with kill -9 while mail is queued: after a restart every
message arrives, once (README, "E-mail": at least once, and a resend only for a message the
SMTP server had accepted when the server died)."""

import json
import signal
import urllib.request

import pytest
from replication.conftest import free_port
from serving import SLUG, gvo_serve, make_office, stop

from gvo.core.identity import Identity
from gvo.mail import config, outbox
from gvo.mail.compose import Letter, Recipient
from gvo.storage.instance import Instance

from .conftest import mail_settings

TOKEN = "t" * 40


def _healthz(port: int) -> dict:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/healthz",
                                 headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - loopback
        return json.loads(resp.read())


@pytest.mark.slow
def test_kill_9_while_mail_is_queued_then_every_message_arrives_once(tmp_path, smtp_down):
    instance = tmp_path / "instance"
    make_office(instance)
    settings = mail_settings(smtp_down) | {"GVO_HEALTH_TOKEN": TOKEN}
    port = free_port()
    server = gvo_serve(instance, port, **settings)
    addresses = [f"governor{i}@example.org" for i in range(6)]
    try:
        # Mail queued beside the running server (another process), the SMTP server down.
        config.configure(config.from_mapping(settings))
        inst = Instance.open(instance, environ={})
        try:
            conn = inst.db(SLUG)
            for address in addresses:
                outbox.queue(conn, Identity.operator(), Recipient("Gov", address),
                             Letter("test", "Papers", "a test"), kind="test")
            assert outbox.stats(conn).queued >= len(addresses)
        finally:
            inst.close()
        assert "127.0.0.1" in _healthz(port)["mail"]["server"]
    finally:
        stop(server, signal.SIGKILL)
    smtp_down.start()
    server = gvo_serve(instance, port, **settings)
    try:
        arrived = smtp_down.wait_for(len(addresses))
        got = [a.rcpt_tos[0] for a in arrived]
        assert set(addresses) <= set(got)
        assert len(got) == len(set(got))  # nothing twice: none was accepted before the kill
        health = None
        for _ in range(500):  # until the sender has marked them sent (not a time limit)
            health = _healthz(port)["mail"]
            if health["queued"] == 0:
                break
            smtp_down.wait_for(99, limit=0.02)
        assert health["queued"] == 0 and health["failed"] == 0 and health["reachable"]
    finally:
        stop(server)


@pytest.mark.slow
def test_only_a_message_accepted_before_the_kill_is_sent_twice(tmp_path, smtp_server):
    """The window of README's "at least once": the SMTP server has the message, but
    `gvo serve` dies before it hears the answer (and so before marking it sent)."""
    instance = tmp_path / "instance"
    make_office(instance)
    settings = mail_settings(smtp_server)
    addresses = [f"governor{i}@example.org" for i in range(4)]
    config.configure(config.from_mapping(settings))
    inst = Instance.open(instance, environ={})
    try:
        for address in addresses:
            outbox.queue(inst.db(SLUG), Identity.operator(), Recipient("Gov", address),
                         Letter("test", "Papers", "a test"), kind="test")
    finally:
        inst.close()
    smtp_server.handler.hold.set()
    port = free_port()
    server = gvo_serve(instance, port, **settings)
    try:
        [first] = smtp_server.wait_for(1)  # received, its answer held back
    finally:
        stop(server, signal.SIGKILL)
    smtp_server.handler.hold.clear()
    server = gvo_serve(instance, port, **settings)
    try:
        got = [a.rcpt_tos[0] for a in smtp_server.wait_for(len(addresses) + 1)]
    finally:
        stop(server)
    assert sorted(got) == sorted(addresses + first.rcpt_tos)
    assert got.count(first.rcpt_tos[0]) == 2
