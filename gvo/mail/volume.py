"""How much mail each person wants, one-click unsubscribe, and notifications held for later.

Volume (the person's choice on their profile page; `users.mail_volume`, migration 0018):

- "immediate": each notification is queued as it happens (the default);
- "digest": notifications are held and sent together once a day;
- "newsletter": notifications are held and listed in the weekly newsletter;
- "none": nothing but account mail (invitations, password links, security notices).

`gvo.mail.outbox.notify` applies it; account mail (`outbox.queue`) ignores it. The weekly
newsletter and the daily digest are built by `gvo.newsletter`.

Unsubscribe (RFC 8058, "one-click"): every message that is not account mail carries
`List-Unsubscribe: <https://.../<school>/mail/unsubscribe/TOKEN>` and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`. TOKEN is signed (itsdangerous, HMAC
SHA-1 under a key derived from the instance's master key, gvo.storage.keys.derive) and
names one school, one person, one kind of mail and the person's links version; using it
stops only that kind for that person (`mail_optouts`), without signing in, and once: using
a link, or changing one's mail settings, ends the links sent before.
"""

import threading
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

from gvo.core import audit, clock
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound
from gvo.core.identity import Identity
from gvo.mail import refs
from gvo.storage import keys
from gvo.storage.instance import owning
from gvo.storage.sqlcipher import Connection, database_path

VOLUMES = {
    "immediate": "Each e-mail as it happens",
    "digest": "One e-mail a day gathering them (a daily digest)",
    "newsletter": "Only the weekly newsletter, which lists them",
    "none": "None: only mail about my account (invitations, passwords, security)",
}
DEFAULT_VOLUME = "immediate"
HELD = ("digest", "newsletter")  # volumes that hold notifications for later
DIGEST, NEWSLETTER = "digest", "newsletter"  # the kinds of the gathered messages
_SALT = "gvo-mail-unsubscribe"

# What a kind of mail is called on the unsubscribe page ("You will no longer get ...").
# A module with a kind of its own adds it with `describe_kind`.
_KIND_LABELS = {
    DIGEST: "the daily digest",
    NEWSLETTER: "the weekly newsletter",
    # The kinds of gvo.discussion.followers, gvo.meetings.notices and gvo.sharing.
    "comment": "e-mails about new comments on items you follow",
    "reply": "e-mails about replies to your comments",
    "approval_request": "e-mails asking for your approval",
    "papers_published": "e-mails saying a meeting's papers are ready",
    "minutes_circulated": "e-mails saying minutes are circulated",
    "minutes_approved": "e-mails saying minutes are approved",
    "attendance_reminder": "reminders to say whether you will attend a meeting",
    "share": "items people share with you",
}


def describe_kind(kind: str, label: str) -> None:
    """Name a kind of mail for people ("e-mails about new comments"): shown on the
    unsubscribe page and the profile page."""
    _KIND_LABELS[kind] = label


def kind_label(kind: str) -> str:
    """A kind of mail as people read it (its registered label, else its name)."""
    return _KIND_LABELS.get(kind) or f"e-mails of the kind “{kind.replace('_', ' ')}”"


# -- the signing key -------------------------------------------------------------------

_serializers: dict[bytes, URLSafeSerializer] = {}  # by master key
_lock = threading.Lock()


def _serializer(conn: Connection) -> URLSafeSerializer:
    """The signer for this school's links: its instance's master key, derived for this
    purpose (the instance is the open one whose directory holds the database)."""
    where = database_path(conn)
    inst = owning(where)
    if inst is None:
        raise RuntimeError(f"no open instance holds {where}")
    master = inst.master_key
    with _lock:
        found = _serializers.get(master)
        if found is None:
            found = _serializers[master] = URLSafeSerializer(
                keys.derive(master, "mail-unsubscribe:v1"), salt=_SALT)
    return found


def _slug(conn: Connection) -> str:
    return Path(database_path(conn)).parent.name


def _links_version(conn: Connection, user_id: int) -> int | None:
    row = conn.execute("SELECT mail_links_version FROM users WHERE id = ?",
                       (user_id,)).fetchone()
    return None if row is None else row[0]


def _new_links(conn: Connection, user_id: int) -> None:
    """End the person's unsubscribe links made so far (inside the caller's transaction)."""
    conn.execute("UPDATE users SET mail_links_version = mail_links_version + 1 WHERE id = ?",
                 (user_id,))


