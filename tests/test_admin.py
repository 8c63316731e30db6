"""Manager pages: people, groups, the board and committees, settings and audit."""

import pytest
from conftest import sign_in

from gvo.board import bodies
from gvo.core import audit
from gvo.core.errors import NotPermitted
from gvo.core.identity import Identity
from gvo.people import accounts


def test_invite_change_role_and_deactivate(signed_in, instance, new_client):
    client, manager = signed_in("manager")
    resp = client.post("/alpha/admin/users", {"name": "Nia New", "email": "nia@example.org",
                                              "role": "author"}, form_page="/alpha/admin/users")
    assert resp.status_code == 302
    page = client.get("/alpha/admin/users").get_data(as_text=True)
    assert "Nia New" in page and "/alpha/setup/" in page
    conn = instance.db("alpha")
    nia = conn.execute("SELECT id, role FROM users WHERE email = 'nia@example.org'").fetchone()
    resp = client.post(f"/alpha/admin/users/{nia['id']}",
                       {"role": "editor", "capabilities": ["manage_meetings"]},
                       form_page=f"/alpha/admin/users/{nia['id']}")
    assert resp.status_code == 302
    row = conn.execute("SELECT role FROM users WHERE id = ?", (nia["id"],)).fetchone()
    assert row["role"] == "editor"
    caps = conn.execute("SELECT capability FROM user_capabilities WHERE user_id = ?",
                        (nia["id"],)).fetchall()
    assert [c[0] for c in caps] == ["manage_meetings"]
    actions = [r["action"] for r in conn.execute("SELECT action FROM audit_log")]
    assert {"user.add", "user.setup_link", "user.role", "user.capabilities"} <= set(actions)


def test_duplicate_invite_is_a_clear_error(signed_in):
    client, manager = signed_in("manager")
    resp = client.post("/alpha/admin/users", {"name": "Dup", "email": manager.email,
                                              "role": "author"}, form_page="/alpha/admin/users")
    assert resp.status_code == 422
    assert "already has an account" in client.last_text


def test_deactivating_ends_sessions_and_blocks_sign_in(signed_in, make_user, new_client, clock):
    client, _ = signed_in("manager")
    person = make_user(role="author")
    theirs = new_client()
    clock.advance(31)
    sign_in(theirs, person)
    assert theirs.get("/alpha/").status_code == 200
    client.post(f"/alpha/admin/users/{person.id}", {"role": "inactive"},
                form_page=f"/alpha/admin/users/{person.id}")
    assert theirs.get("/alpha/").status_code == 302
    clock.advance(31)
    assert sign_in(new_client(), person).status_code == 422


def test_last_manager_cannot_be_demoted(signed_in, instance):
    import pytest

    from gvo.core.errors import InvalidInput
    from gvo.core.identity import Identity
    from gvo.people import accounts

    client, manager = signed_in("manager")
    # Nobody changes their own role, a Manager neither; the operator cannot take the
    # school's last Manager away.
    resp = client.post(f"/alpha/admin/users/{manager.id}", {"role": "author"},
                       form_page=f"/alpha/admin/users/{manager.id}")
    assert resp.status_code == 422
    assert "Nobody changes their own role" in client.last_text
    with pytest.raises(InvalidInput, match="at least one Manager"):
        accounts.set_role(instance.db("alpha"), Identity.operator(), manager.id, "author")


def test_user_manager_who_is_not_a_manager_cannot_make_managers(signed_in, instance, make_user):
    from gvo.core.identity import Identity
    from gvo.people import accounts

    client, person = signed_in("editor")
    accounts.set_capabilities(instance.db("alpha"), Identity.operator(), person.id,
                              {"manage_users"})
    other = make_user(role="author")
    page = client.get(f"/alpha/admin/users/{other.id}").get_data(as_text=True)
    assert 'value="editor"' in page and 'value="manager"' not in page  # not offered
    resp = client.post(f"/alpha/admin/users/{other.id}", {"role": "manager"},
                       form_page=f"/alpha/admin/users/{other.id}")
    assert resp.status_code == 422 and "Not a valid choice" in client.last_text
    invite = client.post("/alpha/admin/users", {"name": "Mo", "email": "mo@example.org",
                                                "role": "manager"}, form_page="/alpha/admin/users")
    assert invite.status_code == 422
    roles = {r[0] for r in instance.db("alpha").execute("SELECT role FROM users")}
    assert roles == {"editor", "author"}


