"""How much mail each person gets: immediate, a daily digest, the newsletter only, or none;
and one-click unsubscribe links (RFC 8058) that work for their person and kind only."""

import email
from email import policy

import pytest
from conftest import BASE

from gvo.core.identity import Identity
from gvo.mail import outbox, volume
from gvo.mail.compose import Letter
from gvo.newsletter import letters
from gvo.people import accounts

OP = Identity.operator()


def _person(conn, name: str, vol: str) -> int:
    uid = accounts.add_user(conn, OP, email=f"{name.lower()}@example.org", name=name,
                            role="author")
    volume.set_volume(conn, OP, uid, vol)
    return uid


def _reply_letter(n: int = 1) -> Letter:
    return Letter("test", f"New reply {n} on Budget 2026", "you follow Budget 2026",
                  link=f"{BASE}/alpha/library/pages/{n}")


def _queued(conn, user_id, kind=None) -> list:
    rows = conn.execute("SELECT kind, message FROM mail_outbox WHERE user_id = ? ORDER BY id",
                        (user_id,)).fetchall()
    return [email.message_from_bytes(bytes(r["message"]), policy=policy.default)
            for r in rows if kind is None or r["kind"] == kind]


@pytest.fixture
def four(instance, school, mail_app):
    """Four people of Alpha, one for each volume."""
    conn = instance.db(school)
    return conn, {v: _person(conn, v.title(), v) for v in volume.VOLUMES}


def test_each_volume_routes_a_notification(four, smtp_server, start_sender, clock, instance):
    conn, people = four
    clock.t = 1_794_902_400.0  # Tuesday 17 November 2026, 08:00 UTC (and London)
    letters.send_due(conn)  # the school's first check: the next digest and newsletter count
    queued = outbox.notify(conn, OP, people.values(), _reply_letter(), kind="comment_reply")
    assert len(queued) == 1
    assert [m["Subject"] for m in _queued(conn, people["immediate"])] == [
        "New reply 1 on Budget 2026"]
    for held in ("digest", "newsletter", "none"):
        assert _queued(conn, people[held]) == []
    assert [h["subject"] for h in volume.waiting(conn, people["digest"])] == [
        "New reply 1 on Budget 2026"]
    assert len(volume.waiting(conn, people["newsletter"])) == 1
    assert volume.waiting(conn, people["none"]) == []

    # The day's digest hour (16:00 by default) passes: the digest person gets one digest.
    clock.t += 9 * 3600
    letters.send_due(conn)
    [digest] = _queued(conn, people["digest"], "digest")
    assert "New reply 1 on Budget 2026" in digest.get_body(("plain",)).get_content()
    assert f"{BASE}/alpha/library/pages/1" in digest.get_body(("html",)).get_content()
    assert volume.waiting(conn, people["digest"]) == []
    assert len(volume.waiting(conn, people["newsletter"])) == 1  # waits for Friday
    letters.send_due(conn)  # the same day again: no second digest
    assert len(_queued(conn, people["digest"], "digest")) == 1

    # Friday 16:00: the newsletter lists what was held; "none" gets no newsletter.
    clock.t += 3 * 86400
    letters.send_due(conn)
    [weekly] = _queued(conn, people["newsletter"], "newsletter")
    assert "New reply 1 on Budget 2026" in weekly.get_body(("plain",)).get_content()
    assert volume.waiting(conn, people["newsletter"]) == []
    assert _queued(conn, people["none"]) == []

    # Account mail ignores the volume.
    accounts.reset_mfa(conn, OP, people["none"])
    assert [m["Subject"] for m in _queued(conn, people["none"])] == [
        "Two-step sign-in was reset for your account"]
    instance.release()
    start_sender()
    arrived = smtp_server.wait_for(1, to="immediate@example.org")
    assert arrived[0].message["Subject"] == "New reply 1 on Budget 2026"
    assert smtp_server.wait_for(1, to="none@example.org")[0].message["List-Unsubscribe"] is None


def test_a_notification_carries_a_one_click_unsubscribe_link(four, smtp_server,
                                                             start_sender, instance):
    conn, people = four
    outbox.notify(conn, OP, [people["immediate"]], _reply_letter(), kind="comment_reply")
    instance.release()
    start_sender()
    [got] = smtp_server.wait_for(1, to="immediate@example.org")
    link = got.message["List-Unsubscribe"]
    assert link.startswith(f"<{BASE}/alpha/mail/unsubscribe/") and link.endswith(">")
    assert got.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link[1:-1] in got.part("plain") and link[1:-1] in got.part("html")


def _link(conn, user_id: int, kind: str) -> str:
    return outbox.unsubscribe_url(conn, user_id, kind).removeprefix(BASE)


def _one_click(client, path: str):
    """What a mail program does (RFC 8058): a POST with this body, no cookie, no form token."""
    return client.post(path, data="List-Unsubscribe=One-Click",
                       content_type="application/x-www-form-urlencoded",
                       base_url="https://localhost")