def token(conn: Connection, user_id: int, kind: str) -> str:
    """The signed unsubscribe token for one person and one kind of mail of this school. It
    carries the person's links version (`users.mail_links_version`): it works until the
    person uses one of their links or changes their mail settings (then it is "already
    used")."""
    return _serializer(conn).dumps([_slug(conn), user_id, kind,
                                    _links_version(conn, user_id) or 0])


def read_token(conn: Connection, value: str) -> tuple[int, str, int]:
    """(user id, kind, links version) a token names (a token made before versions is
    version 0); InvalidInput if it was altered, signed with another key, or made for
    another school."""
    try:
        slug, user_id, kind, *rest = _serializer(conn).loads(value)
    except (BadSignature, ValueError, TypeError):
        raise InvalidInput("This unsubscribe link is not valid: it may have been cut short "
                           "or altered. Sign in and change your e-mail settings instead."
                           ) from None
    version = rest[0] if rest else 0
    if slug != _slug(conn) or not isinstance(user_id, int) or not isinstance(kind, str) \
            or not isinstance(version, int) or len(rest) > 1:
        raise InvalidInput("This unsubscribe link is not for this school.")
    return user_id, kind, version


def link_used(conn: Connection, value: str) -> bool:
    """Whether a valid token (`read_token`) has been used up: its person used one of their
    links, or changed their mail settings, since it was made."""
    user_id, _kind, version = read_token(conn, value)
    return _links_version(conn, user_id) != version


# -- volume and opt-outs ---------------------------------------------------------------


