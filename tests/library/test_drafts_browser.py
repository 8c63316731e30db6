"""Drafts kept for "put back" belong to the person who typed them (attack 5, F1), in
Debian's Chromium against the live office: text typed by one person whose session ended is
put back for them after signing in again, never for the next person who signs in on the
same tab, and a draft that is too old is not put back at all."""

import json
import re

import pytest
from browser.fixtures import LiveServer, end_session_elsewhere, sign_in, sign_in_here
from uploads import Part

from gvo.core.identity import Identity
from gvo.library import documents, folders
from gvo.people import signin

pytestmark = pytest.mark.browser

OP = Identity.operator()
SECRET = "PRIVATE: I think the head is hiding the safeguarding incident"


@pytest.fixture(scope="module")
def tablet(live_server: LiveServer):
    """Two governors sharing a tablet, and a paper both may comment on."""
    conn = live_server.instance.db(live_server.slug)
    grace = live_server.add_person("author", name="Grace Tablet", email="grace.t@example.org")
    peter = live_server.add_person("author", name="Peter Tablet", email="peter.t@example.org")
    folder = folders.create_folder(conn, OP, parent_id=None, title="Shared tablet papers")
    [doc_id] = documents.add_files(conn, OP, folder, [Part("notes.txt", b"Notes\n")],
                                   limit=1024 * 1024)
    codes = signin.regenerate_recovery_codes(conn, Identity.load(conn, grace.id),
                                             grace.password)
    return {"live": live_server, "grace": grace, "peter": peter, "doc": doc_id,
            "codes": codes}


def _stored_text(page) -> str:
    return json.dumps(page.evaluate("() => Object.assign({}, window.sessionStorage)"))


def test_a_draft_is_put_back_only_for_the_person_who_typed_it(tablet, new_context):
    server, grace, peter = tablet["live"], tablet["grace"], tablet["peter"]
    context = new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    doc_url = server.url(f"/library/documents/{tablet['doc']}")
    sign_in(page, server, grace)
    page.goto(doc_url)
    page.get_by_label("Add a comment").fill(SECRET)

    # Grace's session ends elsewhere; posting lands on the sign-in page; she signs in again
    # and her text is back.
    end_session_elsewhere(context, server)
    page.get_by_role("button", name="Post").click()
    page.wait_for_url(re.compile(r"/login\?next=/"))
    sign_in_here(page, grace, tablet["codes"][0])
    page.wait_for_url(doc_url)
    assert page.get_by_label("Add a comment").input_value() == SECRET

    # Her session ends again with the text still unsent; this time Peter signs in on the
    # same tab: his box is empty, no note offers him anything, and her words left the tab.
    end_session_elsewhere(context, server)
    page.get_by_role("button", name="Post").click()
    page.wait_for_url(re.compile(r"/login\?next=/"))
    assert SECRET in _stored_text(page)  # kept while nobody is signed in
    sign_in_here(page, peter, peter.code())
    page.wait_for_url(doc_url)
    assert page.get_by_label("Add a comment").input_value() == ""
    assert page.get_by_text("was not sent yet").count() == 0
    assert SECRET not in _stored_text(page)


def test_an_old_draft_is_not_put_back(tablet, new_context):
    server = tablet["live"]
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    doc_url = server.url(f"/library/documents/{tablet['doc']}")
    # A person of their own: an authenticator code of now is accepted once.
    person = server.add_person("author", name="Olive Old", email="olive.old@example.org")
    sign_in(page, server, person)
    page.goto(doc_url)
    page.get_by_label("Add a comment").fill("Typed yesterday")
    # The draft as kept, made a day old.
    page.evaluate("""() => {
        for (let i = 0; i < sessionStorage.length; i++) {
            const key = sessionStorage.key(i);
            if (!key.startsWith("gvo-draft:")) continue;
            const draft = JSON.parse(sessionStorage.getItem(key));
            draft.at -= 24 * 3600 * 1000;
            sessionStorage.setItem(key, JSON.stringify(draft));
        }
    }""")
    page.reload()
    assert page.get_by_label("Add a comment").input_value() == ""
    assert "Typed yesterday" not in _stored_text(page)


def test_a_refused_in_page_action_says_so_and_the_text_comes_back(tablet, new_context):
    """Attack 5, F6: a comment posted from a page loaded under a session that was replaced
    (signed out and in again in another tab) is refused (400, stale CSRF token): the page
    says so in its alert region, and after reloading the text is put back."""
    server = tablet["live"]
    conn = server.instance.db(server.slug)
    person = server.add_person("author", name="Stan Stale", email="stan.stale@example.org")
    codes = signin.regenerate_recovery_codes(conn, Identity.load(conn, person.id),
                                             person.password)
    context = new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    doc_url = server.url(f"/library/documents/{tablet['doc']}")
    sign_in(page, server, person)
    page.goto(doc_url)
    page.get_by_label("Add a comment").fill("Typed before signing in again")

    other = context.new_page()
    end_session_elsewhere(context, server, other)
    sign_in_here(other, person, codes[0])
    other.wait_for_url(server.url("/"))

    with page.expect_response(lambda r: "/comments" in r.url) as answer:
        page.get_by_role("button", name="Post").click()
    assert answer.value.status == 400
    alert = page.locator("#page-alert")
    alert.wait_for(state="visible")
    assert "out of date" in alert.inner_text()
    assert page.get_by_label("Add a comment").input_value() == "Typed before signing in again"
    page.reload()
    assert page.get_by_label("Add a comment").input_value() == "Typed before signing in again"
