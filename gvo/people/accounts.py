"""People of a school: user accounts, roles, capabilities, set-up links.

Every change is audited in the same transaction. Functions take the school's
connection and the `Identity` acting (who is doing it, from where) so the CLI and the
web share one set of rules. Roles and capabilities are defined in gvo.core.identity.
"""

import hashlib
import secrets
from dataclasses import dataclass

from gvo.core import addresses, audit, clock, dates, events, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import CAPABILITIES, RANK, ROLE_LABELS, ROLES, Identity, capabilities
from gvo.mail import outbox
from gvo.mail.compose import Letter, Recipient
from gvo.security import passwords, throttle
from gvo.security.sessions import end_user_sessions
from gvo.storage.sqlcipher import Connection, IntegrityError

SETUP_LINK_HOURS = 72
ACCOUNT_MAIL_WHY = "it is about your account's security (such messages are always sent)"
outbox.register_link_lifetime("invitation", SETUP_LINK_HOURS * 3600)
# Events that end an account's credentials, and how they are told to its owner ("... because
# <words>"). Each ends the account's sessions, signed in or part-way through sign-in, and
# whatever else opens the office as the person without signing in (a calendar feed address).
CREDENTIAL_EVENTS = {
    "password_changed": "your password was changed",
    "password_set": "a new password was set for your account",
    "signed_out_everywhere": "you signed out everywhere",
    "mfa_reset": "your two-step sign-in was reset",
    "sessions_ended": "you were signed out everywhere by your clerk",
    "made_inactive": "your account was made inactive",
}


def may_act_on(conn: Connection, actor: Identity, user) -> bool:
    """Whether `actor` may change the account `user` (a users row): its role, capabilities,
    set-up links, password, two-step sign-in, sessions or details.

    Its owner, a Manager and the operator may. Anyone else (a holder of manage_users) only
    if the account holds no more than they do: a role no higher than theirs, no Manager,
    and no capability they lack. Otherwise a set-up link or a reset two-step sign-in would
    let them take the account over and act with more than they were given (README, "Who
    sees what").
    """
    if actor.acts_as_manager or actor.user_id == user["id"]:
        return True
    if user["role"] == "manager":
        return False
    return (RANK.get(user["role"], 0) <= RANK.get(actor.role, 0)
            and capabilities(conn, user["id"]) <= actor.caps)


@dataclass(frozen=True)
class Ended:
    """What an event that ends an account's credentials ended: how many sessions, and the
    names of the other things that stopped working (e.g. "calendar feed address")."""

    sessions: int
    credential_version: int  # the account's from now on (a session kept holds it)
    stopped: tuple[str, ...] = ()

    def notice(self, whose: str) -> str:
        """A sentence telling the owner ("Your") or a Manager ("Their") what else stopped,
        or "" if nothing did."""
        if not self.stopped:
            return ""
        return (f"{whose} {' and '.join(self.stopped)} stopped working too; a new one can "
                "be made on the profile page.")


class WrongPassword(InvalidInput):
    """A signed-in person's password, asked again, was not right."""


class NotYoursToGive(NotPermitted):
    """A change of role or extra permissions the actor may not make: to their own account,
    or giving more than they hold (`check_access_change`); the message says which."""


def _require_may_act_on(conn: Connection, actor: Identity, user) -> None:
    if may_act_on(conn, actor, user):
        return
    if user["role"] == "manager":
        raise NotPermitted("Only a Manager may change a Manager's account.")
    raise NotPermitted(f"{user['name']} holds more than you do (a higher role or a permission "
                       "you do not hold): only a Manager may change their account.")


def may_appoint(actor: Identity, role: str) -> bool:
    """Whether `actor` may give someone `role`: only a Manager (or the operator) makes a
    Manager; anyone allowed to manage people may give the other roles."""
    return role != "manager" or actor.acts_as_manager


def _require_may_appoint(actor: Identity, role: str) -> None:
    if not may_appoint(actor, role):
        raise NotPermitted("Only a Manager may make someone a Manager.")


