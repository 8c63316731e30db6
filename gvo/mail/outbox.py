"""The school's outbox: mail is queued in the writer's transaction and sent by the server.

A message is built whole when it is queued (gvo.mail.compose) and stored in the school's
database (table mail_outbox, migration 0016): encrypted, replicated and restored with the
school, and committed with the change it tells of, or not at all. `gvo serve`'s sender
(gvo.mail.sender) hands it to the SMTP server.

States: queued -> sent (the SMTP server accepted it; its body is then emptied, as it may
hold a one-time link), or queued -> failed (a permanent refusal, 5xx, or temporary ones
for longer than GIVE_UP_SECONDS), which a Manager sees with the reason and may retry.
Delivery is at least once: only a crash between the SMTP server's acceptance and the
commit that marks the message sent can send it again.

With mail off (no GVO_SMTP_URL) nothing is queued: `queue` and `notify` return None / [].
Each person's volume and unsubscribes apply in `notify` (gvo.mail.volume).

Every message is checked again as the sender hands it over (`recheck`): nothing to a
person made inactive since; a notice about an item (`Letter.ref`, gvo.mail.refs) only if
the person may still open it; the newsletter and digest, which name many items, built
again for their person (`register_rebuild`); a one-time link never sent dead
(`register_link_lifetime`); otherwise withdrawn (or failed, for a dead link). Notices of
one kind about one item to one person are gathered (`notify`): after one is sent, the
next waits until COALESCE_SECONDS have passed and the ones that come meanwhile join it
("3 new comments on ...").
"""

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gvo.core import audit, clock, paging
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound
from gvo.core.identity import Identity
from gvo.mail import compose, config, refs, volume
from gvo.mail.compose import Letter, Recipient
from gvo.storage.sqlcipher import Connection, after_commit, database_path

GIVE_UP_SECONDS = 48 * 3600  # temporary failures this long after queueing: failed
KEEP_SENT_SECONDS = 30 * 24 * 3600  # a sent message's row (no body) is kept this long
COALESCE_SECONDS = 600.0  # notices about one item to one person: one message per this
REBUILD_AFTER = 60.0  # a newsletter or digest sent later than this after it was built: again
REPLY_TO_KEY = "mail_reply_to"  # the school setting: where replies go (its clerk)
SYSTEM = Identity.system("mail")

_wakers: list[Callable[[str], None]] = []
_wakers_lock = threading.Lock()


def add_waker(waker: Callable[[str], None]) -> None:
    """Call waker(slug) after a transaction that queued mail in school `slug` commits (the
    running sender registers itself)."""
    with _wakers_lock:
        if waker not in _wakers:
            _wakers.append(waker)


def remove_waker(waker: Callable[[str], None]) -> None:
    """Stop calling `waker`."""
    with _wakers_lock:
        if waker in _wakers:
            _wakers.remove(waker)


def _wake(slug: str) -> None:
    with _wakers_lock:
        wakers = list(_wakers)
    for waker in wakers:
        waker(slug)


def school_slug(conn: Connection) -> str:
    """The slug of the school whose database `conn` is (its folder's name)."""
    path = database_path(conn)
    if path is None:
        raise ValueError("not a school database connection")
    return Path(path).parent.name


def _setting(conn: Connection, key: str) -> str:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return row["value"] if row else ""


def reply_to(conn: Connection) -> str:
    """The school's reply-to address (its clerk's, set by gvo.people.settings), or ""."""
    return _setting(conn, REPLY_TO_KEY)


def school_url(conn: Connection) -> str:
    """The school's address in the office (GVO_BASE_URL/<slug>), where links lead."""
    return f"{config.current().base_url}/{school_slug(conn)}"


DEMO_KEY = "demo"  # the setting `gvo demo` sets ("1"; gvo.people.settings.is_demo reads it)


def enabled(conn: Connection | None = None) -> bool:
    """Whether this office sends mail (GVO_SMTP_URL and GVO_MAIL_FROM are set) and, given a
    school's connection, whether that school does: the demo school (`gvo demo`) never
    sends, so trying the demo next to a real relay mails nobody; it behaves as an office
    without mail (set-up links on the page)."""
    return config.current().enabled and (conn is None or _setting(conn, DEMO_KEY) != "1")


