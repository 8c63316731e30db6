"""Live work on one school while `gvo serve` runs: a rekey, and the last sync of a move.

The operator's command (`gvo school rekey`, `gvo school move`) runs in a process of its own,
and the school's connections and its replicator live in the server's: so the command asks,
with a row in the control database (`school_requests`, control migration 0003), and the
server does the work. Its `Watcher` thread reads the pending rows every POLL_SECONDS and,
for each:

1. pauses the school in this process: no request gets its connection any more (they answer
   503 "back in a moment" with Retry-After, gvo.web.errors), and waits for the requests in
   flight to finish (up to DRAIN_SECONDS);
2. holds its replicator: a last round ships every commit and checkpoints, its connections
   close (gvo.replication.service.Replicator.hold);
3. a rekey re-encrypts the file under a new data key (gvo.replication.rekey) and releases the
   replicator, whose first round starts a new generation under the new key; a move records
   where the school went (`moved_schools`) and drops the replicator: the new server
   replicates the school from then on;
4. resumes the school, and answers the row (done or failed, with a message).

Other schools are not touched: their connections and rounds go on throughout. Without a
running server the commands do the same work themselves (`rekey_offline`, `move_offline`).
docs/decisions/0012-one-school-one-node.md explains the move.
"""

import contextlib
import logging
import threading
import time
import urllib.parse
from dataclasses import dataclass

from gvo.core import clock
from gvo.core.errors import GvoError, InvalidInput
from gvo.lifecycle import operator_log
from gvo.storage.sqlcipher import transaction

log = logging.getLogger("gvo.replication")

POLL_SECONDS = 0.25  # how often the server looks for asked work
DRAIN_SECONDS = 20.0  # requests in flight on the school get this long to finish
PICKUP_SECONDS = 30.0  # a command waits this long for the server to take its request up
WORK_SECONDS = 600.0  # ... and this long for the work to be done


@dataclass(frozen=True)
class Answer:
    """How the server answered a request: state 'done' or 'failed', and what it said."""

    state: str
    message: str

    @property
    def done(self) -> bool:
        """Whether the work was done."""
        return self.state == "done"


def check_moved_to(url: str) -> str:
    """The address a moved school is served at: an absolute http(s) URL, else InvalidInput."""
    url = url.strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise InvalidInput(f"{url!r} is not an http(s) address (e.g. https://new.example.org/"
                           "slug/)", field="to")
    return url


# -- the command's side ---------------------------------------------------------------


def ask(instance, slug: str, action: str, moved_to: str | None = None) -> int:
    """Ask the running server to rekey or move the school; returns the request's id."""
    with transaction(instance.control()) as conn:
        return conn.execute(
            "INSERT INTO school_requests(slug, action, moved_to, asked_at) VALUES (?, ?, ?, ?)",
            (slug, action, moved_to, clock.iso())).lastrowid


def wait(instance, request_id: int, *, pickup_seconds: float = PICKUP_SECONDS,
         work_seconds: float = WORK_SECONDS) -> Answer:
    """Wait for the server's answer to a request. GvoError if no server takes it up within
    pickup_seconds (the request is withdrawn) or it is not done within work_seconds."""
    conn = instance.control()
    asked = time.monotonic()
    while True:
        row = conn.execute("SELECT state, message FROM school_requests WHERE id = ?",
                           (request_id,)).fetchone()
        if row["state"] in ("done", "failed"):
            return Answer(row["state"], row["message"] or "")
        waited = time.monotonic() - asked
        if row["state"] == "asked" and waited > pickup_seconds:
            with transaction(conn):
                taken = conn.execute("UPDATE school_requests SET state = 'withdrawn' "
                                     "WHERE id = ? AND state = 'asked'", (request_id,)).rowcount
            if taken:
                raise GvoError("the running server did not take the request up: is it a GVO "
                               "older than this command? Stop it and run the command again")
            continue
        if waited > work_seconds:
            raise GvoError("the server has not finished yet: see its log, and `gvo status`")
        time.sleep(0.05)


# -- the server's side --------------------------------------------------------------------