def roles_to_give(actor: Identity) -> list[str]:
    """The roles the actor may give (in ROLES order): every role for a Manager or the
    operator; for anyone else their own role and those below it (never Manager)."""
    if actor.acts_as_manager:
        return list(ROLES)
    own = RANK.get(actor.role, 0)
    return [r for r in ROLES if r != "manager" and RANK[r] <= own]


def _require_may_give(actor: Identity, role: str | None = None,
                      caps: set[str] = frozenset()) -> None:
    """NotYoursToGive unless the actor may give `role` and the extra permissions `caps`:
    a Manager or the operator gives any; anyone else a role no higher than their own and
    only extra permissions they hold themselves (least privilege; the Identity holds them
    as the school had them when it was loaded, at the start of the request)."""
    if actor.acts_as_manager:
        return
    if role is not None and role not in roles_to_give(actor):
        raise NotYoursToGive(
            f"You may give your own role ({ROLE_LABELS.get(actor.role, 'none')}) or one "
            f"below it, not {ROLE_LABELS[role]}: ask a Manager.")
    beyond = caps - actor.caps
    if beyond:
        names = ", ".join(f"“{CAPABILITIES[c]}”" for c in sorted(beyond))
        raise NotYoursToGive(f"You may give only extra permissions you hold yourself, not "
                             f"{names}: ask a Manager.")


def may_change_access(conn: Connection, actor: Identity, user) -> bool:
    """Whether `actor` may change the role or extra permissions of `user` (a users row) at
    all: not their own account (the operator, who has none, excepted), and only an account
    they may act on (`may_act_on`). What they may give is `check_access_change`'s to say."""
    own = actor.user_id is not None and actor.user_id == user["id"]
    return may_act_on(conn, actor, user) and (actor.is_operator or not own)


def check_access_change(conn: Connection, actor: Identity, user_id: int, *,
                        role: str | None = None, caps: set[str] | None = None) -> None:
    """Whether `actor` may set `user_id`'s role to `role` and extra permissions to `caps`
    (None: left as they are); raises NotPermitted (NotYoursToGive) saying why not.

    Least privilege (README, "Who sees what"): nobody changes their own role or extra
    permissions (only the operator, who has no account, is not "own"); only a Manager or
    the operator makes a Manager; anyone else who holds "Manage users and groups" acts only
    on accounts that hold no more than they do (`may_act_on`) and gives a role no higher
    than their own and only extra permissions they hold themselves. A request that changes
    nothing is not refused.
    """
    user = get_user(conn, user_id)
    _require_may_act_on(conn, actor, user)
    old_caps = capabilities(conn, user_id)
    new_role = role if role is not None and role != user["role"] else None
    new_caps = caps if caps is not None and caps != old_caps else None
    if new_role is None and new_caps is None:
        return
    if not may_change_access(conn, actor, user):
        raise NotYoursToGive("Nobody changes their own role or extra permissions: another "
                             "Manager (or someone else who manages users) does it.")
    if new_role is not None:
        _require_may_appoint(actor, new_role)
    _require_may_give(actor, new_role, (new_caps or set()) - old_caps)


def check_role(role: str) -> str:
    """Return the role in lower case if it is one of the five, else raise."""
    role = role.strip().lower()
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    return role


def count_users(conn: Connection) -> int:
    """How many accounts the school has (active or not)."""
    return conn.execute("SELECT count(*) FROM users").fetchone()[0]


def list_users(conn: Connection) -> list:
    """All users, Managers first, then by name."""
    return conn.execute(
        "SELECT id, email, name, phone, role, mfa_enrolled_at, created_at FROM users"
        " ORDER BY CASE role WHEN 'manager' THEN 0 WHEN 'editor' THEN 1 WHEN 'author' THEN 2"
        " WHEN 'reader' THEN 3 ELSE 4 END, name COLLATE NOCASE"
    ).fetchall()


def get_user(conn: Connection, user_id: int):
    """One user by id; NotFound if none."""
    row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise NotFound("no such user")
    return row