def test_reset_mfa_from_the_manager_page(signed_in, make_user, instance, new_client, clock):
    client, _ = signed_in("manager")
    person = make_user(role="author")
    client.post(f"/alpha/admin/users/{person.id}/reset-mfa", {"confirmed": "1"},
                form_page=f"/alpha/admin/users/{person.id}")
    row = instance.db("alpha").execute("SELECT totp_secret, mfa_enrolled_at FROM users"
                                       " WHERE id = ?", (person.id,)).fetchone()
    assert row["totp_secret"] is None and row["mfa_enrolled_at"] is None
    theirs = new_client()
    resp = theirs.post("/alpha/login", {"email": person.email, "password": person.password},
                       form_page="/alpha/login")
    assert resp.headers["Location"].endswith("/alpha/mfa/enrol")


def test_groups_create_edit_delete(signed_in, make_user, instance):
    client, _ = signed_in("manager")
    a, b = make_user(role="author"), make_user(role="author")
    resp = client.post("/alpha/admin/groups/new", {"name": "Pay panel", "description": "Pay",
                                                   "members": [str(a.id), str(b.id)]},
                       form_page="/alpha/admin/groups/new")
    assert resp.status_code == 302
    conn = instance.db("alpha")
    gid = conn.execute("SELECT id FROM groups WHERE name = 'Pay panel'").fetchone()[0]
    members = {r[0] for r in conn.execute("SELECT user_id FROM group_members WHERE group_id = ?",
                                          (gid,))}
    assert members == {a.id, b.id}
    client.post(f"/alpha/admin/groups/{gid}", {"name": "Pay panel", "members": [str(a.id)]},
                form_page=f"/alpha/admin/groups/{gid}")
    assert [r[0] for r in conn.execute("SELECT user_id FROM group_members")] == [a.id]
    dup = client.post("/alpha/admin/groups/new", {"name": "pay PANEL"},
                      form_page="/alpha/admin/groups/new")
    assert dup.status_code == 422 and "already a group" in client.last_text
    client.post(f"/alpha/admin/groups/{gid}/delete", {"confirmed": "1"},
                form_page=f"/alpha/admin/groups/{gid}")
    assert conn.execute("SELECT count(*) FROM groups").fetchone()[0] == 0