class Watcher:
    """The server's thread that does the work commands ask for (see the module's doc)."""

    def __init__(self, instance, replicator, *, drain_seconds: float = DRAIN_SECONDS):
        self.instance = instance
        self.replicator = replicator
        self.drain_seconds = drain_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gvo-live-work", daemon=True)

    def start(self) -> "Watcher":
        """Start looking for requests (those left from a server that stopped first)."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop looking (work under way finishes first)."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self._take_up()
            except Exception:  # a bug must not stop the server's other work
                log.exception("live work: looking for requests failed")
            finally:
                with contextlib.suppress(Exception):
                    self.instance.release()

    def _take_up(self) -> None:
        conn = self.instance.control()
        rows = conn.execute("SELECT id, slug, action, moved_to FROM school_requests "
                            "WHERE state = 'asked' ORDER BY id").fetchall()
        for row in rows:
            with transaction(conn):
                taken = conn.execute("UPDATE school_requests SET state = 'working' "
                                     "WHERE id = ? AND state = 'asked'", (row["id"],)).rowcount
            if not taken:
                continue  # withdrawn meanwhile
            try:
                message = self.perform(row["slug"], row["action"], row["moved_to"])
                state = "done"
            except Exception as exc:  # noqa: BLE001 - told to the operator who asked
                if not isinstance(exc, GvoError):
                    log.exception("live %s of %s failed", row["action"], row["slug"])
                state, message = "failed", str(exc)
            with transaction(conn):
                conn.execute("UPDATE school_requests SET state = ?, message = ?, done_at = ? "
                             "WHERE id = ?", (state, message, clock.iso(), row["id"]))
            log.info("live %s of %s: %s: %s", row["action"], row["slug"], state, message)

    def perform(self, slug: str, action: str, moved_to: str | None) -> str:
        """Rekey or move the school in this server; returns what to tell the operator.
        GvoError (the school left as it was, serving) if it could not be done."""
        from gvo.replication.rekey import rekey_school

        inst, rep = self.instance, self.replicator
        record = inst.school(slug)
        if record.moved_to:
            raise GvoError(f"school {slug} has moved to {record.moved_to}")
        inst.pause_school(slug)
        held = False
        try:
            if not inst.wait_released(slug, self.drain_seconds):
                raise GvoError(f"requests to {slug} did not finish within "
                               f"{self.drain_seconds:.0f} s; try again when it is quieter")
            held, synced = rep.hold(slug)
            if not held:
                raise GvoError(f"school {slug}: {synced}")
            inst.close_school(slug)
            if action == "move":
                inst.mark_moved(slug, moved_to, also=operator_log.moved(slug, moved_to))
                rep.drop(slug)
                held = False
                return f"{synced}; {slug} now answers that it moved to {moved_to}"
            version = rekey_school(inst, slug)
            inst.resume_school(slug)  # serving again while the new generation is made
            held = False
            ok, replicated = rep.release(slug, first_round=True)
            return f"{slug} now uses data key version {version}; {replicated}"
        finally:
            if held:
                rep.release(slug)
            inst.resume_school(slug)


# -- without a running server ----------------------------------------------------------------


def move_offline(instance, target, slug: str, moved_to: str) -> str:
    """Move with no server running: the last sync by this process, then the school is marked
    moved, under the school's replication lock throughout (so no server starts replicating
    it meanwhile). GvoError (nothing marked) if the sync fails or a server runs."""
    from gvo.replication.shipper import Busy, SchoolShipper, acquire_lock

    try:
        lock = acquire_lock(instance.path, slug)
    except Busy:
        raise GvoError(f"school {slug} is being served; ask again (the running server "
                       "does the move)") from None
    try:
        shipper = SchoolShipper(instance, slug, target)
        try:
            shipper.open(lock=False)
            done = shipper.step(checkpoint=True) and shipper._drained
        finally:
            shipper.close()
        if not done:
            raise GvoError(f"the last sync of {slug} to {target.url} did not complete "
                           f"({shipper.last_error}); the school stays here")
        instance.mark_moved(slug, moved_to, also=operator_log.moved(slug, moved_to))
    finally:
        lock.close()
    return (f"every commit shipped (generation {shipper.generation.id}, segment "
            f"{shipper.seq}); {slug} now answers that it moved to {moved_to}")