def find_by_email(conn: Connection, email: str):
    """One user by e-mail (case-insensitive), or None."""
    return conn.execute("SELECT * FROM users WHERE email = ?", (email.strip(),)).fetchone()


def add_user(
    conn: Connection,
    actor: Identity,
    *,
    email: str,
    name: str,
    role: str,
    password: str | None = None,
) -> int:
    """Create an account; with a password it is ready to sign in, else it needs a set-up link."""
    email = addresses.check(email)
    name = text.one_line(name)
    if not name or len(name) > 120:
        raise InvalidInput("a name of 1-120 characters is required")
    role = check_role(role)
    _require_may_appoint(actor, role)
    _require_may_give(actor, role)
    hashed = None
    if password is not None:
        passwords.check(password, email=email, name=name)
        hashed = passwords.hash_password(password)
    now = clock.iso()
    with transaction(conn):
        try:
            cur = conn.execute(
                "INSERT INTO users(email, name, role, password_hash, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (email, name, role, hashed, now, now),
            )
        except IntegrityError:
            raise InvalidInput(f"{email} already has an account in this school") from None
        audit.record(conn, actor, "user.add", f"user:{cur.lastrowid}", email=email, role=role)
    events.publish(events.ACCESS_CHANGED, conn, user_id=cur.lastrowid)
    return cur.lastrowid


def new_setup_token(conn: Connection, actor: Identity, user_id: int) -> str:
    """A one-time set-up token (returned once; stored hashed) valid for 72 hours.

    Raises NotPermitted for an account the actor may not act on (`may_act_on`).
    """
    _require_may_act_on(conn, actor, get_user(conn, user_id))
    token = secrets.token_urlsafe(32)
    with transaction(conn):
        conn.execute("DELETE FROM setup_tokens WHERE user_id = ?", (user_id,))
        conn.execute(
            "INSERT INTO setup_tokens(token_hash, user_id, expires_at) VALUES (?, ?, ?)",
            (token_hash(token), user_id, clock.now() + SETUP_LINK_HOURS * 3600),
        )
        audit.record(conn, actor, "user.setup_link", f"user:{user_id}")
    return token


@dataclass(frozen=True)
class Invitation:
    """A set-up link made for an account: the link (to show when it was not mailed) and
    whether an invitation e-mail carrying it was queued."""

    link: str
    mailed: bool


def invite(conn: Connection, actor: Identity, user_id: int) -> Invitation:
    """A new set-up link for the account (the old one stops working) and, when the office
    sends mail, the invitation carrying it, queued in the same transaction (audited as
    "user.setup_link" and "mail.queue"). NotPermitted for an account the actor may not act
    on (`may_act_on`)."""
    user = get_user(conn, user_id)
    with transaction(conn):
        token = new_setup_token(conn, actor, user_id)
        link = f"{outbox.school_url(conn)}/setup/{token}"
        letter = Letter("invitation", "Your invitation to the Governors' Virtual Office",
                        f"{actor.name or 'your clerk'} invited you to "
                        "the school's Governors' Virtual Office",
                        {"link": link, "hours": SETUP_LINK_HOURS,
                         "inviter": actor.name or "Your clerk"})
        queued = outbox.queue(conn, actor, Recipient(user["name"], user["email"], user_id),
                              letter, kind="invitation")
    return Invitation(link, queued is not None)


def notify_account(conn: Connection, actor: Identity, user, what: str) -> None:
    """Tell the account's owner (a users row) by e-mail that `what` happened to how they
    sign in ("Your password was changed"), inside the caller's transaction. Account mail:
    sent whatever the person's choices about mail (and not at all when mail is off)."""
    if user["role"] == "inactive":
        return
    letter = Letter("account_notice", what, ACCOUNT_MAIL_WHY,
                    {"what": what, "when": dates.moment(clock.iso()),
                     "reply_to": bool(outbox.reply_to(conn))})
    outbox.queue(conn, actor, Recipient(user["name"], user["email"], user["id"]), letter,
                 kind="notice")


