"""Things comments and approvals attach to: a (kind, ref_id) pair.

Each feature registers a loader for its kind that applies its own rule for who
may see the thing (NotFound otherwise) and returns a `Subject` carrying its rules
for who may take part and who may lock. Comments and approvals only ever reach a
subject through it. The library registers 'document' and 'page', meetings
'minutes'; policies and tasks can register theirs the same way.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from gvo.core.errors import NotFound
from gvo.core.identity import Identity
from gvo.mail import refs
from gvo.storage.sqlcipher import Connection


def nobody(_who: Identity) -> bool:
    """The rule that lets no one (the default for a subject's rules)."""
    return False


@dataclass(frozen=True)
class Subject:
    """Something people comment on and approve, with its owning feature's rules.

    `type` is the kind, `id` the ref_id. `may_take_part(who)`: whether `who` may
    comment, reply, edit their own comments and approve (the subject is already
    visible to them). `may_moderate(who)`: whether `who` may lock comments and ask
    for or lock an approval. `on_text(conn, comment_id, body)` is called inside the
    write's transaction when a comment's text is added or changed (body) or deleted
    (None), e.g. to keep a search index in step. `path` is where it is shown, under the
    school's address ("/library/documents/7"): the link in e-mail about it."""

    type: str
    id: int
    title: str
    owner_id: int | None
    endpoint: str                       # the view that shows it
    values: dict = field(default_factory=dict)  # that view's URL values
    audience: Callable[[], list] | None = None   # who may see it (for approvals)
    may_take_part: Callable[[Identity], bool] = nobody
    may_moderate: Callable[[Identity], bool] = nobody
    on_text: Callable[[Connection, int, str | None], None] | None = None
    path: str = ""


_LOADERS: dict[str, Callable[[Connection, Identity, int], Subject]] = {}


def register(subject_type: str, loader: Callable[[Connection, Identity, int], Subject]) -> None:
    """Make a kind of subject available to comments and approvals: `loader(conn, who,
    ref_id)` returns the Subject `who` may see, or raises NotFound. Mail about the subject
    (reference `(subject_type, id)`) is checked with the same loader when it is made
    (gvo.mail.refs)."""
    _LOADERS[subject_type] = loader
    refs.register(subject_type, lambda conn, who, ref_id: loader(conn, who, ref_id) is not None)


def load(conn: Connection, viewer: Identity, subject_type: str, subject_id: int) -> Subject:
    """A subject the viewer may see; NotFound for unknown kinds, ids, or hidden ones."""
    loader = _LOADERS.get(subject_type)
    if loader is None:
        raise NotFound("no such item")
    return loader(conn, viewer, subject_id)