def test_board_committees_members_and_quorum(signed_in, make_user, instance):
    client, _ = signed_in("manager")
    resp = client.post("/alpha/board/new?kind=board", {"name": "Full Governing Board"},
                       form_page="/alpha/board/new?kind=board")
    assert resp.status_code == 302
    conn = instance.db("alpha")
    board_id = conn.execute("SELECT id FROM bodies WHERE kind = 'board'").fetchone()[0]
    people_ = [make_user(role="author") for _ in range(5)]
    for p in people_:
        client.post(f"/alpha/board/{board_id}", {"user_id": p.id, "position": "member",
                                                 "category": "parent"},
                    form_page=f"/alpha/board/{board_id}")
    assert bodies.quorum(conn, board_id) == 3  # half of 5, rounded up
    client.post(f"/alpha/board/{board_id}", {"user_id": people_[0].id, "position": "chair",
                                             "category": ""},
                form_page=f"/alpha/board/{board_id}")
    client.post(f"/alpha/board/{board_id}/members/{people_[4].id}/remove", {"confirmed": "1"},
                form_page=f"/alpha/board/{board_id}")
    assert bodies.quorum(conn, board_id) == 2  # half of 4
    listing = client.get("/alpha/board").get_data(as_text=True)
    assert "Full Governing Board" in listing and "Chair" in listing
    second = client.post("/alpha/board/new?kind=board", {"name": "Another board"},
                         form_page="/alpha/board/new?kind=board")
    assert second.status_code == 422 and "already has a governing board" in client.last_text
    resp = client.post("/alpha/board/new?kind=committee", {"name": "Resources", "quorum": "3"},
                       form_page="/alpha/board/new?kind=committee")
    committee = conn.execute("SELECT id FROM bodies WHERE kind = 'committee'").fetchone()[0]
    assert bodies.quorum(conn, committee) == 3
    bad = client.post(f"/alpha/board/{committee}/edit", {"name": "Resources", "quorum": "lots"},
                      form_page=f"/alpha/board/{committee}/edit")
    assert bad.status_code == 422 and "whole number" in client.last_text
    client.post(f"/alpha/board/{board_id}/delete", {"confirmed": "1"},
                form_page=f"/alpha/board/{board_id}")
    assert conn.execute("SELECT count(*) FROM bodies WHERE kind='board'").fetchone()[0] == 1
    client.post(f"/alpha/board/{committee}/delete", {"confirmed": "1"},
                form_page=f"/alpha/board/{committee}")
    assert conn.execute("SELECT count(*) FROM bodies").fetchone()[0] == 1


def test_settings_change_mfa_policy_is_audited(signed_in, instance):
    client, _ = signed_in("manager")
    resp = client.post("/alpha/admin/settings", {"policy": "suggested"},
                       form_page="/alpha/admin/settings")
    assert resp.status_code == 302
    conn = instance.db("alpha")
    assert conn.execute("SELECT value FROM settings WHERE key='mfa_policy'").fetchone()[0] == (
        "suggested")
    last = conn.execute("SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert last["action"] == "school.mfa_policy" and "suggested" in last["detail"]


def test_audit_page_shows_entries_and_a_broken_chain(signed_in, instance):
    client, _ = signed_in("manager")
    page = client.get("/alpha/admin/audit").get_data(as_text=True)
    assert "Signed in" in page and "intact" in page
    conn = instance.db("alpha")
    conn.execute("UPDATE audit_log SET ip = '6.6.6.6' WHERE id = 1")
    page = client.get("/alpha/admin/audit").get_data(as_text=True)
    assert "tampered with at entry 1" in page
    assert not audit.verify(conn).ok


def test_audit_entries_have_who_what_when_where(signed_in, instance):
    signed_in("manager")
    row = instance.db("alpha").execute(
        "SELECT * FROM audit_log WHERE action = 'login.success' ORDER BY id DESC").fetchone()
    assert row["actor_email"].endswith("@example.org")
    assert row["at"].endswith("Z") and "T" in row["at"]
    assert row["ip"] == "127.0.0.1"
    assert row["detail"] and "password" not in row["detail"].replace('"factor": "totp"', "")


def test_profile_update_and_password_change(signed_in, new_client, instance, clock):
    client, person = signed_in("author")
    phone = new_client()
    clock.advance(31)
    sign_in(phone, person)
    resp = client.post("/alpha/profile", {"name": "Renamed Person", "phone": "01234 567890"},
                       form_page="/alpha/profile")
    assert resp.status_code == 302
    assert "Renamed Person" in client.get("/alpha/").get_data(as_text=True)
    wrong = client.post("/alpha/profile/password", {"current": "not-my-password",
                                                    "password": "new-long-password-1",
                                                    "confirm": "new-long-password-1"},
                        form_page="/alpha/profile")
    assert wrong.status_code == 422 and "current password is not right" in client.last_text
    ok = client.post("/alpha/profile/password", {"current": person.password,
                                                 "password": "new-long-password-1",
                                                 "confirm": "new-long-password-1"},
                     form_page="/alpha/profile")
    assert ok.status_code == 302
    assert client.get("/alpha/").status_code == 200  # this device stays signed in
    assert phone.get("/alpha/").status_code == 302   # the other device is signed out


def test_new_recovery_codes_replace_the_old(signed_in, instance):
    client, person = signed_in("author")
    client.post("/alpha/profile/recovery-codes", {"password": person.password},
                form_page="/alpha/profile")
    page = client.get("/alpha/mfa/recovery-codes").get_data(as_text=True)
    assert page.count("<li><code>") == 10
    left = instance.db("alpha").execute(
        "SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL",
        (person.id,)).fetchone()[0]
    assert left == 10


def test_demo_school(tmp_path):
    from conftest import gvo_command

    from gvo import create_app
    from gvo.people import demo
    from gvo.storage.instance import Instance

    path = tmp_path / "demo"
    result = gvo_command("--instance", str(path), "demo", GVO_MASTER_KEY="")
    assert result.exit_code == 0, result.output
    assert demo.PASSWORD in result.output and "riverside/login" in result.output
    again = gvo_command("--instance", str(path), "demo", GVO_MASTER_KEY="")
    assert again.exit_code == 0 and "Created the demo school" not in again.output
    inst = Instance.open(path, environ={})
    app = create_app({"TESTING": True}, instance=inst)
    page = app.test_client().get("/riverside/login", base_url="https://localhost")
    assert "demonstration office" in page.get_data(as_text=True)
    conn = inst.db("riverside")
    roles = {r[0] for r in conn.execute("SELECT role FROM users")}
    assert roles == {"manager", "editor", "author", "reader", "inactive"}
    assert conn.execute("SELECT count(*) FROM bodies WHERE kind='committee'").fetchone()[0] == 2
    # Realistic library content: documents, pages, a comment thread, approvals, a private room.
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] >= 4
    assert conn.execute("SELECT count(*) FROM pages").fetchone()[0] >= 3
    assert conn.execute("SELECT count(*) FROM comments WHERE parent_id IS NOT NULL"
                        ).fetchone()[0] >= 1
    from gvo.core.identity import Identity
    from gvo.library import folders

    clerk = conn.execute("SELECT id FROM users WHERE role = 'manager'").fetchone()[0]
    visible = {f["title"] for f in folders.all_visible(conn, Identity(clerk, "manager"))}
    assert "Governance" in visible and "Pay panel (confidential)" not in visible
    inst.close()