def test_an_unsubscribe_link_stops_its_kind_for_its_person_only(four, mail_app):
    conn, people = four
    me, other = people["immediate"], _person(conn, "Other", "immediate")
    client = mail_app.test_client()
    resp = _one_click(client, _link(conn, me, "comment_reply"))
    assert resp.status_code == 200 and b"no longer get" in resp.data
    assert volume.opted_out(conn, me) == {"comment_reply"}
    assert volume.opted_out(conn, other) == set()
    # Again: the link was used (it works once), nothing more recorded.
    assert _one_click(client, _link(conn, me, "comment_reply")).status_code == 200
    assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'mail.unsubscribe'"
                        ).fetchone()[0] == 1

    queued = outbox.notify(conn, OP, [me, other], _reply_letter(2), kind="comment_reply")
    assert [r["user_id"] for r in conn.execute(
        "SELECT user_id FROM mail_outbox WHERE id IN (SELECT value FROM json_each(?))",
        (str(queued),))] == [other]
    # Another kind of mail still reaches them.
    assert len(outbox.notify(conn, OP, [me], _reply_letter(3), kind="papers_published")) == 1


def test_a_tampered_or_foreign_unsubscribe_link_is_refused(four, mail_app, instance):
    conn, people = four
    me = people["immediate"]
    client = mail_app.test_client()
    path = _link(conn, me, "comment_reply")
    token = path.rsplit("/", 1)[1]
    forged = path[: -len(token)] + token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged, path[:-5], "/alpha/mail/unsubscribe/x"):
        resp = _one_click(client, bad)
        assert resp.status_code == 404, bad
        assert b"not valid" in resp.data
    # A valid token of another school does not work here.
    instance.create_school("beta", "Beta")
    beta = instance.db("beta")
    theirs = _person(beta, "Beta", "immediate")
    other_token = _link(beta, theirs, "comment_reply").rsplit("/", 1)[1]
    assert _one_click(client, f"/alpha/mail/unsubscribe/{other_token}").status_code == 404
    # ...nor a token naming another person than the one it was signed for.
    mine = _link(conn, me, "comment_reply").rsplit("/", 1)[1]
    assert _one_click(client, f"/alpha/mail/unsubscribe/{mine}x").status_code == 404
    assert conn.execute("SELECT count(*) FROM mail_optouts").fetchone()[0] == 0


def test_opening_the_link_writes_nothing(four, mail_app):
    conn, people = four
    me = people["immediate"]
    client = mail_app.test_client()
    path = _link(conn, me, "comment_reply")

    def state():
        # Rows, and writes by this connection (total_changes) or by any other one
        # (data_version): the request may use either.
        return [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("mail_optouts", "audit_log", "sessions")] + [
            conn.total_changes, conn.execute("PRAGMA main.data_version").fetchone()[0]]

    before = state()
    resp = client.get(path, base_url="https://localhost")
    assert resp.status_code == 200
    assert b"Stop these e-mails" in resp.data
    assert state() == before  # (an anonymous visitor's session is a signed cookie only)
    # The page's button does it (a plain form: no session, no form token needed).
    form_action = resp.get_data(as_text=True).split('form method="post" action="')[1].split('"')[0]
    assert client.post(form_action, data={"List-Unsubscribe": "One-Click"},
                       base_url="https://localhost").status_code == 200
    assert volume.opted_out(conn, me) == {"comment_reply"}


def test_a_person_chooses_their_volume_on_the_profile_page(signed_in, instance, school):
    client, person = signed_in("author")
    client.post("/alpha/profile/mail", {"volume": "digest"}, form_page="/alpha/profile")
    conn = instance.db(school)
    assert volume.get_volume(conn, person.id) == "digest"
    resp = client.post("/alpha/profile/mail", {"volume": "loud"}, form_page="/alpha/profile")
    assert resp.status_code == 422
    assert volume.get_volume(conn, person.id) == "digest"
    # A kind stopped by a link is listed, and can be started again.
    conn.execute("INSERT INTO mail_optouts(user_id, kind, at) VALUES (?, 'newsletter', 0)",
                 (person.id,))
    page = client.get("/alpha/profile").get_data(as_text=True)
    assert "The weekly newsletter" in page
    client.post("/alpha/profile/mail/resume/newsletter", {}, form_page="/alpha/profile")
    assert volume.opted_out(conn, person.id) == set()


def test_a_held_notification_keeps_the_link_its_template_names(four):
    conn, people = four
    letter = Letter("test", "Papers published", "you are a governor",
                    {"link": f"{BASE}/alpha/meetings/4"})
    outbox.notify(conn, OP, [people["digest"]], letter, kind="papers_published")
    [held] = volume.waiting(conn, people["digest"])
    assert held["link"] == f"{BASE}/alpha/meetings/4"
    assert volume.kind_label("papers_published") == "e-mails saying a meeting's papers are ready"


def test_an_unsubscribe_link_works_once_and_dies_when_the_person_starts_again(four, mail_app):
    """Attack 8, F3: issue 13's acceptance 1 ("unsubscribe links that work once")."""
    conn, people = four
    me = people["immediate"]
    client = mail_app.test_client()
    link = _link(conn, me, "newsletter")
    other_kind = _link(conn, me, "comment_reply")  # sent in another message, same time
    assert _one_click(client, link).status_code == 200
    assert volume.opted_out(conn, me) == {"newsletter"}
    used = _one_click(client, link)
    assert used.status_code == 410 and b"already used" in used.data
    assert b"/alpha/profile" in used.data  # a way to the settings
    assert b"already used" in client.get(link).data  # the page says so before the button
    volume.resubscribe(conn, Identity.load(conn, me), me, "newsletter")
    assert _one_click(client, link).status_code == 410  # an old link cannot stop it again
    assert _one_click(client, other_kind).status_code == 410
    assert volume.opted_out(conn, me) == set()
    # The links in mail made now work (once).
    assert _one_click(client, _link(conn, me, "newsletter")).status_code == 200
    assert volume.opted_out(conn, me) == {"newsletter"}