def token_hash(token: str) -> str:
    """How a one-time link's token is stored (SHA-256, hex): the link itself never is."""
    return hashlib.sha256(token.encode()).hexdigest()


def user_for_setup_token(conn: Connection, token: str):
    """The user a live set-up token belongs to, or None if unknown, used or expired."""
    row = conn.execute(
        "SELECT u.* FROM setup_tokens t JOIN users u ON u.id = t.user_id"
        " WHERE t.token_hash = ? AND t.used_at IS NULL AND t.expires_at > ?"
        " AND u.role != 'inactive'",
        (token_hash(token), clock.now()),
    ).fetchone()
    return row


def complete_setup(conn: Connection, token: str, password: str, ip: str = "") -> Ended:
    """Set the password through a set-up link, which is then used up.

    The account's credentials end (sessions, pending sign-ins, calendar feed: a link is
    how a lost or taken-over account is given back). Returns what ended; raises
    InvalidInput for a dead link or a weak password.
    """
    user = user_for_setup_token(conn, token)
    if user is None:
        raise InvalidInput(
            "This set-up link has expired or was already used. Ask your clerk for a new one."
        )
    actor = Identity.of_account(user, ip=ip)
    return store_password(conn, actor, user, password, "user.password_set", "password_set",
                          link=("setup_tokens", token))


def set_role(conn: Connection, actor: Identity, user_id: int, role: str) -> None:
    """Change a user's role; the last active Manager cannot be demoted.

    Who may give which role is `check_access_change`'s rule (nobody their own; only a
    Manager or the operator makes a Manager or changes a Manager's role; others give at
    most their own role): NotPermitted otherwise. Making someone inactive ends their
    sessions.
    """
    role = check_role(role)
    user = get_user(conn, user_id)
    check_access_change(conn, actor, user_id, role=role)
    if user["role"] == role:
        return
    with transaction(conn):
        if user["role"] == "manager" and role != "manager":
            managers = conn.execute(
                "SELECT count(*) FROM users WHERE role = 'manager'"
            ).fetchone()[0]
            if managers <= 1:
                raise InvalidInput("A school needs at least one Manager; appoint another first.")
        conn.execute(
            "UPDATE users SET role = ?, updated_at = ? WHERE id = ?",
            (role, clock.iso(), user_id),
        )
        if role == "inactive":
            _end_credentials(conn, actor, user, "made_inactive")
        audit.record(conn, actor, "user.role", f"user:{user_id}", old=user["role"], new=role)
    events.publish(events.ACCESS_CHANGED, conn, user_id=user_id)


def set_capabilities(conn: Connection, actor: Identity, user_id: int, caps: set[str]) -> None:
    """Replace the extra capabilities granted to a user; NotPermitted unless
    `check_access_change` allows it (nobody their own; a Manager's only by a Manager;
    others give only what they hold)."""
    unknown = caps - CAPABILITIES.keys()
    if unknown:
        raise InvalidInput(f"unknown capability: {', '.join(sorted(unknown))}")
    check_access_change(conn, actor, user_id, caps=caps)
    with transaction(conn):
        old = capabilities(conn, user_id)
        conn.execute("DELETE FROM user_capabilities WHERE user_id = ?", (user_id,))
        conn.executemany(
            "INSERT INTO user_capabilities(user_id, capability) VALUES (?, ?)",
            [(user_id, c) for c in sorted(caps)],
        )
        if old != caps:
            audit.record(conn, actor, "user.capabilities", f"user:{user_id}", old=sorted(old),
                         new=sorted(caps))
    if old != caps:
        events.publish(events.ACCESS_CHANGED, conn, user_id=user_id)