def compose_for(conn: Connection, to: Recipient, letter: Letter, *, unsubscribe: str = ""):
    """The message `letter` makes for `to` in this school (not queued): for queueing, for
    `gvo mail test`, and for equal work when there is no one to send to. unsubscribe: the
    one-click unsubscribe link, for mail that is not account mail (see `unsubscribe_url`)."""
    return compose.build(config.current(), school_name=_setting(conn, "name"),
                         school_url=school_url(conn), reply_to=reply_to(conn), to=to,
                         letter=letter, unsubscribe=unsubscribe)


def unsubscribe_url(conn: Connection, user_id: int, kind: str) -> str:
    """The one-click unsubscribe link that stops `kind` of mail for the person (RFC 8058;
    gvo.mail.volume signs it)."""
    return f"{school_url(conn)}/mail/unsubscribe/{volume.token(conn, user_id, kind)}"


@dataclass(frozen=True)
class Prepared:
    """A message built for one person, not yet queued (`prepare`, then `queue_prepared`)."""

    to: Recipient
    kind: str
    message_id: str
    subject: str
    data: bytes
    ref: tuple[str, int] | None = None


def prepare(conn: Connection, to: Recipient, letter: Letter, *, kind: str,
            unsubscribe: bool = False) -> Prepared | None:
    """Build the message `letter` makes for `to` (reads only: no transaction needed), to
    queue later with `queue_prepared`; None when mail is off. Mail sent to many people at
    once (the newsletter) is built this way first, so the transaction that queues it is
    short. unsubscribe: as `queue`."""
    if not enabled(conn):
        return None
    link = unsubscribe_url(conn, to.user_id, kind) if unsubscribe else ""
    msg = compose_for(conn, to, letter, unsubscribe=link)
    return Prepared(to, kind, msg["Message-ID"].strip("<>"), str(msg["Subject"]),
                    msg.as_bytes(), letter.ref)


def queue_prepared(conn: Connection, who: Identity, prepared: Prepared, *,
                   at: float | None = None) -> int:
    """Put a prepared message in the outbox (inside the caller's transaction, or its own),
    audited as "mail.queue"; the outbox row's id. at: not sent before (epoch seconds;
    default now)."""
    now = clock.now()
    slug = school_slug(conn)
    to = prepared.to
    ref_type, ref_id = prepared.ref or (None, None)
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO mail_outbox(message_id, kind, user_id, recipient, subject, message,"
            " created_at, queued_at, next_attempt_at, ref_type, ref_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (prepared.message_id, prepared.kind, to.user_id, to.address, prepared.subject,
             prepared.data, now, now, now if at is None else max(now, at), ref_type, ref_id))
        audit.record(conn, who, "mail.queue", f"mail:{cur.lastrowid}", kind=prepared.kind,
                     to=to.address, user=to.user_id)
        after_commit(conn, lambda: _wake(slug))
    return cur.lastrowid


def queue(conn: Connection, who: Identity, to: Recipient, letter: Letter, *,
          kind: str, unsubscribe: bool = False) -> int | None:
    """Queue one message to `to`, inside the caller's transaction (or its own): the mail is
    committed with the change it tells of, or not at all, and audited as "mail.queue".

    kind: what the message is ("invitation", "password_reset", "notice", ...), for the
    Managers' list. Returns the outbox row's id, or None when mail is off. Account mail
    (invitations, password links and notices) calls this directly and ignores the
    person's volume; mail about the school's business goes through `notify`.
    unsubscribe: add the one-click unsubscribe link for this person and `kind` (all mail
    but account mail; `to` must be an account).
    """
    prepared = prepare(conn, to, letter, kind=kind, unsubscribe=unsubscribe)
    return None if prepared is None else queue_prepared(conn, who, prepared)


