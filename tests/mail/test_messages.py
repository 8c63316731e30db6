"""What arrives at a real SMTP server: recipients, headers, both parts, encoded names."""

import re

from conftest import WebClient, add_person, sign_in

from gvo.core.identity import Identity
from gvo.mail import outbox
from gvo.mail.compose import Letter, Recipient
from gvo.people import accounts, settings

WELSH = "Siân ap Gwŷr"


def test_an_invitation_arrives_whole_with_a_welsh_name_encoded(instance, school, mail_app,
                                                                 smtp_server, start_sender):
    conn = instance.db(school)
    settings.set_reply_to(conn, Identity.operator(), "clerk@alpha.example")
    manager = add_person(instance, school, "manager", "head@alpha.example")
    client = WebClient(mail_app.test_client())
    assert sign_in(client, manager).status_code == 302
    start_sender()
    resp = client.post(f"/{school}/admin/users", {"name": WELSH, "email": "sian@example.org",
                                                  "role": "reader"},
                       form_page=f"/{school}/admin/users")
    assert resp.status_code == 302
    page = client.get(f"/{school}/admin/users").get_data(as_text=True)
    assert "on its way to sian@example.org" in page and "/setup/" not in page

    [got] = smtp_server.wait_for(1, to="sian@example.org")
    assert got.rcpt_tos == ["sian@example.org"]
    assert got.mail_from == "office@gvo.example"
    raw_headers = got.data.split(b"\r\n\r\n", 1)[0]
    assert raw_headers.isascii()  # RFC 2047 / 5322: headers are ASCII on the wire
    assert b"=?utf-8?" in raw_headers.lower() and "Gwŷr".encode() not in raw_headers
    msg = got.message
    assert msg["To"].addresses[0].display_name == WELSH
    assert msg["To"].addresses[0].addr_spec == "sian@example.org"
    assert msg["From"].addresses[0].display_name == "Alpha Primary"
    assert msg["From"].addresses[0].addr_spec == "office@gvo.example"
    assert msg["Reply-To"].addresses[0].addr_spec == "clerk@alpha.example"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert re.fullmatch(r"<[^@<>]+@gvo\.example>", msg["Message-ID"])
    assert msg["Date"].datetime is not None
    assert msg.get_content_type() == "multipart/alternative"
    text, html = got.part("plain"), got.part("html")
    link = re.search(r"https://localhost/alpha/setup/[\w-]+", text).group(0)
    assert link in html and f"Dear {WELSH}" in text and "Siân" in html
    assert "You received this because" in text and "You received this because" in html

    # The link works: the invited person chooses a password through it.
    newcomer = WebClient(mail_app.test_client())
    page = newcomer.get(link.removeprefix("https://localhost"))
    assert page.status_code == 200 and WELSH in page.get_data(as_text=True)


def test_queued_mail_commits_with_the_change_or_not_at_all(instance, school, mail_app):
    conn = instance.db(school)
    uid = accounts.add_user(conn, Identity.operator(), email="a@example.org", name="A",
                            role="reader")
    letter = Letter("test", "Hello", "a test")
    try:
        with outbox.transaction(conn):
            outbox.queue(conn, Identity.operator(), Recipient("A", "a@example.org", uid), letter,
                         kind="test")
            raise RuntimeError("the change fails")
    except RuntimeError:
        pass
    assert outbox.stats(conn).queued == 0
    with outbox.transaction(conn):
        outbox.queue(conn, Identity.operator(), Recipient("A", "a@example.org", uid), letter,
                     kind="test")
    assert outbox.stats(conn).queued == 1
    audit_actions = [r["action"] for r in conn.execute("SELECT action FROM audit_log")]
    assert audit_actions.count("mail.queue") == 1


def test_without_smtp_nothing_is_queued_and_the_invitation_shows_the_link(instance, school,
                                                                          client):
    manager = add_person(instance, school, "manager", "head@alpha.example")
    assert sign_in(client, manager).status_code == 302
    client.post(f"/{school}/admin/users", {"name": "New One", "email": "new@example.org",
                                           "role": "reader"}, form_page=f"/{school}/admin/users")
    page = client.get(f"/{school}/admin/users").get_data(as_text=True)
    assert "https://localhost/alpha/setup/" in page
    assert outbox.stats(instance.db(school)).queued == 0
    login = client.get(f"/{school}/login")  # signed in: redirected; sign-in page says ask
    assert login.status_code == 302


def test_typed_text_that_looks_like_an_encoded_word_arrives_as_typed(
        instance, school, mail_app, smtp_server, start_sender):
    # Attack 4: a name typed as "=?utf-8?q?Head_Teacher?=" went out as it was, so mail
    # clients showed "Head Teacher"; the same for a title in a Subject. Python's header
    # registry decodes such words even inside quotes, so "=?" goes out as "= ?".
    conn = instance.db(school)
    forged = "=?utf-8?q?Head_Teacher?="
    outbox.queue(conn, Identity.operator(), Recipient(forged, "sian@example.org"),
                 Letter("test", f"Papers: {forged}", "a test"), kind="test")
    instance.release()
    start_sender()
    [got] = smtp_server.wait_for(1, to="sian@example.org")
    raw_headers = got.data.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?q?Head_Teacher?=" not in raw_headers
    assert got.message["To"].addresses[0].display_name == "= ?utf-8?q?Head_Teacher?="
    assert got.message["Subject"] == "Papers: = ?utf-8?q?Head_Teacher?="
    assert "Head Teacher" not in str(got.message["To"]) + str(got.message["Subject"])


def test_message_ids_stay_unique_when_the_random_module_repeats():
    # Found by the fuzz suite: Hypothesis reseeds `random`, make_msgid drew its unique part
    # from it, and a second message in the same 10 ms got the same Message-ID (the outbox
    # holds each once: an IntegrityError, a 500).
    import random

    from gvo.mail import compose, config

    settings = config.from_mapping({"GVO_SMTP_URL": "smtp://127.0.0.1:25?starttls=off",
                                    "GVO_MAIL_FROM": "Office <office@example.org>"})
    letter = compose.Letter("test", "Papers", "a test")
    ids = set()
    for _ in range(20):
        random.seed(7)
        msg = compose.build(settings, school_name="Alpha", school_url="https://gvo.example/alpha",
                            reply_to="", to=compose.Recipient("A", "a@example.org"),
                            letter=letter)
        ids.add(msg["Message-ID"])
    assert len(ids) == 20
