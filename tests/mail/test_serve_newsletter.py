"""A real `gvo serve` that was down when the newsletter was due sends it once it starts."""

import pytest
from replication.conftest import free_port
from serving import gvo_serve, stop

from gvo.library import folders, pages
from gvo.newsletter import letters

from .conftest import serve_ready_office


@pytest.mark.slow
def test_gvo_serve_sends_the_newsletter_it_missed_when_it_starts(tmp_path, smtp_server):
    def prepare(conn, clerk):
        folder = folders.create_folder(conn, clerk, parent_id=None, title="Board papers")
        pages.create_page(conn, clerk, folder, title="Spring budget summary", body="x")
        # The server last sent a newsletter three weeks ago, then was down.
        for key, value in ((letters.NEWSLETTER_DONE, "2000-W01"),
                           (letters.DIGEST_DONE, "2000-01-01")):
            conn.execute("INSERT INTO settings(key, value) VALUES (?, ?)", (key, value))

    instance, settings, _ = serve_ready_office(tmp_path, smtp_server, prepare)
    port = free_port()
    server = gvo_serve(instance, port, **settings)
    try:
        [got] = smtp_server.wait_for(1)
    finally:
        stop(server)
    assert got.message["Subject"].startswith("Your week in the governors' office")
    assert "Spring budget summary" in got.part("plain")
    assert got.message["List-Unsubscribe"].startswith("<https://localhost/alpha/mail/")
