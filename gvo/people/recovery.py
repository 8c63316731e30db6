""""Forgotten password": a one-time link by e-mail to choose a new password.

The request gives the same answer, and does the same work, whether or not the address
belongs to an account: a link is made and a message built either way, and one row is
written (the request is counted by the throttle, and audited). Only an active account's
owner gets the message. Requests are throttled per address typed and per client address
(gvo.security.throttle, RESET). A link works once, for an hour, and ends the account's
credentials like any new password (sessions, sign-ins in progress, the calendar feed); it
never signs anyone in, so two-step sign-in is still asked afterwards (OWASP Forgot
Password Cheat Sheet; ASVS 2.5).
"""

import secrets

from gvo.core import addresses, audit, clock
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.mail import outbox
from gvo.mail.compose import Letter, Recipient
from gvo.people.accounts import ACCOUNT_MAIL_WHY, Ended, store_password, token_hash
from gvo.security import throttle
from gvo.storage.sqlcipher import Connection

LINK_MINUTES = 60
outbox.register_link_lifetime("password_reset", LINK_MINUTES * 60)
MAX_EMAIL = 254


def available(conn: Connection) -> bool:
    """Whether people of the school can ask for a link (it sends mail: not so without an
    SMTP server, nor in the demo school); without it, the sign-in page says to ask the
    clerk, as before."""
    return outbox.enabled(conn)


def request_link(conn: Connection, email: str, ip: str) -> None:
    """Someone asks for a new-password link for `email` from client address `ip`.

    Returns nothing either way (the page says "if an account uses that address, a link is
    on its way"). Raises throttle.Throttled when too many requests came for that address
    or from that client (the same whether the account exists or not), InvalidInput when
    mail is off.
    """
    if not available(conn):
        raise InvalidInput("This office does not send e-mail: ask your clerk for a set-up link.")
    email = addresses.lookup_form(email[:MAX_EMAIL])
    throttle.check(conn, email, ip, step=throttle.RESET, audit_as="password.reset_throttled")
    user = conn.execute("SELECT * FROM users WHERE email = ? AND role != 'inactive'",
                        (email,)).fetchone()
    token = secrets.token_urlsafe(32)
    link = f"{outbox.school_url(conn)}/password/reset/{token}"
    letter = Letter("password_reset", "Choose a new password", ACCOUNT_MAIL_WHY,
                    {"link": link, "minutes": LINK_MINUTES})
    with transaction(conn):
        throttle.count(conn, email, ip, throttle.RESET)
        if user is None:
            # The same work as for an account: the message is built, then dropped.
            outbox.compose_for(conn, Recipient("", "nobody@invalid"), letter).as_bytes()
            audit.record(conn, Identity.claimed(None, email, ip), "password.reset_request",
                         "", known=False)
            return
        conn.execute("INSERT INTO password_resets(token_hash, user_id, expires_at)"
                     " VALUES (?, ?, ?)",
                     (token_hash(token), user["id"], clock.now() + LINK_MINUTES * 60))
        who = Identity.claimed(user["id"], email, ip)
        audit.record(conn, who, "password.reset_request", f"user:{user['id']}", known=True)
        outbox.queue(conn, who, Recipient(user["name"], user["email"], user["id"]), letter,
                     kind="password_reset")


def user_for_link(conn: Connection, token: str):
    """The active account a live link belongs to, or None if unknown, used or expired.
    Reads only."""
    if not isinstance(token, str) or len(token) > 100:
        return None
    return conn.execute(
        "SELECT u.* FROM password_resets r JOIN users u ON u.id = r.user_id"
        " WHERE r.token_hash = ? AND r.used_at IS NULL AND r.expires_at > ?"
        " AND u.role != 'inactive'", (token_hash(token), clock.now())).fetchone()


def choose_password(conn: Connection, token: str, password: str, ip: str) -> Ended:
    """Set a new password through a link, which is then used up; the account's credentials
    end (gvo.people.accounts.CREDENTIAL_EVENTS, "password_set") and its owner is told by
    e-mail. Returns what ended; InvalidInput for a dead link or a weak password. Signs no
    one in."""
    user = user_for_link(conn, token)
    if user is None:
        raise InvalidInput("This link has expired or was already used. Ask for a new one on "
                           "the sign-in page.")
    actor = Identity.of_account(user, ip=ip)
    return store_password(conn, actor, user, password, "user.password_reset", "password_set",
                          link=("password_resets", token))
