"""What a notice is about, and whether a person may still open it when the mail is made.

A notice about an item (a new comment, a share, papers published) carries a reference to
it, `(ref_type, ref_id)` (`gvo.mail.compose.Letter.ref`). Access is checked when the event
happens (the caller sends only to people who may open the item) and again when the mail is
made from it later: a notice held for a digest or the newsletter when that is built
(`gvo.newsletter.letters`), a queued message when the sender hands it to the SMTP server
(`gvo.mail.sender`). A person who has lost access since (moved out of a room, off a
committee, made inactive), or an item deleted since, gets nothing: its title is never
named to them.

Each kind of item registers its rule here (`register`): the discussion layer registers
every subject type (`gvo.discussion.subjects.register`), sharing its kinds as
"shared:<kind>", meetings "meeting". A reference of a type nobody registered is refused
(fail closed).
"""

from collections.abc import Callable

from gvo.core.errors import InvalidInput, NotFound
from gvo.core.identity import Identity
from gvo.storage.sqlcipher import Connection

Check = Callable[[Connection, Identity, int], bool]
_CHECKS: dict[str, Check] = {}


def register(ref_type: str, check: Check) -> None:
    """Make `ref_type` a kind of item notices may be about: `check(conn, person, ref_id)`
    says whether the active account `person` may open the item now (it may raise NotFound
    or InvalidInput for no, as the owning module's loaders do)."""
    _CHECKS[ref_type] = check


def known(ref_type: str) -> bool:
    """Whether `ref_type` is registered."""
    return ref_type in _CHECKS


def may_open(conn: Connection, user_id: int | None, ref_type: str | None,
             ref_id: int | None) -> bool:
    """Whether the person may open the item a notice is about, now. True for a notice about
    no item (ref_type None); False for an account that is gone or inactive, an item gone or
    hidden from them, or an unregistered type."""
    if ref_type is None:
        return True
    person = Identity.load(conn, user_id) if user_id is not None else None
    return person is not None and visible_to(conn, person, ref_type, ref_id)


def visible_to(conn: Connection, who: Identity, ref_type: str | None,
               ref_id: int | None) -> bool:
    """Whether `who` (a person signed in, or the operator) may open the item a notice is
    about: as `may_open`, for an Identity at hand (a Manager reading the failed list)."""
    if ref_type is None:
        return True
    check = _CHECKS.get(ref_type)
    if check is None or ref_id is None:
        return False
    try:
        return bool(check(conn, who, ref_id))
    except (NotFound, InvalidInput):
        return False
