"""The one mail sender of `gvo serve`: every school's outbox, one thread, smtplib.

One thread ("gvo-mail") sends for all schools, whatever their number (decision 0007): it
visits a school when a transaction there queued mail (the commit wakes it), when a
message's retry time comes, at start (mail queued before a stop or a crash), and every
SWEEP_SECONDS (mail queued by another process, such as a CLI command). It plans no work
of its own: timed work (the newsletter, the digest, reminders) is the scheduler's
(gvo.newsletter.schedule, decision 0009). Between visits a school costs nothing: its
connection goes back to the pool.

Answers of the SMTP server (RFC 5321, 4.2.1): 2xx accepted (the message is marked sent);
4xx a temporary failure (retried after RETRY_BASE_SECONDS, doubling up to
RETRY_MAX_SECONDS, until GIVE_UP_SECONDS after it was queued: then failed); 5xx a
permanent refusal (failed at once, with the server's reason). A server that cannot be
reached (refused, timed out, TLS or login failing) fails no message: the sender waits,
doubling up to RETRY_MAX_SECONDS, and /healthz reports it. One connection carries every
message of a pass and is closed when the sender goes idle.

At least once: a message is marked sent in its own transaction after the server accepted
it, so only a crash between the two sends it again. Every message is checked again as it
is sent (gvo.mail.outbox.recheck): one to a person made inactive since, or about an item
its person may no longer open, is withdrawn, never sent; one whose one-time link expired
fails; the newsletter and the digest are built again for their person.
"""

import contextlib
import logging
import smtplib
import ssl
import threading

from gvo.core import clock
from gvo.mail import outbox
from gvo.mail.config import MailSettings, SmtpSettings

log = logging.getLogger("gvo.mail")

RETRY_BASE_SECONDS = 30.0
RETRY_MAX_SECONDS = 1800.0
SWEEP_SECONDS = 300.0
BATCH = 50  # messages of one school per visit (then the others get a turn)
UNREACHABLE_DEGRADED_SECONDS = 300.0  # /healthz: degraded when the server is down this long
# /healthz: degraded when a message has waited this long since it was queued, whether or
# not a send was tried: the longest a notice waits on purpose (outbox.COALESCE_SECONDS,
# gathering) and five minutes more, so monitoring hears of an outage within a quarter hour.
OLDEST_DEGRADED_SECONDS = outbox.COALESCE_SECONDS + 300.0
STOP_SECONDS = 10.0


class Unreachable(Exception):
    """The SMTP server could not be reached or would not talk (no message is at fault)."""


class Refused(Exception):
    """The SMTP server refused one message: `code` (4xx temporary, 5xx permanent) and its
    words."""

    def __init__(self, code: int, words: str):
        super().__init__(f"{code} {words}")
        self.code = code
        self.permanent = 500 <= code < 600


def _words(resp) -> str:
    return (resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)).strip()


def connect(smtp: SmtpSettings) -> smtplib.SMTP:
    """An SMTP conversation ready for messages (TLS as the settings ask, logged in);
    Unreachable if the server cannot be reached, lacks STARTTLS, or refuses the login."""
    try:
        if smtp.security == "tls":
            conn = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout,
                                    context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        try:
            conn.ehlo()
            if smtp.security == "starttls":
                if not conn.has_extn("starttls"):
                    raise Unreachable(f"{smtp.host} does not offer STARTTLS, which is required "
                                      "(only a loopback relay may use ?starttls=off)")
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            if smtp.username:
                conn.login(smtp.username, smtp.password)
        except BaseException:
            with contextlib.suppress(Exception):
                conn.close()
            raise
    except Unreachable:
        raise
    except (OSError, smtplib.SMTPException) as exc:
        raise Unreachable(f"{smtp.describe()}: {exc or type(exc).__name__}") from None
    return conn


def deliver(conn: smtplib.SMTP, envelope_from: str, recipient: str, data: bytes) -> str:
    """Hand one message to the server; returns its answer ("250 2.0.0 Ok: queued as ...").

    Refused for an answer that is not acceptance (the conversation is reset for the next
    message); Unreachable if the connection broke.
    """
    if not recipient.isascii():
        # Needs SMTPUTF8 (RFC 6531), which this sender does not speak: a permanent refusal.
        raise Refused(553, "an address with characters beyond ASCII cannot be sent to")
    try:
        code, resp = conn.mail(envelope_from)
        if code != 250:
            raise Refused(code, _words(resp))
        code, resp = conn.rcpt(recipient)
        if code not in (250, 251):
            raise Refused(code, _words(resp))
        code, resp = conn.data(data)
        if code != 250:
            raise Refused(code, _words(resp))
        return f"{code} {_words(resp)}"
    except Refused:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            conn.rset()
        raise
    except smtplib.SMTPResponseException as exc:  # e.g. 421 on a command: closing
        raise Refused(exc.smtp_code, _words(exc.smtp_error)) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise Unreachable(f"connection lost: {exc or type(exc).__name__}") from None


