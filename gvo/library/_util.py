"""Small helpers shared by the library's services."""

from gvo import audit
from gvo.errors import InvalidInput
from gvo.library.access import Viewer
from gvo.storage.sqlcipher import Connection


def record(conn: Connection, viewer: Viewer, action: str, target: str, **detail) -> None:
    """Audit a library change (inside its transaction)."""
    audit.record(conn, action, target=target, actor_id=viewer.user_id,
                 actor_email=viewer.email, ip=viewer.ip, **detail)


def clean_title(title: str, what: str = "title") -> str:
    """A trimmed title of 1-200 characters, or InvalidInput."""
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise InvalidInput(f"A {what} of 1-200 characters is required.")
    return title