def test_non_demo_school_login_page_does_not_say_demo(client, school):
    assert "demonstration" not in client.get("/alpha/login").get_data(as_text=True)


# -- Issue 9: nobody but a Manager acts on a Manager's account -------------------------------


def _user_manager(signed_in, instance):
    """An Editor who holds manage_users, signed in."""
    from gvo.core.identity import Identity
    from gvo.people import accounts

    client, person = signed_in("editor")
    accounts.set_capabilities(instance.db("alpha"), Identity.operator(), person.id,
                              {"manage_users"})
    return client, person


def test_a_manage_users_holder_cannot_take_over_a_managers_account(
        signed_in, make_user, instance, new_client, clock):
    from conftest import sign_in

    client, editor = _user_manager(signed_in, instance)
    manager = make_user(role="manager")
    theirs = new_client()
    clock.advance(31)
    sign_in(theirs, manager)
    page = client.get(f"/alpha/admin/users/{manager.id}").get_data(as_text=True)
    assert "Only a Manager can change a Manager" in page
    assert "New set-up link" not in page and "Reset two-step" not in page
    for action in ("setup-link", "reset-mfa", "end-sessions"):
        resp = client.post(f"/alpha/admin/users/{manager.id}/{action}", {"confirmed": "1"},
                           form_page="/alpha/admin/users")
        assert resp.status_code == 403, action
    resp = client.post(f"/alpha/admin/users/{manager.id}", {"role": "editor"},
                       form_page="/alpha/admin/users")
    assert resp.status_code == 403
    conn = instance.db("alpha")
    row = conn.execute("SELECT role, totp_secret FROM users WHERE id = ?",
                       (manager.id,)).fetchone()
    assert row["role"] == "manager" and row["totp_secret"] == manager.totp_secret
    assert conn.execute("SELECT count(*) FROM setup_tokens WHERE user_id = ?",
                        (manager.id,)).fetchone()[0] == 0
    assert theirs.get("/alpha/").status_code == 200  # still signed in
    # The same holder still looks after everyone else.
    author = make_user(role="author")
    resp = client.post(f"/alpha/admin/users/{author.id}/setup-link", {},
                       form_page=f"/alpha/admin/users/{author.id}")
    assert resp.status_code == 302 and "/alpha/setup/" in client.get("/alpha/admin/users").text


