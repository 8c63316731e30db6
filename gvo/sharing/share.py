"""Sharing an item by e-mail with chosen people, groups, boards and committees.

Groups and boards expand to their members. Each person is checked against the item's own
rule (`items.Shareable.refusal`): only those who may open the item receive the mail; the
others are named back to the sharer with the reason, and hear nothing (not even the
item's title). The message says who shared it, their words (at most MAX_MESSAGE
characters), the item's title and a link into the office (sign-in required), never the
item's content. Limits per person sharing: SHARES_PER_HOUR shares and PEOPLE_PER_HOUR
recipients in any hour, so an account cannot be used to flood the school's members.
"""

from dataclasses import dataclass, field

from gvo.core import audit, clock
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.mail import about, outbox
from gvo.sharing import items
from gvo.storage.sqlcipher import Connection

MAX_MESSAGE = 1000  # characters
SHARES_PER_HOUR = 20
PEOPLE_PER_HOUR = 200
HOUR = 3600.0
MAIL_OFF = ("This office does not send e-mail (its operator has not set it up, or this is the "
            "demo school), so nothing "
            "can be shared by e-mail. Copy the page's address instead.")


@dataclass
class Outcome:
    """What a share did: the names of the people it was sent to, and of those left out with
    why ([(name, reason)]), both by name."""

    sent: list[str] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)


def choices(conn: Connection) -> tuple[list, list, list]:
    """Whom a share can go to: (active people (id, name), groups (id, name, members),
    boards and committees (id, name, members)), each by name."""
    people = conn.execute("SELECT id, name FROM users WHERE role != 'inactive'"
                          " ORDER BY name COLLATE NOCASE").fetchall()
    groups = conn.execute(
        "SELECT g.id, g.name, (SELECT count(*) FROM group_members m WHERE m.group_id = g.id)"
        " AS members FROM groups g ORDER BY g.name COLLATE NOCASE").fetchall()
    bodies = conn.execute(
        "SELECT b.id, b.name, (SELECT count(*) FROM body_members m WHERE m.body_id = b.id)"
        " AS members FROM bodies b ORDER BY b.kind = 'committee', b.sort_order, b.name"
    ).fetchall()
    return people, groups, bodies


def _expand(conn: Connection, people: list[int], groups: list[int],
            bodies: list[int]) -> list[int]:
    """The accounts named, and the members of the groups and bodies named (unknown ids are
    ignored), once each."""
    ids = set(people)
    for group_id in groups:
        ids.update(r[0] for r in conn.execute(
            "SELECT user_id FROM group_members WHERE group_id = ?", (group_id,)))
    for body_id in bodies:
        ids.update(r[0] for r in conn.execute(
            "SELECT user_id FROM body_members WHERE body_id = ?", (body_id,)))
    return sorted(ids)


def sent_last_hour(conn: Connection, user_id: int | None, now: float) -> tuple[int, int]:
    """(shares, people reached) by this person in the hour before `now` (epoch seconds)."""
    row = conn.execute("SELECT count(*), coalesce(sum(recipients), 0) FROM shares"
                       " WHERE sender_id IS ? AND at > ?", (user_id, now - HOUR)).fetchone()
    return row[0], row[1]


def share(conn: Connection, who: Identity, kind: str, ref_id: int, *, people: list[int],
          groups: list[int] = (), bodies: list[int] = (), message: str = "") -> Outcome:
    """Share the item (kind, ref_id) that `who` may open with the people named and the
    members of the groups and bodies named, with `message`. Audited as "share.send" (the
    item, who received it and who was left out) with the mail, in one transaction.

    Raises NotFound if `who` may not open the item; InvalidInput when mail is off, for no
    recipient, a message over MAX_MESSAGE characters, or over the hourly limits (then
    nothing is sent).
    """
    item = items.load(conn, who, kind, ref_id)
    if not outbox.enabled(conn):
        raise InvalidInput(MAIL_OFF)
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise InvalidInput(f"The message is {len(message):,} characters long: at most "
                           f"{MAX_MESSAGE:,}.")
    chosen = [uid for uid in _expand(conn, list(people), list(groups), list(bodies))
              if uid != who.user_id]
    if not chosen:
        raise InvalidInput("Choose at least one person, group, board or committee (other "
                           "than yourself).")
    marks = ",".join("?" * len(chosen))
    names = dict(conn.execute(f"SELECT id, name FROM users WHERE id IN ({marks})", chosen))
    outcome, allowed = Outcome(), []
    for uid in chosen:
        if uid not in names:  # an account deleted meanwhile
            continue
        person = Identity.load(conn, uid)  # None: inactive
        reason = items.NOT_ACTIVE if person is None else item.refusal(person)
        if reason is None:
            allowed.append(uid)
            outcome.sent.append(names[uid])
        else:
            outcome.left_out.append((names[uid], reason))
    outcome.sent.sort(key=str.casefold)
    outcome.left_out.sort(key=lambda pair: pair[0].casefold())
    if not allowed:
        return outcome
    name = who.name or who.email or "Someone"
    letter = about.item_letter(
        conn, subject=f"{name} shared “{item.title}” with you", why=f"{name} shared it with you",
        headline=f"{name} shared a {item.label} with you", title=item.title, path=item.path,
        ref=(items.ref(kind), ref_id), when=item.when, message=message, message_from=name)
    with transaction(conn):
        # Counted in the write transaction that records the share (BEGIN IMMEDIATE: one
        # writer at a time), so shares sent at the same moment cannot pass the limits.
        now = clock.now()
        shares, reached = sent_last_hour(conn, who.user_id, now)
        if shares >= SHARES_PER_HOUR:
            raise InvalidInput(f"You have shared {shares} times in the last hour, the most "
                               "allowed. Please try again later.")
        if reached + len(allowed) > PEOPLE_PER_HOUR:
            raise InvalidInput(f"This would share with {len(allowed)} people; you have shared "
                               f"with {reached} in the last hour, and the limit is "
                               f"{PEOPLE_PER_HOUR} an hour. Choose fewer people or try again "
                               "later.")
        conn.execute("INSERT INTO shares(sender_id, item, recipients, at) VALUES (?, ?, ?, ?)",
                     (who.user_id, f"{kind}:{ref_id}", len(allowed), now))
        audit.record(conn, who, "share.send", f"{kind}:{ref_id}", to=allowed,
                     left_out=[uid for uid in chosen if uid not in allowed])
        outbox.notify(conn, who, allowed, letter, kind="share")
    return outcome