def notify(conn: Connection, who: Identity, user_ids: Iterable[int], letter: Letter, *,
           kind: str) -> list[int]:
    """Tell people of this school something by e-mail: the one function modules call to
    notify (papers published, a reply, an approval waiting, a share...).

    For each active account among `user_ids` (inside the caller's transaction, like
    `queue`), the person's choices apply (gvo.mail.volume): a person who stopped `kind`
    with an unsubscribe link, or wants only account mail ("none"), gets nothing; "digest"
    and "newsletter" hold the notification (its subject, `letter.link` or else the
    template's `link` value, and `letter.ref`) for the next daily digest or weekly
    newsletter; "immediate" queues the message with a one-click unsubscribe link for
    `kind` (see `queue_notice`: notices about one item are gathered). Returns the outbox
    ids queued or gathered into (none when mail is off). The caller decides who may hear
    of the item (only people who may open it); `letter.ref` names the item, so that access
    is checked again when the mail is made; `letter.why` says why they get it. ValueError
    for a `letter.ref` of a type gvo.mail.refs does not know (a bug).
    """
    ids = sorted(set(user_ids))
    if not ids or not enabled(conn):
        return []
    if letter.ref is not None and not refs.known(letter.ref[0]):
        raise ValueError(f"mail about an unregistered kind of item: {letter.ref[0]}")
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        "SELECT id, name, email, mail_volume, EXISTS (SELECT 1 FROM mail_optouts o"
        " WHERE o.user_id = users.id AND o.kind = ?) AS stopped FROM users"
        f" WHERE id IN ({marks}) AND role != 'inactive' ORDER BY id", [kind, *ids]).fetchall()
    out = []
    with transaction(conn):
        for row in rows:
            if row["stopped"] or row["mail_volume"] == "none":
                continue
            if row["mail_volume"] in volume.HELD:
                volume.hold(conn, who, row["id"], kind, letter.subject,
                            letter.link or str(letter.context.get("link", "")), letter.ref)
                continue
            out.append(queue_notice(conn, who, Recipient(row["name"], row["email"], row["id"]),
                                    letter, kind=kind))
    return [i for i in out if i is not None]


def queue_notice(conn: Connection, who: Identity, to: Recipient, letter: Letter, *,
                 kind: str) -> int | None:
    """Queue a notice to an account (with its unsubscribe link), gathering notices of one
    kind about one item (a letter with `ref` and `gathered`) into one message per
    COALESCE_SECONDS, in the manner of Discourse's and Loomio's notification mail: after a
    message about the item went to the person (or is going now), the next waits until
    COALESCE_SECONDS after it, and notices that come meanwhile are gathered into that
    waiting message, rebuilt from the latest letter with the Subject `letter.gathered`
    ("{n}" is their number). Audited as "mail.queue" or "mail.gather". The outbox id, or
    None when mail is off."""
    if not letter.gathered or letter.ref is None:
        return queue(conn, who, to, letter, kind=kind, unsubscribe=True)
    if not enabled(conn):
        return None
    now = clock.now()
    with transaction(conn):
        last = conn.execute(
            "SELECT id, status, next_attempt_at, sent_at, gathered FROM mail_outbox"
            " WHERE user_id = ? AND kind = ? AND ref_type = ? AND ref_id = ?"
            " AND status != 'failed' ORDER BY id DESC LIMIT 1",
            (to.user_id, kind, *letter.ref)).fetchone()
        if last is not None and last["status"] == "queued" and last["next_attempt_at"] > now:
            # Waiting, so not being sent: gather this notice into it.
            n = last["gathered"] + 1
            prepared = prepare(conn, to, replace(
                letter, subject=letter.gathered.replace("{n}", str(n)),
                context=dict(letter.context, gathered=n)), kind=kind, unsubscribe=True)
            conn.execute("UPDATE mail_outbox SET message_id = ?, subject = ?, message = ?,"
                         " gathered = ? WHERE id = ?", (prepared.message_id, prepared.subject,
                                                       prepared.data, n, last["id"]))
            audit.record(conn, who, "mail.gather", f"mail:{last['id']}", kind=kind,
                         to=to.address, user=to.user_id, gathered=n)
            return last["id"]
        at = now
        if last is not None:
            went = last["sent_at"] if last["status"] == "sent" else last["next_attempt_at"]
            if now - went < COALESCE_SECONDS:
                at = went + COALESCE_SECONDS
        prepared = prepare(conn, to, letter, kind=kind, unsubscribe=True)
        return queue_prepared(conn, who, prepared, at=at)