def test_every_account_service_guards_managers_accounts(make_user, instance):
    import pytest

    from gvo.core.errors import NotPermitted
    from gvo.core.identity import Identity
    from gvo.people import accounts

    conn = instance.db("alpha")
    manager = make_user(role="manager", mfa=False)
    editor = make_user(role="editor", mfa=False)
    as_editor = Identity(editor.id, "editor", email=editor.email, ip="192.0.2.1")
    attempts = {
        "setup link": lambda: accounts.new_setup_token(conn, as_editor, manager.id),
        "password": lambda: accounts.set_password(conn, as_editor, manager.id,
                                                  "a taken-over passphrase"),
        "mfa": lambda: accounts.reset_mfa(conn, as_editor, manager.id),
        "sessions": lambda: accounts.end_sessions(conn, as_editor, manager.id),
        "role": lambda: accounts.set_role(conn, as_editor, manager.id, "reader"),
        "capabilities": lambda: accounts.set_capabilities(conn, as_editor, manager.id, set()),
        "details": lambda: accounts.update_profile(conn, as_editor, manager.id, name="X",
                                                   phone=""),
        "make a manager": lambda: accounts.set_role(conn, as_editor, editor.id, "manager"),
        "invite a manager": lambda: accounts.add_user(conn, as_editor, email="m2@example.org",
                                                      name="M2", role="manager"),
    }
    for name, attempt in attempts.items():
        with pytest.raises(NotPermitted):
            attempt()
        assert name
    # A role-less actor (a system task) is no Manager either.
    with pytest.raises(NotPermitted):
        accounts.reset_mfa(conn, Identity(None, "", email="system"), manager.id)
    # Another Manager and the operator may.
    other = make_user(role="manager", mfa=False)
    accounts.new_setup_token(conn, Identity(other.id, "manager", email=other.email), manager.id)
    ended = accounts.set_password(conn, Identity.operator(), manager.id, "the operator's choice")
    assert ended.sessions == 0
    accounts.set_role(conn, Identity.operator(), editor.id, "manager")


def test_quorum_typed_in_full_width_or_other_digits(signed_in, instance):
    client, _ = signed_in("manager")
    conn = instance.db("alpha")
    for typed, expected in (("３", 3), ("١٢", 12), (" 4 ", 4)):
        resp = client.post("/alpha/board/new?kind=committee",
                           {"name": f"Committee {expected}", "quorum": typed},
                           form_page="/alpha/board/new?kind=committee")
        assert resp.status_code == 302, typed
        stored = conn.execute("SELECT quorum FROM bodies WHERE name = ?",
                              (f"Committee {expected}",)).fetchone()[0]
        assert stored == expected
    for typed, message in (("1_0", "whole number"), ("1.5", "whole number"), ("-1", "whole number"),
                           ("０", "between 3 and 100"), ("２", "between 3 and 100"),
                           ("9" * 20, "between 3 and 100")):
        resp = client.post("/alpha/board/new?kind=committee", {"name": "Odd", "quorum": typed},
                           form_page="/alpha/board/new?kind=committee")
        assert resp.status_code == 422 and message in client.last_text, typed


