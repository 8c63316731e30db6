"""Following a commentable item (a discussion subject): its followers hear by e-mail of new
comments, replies and approval requests.

The subject's creator (`Subject.owner_id`) follows it from the start, without a row; anyone
who may open it can follow or stop following it (a row in `follows`, migration 0017), and a
Manager may subscribe others who may open it (the real GVO's "subscribe others") or take
them off. Mail goes through `gvo.mail.outbox.notify` (kinds "comment", "reply",
"approval_request"), never to the person who acted, and only to people who may open the
item at the time the mail is made: each recipient's access is checked again through the
subject's own loader, so a follower who lost access (moved out of a room, made inactive)
hears nothing, and the item's title is never named to them. Mail holds the title and a
link, never the comment's words.
"""

from collections.abc import Iterable

from gvo.core import audit, clock
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.discussion import subjects
from gvo.discussion.subjects import Subject
from gvo.mail import about, outbox
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection

WHY = "you follow this item"
CHANGE = "To stop, open it and choose Unfollow."


def follower_ids(conn: Connection, subject: Subject) -> set[int]:
    """The ids of the people following the subject (its creator unless they stopped, and
    everyone who started), whether or not they may still open it."""
    chosen = _choices(conn, subject.type, subject.id)
    ids = {uid for uid, on in chosen.items() if on}
    if subject.owner_id is not None and chosen.get(subject.owner_id, True):
        ids.add(subject.owner_id)
    return ids


@reads.once
def _choices(conn: Connection, subject_type: str, subject_id: int) -> dict[int, bool]:
    """Who chose to follow the subject (True) or to stop (False), by user id."""
    return {r["user_id"]: bool(r["following"]) for r in conn.execute(
        "SELECT user_id, following FROM follows WHERE subject_type = ? AND subject_id = ?",
        (subject_type, subject_id))}


def is_following(conn: Connection, subject: Subject, user_id: int | None) -> bool:
    """Whether the person follows the subject."""
    return user_id is not None and user_id in follower_ids(conn, subject)


def may_subscribe_others(who: Identity) -> bool:
    """Managers (and the operator) may subscribe other people, and take them off."""
    return who.acts_as_manager


def may_open(conn: Connection, subject: Subject, user_id: int) -> bool:
    """Whether the active account `user_id` may open the subject now (its own loader)."""
    person = Identity.load(conn, user_id)  # None: no such account, or inactive
    if person is None:
        return False
    try:
        subjects.load(conn, person, subject.type, subject.id)
    except NotFound:
        return False
    return True


def set_following(conn: Connection, who: Identity, subject: Subject, following: bool,
                  user_id: int | None = None) -> None:
    """Follow (following=True) or stop following the subject, for `who` or, by a Manager,
    for the person `user_id`. Audited as "follow.on"/"follow.off" on the subject.

    Raises NotPermitted when someone else's choice is changed by a non-Manager, and
    InvalidInput when the person to subscribe may not open the item.
    """
    target = who.user_id if user_id is None else user_id
    if target is None:
        raise InvalidInput("Choose a person.")
    if target != who.user_id and not may_subscribe_others(who):
        raise NotPermitted("only a Manager may subscribe other people")
    if following and not may_open(conn, subject, target):
        raise InvalidInput("That person cannot open this item, so cannot follow it.")
    with transaction(conn):
        conn.execute(
            "INSERT INTO follows(subject_type, subject_id, user_id, following, set_by, set_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(subject_type, subject_id, user_id)"
            " DO UPDATE SET following = excluded.following, set_by = excluded.set_by,"
            " set_at = excluded.set_at",
            (subject.type, subject.id, target, int(following), who.user_id, clock.iso()))
        audit.record(conn, who, "follow.on" if following else "follow.off",
                     f"{subject.type}:{subject.id}", user=target)


def followers(conn: Connection, subject: Subject) -> list:
    """The people following the subject (id, name), by name: for the Managers' list."""
    ids = sorted(follower_ids(conn, subject))
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return conn.execute(f"SELECT id, name FROM users WHERE id IN ({marks})"
                        " ORDER BY name COLLATE NOCASE", ids).fetchall()


def tell(conn: Connection, actor: Identity, subject: Subject, *, kind: str, headline: str,
         subject_line: str, also: Iterable[int] = (), also_why: str = "",
         note: str = "", gathered: str = "") -> list[int]:
    """Tell the subject's followers, and the people in `also` (the author of the comment
    replied to, the people whose approval is asked; their footer says `also_why`), of
    something `actor` did, inside the caller's transaction: everyone but the actor who may
    open the subject now. `gathered`: the Subject for several such notices gathered in one
    message ("{n} new comments on ..."; see gvo.mail.outbox.notify). Returns the outbox ids
    (none when mail is off)."""
    if not outbox.enabled(conn):
        return []
    following = follower_ids(conn, subject) - {actor.user_id}
    others = set(also) - following - {actor.user_id}
    out = []
    for people, why, change in ((following, WHY, CHANGE), (others, also_why, "")):
        allowed = [uid for uid in sorted(people) if may_open(conn, subject, uid)]
        if allowed:
            letter = about.item_letter(conn, subject=subject_line, why=why, headline=headline,
                                       title=subject.title, path=subject.path, note=note,
                                       change=change, ref=(subject.type, subject.id),
                                       gathered=gathered)
            out += outbox.notify(conn, actor, allowed, letter, kind=kind)
    return out