def update_profile(conn: Connection, actor: Identity, user_id: int, *, name: str,
                   phone: str) -> None:
    """Change a user's own name and phone number."""
    name, phone = text.one_line(name), text.one_line(phone)
    if not name or len(name) > 120:
        raise InvalidInput("a name of 1-120 characters is required")
    if len(phone) > 40:
        raise InvalidInput("a phone number of at most 40 characters")
    _require_may_act_on(conn, actor, get_user(conn, user_id))
    with transaction(conn):
        conn.execute(
            "UPDATE users SET name = ?, phone = ?, updated_at = ? WHERE id = ?",
            (name, phone, clock.iso(), user_id),
        )
        audit.record(conn, actor, "user.profile", f"user:{user_id}")


def confirm_password(conn: Connection, actor: Identity, password: str, *, purpose: str) -> None:
    """Re-authentication: check a signed-in person's own password before a change to how
    they sign in (`purpose`, for the audit log, e.g. "password change").

    Throttled and counted like a failed sign-in (gvo.security.throttle), and each failure
    audited as "reauth.failure": raises throttle.Throttled, or WrongPassword.
    """
    user = get_user(conn, actor.user_id)
    throttle.check(conn, user["email"], actor.ip, step=throttle.PASSWORD,
                   audit_as="reauth.throttled", user_id=user["id"])
    if not passwords.verify(user["password_hash"], password):
        throttle.record_failure(conn, user["email"], actor.ip, "reauth.failure",
                                step=throttle.PASSWORD, user_id=user["id"], purpose=purpose)
        raise WrongPassword("Your password is not right.")


def change_password(conn: Connection, actor: Identity, current: str, new: str, *,
                    keep_session: str | None = None) -> Ended:
    """The actor changes their own password, after their current one is checked
    (confirm_password: throttled, failures audited).

    Ends the account's credentials (every session but `keep_session`, the token of the
    session making the change; pending sign-ins; the calendar feed) and returns what
    ended. Raises throttle.Throttled or WrongPassword for the current password,
    InvalidInput for a weak new one.
    """
    try:
        confirm_password(conn, actor, current, purpose="password change")
    except WrongPassword:
        raise WrongPassword("Your current password is not right.") from None
    return store_password(conn, actor, get_user(conn, actor.user_id), new,
                          "user.password_change", "password_changed", keep_session=keep_session)


def set_password(conn: Connection, actor: Identity, user_id: int, new: str) -> Ended:
    """Set a password without the old one (operator CLI); ends the account's credentials
    and returns what ended. NotPermitted for an account the actor may not act on
    (`may_act_on`)."""
    return store_password(conn, actor, get_user(conn, user_id), new, "user.password_set",
                          "password_set")


# The tables of one-time links a password may come through, and what a used one says.
_LINK_TABLES = {
    "setup_tokens": "This set-up link was already used. Ask your clerk for a new one.",
    "password_resets": "This link was already used. Ask for a new one on the sign-in page.",
}


def store_password(conn: Connection, actor: Identity, user, new: str, action: str, reason: str,
                   *, keep_session: str | None = None,
                   link: tuple[str, str] | None = None) -> Ended:
    """The one place a password is written: check it, store its hash, use up the link it
    came through (if any: ("setup_tokens" or "password_resets", token)), end the account's
    credentials but `keep_session`, and tell the owner by e-mail when a password they had
    was replaced, all in one transaction. The account's wrong codes are forgotten (they
    were guessed with the old password). Returns what ended; InvalidInput for a weak
    password or a link used meanwhile."""
    _require_may_act_on(conn, actor, user)
    passwords.check(new, email=user["email"], name=user["name"])
    hashed = passwords.hash_password(new)  # slow on purpose: before the write lock is taken
    with transaction(conn):
        if link is not None:
            table, token = link
            used = conn.execute(
                f"UPDATE {table} SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
                (clock.now(), token_hash(token)),
            )
            if used.rowcount != 1:  # used by another request meanwhile
                raise InvalidInput(_LINK_TABLES[table])
        conn.execute(
            "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
            (hashed, clock.iso(), user["id"]),
        )
        throttle.forget_code_failures(conn, user["email"])
        ended = _end_credentials(conn, actor, user, reason, keep_session=keep_session)
        audit.record(conn, actor, action, f"user:{user['id']}", sessions_ended=ended.sessions)
        if user["password_hash"] is not None:  # not the first one, chosen from an invitation
            notify_account(conn, actor, user, "Your password was changed"
                           if reason == "password_changed" else "A new password was set for "
                           "your account")
    return ended


