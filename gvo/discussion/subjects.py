"""Things comments and approvals attach to: a (subject_type, subject_id) pair.

Each feature registers a loader for its subject type that applies its own
access rule; comments and approvals only ever reach a subject through it. The
library registers 'document' and 'page'; meetings, policies and tasks can
register theirs the same way.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from gvo.core.errors import NotFound
from gvo.core.identity import Identity
from gvo.storage.sqlcipher import Connection


@dataclass(frozen=True)
class Subject:
    """Something people comment on and approve."""

    type: str
    id: int
    title: str
    owner_id: int | None
    endpoint: str                       # the view that shows it
    values: dict = field(default_factory=dict)  # that view's URL values
    audience: Callable[[], list] | None = None   # who may see it (for approvals)


_LOADERS: dict[str, Callable[[Connection, Identity, int], Subject]] = {}


def register(subject_type: str, loader: Callable[[Connection, Identity, int], Subject]) -> None:
    """Make a subject type available to comments and approvals."""
    _LOADERS[subject_type] = loader


def load(conn: Connection, viewer: Identity, subject_type: str, subject_id: int) -> Subject:
    """A subject the viewer may see; NotFound for unknown types, ids, or hidden ones."""
    loader = _LOADERS.get(subject_type)
    if loader is None:
        raise NotFound("no such item")
    return loader(conn, viewer, subject_id)
