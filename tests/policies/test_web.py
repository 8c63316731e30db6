"""The policy pages through the web: access to the register (issue 15, acceptance 3), the
public policy viewer's exclusions and that it needs no sign-in and writes nothing
(acceptance 1 and 3), CSV downloads (acceptance 4), forms' errors beside their fields,
asking before a withdrawal, and an audit entry for every change."""

import csv
import io

import pytest
from conftest import make_pdf, pdf_text

from gvo.core import audit
from gvo.core.identity import Identity
from gvo.library import documents, folders, pages
from gvo.people import accounts
from gvo.policies import lifecycle, public, register

from .conftest import OP, File


def _actions(conn) -> list[str]:
    return [r["action"] for r in conn.execute("SELECT action FROM audit_log ORDER BY id")]


@pytest.fixture
def published(office):
    """The public viewer switched on, and a live page policy marked publish publicly."""
    public.switch(office.conn, OP, True)
    pid = office.policy("Complaints procedure", publish_publicly=True)
    office.live(pid, "## Stage one\n\nLIVE WORDS here.")
    return pid


# -- the public policy viewer ------------------------------------------------------------

def test_the_public_viewer_needs_no_sign_in_and_shows_live_published_text(
        office, published, client):
    listing = client.get("/alpha/policies")
    assert listing.status_code == 200 and "Complaints procedure" in client.last_text
    page = client.get(f"/alpha/policies/public/{published}")
    assert page.status_code == 200 and "LIVE WORDS" in client.last_text
    pdf = client.download(f"/alpha/policies/public/{published}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


def test_the_public_viewer_is_off_until_the_school_switches_it_on(office, client):
    pid = office.policy(publish_publicly=True)
    office.live(pid)
    assert client.get("/alpha/policies").status_code == 404
    assert client.get(f"/alpha/policies/public/{pid}").status_code == 404
    public.switch(office.conn, OP, True)
    assert client.get(f"/alpha/policies/public/{pid}").status_code == 200


def _hidden(client, pid, words=None):
    client.get("/alpha/policies")
    assert f"/policies/public/{pid}\"" not in client.last_text
    assert client.get(f"/alpha/policies/public/{pid}").status_code == 404
    assert client.download(f"/alpha/policies/public/{pid}/pdf").status_code == 404
    if words:
        assert words not in client.last_text


def test_a_policy_with_only_a_draft_is_never_shown(office, published, client):
    pid = office.policy("Uniform", publish_publicly=True)
    lifecycle.write_page(office.conn, OP, pid, "DRAFT WORDS")
    _hidden(client, pid)


def test_a_draft_under_review_is_not_shown_but_the_live_version_is(office, published, client):
    conn = office.conn
    lifecycle.start_review(conn, OP, published)
    draft = register.get(conn, OP, published)["draft_item"]
    pages.update_page(conn, OP, draft, title="Draft", body="DRAFT WORDS")
    client.get(f"/alpha/policies/public/{published}")
    assert "LIVE WORDS" in client.last_text and "DRAFT WORDS" not in client.last_text


def test_an_archived_version_is_never_shown(office, published, client):
    conn = office.conn
    with office.days_ago(2):
        lifecycle.start_review(conn, OP, published)
        draft = register.get(conn, OP, published)["draft_item"]
        pages.update_page(conn, OP, draft, title="New", body="NEW WORDS")
    lifecycle.approve_at_meeting(conn, OP, published, office.item_with(office.meeting(days=-1),
                                                                      published))
    client.get(f"/alpha/policies/public/{published}")
    assert "NEW WORDS" in client.last_text and "LIVE WORDS" not in client.last_text
    lifecycle.withdraw(conn, OP, published)
    _hidden(client, published)


def test_a_document_is_shown_as_the_version_approved_not_the_next_draft(office, client):
    conn = office.conn
    public.switch(conn, OP, True)
    pid = office.policy("Charging", publish_publicly=True)
    with office.days_ago(10):
        doc = office.document(make_pdf("APPROVED TEXT"), "charging.pdf")
        lifecycle.set_draft_text(conn, OP, pid, "document", doc)
    lifecycle.approve_at_meeting(conn, OP, pid, office.item_with(office.meeting(), pid))
    lifecycle.start_review(conn, OP, pid)
    documents.add_version(conn, OP, doc, [File("charging.pdf", make_pdf("DRAFT TEXT"))],
                          limit=1 << 20)
    pdf = client.download(f"/alpha/policies/public/{pid}/pdf")
    assert pdf.status_code == 200 and "APPROVED TEXT" in pdf_text(pdf.data)
    assert "DRAFT" not in pdf_text(pdf.data)


@pytest.mark.parametrize("kind", ["page", "document"])
def test_nothing_in_a_room_is_ever_shown(office, client, make_user, kind):
    conn = office.conn
    public.switch(conn, OP, True)
    member = make_user(role="manager")
    who = Identity.load(conn, member.id)  # a Manager inside the room
    room = folders.create_folder(conn, who, parent_id=None, title="Pay panel", restricted=True,
                                 users=[member.id])
    inside = folders.create_folder(conn, who, parent_id=room, title="Inside")
    pid = office.policy("Pay policy", publish_publicly=True)
    with office.days_ago(10):
        if kind == "page":
            item = pages.create_page(conn, who, inside, title="Pay", body="SECRET WORDS")
        else:
            [item] = documents.add_files(conn, who, inside, [File("pay.pdf", make_pdf(
                "SECRET WORDS"))], limit=1 << 20)
        lifecycle.set_draft_text(conn, who, pid, kind, item)
    lifecycle.approve_at_meeting(conn, who, pid, office.item_with(office.meeting(), pid))
    assert register.get(conn, who, pid)["status"] == "live"
    _hidden(client, pid, "SECRET WORDS")
    assert "Pay policy" not in client.get("/alpha/policies").get_data(as_text=True)


def test_a_live_policy_not_marked_publish_publicly_is_not_shown(office, published, client):
    pid = office.policy("Staff handbook", publish_publicly=False)
    office.live(pid)
    _hidden(client, pid)


def test_reading_the_public_viewer_writes_nothing(office, published, client):
    conn = office.conn
    before = conn.total_changes, len(_actions(conn))
    for path in ("/alpha/policies", f"/alpha/policies/public/{published}",
                 f"/alpha/policies/public/{published}/pdf", "/alpha/policies/public/999"):
        client.download(path)
    assert (conn.total_changes, len(_actions(conn))) == before


# -- access to the register --------------------------------------------------------------

def test_the_register_needs_sign_in(office, client):
    resp = client.get("/alpha/policies/register")
    assert resp.status_code == 302 and "/alpha/login" in resp.headers["Location"]


def test_a_reader_reads_the_register_but_changes_nothing(office, published, signed_in):
    client, _ = signed_in("reader")
    assert client.get("/alpha/policies/register").status_code == 200
    assert "Complaints procedure" in client.last_text
    assert client.get(f"/alpha/policies/{published}").status_code == 200
    assert client.get("/alpha/policies/new").status_code == 403
    assert client.get("/alpha/policies/settings").status_code == 403
    # The token from a page with a form (the profile): the refusal is the access rule's.
    assert client.post("/alpha/policies/statutory", {}, form_page="/alpha/profile"
                       ).status_code == 403
    assert client.post(f"/alpha/policies/{published}/review", {}, form_page="/alpha/profile"
                       ).status_code == 403


def test_manage_policies_lets_an_author_add_a_policy(office, signed_in, instance):
    client, person = signed_in("author")
    assert client.get("/alpha/policies/new").status_code == 403
    accounts.set_capabilities(office.conn, OP, person.id, {"manage_policies"})
    resp = client.post("/alpha/policies/new", {"name": "Anti-bullying", "type_id": "0",
                                               "owner_body_id": str(office.board_id),
                                               "approval_level": "board",
                                               "cycle_months": "12"},
                       form_page="/alpha/policies/new")
    assert resp.status_code == 302
    [policy] = register.listing(office.conn, OP)
    assert policy["name"] == "Anti-bullying" and policy["body_name"] == "Full Governing Board"
    assert "policy.create" in _actions(office.conn)


def test_a_policy_whose_text_is_in_a_room_is_hidden_from_those_outside(
        office, signed_in, make_user):
    conn = office.conn
    insider = make_user(role="manager")
    who = Identity.load(conn, insider.id)
    room = folders.create_folder(conn, who, parent_id=None, title="Pay panel", restricted=True,
                                 users=[insider.id])
    pid = office.policy("Headteacher pay policy")
    item = pages.create_page(conn, who, room, title="Pay", body="Secret")
    lifecycle.set_draft_text(conn, who, pid, "page", item)
    client, _ = signed_in("author")
    assert client.get(f"/alpha/policies/{pid}").status_code == 404
    client.get("/alpha/policies/register")
    assert "Headteacher pay policy" not in client.last_text
    # Policy managers see the row (not the text behind the room).
    assert register.get(conn, OP, pid)["draft_open"] is False


def test_a_refused_form_shows_its_error_beside_the_field(office, signed_in):
    client, _ = signed_in("manager")
    resp = client.post("/alpha/policies/new", {"name": "", "type_id": "0",
                                               "owner_body_id": "0",
                                               "approval_level": "board",
                                               "cycle_months": "12"},
                       form_page="/alpha/policies/new")
    assert resp.status_code == 422
    assert 'id="name-error"' in client.last_text
    assert register.listing(office.conn, OP) == []


def test_approving_through_the_web_records_it_and_refuses_beside_the_field(office, signed_in):
    conn = office.conn
    client, _ = signed_in("manager")
    pid = office.policy()
    office.draft(pid)
    item = office.item_with(office.meeting(), pid)
    page = f"/alpha/policies/{pid}"
    bad = client.post(f"{page}/approve", {"item_id": "999"}, form_page=page)
    assert bad.status_code == 422 and 'id="item_id-error"' in client.last_text
    assert register.get(conn, OP, pid)["status"] == "development"
    ok = client.post(f"{page}/approve", {"item_id": str(item)}, form_page=page)
    assert ok.status_code == 302
    assert register.get(conn, OP, pid)["status"] == "live"
    client.get(page)
    assert "Full board meeting" in client.last_text  # the history names the meeting


def test_a_draft_is_written_or_linked_through_the_web(office, signed_in):
    conn = office.conn
    client, _ = signed_in("manager")
    pid = office.policy()
    page = f"/alpha/policies/{pid}"
    empty = client.post(f"{page}/write", {"body": ""}, form_page=page)
    assert empty.status_code == 422 and 'id="body-error"' in client.last_text
    assert client.post(f"{page}/write", {"body": "## Our policy"}, form_page=page
                       ).status_code == 302
    written = register.get(conn, OP, pid)
    assert written["draft_kind"] == "page" and written["draft_number"] == 1
    doc = office.document(make_pdf("Policy"), "policy.pdf")
    bad = client.post(f"{page}/text", {"text": "document:999"}, form_page=page)
    assert bad.status_code == 422 and 'id="text-error"' in client.last_text
    assert client.post(f"{page}/text", {"text": f"document:{doc}"}, form_page=page
                       ).status_code == 302
    linked = register.get(conn, OP, pid)
    assert (linked["draft_kind"], linked["draft_item"], linked["draft_number"]) == (
        "document", doc, 1)


def test_withdrawing_asks_first(office, published, signed_in):
    client, _ = signed_in("manager")
    page = f"/alpha/policies/{published}"
    asked = client.post(f"{page}/withdraw", {}, form_page=page)
    assert asked.status_code == 200 and "Yes, withdraw it" in client.last_text
    assert register.get(office.conn, OP, published)["status"] == "live"
    done = client.post(f"{page}/withdraw", {"confirmed": "1"})
    assert done.status_code == 302
    assert register.get(office.conn, OP, published)["status"] == "archived"


def test_the_statutory_list_is_added_in_one_step_through_the_web(office, signed_in):
    client, _ = signed_in("manager")
    resp = client.post("/alpha/policies/statutory", {}, form_page="/alpha/policies/register")
    assert resp.status_code == 302
    assert len(register.listing(office.conn, OP)) >= 10
    assert "policy.statutory_added" in _actions(office.conn)


def test_the_csv_downloads_open_with_the_csv_module(office, signed_in):
    office.policy("=cmd|' /C calc'!A0")
    client, _ = signed_in("reader")
    for path in ("/alpha/policies/reports/statutory.csv", "/alpha/policies/reports/owners.csv",
                 "/alpha/policies/reports/due.csv?start=2026-01-01&end=2028-12-31"):
        resp = client.download(path)
        assert resp.status_code == 200 and resp.mimetype == "text/csv", path
        rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
        assert rows[0], path
    rows = list(csv.reader(io.StringIO(client.download(
        "/alpha/policies/reports/owners.csv").data.decode("utf-8-sig"))))
    assert rows[1][0] == "'=cmd|' /C calc'!A0"
    bad = client.download("/alpha/policies/reports/due.csv?start=2027-01-01&end=2026-01-01")
    assert bad.status_code == 422 and "before its start" in bad.get_data(as_text=True)
    assert client.get("/alpha/policies/reports").status_code == 200


def test_every_change_is_audited_in_its_transaction(office):
    conn = office.conn
    pid = office.policy()
    office.draft(pid)
    item = office.item_with(office.meeting(), pid)
    lifecycle.approve_at_meeting(conn, OP, pid, item)
    lifecycle.start_review(conn, OP, pid)
    register.add_type(conn, OP, "Trips")
    public.switch(conn, OP, True)
    lifecycle.withdraw(conn, OP, pid)
    actions = _actions(conn)
    for action in ("policy.create", "policy.draft_text", "policy.approve",
                   "policy.review_start", "policy.type_add", "policy.public_viewer",
                   "policy.withdraw"):
        assert action in actions, action
    assert audit.verify(conn).ok


def test_the_public_viewer_shows_markup_in_an_approved_text_as_text_never_as_script(
        office, client):
    """The public page renders the approved Markdown (pages.render: raw HTML off, then nh3):
    a script, an event handler or a javascript: link typed into a policy reaches the public
    as harmless text, in the page and in the listing's title."""
    public.switch(office.conn, OP, True)
    pid = office.policy("<script>alert('title')</script> Charging", publish_publicly=True)
    office.live(pid, "<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n"
                     "[click](javascript:alert(2))\n\nPlain words.")
    for path in ("/alpha/policies", f"/alpha/policies/public/{pid}"):
        assert client.get(path).status_code == 200
        text = client.last_text
        assert "<script>alert" not in text and "<img" not in text
        assert 'href="javascript:' not in text
    assert "Plain words." in text and "&lt;script&gt;alert(&#39;title&#39;)" in text
