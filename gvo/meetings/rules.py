"""Who may see and change what in a meeting (see the package docstring)."""

from dataclasses import dataclass

from gvo.people import accounts
from gvo.storage.sqlcipher import Connection


@dataclass(frozen=True)
class Viewer:
    """The person a listing or a PDF is made for."""

    user_id: int
    role: str
    caps: frozenset = frozenset()

    def at_least(self, role: str) -> bool:
        """Whether the role is `role` or higher."""
        return accounts.RANK[self.role] >= accounts.RANK[role]

    def can(self, capability: str) -> bool:
        """Whether the person holds a capability (Managers hold them all)."""
        return self.role == "manager" or capability in self.caps

    @classmethod
    def of(cls, member) -> "Viewer":
        """A Viewer from the signed-in Member (or anything with id, role and caps)."""
        return cls(member.id, member.role, frozenset(getattr(member, "caps", ())))

    @classmethod
    def load(cls, conn: Connection, user_id: int) -> "Viewer | None":
        """A Viewer for a user id, or None for an unknown or inactive account."""
        row = conn.execute("SELECT id, role FROM users WHERE id = ?", (user_id,)).fetchone()
        if row is None or row["role"] == "inactive":
            return None
        return cls(row["id"], row["role"], frozenset(accounts.capabilities(conn, row["id"])))


def manages(viewer: Viewer) -> bool:
    """Whether the person creates and edits meetings, agendas, registers and minutes."""
    return viewer.can("manage_meetings")


def is_member(conn: Connection, body_id: int, user_id: int) -> bool:
    """Whether the person is a member of the board or committee."""
    return conn.execute(
        "SELECT 1 FROM body_members WHERE body_id = ? AND user_id = ?", (body_id, user_id)
    ).fetchone() is not None


def sees_confidential(conn: Connection, viewer: Viewer, body_id: int) -> bool:
    """Whether the person may read a meeting's confidential items, papers and minutes."""
    if viewer.role == "inactive":
        return False
    if viewer.at_least("editor") or manages(viewer):
        return True
    return is_member(conn, body_id, viewer.user_id)
