"""In a real browser: a Manager invites a governor, the invitation arrives at a loopback SMTP
server, the governor follows its link, sets a password and sets up two-step sign-in."""

import re
import threading

import pyotp
import pytest
import waitress
from browser.fixtures import LiveServer, sign_in
from replication.conftest import free_port
from waitress import wasyncore

from gvo import create_app
from gvo.mail import sender as mail_sender

from .conftest import MAIL_FROM

pytestmark = pytest.mark.browser
WELSH = "Siân ap Gwŷr"
NEW_PASSWORD = "a-long-and-memorable-passphrase"


@pytest.fixture
def mail_office(instance, school, smtp_server):
    """GVO on waitress sending mail through the test SMTP server, with its mail sender
    running as in `gvo serve`."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    app = create_app({"GVO_SMTP_URL": smtp_server.url, "GVO_MAIL_FROM": MAIL_FROM,
                      "GVO_BASE_URL": origin}, instance=instance)
    server = waitress.create_server(app, host="127.0.0.1", port=port, threads=4, ident="GVO")
    thread = threading.Thread(target=server.run, name="gvo-waitress", daemon=True)
    thread.start()
    sender = mail_sender.start(app, instance, retry_base=0.05, retry_max=0.2)
    try:
        yield LiveServer(origin, instance)
    finally:
        sender.stop()
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()


def test_a_governor_invited_by_mail_sets_a_password_and_two_step_sign_in(
        page, new_context, mail_office, smtp_server):
    manager = mail_office.add_person("manager")
    sign_in(page, mail_office, manager)
    page.goto(mail_office.url("/admin/users"))
    page.get_by_label("Name").fill(WELSH)
    page.get_by_label("E-mail address").fill("sian@example.org")
    page.get_by_role("button", name="Invite").click()
    assert page.get_by_text("is on its way to sian@example.org").is_visible()

    [invitation] = smtp_server.wait_for(1, to="sian@example.org")
    assert invitation.message["To"].addresses[0].display_name == WELSH
    link = re.search(rf"{re.escape(mail_office.origin)}/alpha/setup/[\w-]+",
                     invitation.part("plain")).group(0)

    governor = new_context(viewport={"width": 390, "height": 844}).new_page()
    governor.goto(link)
    assert governor.get_by_role("heading", name=f"Welcome, {WELSH}").is_visible()
    governor.get_by_label("New password").fill(NEW_PASSWORD)
    governor.get_by_label("Type it again").fill(NEW_PASSWORD)
    governor.get_by_role("button", name="Save password").click()
    governor.wait_for_url(mail_office.url("/login"))
    governor.get_by_label("E-mail address").fill("sian@example.org")
    governor.get_by_label("Password").fill(NEW_PASSWORD)
    governor.get_by_role("button", name="Continue").click()
    governor.wait_for_url(mail_office.url("/mfa/enrol"))
    secret = governor.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    governor.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).now())
    governor.get_by_role("button", name="Turn on two-step sign-in").click()
    governor.wait_for_url(mail_office.url("/mfa/recovery-codes"))
    governor.get_by_role("link", name="I have saved them: go to the office").click()
    governor.wait_for_url(mail_office.url("/"))
    assert governor.get_by_test_id("person-name").inner_text() == WELSH
    # And they hear that two-step sign-in was set up on their account.
    subjects = [a.message["Subject"] for a in smtp_server.wait_for(2, to="sian@example.org")]
    assert "Two-step sign-in was set up for your account" in subjects
