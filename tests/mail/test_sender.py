"""The sender against a real SMTP server that goes down, comes back, or refuses."""

from conftest import WebClient, add_person, sign_in

from gvo.core import dates
from gvo.core.identity import Identity
from gvo.mail import outbox
from gvo.mail.compose import Letter, Recipient
from gvo.mail.sender import Sender

from .conftest import mail_app_for


def _queue(conn, n: int, prefix: str = "p") -> list[str]:
    """Queue n test messages to distinct addresses; their addresses."""
    addresses = [f"{prefix}{i}@example.org" for i in range(n)]
    for address in addresses:
        outbox.queue(conn, Identity.operator(), Recipient(f"Person {address}", address),
                     Letter("test", f"Hello {address}", "a test"), kind="test")
    return addresses


def test_mail_server_down_for_a_while_nothing_lost_and_the_office_keeps_serving(
        instance, school, smtp_down, start_sender):
    app = mail_app_for(instance, smtp_down)
    conn = instance.db(school)
    sender = start_sender()
    first = _queue(conn, 5, "early")
    # The server is down: the sender tries, waits, tries again; the office keeps working.
    reader = add_person(instance, school, "reader", "reader@example.org")
    client = WebClient(app.test_client())
    assert sign_in(client, reader).status_code == 302
    for _ in range(5):
        assert client.get(f"/{school}/").status_code == 200
        assert client.get(f"/{school}/profile").status_code == 200
    later = _queue(conn, 5, "late")
    instance.release()
    for _ in range(3000):  # the sender's first try, not a time limit
        if sender.last_error:
            break
        smtp_down.wait_for(99, limit=0.01)
    assert "Connection refused" in sender.last_error
    st = outbox.stats(conn)
    assert st.queued >= 10 and st.failed == 0
    smtp_down.start()
    wanted = set(first + later + [reader.email])
    arrived = smtp_down.wait_for(len(wanted))
    got = [a.rcpt_tos[0] for a in arrived]
    assert set(got) == wanted
    assert len(got) == len(set(got))  # each once
    assert outbox.stats(conn).queued == 0 and outbox.stats(conn).failed == 0
    assert sender.last_error is None
    health = sender.health()["mail"]
    assert health["reachable"] and health["queued"] == 0


def test_a_5xx_answer_ends_as_a_visible_failure_a_manager_may_retry(
        instance, school, mail_app, smtp_server, start_sender):
    conn = instance.db(school)
    manager = add_person(instance, school, "manager", "head@example.org")
    start_sender()
    smtp_server.wait_for(1, to="head@example.org")  # the manager's own notice (two-step)
    smtp_server.handler.refuse = "550 5.1.1 <nobody@example.org>: mailbox unavailable"
    outbox.queue(conn, Identity.operator(), Recipient("Nobody", "nobody@example.org"),
                 Letter("test", "Hello", "a test"), kind="test")
    instance.release()
    failed = []
    for _ in range(3000):  # the sender's answer, not a time limit
        failed = outbox.failed_messages(conn)
        if failed:
            break
        smtp_server.wait_for(99, limit=0.01)
    [row] = failed
    assert row["recipient"] == "nobody@example.org"
    assert "550" in row["last_error"] and "mailbox unavailable" in row["last_error"]
    assert outbox.stats(conn).queued == 0
    assert [r["action"] for r in conn.execute(
        "SELECT action FROM audit_log WHERE action = 'mail.failed'")] == ["mail.failed"]
    instance.release()

    # A Manager sees it, with the reason, and sends it again once the address is fixed.
    client = WebClient(mail_app.test_client())
    assert sign_in(client, manager).status_code == 302
    settings_page = client.get(f"/{school}/admin/settings").get_data(as_text=True)
    assert "1 message could not be sent" in settings_page
    page = client.get(f"/{school}/admin/mail").get_data(as_text=True)
    assert "nobody@example.org" in page and "mailbox unavailable" in page
    # When it failed, in the school's time as every page says it (attack 4: raw UTC).
    assert f">{dates.moment(row['failed_at'])}</time>" in page and "Z</td>" not in page
    smtp_server.handler.refuse = None
    resp = client.post(f"/{school}/admin/mail/{row['id']}/retry", {},
                       form_page=f"/{school}/admin/mail")
    assert resp.status_code == 302
    assert smtp_server.wait_for(1, to="nobody@example.org")
    assert "No message has failed" in client.get(f"/{school}/admin/mail").get_data(as_text=True)
    retried = conn.execute("SELECT actor_email FROM audit_log WHERE action = 'mail.retry'"
                           ).fetchall()
    assert [r[0] for r in retried] == ["head@example.org"]


def test_retry_needs_the_csrf_token_and_a_manager(instance, school, mail_app, make_user):
    client = WebClient(mail_app.test_client())
    editor = make_user(school, "editor")
    assert sign_in(client, editor).status_code == 302
    assert client.get(f"/{school}/admin/mail").status_code == 403
    manager = make_user(school, "manager")
    client2 = WebClient(mail_app.test_client())
    assert sign_in(client2, manager).status_code == 302
    resp = client2.post(f"/{school}/admin/mail/1/retry", {}, csrf=False)
    assert resp.status_code == 400


def test_a_4xx_answer_is_retried_until_accepted(instance, school, mail_app, smtp_server):
    conn = instance.db(school)
    smtp_server.handler.refuse = "451 4.3.0 try again later"
    _queue(conn, 1, "slow")
    sender = Sender(instance, outbox.config.current(), retry_base=0.05, retry_max=0.2,
                    sweep=3600.0).start()
    try:
        row = None
        for _ in range(3000):
            row = conn.execute("SELECT attempts, next_attempt_at, last_error, status FROM"
                               " mail_outbox WHERE recipient = 'slow0@example.org'").fetchone()
            instance.release()
            if row["attempts"] >= 3:
                break
            smtp_server.wait_for(99, limit=0.01)
        assert row["status"] == "queued" and "451" in row["last_error"]
        smtp_server.handler.refuse = None
        assert smtp_server.wait_for(1, to="slow0@example.org")
    finally:
        sender.stop()


def test_temporary_failures_for_too_long_end_as_a_failure(instance, school, mail_app,
                                                          smtp_server, start_sender):
    conn = instance.db(school)
    smtp_server.handler.refuse = "452 4.2.2 mailbox full"
    _queue(conn, 1, "full")
    instance.release()
    start_sender(give_up=0.0)
    failed = []
    for _ in range(3000):
        failed = outbox.failed_messages(conn)
        instance.release()
        if failed:
            break
        smtp_server.wait_for(99, limit=0.01)
    [row] = failed
    assert "still refused" in row["last_error"] and "452" in row["last_error"]


def test_an_address_beyond_ascii_fails_at_once_and_the_sender_goes_on(
        instance, school, mail_app, smtp_server, start_sender):
    conn = instance.db(school)
    outbox.queue(conn, Identity.operator(), Recipient("Siân", "siân@example.org"),
                 Letter("test", "Hello", "a test"), kind="test")
    _queue(conn, 1, "after")
    instance.release()
    start_sender()
    assert smtp_server.wait_for(1, to="after0@example.org")
    [row] = outbox.failed_messages(conn)
    assert row["recipient"] == "siân@example.org" and "beyond ASCII" in row["last_error"]