def _end_credentials(conn: Connection, actor: Identity, user, reason: str, *,
                     keep_session: str | None = None) -> Ended:
    """End everything that lets someone act as the account without signing in afresh
    (inside the caller's transaction): a sign-in part-way through (its password step
    remembered the credential version, which changes here; so does a signed-in session,
    gvo.web.access), every session but `keep_session`, and what features hold
    (CREDENTIALS_ENDED: the calendar feed). A new password or inactivity also ends unused
    set-up and new-password links: their purpose is gone.

    `reason` is a key of CREDENTIAL_EVENTS. Returns what ended.
    """
    user_id = user["id"]
    conn.execute("UPDATE users SET credential_version = credential_version + 1 WHERE id = ?",
                 (user_id,))
    if reason in ("password_changed", "password_set", "made_inactive"):
        conn.execute("DELETE FROM setup_tokens WHERE user_id = ? AND used_at IS NULL",
                     (user_id,))
        conn.execute("DELETE FROM password_resets WHERE user_id = ? AND used_at IS NULL",
                     (user_id,))
    sessions = end_user_sessions(conn, user_id, except_token=keep_session)
    stopped = events.publish(events.CREDENTIALS_ENDED, conn, user_id=user_id, reason=reason,
                             actor=actor)
    version = conn.execute("SELECT credential_version FROM users WHERE id = ?",
                           (user_id,)).fetchone()[0]
    return Ended(sessions, version, tuple(stopped))


def _ending_event(conn: Connection, actor: Identity, user_id: int, reason: str, action: str,
                  change=None) -> Ended:
    """One event that ends an account's credentials (`reason`), audited as `action`: the
    actor's right to act on the account is checked, then in one transaction `change()` (if
    any) runs, the credentials end and the audit entry is written."""
    user = get_user(conn, user_id)
    _require_may_act_on(conn, actor, user)
    with transaction(conn):
        if change is not None:
            change()
        ended = _end_credentials(conn, actor, user, reason)
        audit.record(conn, actor, action, f"user:{user_id}", sessions=ended.sessions)
    return ended


def reset_mfa(conn: Connection, actor: Identity, user_id: int) -> Ended:
    """Remove a user's authenticator, recovery codes and passkeys, and end their credentials
    (sessions, pending sign-ins, calendar feed); returns what ended. NotPermitted for an
    account the actor may not act on (`may_act_on`)."""

    def remove_authenticator() -> None:
        conn.execute("UPDATE users SET totp_secret = NULL, mfa_enrolled_at = NULL,"
                     " updated_at = ? WHERE id = ?", (clock.iso(), user_id))
        conn.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))
        conn.execute("DELETE FROM passkeys WHERE user_id = ?", (user_id,))

    def remove_and_tell() -> None:
        remove_authenticator()
        notify_account(conn, actor, get_user(conn, user_id),
                       "Two-step sign-in was reset for your account")

    return _ending_event(conn, actor, user_id, "mfa_reset", "mfa.reset", remove_and_tell)


def end_sessions(conn: Connection, actor: Identity, user_id: int) -> Ended:
    """Sign a user out on every device (a Manager or the operator): ends their credentials
    (sessions, pending sign-ins, calendar feed); returns what ended. NotPermitted for an
    account the actor may not act on (`may_act_on`)."""
    return _ending_event(conn, actor, user_id, "sessions_ended", "sessions.end")


def sign_out_everywhere(conn: Connection, actor: Identity) -> Ended:
    """The actor signs themselves out on every device, this one included: ends their
    credentials (sessions, pending sign-ins, calendar feed); returns what ended."""
    return _ending_event(conn, actor, actor.user_id, "signed_out_everywhere",
                         "logout.everywhere")
