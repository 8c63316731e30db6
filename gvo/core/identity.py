"""The person acting: one immutable `Identity`, built once per request (the web's user
loader) or by the operator command, and passed to every service.

Roles and capabilities are defined here, and every role or capability check asks an
Identity (`at_least`, `can`, `acts_as_manager`): the library's rooms, the meetings'
confidential parts and the people services all ask the same object the same questions.

Flask-Login uses an Identity as its user object as it is (duck typing: `is_authenticated`,
`is_active`, `is_anonymous`, `get_id()`); nothing here imports Flask.
"""

import json
from dataclasses import dataclass, field

from gvo.storage.sqlcipher import Connection

# A school's roles, highest first; "inactive" cannot sign in (its records stay).
ROLES = ("manager", "editor", "author", "reader", "inactive")
ROLE_LABELS = {
    "manager": "Manager",
    "editor": "Editor",
    "author": "Author",
    "reader": "Reader",
    "inactive": "Inactive",
}
ROLE_HELP = {
    "manager": "runs the office (usually the clerk): users, settings, everything",
    "editor": "clerk, chair or head: may edit others' content",
    "author": "most governors: adds and edits their own content",
    "reader": "view only: auditors, inspectors, temporary access",
    "inactive": "cannot sign in; their records stay",
}
RANK = {"inactive": 0, "reader": 1, "author": 2, "editor": 3, "manager": 4}
# Capabilities a Manager grants on top of a role (Managers hold them all).
CAPABILITIES = {
    "manage_users": "Manage users and groups",
    "manage_board": "Edit board members and committees",
    "manage_meetings": "Manage meetings",
    "manage_training": "Manage training",
    "manage_policies": "Manage policies",
}
OPERATOR = "operator"  # the role of the server operator using the CLI
SYSTEM = "system"      # the role of work the office does by itself (no person)


@dataclass(frozen=True)
class Identity:
    """Who is acting, with which role and capabilities, from where.

    `user_id` is the account's id in the school (None for the operator, the system and
    anonymous visitors); `role` one of ROLES, OPERATOR, SYSTEM, or "" when unknown (an
    anonymous visitor, someone claiming an account at sign-in), which no check lets
    through; `caps` the capabilities granted on top of the role; `email` and `name` as
    the account has them (the audit log records `email`); `ip` the client address of the
    request ("" outside a request).
    """

    user_id: int | None
    role: str
    caps: frozenset[str] = field(default_factory=frozenset)
    email: str = ""
    name: str = ""
    ip: str = ""

    # -- the ones that are not a person signed in --------------------------------------

    @classmethod
    def operator(cls) -> "Identity":
        """The server operator using the CLI: may do anything a Manager may."""
        return cls(None, OPERATOR, email="operator (cli)")

    @classmethod
    def anonymous(cls, ip: str = "") -> "Identity":
        """A visitor who has not signed in."""
        return cls(None, "", ip=ip)

    @classmethod
    def claimed(cls, user_id: int | None, email: str, ip: str = "") -> "Identity":
        """Someone claiming an account (a sign-in step not yet passed): for the audit log
        only; holds no role, so no check lets it through."""
        return cls(user_id, "", email=email, ip=ip)

    @classmethod
    def system(cls, task: str, caps: set[str] | frozenset[str] = frozenset()) -> "Identity":
        """Work the office does by itself (`task` names it in the audit log), holding only
        the capabilities given. The library lets the system see every folder, so it can
        keep the rooms a feature owns up to date (gvo.meetings.papers)."""
        return cls(None, SYSTEM, frozenset(caps), email=f"system ({task})")

    @classmethod
    def of_account(cls, row, caps: set[str] | frozenset[str] = frozenset(),
                   ip: str = "") -> "Identity":
        """The Identity of a `users` row (id, role, email, name), with its capabilities."""
        return cls(row["id"], row["role"], frozenset(caps), row["email"], row["name"], ip)

    @classmethod
    def load(cls, conn: Connection, user_id: int, ip: str = "", *,
             credential_version: int | None = None) -> "Identity | None":
        """The Identity of a school's account, or None for an unknown or inactive one, or
        (when `credential_version` is given: the account's when a session signed in) for
        one whose credentials ended since (gvo.people.accounts.CREDENTIAL_EVENTS)."""
        # One statement (it runs for every signed-in request): the capabilities come along
        # as a JSON array.
        row = conn.execute(
            "SELECT id, role, email, name, credential_version, (SELECT json_group_array("
            "capability) FROM user_capabilities WHERE user_id = users.id) AS caps"
            " FROM users WHERE id = ?", (user_id,)).fetchone()
        if row is None or row["role"] == "inactive":
            return None
        if credential_version is not None and row["credential_version"] != credential_version:
            return None
        return cls.of_account(row, set(json.loads(row["caps"])), ip)

    # -- the checks -------------------------------------------------------------------

    @property
    def is_operator(self) -> bool:
        """Whether this is the server operator (the CLI)."""
        return self.role == OPERATOR

    @property
    def is_system(self) -> bool:
        """Whether this is the office's own background work."""
        return self.role == SYSTEM

    @property
    def signed_in(self) -> bool:
        """Whether this is a person of the school with an active role."""
        return self.user_id is not None and RANK.get(self.role, 0) > 0

    @property
    def acts_as_manager(self) -> bool:
        """Whether this has a Manager's powers: a Manager, or the operator."""
        return self.role in ("manager", OPERATOR)

    def at_least(self, role: str) -> bool:
        """Whether the role is `role` (one of ROLES) or higher; the operator is above all.

        Raises KeyError for a `role` that is not one of ROLES.
        """
        needed = RANK[role]
        if self.is_operator:
            return True
        return self.role in RANK and RANK[self.role] >= needed

    def can(self, capability: str) -> bool:
        """Whether this holds a capability: Managers and the operator hold them all."""
        return self.acts_as_manager or capability in self.caps

    @property
    def role_label(self) -> str:
        """The role as shown to people ("Manager")."""
        return ROLE_LABELS.get(self.role, self.role.title())

    # -- Flask-Login's user object -----------------------------------------------------

    @property
    def id(self) -> int | None:
        """The account's id (Flask-Login and templates read `id`)."""
        return self.user_id

    @property
    def is_authenticated(self) -> bool:
        """Flask-Login: a signed-in person."""
        return self.signed_in

    @property
    def is_active(self) -> bool:
        """Flask-Login: inactive accounts cannot use the office."""
        return self.role != "inactive"

    @property
    def is_anonymous(self) -> bool:
        """Flask-Login: not a signed-in person."""
        return not self.signed_in

    def get_id(self) -> str:
        """Flask-Login: what the session remembers (the account's id)."""
        return str(self.user_id)


def capabilities(conn: Connection, user_id: int) -> set[str]:
    """The capabilities granted to an account on top of its role."""
    rows = conn.execute(
        "SELECT capability FROM user_capabilities WHERE user_id = ?", (user_id,)
    ).fetchall()
    return {r["capability"] for r in rows}