def send_now(settings: MailSettings, recipient: str, data: bytes) -> str:
    """Send one message at once (`gvo mail test`): the server's answer; Refused or
    Unreachable otherwise."""
    conn = connect(settings.smtp)
    try:
        return deliver(conn, settings.sender.addr_spec, recipient, data)
    finally:
        with contextlib.suppress(Exception):
            conn.quit()


class Sender:
    """The running mail sender of one `gvo serve` (see the module's docstring).

    retry_base, retry_max: seconds of the first and the longest wait after a temporary
    failure; give_up: seconds after queueing when temporary failures become a failure;
    sweep: seconds between visits to every school. Tests shrink them.
    """

    def __init__(self, instance, settings: MailSettings, *,
                 retry_base: float = RETRY_BASE_SECONDS, retry_max: float = RETRY_MAX_SECONDS,
                 give_up: float = outbox.GIVE_UP_SECONDS, sweep: float = SWEEP_SECONDS,
                 batch: int = BATCH):
        self.instance = instance
        self.settings = settings
        self.retry_base, self.retry_max = retry_base, retry_max
        self.give_up, self.sweep, self.batch = give_up, sweep, batch
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._stop = threading.Event()
        self._woken: set[str] = set()
        self._due: dict[str, float] = {}  # school -> when to visit next (epoch seconds)
        self._stats: dict[str, outbox.OutboxStats] = {}
        self._smtp: smtplib.SMTP | None = None
        self._blocked_until = 0.0  # the server was unreachable: not before this
        self._backoff = 0.0
        self.unreachable_since: float | None = None
        self.last_error: str | None = None
        self.sent = 0
        self._thread = threading.Thread(target=self._run, name="gvo-mail", daemon=True)

    # -- life --------------------------------------------------------------------------

    def start(self) -> "Sender":
        """Start the thread; it visits every school first (mail queued before a stop)."""
        # The modules whose kinds of mail are checked in their own way as they are sent
        # (outbox.register_rebuild, register_link_lifetime) register before any is sent.
        import gvo.newsletter.letters  # noqa: F401
        import gvo.people.recovery  # noqa: F401

        outbox.add_waker(self.wake)
        self._thread.start()
        return self

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Stop after the message being sent (if any); queued mail waits for the next start."""
        outbox.remove_waker(self.wake)
        self._stop.set()
        self._event.set()
        self._thread.join(timeout)

    def wake(self, slug: str) -> None:
        """Mail was queued in school `slug`: visit it now."""
        with self._lock:
            self._woken.add(slug)
        self._event.set()

    # -- the loop ----------------------------------------------------------------------

    def _run(self) -> None:
        next_sweep = 0.0
        while not self._stop.is_set():
            try:
                now = clock.now()
                if now >= next_sweep:
                    self._sweep(now)
                    next_sweep = now + self.sweep
                with self._lock:
                    for slug in self._woken:
                        self._due[slug] = now
                    self._woken.clear()
                    ready = sorted((t, s) for s, t in self._due.items() if t <= now)
                if ready and now >= self._blocked_until:
                    for _t, slug in ready:
                        if self._stop.is_set() or not self._visit(slug):
                            break
                    continue  # look again at once: more may be due, or were woken meanwhile
                self._close()
                if ready:  # the server was unreachable: wait for the next try
                    nxt = min(next_sweep, self._blocked_until)
                else:
                    with self._lock:
                        nxt = min([next_sweep, *self._due.values()])
                self._event.wait(max(0.0, min(nxt - clock.now(), self.sweep)))
                self._event.clear()
            except Exception:  # a bug must not stop mail silently
                log.exception("mail: the sender failed; trying again")
                self._stop.wait(1.0)
            finally:
                self.instance.release()
        self._close()
        self.instance.release()

    def _sweep(self, now: float) -> None:
        try:
            slugs = {s.slug for s in self.instance.schools()}
        except Exception:
            log.exception("mail: cannot list schools")
            return
        with self._lock:
            for slug in list(self._due):
                if slug not in slugs:
                    del self._due[slug]
                    self._stats.pop(slug, None)
            for slug in slugs:
                self._due[slug] = now

    def _visit(self, slug: str) -> bool:
        """Send what is due in one school; False if the server could not be reached."""
        try:
            conn = self.instance.db(slug)
        except Exception as exc:  # gone, or being restored
            log.warning("mail: cannot open %s: %s", slug, exc)
            with self._lock:
                self._due.pop(slug, None)
            return True
        reachable = True
        try:
            rows = outbox.due(conn, clock.now(), self.batch)
            for row in rows:
                if self._stop.is_set():
                    break
                if not self._send(conn, slug, row):
                    reachable = False
                    break
        finally:
            outbox.forget_sent(conn)
            st = outbox.stats(conn)
            now = clock.now()
            more = len(rows) == self.batch and reachable
            with self._lock:
                self._stats[slug] = st
                if more:
                    self._due[slug] = now
                elif st.next_due is None:
                    self._due.pop(slug, None)
                else:
                    self._due[slug] = st.next_due
            self.instance.release()
        return reachable

    def _send(self, conn, slug: str, row) -> bool:
        """One message; False if the server could not be reached (the message waits). It is
        checked again first (gvo.mail.outbox.recheck): withdrawn or failed rather than sent
        when it must not go, built again when its kind is (the newsletter, the digest)."""
        ready = outbox.recheck(conn, row)
        if ready is None:
            return True
        try:
            if self._smtp is None:
                self._smtp = connect(self.settings.smtp)
            answer = deliver(self._smtp, self.settings.sender.addr_spec, ready.recipient,
                             ready.data)
        except Unreachable as exc:
            self._close()
            self._unreachable(str(exc))
            return False
        except Refused as exc:
            self._reachable()
            now = clock.now()
            if exc.permanent:
                outbox.mark_failed(conn, row["id"], f"refused by the mail server: {exc}")
            elif now - row["queued_at"] >= self.give_up:
                outbox.mark_failed(conn, row["id"], f"still refused after {row['attempts'] + 1}"
                                   f" attempts over {int(now - row['queued_at']) // 3600} hours:"
                                   f" {exc}")
            else:
                wait = min(self.retry_max, self.retry_base * 2 ** row["attempts"])
                outbox.mark_retry(conn, row["id"], f"{exc}", now + wait)
            return True
        self._reachable()
        outbox.mark_sent(conn, row["id"], answer)
        self.sent += 1
        return True

    def _unreachable(self, reason: str) -> None:
        now = clock.now()
        self._backoff = min(self.retry_max, max(self._backoff * 2, min(1.0, self.retry_base)))
        self._blocked_until = now + self._backoff
        if self.unreachable_since is None:
            self.unreachable_since = now
            log.warning("mail: %s; queued mail waits", reason)
        self.last_error = reason

    def _reachable(self) -> None:
        self._backoff, self._blocked_until = 0.0, 0.0
        self.unreachable_since, self.last_error = None, None

    def _close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(Exception):
                self._smtp.quit()
            with contextlib.suppress(Exception):
                self._smtp.close()
            self._smtp = None

    # -- status --------------------------------------------------------------------------

    def school_stats(self, slug: str) -> outbox.OutboxStats | None:
        """The school's outbox as the sender last saw it (None: not visited yet)."""
        with self._lock:
            return self._stats.get(slug)

    def health(self) -> dict:
        """The /healthz part: the outbox of every school (queued, oldest age, failures) and
        the server's state; "degraded" as `is_degraded` says."""
        now = clock.now()
        with self._lock:
            schools = {slug: st.as_dict(now) for slug, st in sorted(self._stats.items())}
        oldest = max((s["oldest_seconds"] or 0 for s in schools.values()), default=0)
        part = {"server": self.settings.smtp.describe(), "reachable": self.last_error is None,
                "error": self.last_error,
                "queued": sum(s["queued"] for s in schools.values()),
                "oldest_seconds": oldest,
                "failed": sum(s["failed"] for s in schools.values()),
                "schools": {k: v for k, v in schools.items() if v["queued"] or v["failed"]}}
        out = {"mail": part}
        unreachable_for = None if self.unreachable_since is None else \
            now - self.unreachable_since
        if is_degraded(oldest, unreachable_for):
            out["status"] = "degraded"
        return out