def test_audit_page_number_of_any_size_is_no_500(signed_in):
    client, _ = signed_in("manager")
    for page in ("9" * 30, "-5", "２", "x"):
        assert client.get(f"/alpha/admin/audit?page={page}").status_code == 200, page


def test_a_category_is_asked_on_the_board_only(signed_in, make_user, instance):
    client, _ = signed_in("manager")
    client.post("/alpha/board/new?kind=board", {"name": "Full Governing Board"},
                form_page="/alpha/board/new?kind=board")
    client.post("/alpha/board/new?kind=committee", {"name": "Resources"},
                form_page="/alpha/board/new?kind=committee")
    conn = instance.db("alpha")
    board_id, committee_id = (conn.execute("SELECT id FROM bodies WHERE kind = ?", (kind,))
                              .fetchone()[0] for kind in ("board", "committee"))
    person = make_user(role="author")
    client.post(f"/alpha/board/{board_id}", {"user_id": person.id, "position": "member",
                                             "category": "co-opted"},
                form_page=f"/alpha/board/{board_id}")
    assert 'name="category"' in client.get(f"/alpha/board/{board_id}").get_data(as_text=True)
    page = client.get(f"/alpha/board/{committee_id}").get_data(as_text=True)
    assert 'name="category"' not in page
    resp = client.post(f"/alpha/board/{committee_id}", {"user_id": person.id,
                                                        "position": "member"},
                       form_page=f"/alpha/board/{committee_id}")
    assert resp.status_code == 302
    listing = client.get("/alpha/board").get_data(as_text=True)
    assert listing.count("(Co-opted governor)") == 2  # on the board and on the committee
    resp = client.post(f"/alpha/board/{committee_id}", {"user_id": person.id,
                                                        "position": "chair", "category": "staff"},
                       form_page=f"/alpha/board/{committee_id}")
    assert resp.status_code == 422 and "full governing board" in client.last_text
    assert conn.execute("SELECT category FROM governor_records").fetchall()[0][0] == "co-opted"


def test_nobody_but_a_manager_gives_themselves_a_seat_that_opens_part_2(signed_in, make_user,
                                                                        instance):
    """A holder of "Edit board members and committees" could add themselves to a committee
    and so read its confidential items (found by a tester through gvo serve)."""
    conn = instance.db("alpha")
    op = Identity.operator()
    committee = bodies.save_body(conn, op, body_id=None, kind="committee", name="Pay panel")
    client, holder = signed_in("author")
    accounts.set_capabilities(conn, op, holder.id, {"manage_board"})
    resp = client.post(f"/alpha/board/{committee}", {"user_id": holder.id, "position": "chair"},
                       form_page=f"/alpha/board/{committee}")
    assert resp.status_code == 422 and "Nobody changes their own place" in client.last_text
    assert bodies.members(conn, committee) == []
    other = make_user(role="author")
    resp = client.post(f"/alpha/board/{committee}", {"user_id": other.id, "position": "member"},
                       form_page=f"/alpha/board/{committee}")
    assert resp.status_code == 302
    with pytest.raises(NotPermitted):  # nor their position, once someone else seated them
        bodies.add_member(conn, Identity.load(conn, other.id), committee, other.id, "chair")
    manager = make_user(role="manager", mfa=False)
    bodies.add_member(conn, Identity.load(conn, manager.id), committee, manager.id, "member")
    assert sorted(m["id"] for m in bodies.members(conn, committee)) == sorted(
        [other.id, manager.id])


