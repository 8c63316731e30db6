"""A real `gvo serve` that was down when the newsletter was due sends it once it starts."""

import pytest
from replication.conftest import free_port
from test_behind_nginx import SLUG, gvo_serve, make_office, stop

from gvo.core.identity import Identity
from gvo.library import folders, pages
from gvo.mail import config
from gvo.newsletter import letters
from gvo.storage.instance import Instance

from .conftest import mail_settings


@pytest.mark.slow
def test_gvo_serve_sends_the_newsletter_it_missed_when_it_starts(tmp_path, smtp_server):
    instance = tmp_path / "instance"
    make_office(instance)
    settings = mail_settings(smtp_server)
    config.configure(config.from_mapping(settings))
    inst = Instance.open(instance, environ={})
    try:
        conn = inst.db(SLUG)
        clerk = Identity.load(conn, conn.execute("SELECT id FROM users WHERE role = 'manager'")
                              .fetchone()[0])
        folder = folders.create_folder(conn, clerk, parent_id=None, title="Board papers")
        pages.create_page(conn, clerk, folder, title="Spring budget summary", body="x")
        # The server last sent a newsletter three weeks ago, then was down.
        for key in (letters.NEWSLETTER_DONE, letters.DIGEST_DONE):
            conn.execute("INSERT INTO settings(key, value) VALUES (?, ?)",
                         (key, "2000-01-01T00:00:00+00:00"))
    finally:
        inst.close()
    port = free_port()
    server = gvo_serve(instance, port, **settings)
    try:
        [got] = smtp_server.wait_for(1)
    finally:
        stop(server)
    assert got.message["Subject"].startswith("Your week in the governors' office")
    assert "Spring budget summary" in got.part("plain")
    assert got.message["List-Unsubscribe"].startswith("<https://localhost/alpha/mail/")
