"""The demo school's public governance page (issue 14): switched on, with a role address for
the clerk, so `make run` shows /riverside/governance."""

from gvo.core.identity import Identity
from gvo.governance import public
from gvo.storage.sqlcipher import Connection

CLERK_CONTACT = "governance@riverside.example"


def _demo_public(conn: Connection, clerk_id: int) -> None:
    """Publish the demo school's governance page, as its clerk would (audited)."""
    public.set_publishing(conn, Identity(clerk_id, "manager", email="clerk (demo)"), True,
                          CLERK_CONTACT)