def test_odd_numbers_in_the_admin_forms_get_a_message_not_a_500(signed_in, instance):
    client, _ = signed_in("manager")
    for members in (["9" * 30], ["x"], ["-1"]):
        resp = client.post("/alpha/admin/groups/new", {"name": "Odd", "members": members},
                           form_page="/alpha/admin/groups/new")
        assert resp.status_code == 422, members
    client.post("/alpha/board/new?kind=board", {"name": "Board"},
                form_page="/alpha/board/new?kind=board")
    board_id = instance.db("alpha").execute("SELECT id FROM bodies").fetchone()[0]
    for user_id in ("9" * 30, "x", "-1"):
        resp = client.post(f"/alpha/board/{board_id}", {"user_id": user_id, "position": "member",
                                                        "category": ""},
                           form_page=f"/alpha/board/{board_id}")
        assert resp.status_code == 422, user_id
    assert instance.db("alpha").execute("SELECT count(*) FROM groups").fetchone()[0] == 0


# -- Issue 9 (fix 3): least privilege for those who manage users ----------------------------


def test_a_user_manager_cannot_raise_their_own_access_to_read_part_2(signed_in, instance,
                                                                     make_user):
    """The tester's case: an Author holding only "Manage users and groups" made themselves
    an Editor with "Manage meetings" and "Edit board members and committees", then read
    confidential (part 2) agenda items. Refused, and nothing changes."""
    from gvo.core.identity import Identity, capabilities
    from gvo.meetings.rules import sees_confidential
    from gvo.people import accounts

    conn = instance.db("alpha")
    client, author = signed_in("author")
    accounts.set_capabilities(conn, Identity.operator(), author.id, {"manage_users"})
    board_id = bodies.save_body(conn, Identity.operator(), body_id=None, kind="board",
                                name="Governing Board")

    page = client.get(f"/alpha/admin/users/{author.id}").get_data(as_text=True)
    assert "This is your own account" in page and 'name="role"' not in page
    resp = client.post(f"/alpha/admin/users/{author.id}",
                       {"role": "editor", "capabilities": ["manage_users", "manage_meetings",
                                                           "manage_board"]},
                       form_page=f"/alpha/admin/users/{author.id}")
    assert resp.status_code == 422 and "Nobody changes their own role" in client.last_text
    assert accounts.get_user(conn, author.id)["role"] == "author"
    assert capabilities(conn, author.id) == {"manage_users"}
    assert not sees_confidential(conn, Identity.load(conn, author.id), board_id)
    assert not {"user.role", "user.capabilities"} & {
        e["action"] for e in audit.recent(conn) if f"user:{author.id}" == e["target"]
        and e["actor_id"] == author.id}

    # On someone else's account they give no more than they hold, by the page or not.
    other = make_user(role="reader")
    page = client.get(f"/alpha/admin/users/{other.id}").get_data(as_text=True)
    assert 'value="author"' in page and 'value="editor"' not in page
    resp = client.post(f"/alpha/admin/users/{other.id}",
                       {"role": "reader", "capabilities": ["manage_meetings"]},
                       form_page=f"/alpha/admin/users/{other.id}")
    assert resp.status_code == 422
    assert "not “Manage meetings”" in client.last_text
    assert capabilities(conn, other.id) == set()
    resp = client.post(f"/alpha/admin/users/{other.id}",
                       {"role": "author", "capabilities": ["manage_users"]},
                       form_page=f"/alpha/admin/users/{other.id}")
    assert resp.status_code == 302
    assert accounts.get_user(conn, other.id)["role"] == "author"
    assert capabilities(conn, other.id) == {"manage_users"}
    # An Editor's account holds more than they do: not theirs to change or take over.
    editor = make_user(role="editor")
    page = client.get(f"/alpha/admin/users/{editor.id}").get_data(as_text=True)
    assert "holds more than you do" in page and "New set-up link" not in page
    assert client.post(f"/alpha/admin/users/{editor.id}/setup-link", {},
                       form_page="/alpha/admin/users").status_code == 403


