""""Forgotten password": same answer either way, a link that works once and expires, and
two-step sign-in still asked afterwards; account notices."""

import re

from conftest import WebClient, add_person, sign_in

from gvo.people import recovery
from gvo.security import throttle

NEW_PASSWORD = "a-brand-new-long-passphrase"


def _ask(app, school, email):
    client = WebClient(app.test_client())
    page = client.get(f"/{school}/password/forgot")
    assert page.status_code == 200
    return client.post(f"/{school}/password/forgot", {"email": email})


def _link(smtp_server, address) -> str:
    [got] = smtp_server.wait_for(1, to=address, subject="Choose a new password")
    link = re.search(r"https://localhost(/alpha/password/reset/[\w-]+)", got.part("plain"))
    assert link.group(0) in got.part("html")
    return link.group(1)


def test_known_and_unknown_addresses_get_the_same_page(instance, school, mail_app,
                                                        smtp_server, start_sender):
    person = add_person(instance, school, "reader", "known@example.org")
    start_sender()
    known = _ask(mail_app, school, "known@example.org")
    unknown = _ask(mail_app, school, "unknown@example.org")
    assert known.status_code == unknown.status_code == 200
    token = re.compile(r'"X-CSRFToken": "[^"]+"')  # each browser's own
    same = (token.sub("", known.get_data(as_text=True).replace("known@", "X@")),
            token.sub("", unknown.get_data(as_text=True).replace("unknown@", "X@")))
    assert same[0] == same[1]
    assert "If an account of Alpha Primary uses" in same[0]
    assert _link(smtp_server, person.email)
    assert smtp_server.to("unknown@example.org") == []
    conn = instance.db(school)
    # Both counted alike by the throttle, and audited.
    rows = conn.execute("SELECT email FROM login_failures WHERE step = 'reset'").fetchall()
    assert sorted(r[0] for r in rows) == ["known@example.org", "unknown@example.org"]
    assert conn.execute("SELECT count(*) FROM audit_log WHERE action ="
                        " 'password.reset_request'").fetchone()[0] == 2


def test_the_link_works_once_and_two_step_sign_in_is_still_asked(instance, school, mail_app,
                                                                  smtp_server, start_sender):
    person = add_person(instance, school, "reader", "known@example.org")
    elsewhere = WebClient(mail_app.test_client())
    assert sign_in(elsewhere, person).status_code == 302
    start_sender()
    _ask(mail_app, school, person.email)
    path = _link(smtp_server, person.email)
    client = WebClient(mail_app.test_client())
    assert client.get(path).status_code == 200
    resp = client.post(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/alpha/login")
    # Not signed in by the link: a signed-in page sends to sign-in.
    assert client.get(f"/{school}/profile").status_code == 302
    # Used up.
    again = client.get(path)
    assert again.status_code == 410
    assert client.post(path, {"password": "x" * 20, "confirm": "x" * 20},
                       form_page=f"/{school}/login").status_code == 410
    # The other session ended with the old password.
    assert elsewhere.get(f"/{school}/profile").status_code == 302
    # Signing in with the new password still asks for the code.
    person.password = NEW_PASSWORD
    step1 = client.post(f"/{school}/login", {"email": person.email, "password": NEW_PASSWORD},
                        form_page=f"/{school}/login")
    assert step1.status_code == 302 and step1.headers["Location"].endswith("/login/verify")
    assert client.get(f"/{school}/profile").status_code == 302
    # And the owner is told their password changed.
    # (three messages: two-step sign-in set up, the link, and this notice)
    notices = smtp_server.wait_for(3, to=person.email)
    subjects = [a.message["Subject"] for a in notices]
    assert "A new password was set for your account" in subjects


def test_the_link_expires_after_an_hour(instance, school, mail_app, smtp_server, start_sender,
                                        clock):
    person = add_person(instance, school, "reader", "known@example.org")
    start_sender()
    _ask(mail_app, school, person.email)
    path = _link(smtp_server, person.email)
    client = WebClient(mail_app.test_client())
    clock.advance(recovery.LINK_MINUTES * 60 - 5)
    assert client.get(path).status_code == 200
    clock.advance(10)
    assert client.get(path).status_code == 410
    resp = client.post(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                       form_page=f"/{school}/login")
    assert resp.status_code == 410


def test_requests_are_throttled_alike_for_known_and_unknown(instance, school, mail_app):
    add_person(instance, school, "reader", "known@example.org")
    for email in ("known@example.org", "unknown@example.org"):
        most = throttle.MAX_RESETS_PER_ACCOUNT
        answers = [_ask(mail_app, school, email) for _ in range(most + 1)]
        assert [a.status_code for a in answers] == [200] * most + [422]
        assert "Too many requests for a new password" in answers[-1].get_data(as_text=True)
    conn = instance.db(school)
    assert conn.execute("SELECT count(*) FROM mail_outbox WHERE kind = 'password_reset'"
                        ).fetchone()[0] == throttle.MAX_RESETS_PER_ACCOUNT
    # Sign-in from the same network is not blocked by reset requests.
    person_client = WebClient(mail_app.test_client())
    resp = person_client.post(f"/{school}/login", {"email": "known@example.org",
                                                   "password": "wrong-password-here"},
                              form_page=f"/{school}/login")
    assert "Too many" not in resp.get_data(as_text=True)


def test_without_mail_the_page_says_ask_the_clerk(instance, school, client):
    page = client.get(f"/{school}/password/forgot").get_data(as_text=True)
    assert "does not send e-mail" in page and 'name="email"' not in page
    login = client.get(f"/{school}/login").get_data(as_text=True)
    assert "Ask your clerk" in login and "password/forgot" not in login
    resp = client.post(f"/{school}/password/forgot", {"email": "a@example.org"},
                       form_page=f"/{school}/login")
    assert resp.status_code == 200 and "does not send e-mail" in resp.get_data(as_text=True)
    assert instance.db(school).execute("SELECT count(*) FROM login_failures").fetchone()[0] == 0


def test_mail_sign_in_page_links_to_forgotten_password(instance, school, mail_app):
    client = WebClient(mail_app.test_client())
    page = client.get(f"/{school}/login").get_data(as_text=True)
    assert f"/{school}/password/forgot" in page