def is_degraded(oldest_seconds: float, unreachable_for: float | None) -> bool:
    """Whether mail is degraded (for /healthz): the SMTP server unreachable for over
    UNREACHABLE_DEGRADED_SECONDS (`unreachable_for` in seconds, None while reachable), or
    a message waiting (`oldest_seconds` since it was queued) for over
    OLDEST_DEGRADED_SECONDS, tried or not."""
    return ((unreachable_for is not None and unreachable_for > UNREACHABLE_DEGRADED_SECONDS)
            or oldest_seconds > OLDEST_DEGRADED_SECONDS)


def start(app, instance, settings: MailSettings | None = None, **options) -> Sender | None:
    """Start the sender for every school of `instance` and add its /healthz part to `app`;
    None (and /healthz says mail is off) when no SMTP server is set."""
    from gvo.mail import config

    settings = settings or config.current()
    if not settings.enabled:
        if app is not None:
            app.extensions.setdefault("gvo_health", []).append(
                lambda: {"mail": {"configured": False}})
        return None
    sender = Sender(instance, settings, **options).start()
    if app is not None:
        app.extensions.setdefault("gvo_health", []).append(sender.health)
        app.extensions["gvo_mail_sender"] = sender
    log.info("sending mail through %s", settings.smtp.describe())
    return sender
