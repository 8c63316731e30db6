"""Who may see and change what in a meeting (see the package docstring)."""

from gvo.core.identity import Identity
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection


def manages(viewer: Identity) -> bool:
    """Whether the person creates and edits meetings, agendas, registers and minutes."""
    return viewer.can("manage_meetings")


@reads.once
def is_member(conn: Connection, body_id: int, user_id: int) -> bool:
    """Whether the person is a member of the board or committee."""
    return conn.execute(
        "SELECT 1 FROM body_members WHERE body_id = ? AND user_id = ?", (body_id, user_id)
    ).fetchone() is not None


def sees_confidential(conn: Connection, viewer: Identity, body_id: int) -> bool:
    """Whether the person may read a meeting's confidential items, papers and minutes."""
    if not viewer.is_active:
        return False
    if viewer.at_least("editor") or manages(viewer):
        return True
    return is_member(conn, body_id, viewer.user_id)
