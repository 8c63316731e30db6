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
"""

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from gvo.core import audit, clock
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound
from gvo.core.identity import Identity
from gvo.mail import compose, config
from gvo.mail.compose import Letter, Recipient
from gvo.storage.sqlcipher import Connection, after_commit, database_path

GIVE_UP_SECONDS = 48 * 3600  # temporary failures this long after queueing: failed
KEEP_SENT_SECONDS = 30 * 24 * 3600  # a sent message's row (no body) is kept this long
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


def enabled() -> bool:
    """Whether this office sends mail (GVO_SMTP_URL and GVO_MAIL_FROM are set)."""
    return config.current().enabled


def compose_for(conn: Connection, to: Recipient, letter: Letter):
    """The message `letter` makes for `to` in this school (not queued): for queueing, for
    `gvo mail test`, and for equal work when there is no one to send to."""
    return compose.build(config.current(), school_name=_setting(conn, "name"),
                         school_url=school_url(conn), reply_to=reply_to(conn), to=to,
                         letter=letter)


def queue(conn: Connection, who: Identity, to: Recipient, letter: Letter, *,
          kind: str) -> int | None:
    """Queue one message to `to`, inside the caller's transaction (or its own): the mail is
    committed with the change it tells of, or not at all, and audited as "mail.queue".

    kind: what the message is ("invitation", "password_reset", "notice", ...), for the
    Managers' list. Returns the outbox row's id, or None when mail is off. Account mail
    (invitations, password links and notices) calls this directly; mail about the
    school's business goes through `notify`.
    """
    if not enabled():
        return None
    msg = compose_for(conn, to, letter)
    data = msg.as_bytes()
    now = clock.now()
    slug = school_slug(conn)
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO mail_outbox(message_id, kind, user_id, recipient, subject, message,"
            " created_at, queued_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (msg["Message-ID"].strip("<>"), kind, to.user_id, to.address, str(msg["Subject"]),
             data, now, now, now))
        audit.record(conn, who, "mail.queue", f"mail:{cur.lastrowid}", kind=kind,
                     to=to.address, user=to.user_id)
        after_commit(conn, lambda: _wake(slug))
    return cur.lastrowid


def notify(conn: Connection, who: Identity, user_ids: Iterable[int], letter: Letter, *,
           kind: str) -> list[int]:
    """Tell people of this school something by e-mail: the one function modules call to
    notify (papers published, a reply, an approval waiting, a share...).

    Queues `letter` for each active account among `user_ids` (inside the caller's
    transaction, like `queue`); returns the outbox ids (none when mail is off). The caller
    decides who may hear of the item (only people who may open it); `letter.why` says why
    they get it. This is where each person's choices about mail (immediate, a digest, the
    newsletter only, nothing but account mail) will apply: callers need not change.
    """
    ids = sorted(set(user_ids))
    if not ids or not enabled():
        return []
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT id, name, email FROM users WHERE id IN ({marks})"
                        " AND role != 'inactive' ORDER BY id", ids).fetchall()
    out = []
    with transaction(conn):
        for row in rows:
            out.append(queue(conn, who, Recipient(row["name"], row["email"], row["id"]), letter,
                             kind=kind))
    return [i for i in out if i is not None]


def user_recipient(conn: Connection, user_id: int) -> Recipient:
    """The account `user_id` as a recipient; NotFound if there is none."""
    row = conn.execute("SELECT id, name, email FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise NotFound("no such user")
    return Recipient(row["name"], row["email"], row["id"])


# -- the sender's side --------------------------------------------------------------


def due(conn: Connection, now: float, limit: int) -> list:
    """Queued messages whose time has come, oldest first (id, recipient, message,
    attempts, queued_at), at most `limit`."""
    return conn.execute(
        "SELECT id, recipient, message, attempts, queued_at FROM mail_outbox"
        " WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id"
        " LIMIT ?", (now, limit)).fetchall()


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


def failed_messages(conn: Connection) -> list[dict]:
    """Messages the sender gave up on, newest first: id, kind, recipient, subject, reason
    (last_error), attempts, and failed_at (ISO 8601, UTC: shown with the `moment` filter)."""
    rows = conn.execute(
        "SELECT id, kind, recipient, subject, last_error, attempts, failed_at"
        " FROM mail_outbox WHERE status = 'failed' ORDER BY failed_at DESC, id DESC").fetchall()
    return [dict(r) | {"failed_at": clock.iso(r["failed_at"])} for r in rows]


def retry(conn: Connection, who: Identity, message_id: int) -> None:
    """Queue a failed message again, now (audited as "mail.retry"); it gets another
    GIVE_UP_SECONDS of temporary failures. NotFound for no such message, InvalidInput if
    it has not failed (sent, or already queued)."""
    row = conn.execute("SELECT status, recipient FROM mail_outbox WHERE id = ?",
                       (message_id,)).fetchone()
    if row is None:
        raise NotFound("no such message")
    if row["status"] != "failed":
        raise InvalidInput("This message has not failed: it is sent, or waiting to be sent.")
    now = clock.now()
    slug = school_slug(conn)
    with transaction(conn):
        conn.execute("UPDATE mail_outbox SET status = 'queued', queued_at = ?,"
                     " next_attempt_at = ?, attempts = 0, failed_at = NULL WHERE id = ?",
                     (now, now, message_id))
        audit.record(conn, who, "mail.retry", f"mail:{message_id}", to=row["recipient"])
        after_commit(conn, lambda: _wake(slug))