def test_every_way_to_give_a_role_or_permission_is_held_to_what_the_giver_holds(make_user,
                                                                               instance):
    import pytest

    from gvo.core.errors import NotPermitted
    from gvo.core.identity import Identity, capabilities
    from gvo.people import accounts

    conn = instance.db("alpha")
    op = Identity.operator()
    holder = make_user(role="author", mfa=False)
    accounts.set_capabilities(conn, op, holder.id, {"manage_users", "manage_training"})
    other = make_user(role="author", mfa=False)
    richer = make_user(role="author", mfa=False)
    accounts.set_capabilities(conn, op, richer.id, {"manage_policies"})
    editor = make_user(role="editor", mfa=False)
    as_holder = Identity.load(conn, holder.id, "192.0.2.1")
    refused = {
        "own role, up": lambda: accounts.set_role(conn, as_holder, holder.id, "editor"),
        "own role, down": lambda: accounts.set_role(conn, as_holder, holder.id, "reader"),
        "own permissions, more": lambda: accounts.set_capabilities(
            conn, as_holder, holder.id, {"manage_users", "manage_training", "manage_board"}),
        "own permissions, fewer": lambda: accounts.set_capabilities(
            conn, as_holder, holder.id, {"manage_users"}),
        "a role above their own": lambda: accounts.set_role(conn, as_holder, other.id,
                                                            "editor"),
        "a permission they lack": lambda: accounts.set_capabilities(
            conn, as_holder, other.id, {"manage_meetings"}),
        "an invitation above them": lambda: accounts.add_user(
            conn, as_holder, email="ed@example.org", name="Ed", role="editor"),
        # An account holding more is not theirs to change, nor to take over.
        "an Editor's role": lambda: accounts.set_role(conn, as_holder, editor.id, "reader"),
        "an Editor's set-up link": lambda: accounts.new_setup_token(conn, as_holder, editor.id),
        "an Editor's two-step sign-in": lambda: accounts.reset_mfa(conn, as_holder, editor.id),
        "an Editor's sessions": lambda: accounts.end_sessions(conn, as_holder, editor.id),
        "an Editor's password": lambda: accounts.set_password(
            conn, as_holder, editor.id, "a taken-over passphrase"),
        "a richer Author's permissions": lambda: accounts.set_capabilities(
            conn, as_holder, richer.id, set()),
        "a richer Author's set-up link": lambda: accounts.new_setup_token(
            conn, as_holder, richer.id),
    }
    for name, attempt in refused.items():
        with pytest.raises(NotPermitted):
            attempt()
        assert name
    assert [(accounts.get_user(conn, u.id)["role"], capabilities(conn, u.id))
            for u in (holder, other, richer, editor)] == [
        ("author", {"manage_users", "manage_training"}), ("author", set()),
        ("author", {"manage_policies"}), ("editor", set())]
    assert conn.execute("SELECT count(*) FROM setup_tokens").fetchone()[0] == 0
    assert accounts.roles_to_give(as_holder) == ["author", "reader", "inactive"]

    # What they hold they may give, to accounts that hold no more than they do.
    accounts.set_capabilities(conn, as_holder, other.id, {"manage_training"})
    assert capabilities(conn, other.id) == {"manage_training"}
    accounts.set_role(conn, as_holder, other.id, "reader")
    accounts.new_setup_token(conn, as_holder, other.id)
    accounts.add_user(conn, as_holder, email="al@example.org", name="Al", role="author")
    # A Manager may give anything, but not to themselves; another Manager or the operator
    # changes a Manager's own access.
    manager = make_user(role="manager", mfa=False)
    as_manager = Identity.load(conn, manager.id)
    accounts.set_capabilities(conn, as_manager, other.id, {"manage_meetings", "manage_board"})
    accounts.set_role(conn, as_manager, editor.id, "reader")
    with pytest.raises(NotPermitted, match="Nobody changes their own"):
        accounts.set_capabilities(conn, as_manager, manager.id, {"manage_meetings"})
    second = make_user(role="manager", mfa=False)
    accounts.set_capabilities(conn, Identity.load(conn, second.id), manager.id,
                              {"manage_meetings"})
    accounts.set_role(conn, op, second.id, "editor")
    assert accounts.get_user(conn, second.id)["role"] == "editor"