def user_recipient(conn: Connection, user_id: int) -> Recipient:
    """The account `user_id` as a recipient; NotFound if there is none."""
    row = conn.execute("SELECT id, name, email FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise NotFound("no such user")
    return Recipient(row["name"], row["email"], row["id"])


# -- the sender's side --------------------------------------------------------------


def due(conn: Connection, now: float, limit: int) -> list:
    """Queued messages whose time has come, oldest first (id, message_id, recipient,
    message, attempts, created_at, queued_at, user_id, kind, ref_type, ref_id), at most
    `limit`."""
    return conn.execute(
        "SELECT id, message_id, recipient, message, attempts, created_at, queued_at, user_id,"
        " kind, ref_type, ref_id FROM mail_outbox"
        " WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id "
        + paging.limit_clause(limit), (now,)).fetchall()


Rebuild = Callable[[Connection, Any, Identity], "Prepared | None"]
_rebuilders: dict[str, Rebuild] = {}
_link_lifetimes: dict[str, float] = {}


def register_rebuild(kind: str, rebuild: Rebuild) -> None:
    """Make messages of `kind` be built again when they are sent: `rebuild(conn, row,
    person)` (a row of `due`, the recipient's Identity, active) returns the message as it
    should be now, or None when there is nothing left to say to them (the message is then
    withdrawn). For letters naming many items (the newsletter, the digest), which no single
    `ref` describes: built again for the person, they name only what the person may open
    when they are sent (gvo.newsletter.letters registers them)."""
    _rebuilders[kind] = rebuild


def register_link_lifetime(kind: str, seconds: float) -> None:
    """Messages of `kind` carry a one-time link valid `seconds` after they are made (a
    set-up link, a new-password link): once it has expired such a message is not sent (the
    sender fails it, saying why) and a Manager cannot send it again (`retry`)."""
    _link_lifetimes[kind] = seconds


def link_expired(kind: str, created_at: float, now: float) -> bool:
    """Whether a message of `kind` made at `created_at` carries a link dead by `now`."""
    life = _link_lifetimes.get(kind)
    return life is not None and now - created_at >= life


@dataclass(frozen=True)
class Ready:
    """A queued message as it is to go now: envelope recipient and bytes."""

    recipient: str
    data: bytes


def recheck(conn: Connection, row) -> Ready | None:
    """A queued message (a row of `due`) checked again as it is sent, the one check of
    every kind of mail: None (and the message withdrawn, or failed) if it must not go.

    - its person is gone or inactive (made inactive after it was queued): withdrawn;
    - it carries a one-time link that has expired (`register_link_lifetime`): failed, with
      the reason, so a Manager sees it and makes a new link;
    - it is about an item its person may no longer open (`ref`, gvo.mail.refs): withdrawn;
    - its kind is built again when sent (`register_rebuild`: the newsletter, the digest)
      and it waited (tried before, sent again by a Manager, or made over REBUILD_AFTER
      seconds ago): built for the person now (withdrawn if it has nothing left to say),
      keeping its Message-ID (one that goes out within REBUILD_AFTER of being built, with
      access checked as it was built, goes as it is: building it again would cost the
      sender most of its speed for a change that could as well have come a minute later);
    - otherwise its Reply-To is set to the school's current reply-to address (a message
      queued while a bad one was set goes out with the good one).
    """
    now = clock.now()
    person = None
    if row["user_id"] is not None:
        person = Identity.load(conn, row["user_id"])
        if person is None:
            withdraw(conn, row["id"], "the person's account is inactive or gone")
            return None
    if link_expired(row["kind"], row["created_at"], now):
        mark_failed(conn, row["id"], "not sent: its one-time link expired before it could go"
                    " (make a new one)")
        return None
    if row["ref_type"] is not None and not refs.may_open(conn, row["user_id"], row["ref_type"],
                                                         row["ref_id"]):
        withdraw(conn, row["id"], "the person may no longer open the item")
        return None
    rebuild = _rebuilders.get(row["kind"])
    if rebuild is not None and row["attempts"] == 0 and now - row["created_at"] < REBUILD_AFTER:
        rebuild = None  # going out as it was just built: built again only if it waited
    if rebuild is None:
        return Ready(row["recipient"], compose.replace_reply_to(
            bytes(row["message"]), compose.reply_to_header(_setting(conn, "name"),
                                                           reply_to(conn))))
    prepared = rebuild(conn, row, person) if person is not None else None
    if prepared is None:
        withdraw(conn, row["id"], "nothing it named may still be named to the person")
        return None
    data = prepared.data.replace(prepared.message_id.encode(), row["message_id"].encode())
    with transaction(conn):
        conn.execute("UPDATE mail_outbox SET recipient = ?, subject = ?, message = ?"
                     " WHERE id = ? AND status = 'queued'",
                     (prepared.to.address, prepared.subject, data, row["id"]))
    return Ready(prepared.to.address, data)


def withdraw(conn: Connection, message_id: int,
             reason: str = "the person may no longer open the item") -> None:
    """Take back a queued message that must not go (its person lost access to its item, the
    item is gone, the person is inactive): deleted, so nobody sees its subject, and audited
    as "mail.withdrawn" with `reason`."""
    with transaction(conn):
        row = conn.execute("SELECT kind, user_id, ref_type, ref_id FROM mail_outbox"
                           " WHERE id = ? AND status = 'queued'", (message_id,)).fetchone()
        if row is None:
            return
        conn.execute("DELETE FROM mail_outbox WHERE id = ?", (message_id,))
        audit.record(conn, SYSTEM, "mail.withdrawn", f"mail:{message_id}", kind=row["kind"],
                     user=row["user_id"], item=f"{row['ref_type']}:{row['ref_id']}",
                     reason=reason)


def mark_sent(conn: Connection, message_id: int, answer: str) -> None:
    """The SMTP server accepted the message: sent, its body emptied."""
    with transaction(conn):
        conn.execute("UPDATE mail_outbox SET status = 'sent', sent_at = ?, message = x'',"
                     " attempts = attempts + 1, last_error = ? WHERE id = ? AND status = 'queued'",
                     (clock.now(), answer[:500], message_id))


def mark_retry(conn: Connection, message_id: int, reason: str, next_at: float) -> None:
    """A temporary failure: try again at `next_at` (epoch seconds)."""
    with transaction(conn):
        conn.execute("UPDATE mail_outbox SET attempts = attempts + 1, last_error = ?,"
                     " next_attempt_at = ? WHERE id = ? AND status = 'queued'",
                     (reason[:500], next_at, message_id))


def mark_failed(conn: Connection, message_id: int, reason: str) -> None:
    """Give up on a message (a permanent refusal, or temporary ones for too long): it shows
    as failed, with `reason`, to the school's Managers; audited as "mail.failed"."""
    with transaction(conn):
        conn.execute("UPDATE mail_outbox SET status = 'failed', failed_at = ?, last_error = ?,"
                     " attempts = attempts + 1 WHERE id = ? AND status = 'queued'",
                     (clock.now(), reason[:500], message_id))
        audit.record(conn, SYSTEM, "mail.failed", f"mail:{message_id}", reason=reason[:500])


@dataclass(frozen=True)
class OutboxStats:
    """A school's outbox at a glance: messages waiting, when the oldest was queued (epoch
    seconds, or None), failed messages, and when the next is due (epoch seconds, or None)."""

    queued: int
    oldest_queued_at: float | None
    failed: int
    next_due: float | None

    def as_dict(self, now: float) -> dict:
        """For /healthz and `gvo status --json`: counts and the oldest's age in seconds."""
        age = None if self.oldest_queued_at is None else round(now - self.oldest_queued_at, 1)
        return {"queued": self.queued, "oldest_seconds": age, "failed": self.failed}


def stats(conn: Connection) -> OutboxStats:
    """The school's outbox counts (reads only)."""
    row = conn.execute(
        "SELECT sum(status = 'queued'), min(CASE WHEN status = 'queued' THEN queued_at END),"
        " sum(status = 'failed'), min(CASE WHEN status = 'queued' THEN next_attempt_at END)"
        " FROM mail_outbox").fetchone()
    return OutboxStats(row[0] or 0, row[1], row[2] or 0, row[3])


def forget_sent(conn: Connection) -> int:
    """Delete the rows of messages sent more than KEEP_SENT_SECONDS ago; how many."""
    cutoff = clock.now() - KEEP_SENT_SECONDS
    if conn.execute("SELECT 1 FROM mail_outbox WHERE status = 'sent' AND sent_at < ? LIMIT 1",
                    (cutoff,)).fetchone() is None:
        return 0
    with transaction(conn):
        return conn.execute("DELETE FROM mail_outbox WHERE status = 'sent' AND sent_at < ?",
                            (cutoff,)).rowcount


# -- Managers' view -----------------------------------------------------------------------


HIDDEN_SUBJECT = "(about an item you may not open)"


def failed_messages(conn: Connection, viewer: Identity | None = None) -> list[dict]:
    """Messages the sender gave up on, newest first: id, kind, recipient, subject, reason
    (last_error), attempts, failed_at (ISO 8601, UTC: shown with the `moment` filter) and
    expired (its one-time link has expired: it cannot be sent again, see `retry`).
    Given the Manager reading the list (`viewer`), the subject of a message about an item
    they may not open (a room they are not in) is HIDDEN_SUBJECT: its title is not named
    to them."""
    rows = conn.execute(
        "SELECT id, kind, recipient, subject, last_error, attempts, failed_at, created_at,"
        " ref_type, ref_id FROM mail_outbox WHERE status = 'failed'"
        " ORDER BY failed_at DESC, id DESC").fetchall()
    out = []
    now = clock.now()
    for r in rows:
        row = {k: r[k] for k in ("id", "kind", "recipient", "subject", "last_error",
                                 "attempts")} | {"failed_at": clock.iso(r["failed_at"]),
                                                 "expired": link_expired(r["kind"],
                                                                         r["created_at"], now)}
        if viewer is not None and not refs.visible_to(conn, viewer, r["ref_type"], r["ref_id"]):
            row["subject"] = HIDDEN_SUBJECT
        out.append(row)
    return out


def retry(conn: Connection, who: Identity, message_id: int) -> None:
    """Queue a failed message again, now (audited as "mail.retry"); it gets another
    GIVE_UP_SECONDS of temporary failures, and is checked again as it is sent (`recheck`:
    the newsletter and digest built again, nothing to an inactive person or about an item
    they may no longer open). NotFound for no such message, InvalidInput if it has not
    failed (sent, or already queued) or if its one-time link has expired (a set-up or
    new-password link: a new one must be made)."""
    row = conn.execute("SELECT status, recipient, kind, created_at FROM mail_outbox"
                       " WHERE id = ?", (message_id,)).fetchone()
    if row is None:
        raise NotFound("no such message")
    if row["status"] != "failed":
        raise InvalidInput("This message has not failed: it is sent, or waiting to be sent.")
    now = clock.now()
    if link_expired(row["kind"], row["created_at"], now):
        raise InvalidInput("This message is not sent again: the one-time link in it has "
                           "expired. Make a new set-up link (People) or ask the person to "
                           "use “Forgotten your password?” again.")
    slug = school_slug(conn)
    with transaction(conn):
        conn.execute("UPDATE mail_outbox SET status = 'queued', queued_at = ?,"
                     " next_attempt_at = ?, attempts = 0, failed_at = NULL WHERE id = ?",
                     (now, now, message_id))
        audit.record(conn, who, "mail.retry", f"mail:{message_id}", to=row["recipient"])
        after_commit(conn, lambda: _wake(slug))