def get_volume(conn: Connection, user_id: int) -> str:
    """The person's volume (one of VOLUMES); NotFound for no such account."""
    row = conn.execute("SELECT mail_volume FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise NotFound("no such user")
    return row[0]


def set_volume(conn: Connection, who: Identity, user_id: int, volume: str) -> None:
    """Set how much mail the person gets (audited as "mail.volume"); InvalidInput for a
    value not in VOLUMES. Notifications already held stay held: the next digest or
    newsletter carries them."""
    if volume not in VOLUMES:
        raise InvalidInput(f"Choose one of: {', '.join(VOLUMES)}.")
    old = get_volume(conn, user_id)
    with transaction(conn):
        conn.execute("UPDATE users SET mail_volume = ? WHERE id = ?", (volume, user_id))
        if volume != old:
            _new_links(conn, user_id)
        audit.record(conn, who, "mail.volume", f"user:{user_id}", old=old, new=volume)


def opted_out(conn: Connection, user_id: int) -> set[str]:
    """The kinds of mail the person stopped."""
    return {r[0] for r in conn.execute("SELECT kind FROM mail_optouts WHERE user_id = ?",
                                       (user_id,))}


class LinkUsed(InvalidInput):
    """An unsubscribe link already used (or made before the person's latest choice)."""


def unsubscribe(conn: Connection, token_value: str) -> tuple[int, str, bool]:
    """Stop the kind of mail a token names for its person (no sign-in: the token is the
    proof). A link works once (issue 13, acceptance 1): using it ends every unsubscribe
    link the person was sent, as changing their mail settings does, so an old link (a
    forwarded message, a link scanner) cannot stop their mail again after they chose to
    start it. Returns (user id, kind, whether this changed anything: False if already
    stopped). Audited as "mail.unsubscribe" by the person. InvalidInput for a bad token,
    LinkUsed (an InvalidInput) for a used one, NotFound for an account that is gone."""
    user_id, kind, version = read_token(conn, token_value)
    row = conn.execute("SELECT id, role, email, name, mail_links_version FROM users"
                       " WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise NotFound("no such user")
    with transaction(conn):
        if _links_version(conn, user_id) != version:
            raise LinkUsed("This link was already used, or your e-mail settings changed "
                           "since it was sent: it changes nothing now. Sign in and open your "
                           "profile page to choose which e-mails you get.")
        cur = conn.execute("INSERT OR IGNORE INTO mail_optouts(user_id, kind, at)"
                           " VALUES (?, ?, ?)", (user_id, kind, clock.now()))
        _new_links(conn, user_id)
        if cur.rowcount:
            audit.record(conn, Identity.claimed(user_id, row["email"]), "mail.unsubscribe",
                         f"user:{user_id}", kind=kind)
    return user_id, kind, bool(cur.rowcount)


def resubscribe(conn: Connection, who: Identity, user_id: int, kind: str) -> None:
    """Start a stopped kind of mail again (the person, from their profile page)."""
    with transaction(conn):
        if conn.execute("DELETE FROM mail_optouts WHERE user_id = ? AND kind = ?",
                        (user_id, kind)).rowcount:
            _new_links(conn, user_id)
            audit.record(conn, who, "mail.resubscribe", f"user:{user_id}", kind=kind)


# -- held notifications --------------------------------------------------------------


def hold(conn: Connection, who: Identity, user_id: int, kind: str, subject: str,
         link: str, ref: tuple[str, int] | None = None) -> int:
    """Keep a notification for the person's next digest or newsletter (inside the caller's
    transaction); audited as "mail.hold". `ref`: the item it is about (gvo.mail.refs),
    checked again when the digest or newsletter is made. Returns its id."""
    ref_type, ref_id = ref or (None, None)
    with transaction(conn):
        held_id = conn.execute(
            "INSERT INTO mail_held(user_id, kind, subject, link, created_at, ref_type, ref_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (user_id, kind, subject, link, clock.now(), ref_type, ref_id)).lastrowid
        audit.record(conn, who, "mail.hold", f"user:{user_id}", kind=kind)
    return held_id


def waiting(conn: Connection, user_id: int) -> list:
    """The person's held notifications not yet sent (id, kind, subject, link, created_at,
    ref_type, ref_id), oldest first, whether or not they may still open their items (see
    `deliverable`)."""
    return conn.execute("SELECT id, kind, subject, link, created_at, ref_type, ref_id"
                        " FROM mail_held WHERE user_id = ? AND released_at IS NULL ORDER BY id",
                        (user_id,)).fetchall()


@dataclass(frozen=True)
class Held:
    """A line of a digest or newsletter made of held notifications: its subject and link,
    how many notifications it stands for (the same kind about the same item), and their
    ids."""

    subject: str
    link: str
    count: int
    ids: tuple[int, ...]


def carried(conn: Connection, outbox_id: int) -> list:
    """The held notifications a queued digest or newsletter carries (released with it,
    `release`), as `waiting` gives them."""
    return conn.execute("SELECT id, kind, subject, link, created_at, ref_type, ref_id"
                        " FROM mail_held WHERE outbox_id = ? ORDER BY id",
                        (outbox_id,)).fetchall()


def deliverable(conn: Connection, user_id: int,
                outbox_id: int | None = None) -> tuple[list[Held], list[int]]:
    """What a digest or newsletter made now may say of the person's held notifications
    (those waiting; given `outbox_id`, those the queued message carries, as it is built
    again when sent): (the lines, every held id to release with it). Each notification's
    item is checked again for the person, now (gvo.mail.refs): one whose item they may no
    longer open, or that is gone, is left out (and released, so it is never named).
    Notifications of one kind about one item become one line ("New comment on X (3)")."""
    lines: dict[tuple, Held] = {}
    allowed: dict[tuple, bool] = {}
    ids = []
    rows = waiting(conn, user_id) if outbox_id is None else carried(conn, outbox_id)
    for row in rows:
        ids.append(row["id"])
        ref = (row["ref_type"], row["ref_id"])
        if ref not in allowed:
            allowed[ref] = refs.may_open(conn, user_id, *ref)
        if not allowed[ref]:
            continue
        key = (row["kind"], *ref) if ref[0] is not None else ("", row["id"])
        found = lines.get(key)
        lines[key] = Held(row["subject"], row["link"], 1, (row["id"],)) if found is None \
            else Held(row["subject"], row["link"], found.count + 1, (*found.ids, row["id"]))
    return list(lines.values()), ids


def release(conn: Connection, held_ids: list[int], outbox_id: int | None = None) -> None:
    """Mark held notifications as sent (in the transaction that queued their message,
    `outbox_id`, which carries them: it is built again from them when it is sent)."""
    now = clock.now()
    with transaction(conn):
        conn.executemany("UPDATE mail_held SET released_at = ?, outbox_id = ? WHERE id = ?",
                         [(now, outbox_id, i) for i in held_ids])
