"""Replication inside `gvo serve`: a thread per school, health and backup-status hooks.

Also the one-shot form (`gvo replicate --once`, and CLI commands that wrote to
a school) and where the replica URL comes from.
"""

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from gvo.replication.shipper import Busy, Options, SchoolShipper, ShipperThread
from gvo.replication.targets import Target, open_target
from gvo.storage import files

log = logging.getLogger("gvo.replication")

URL_ENV = "GVO_REPLICA_URL"
LAG_DEGRADED_SECONDS = 60.0
SCAN_SECONDS = 2.0


def default_url(instance_path: Path) -> str:
    """<instance>/replicas as a file URL: convenient, but on the same disk."""
    return (Path(instance_path).resolve() / "replicas").as_uri()


def _saved_url_file(instance_path: Path) -> Path:
    return Path(instance_path) / "replication" / "target"


def resolve_url(instance_path: Path, url: str | None = None) -> str:
    """The replica URL: given, else $GVO_REPLICA_URL, else the one `gvo serve` last used,
    else <instance>/replicas."""
    if url:
        return url
    if os.environ.get(URL_ENV):
        return os.environ[URL_ENV]
    saved = _saved_url_file(instance_path)
    if saved.exists() and saved.read_text().strip():
        return saved.read_text().strip()
    return default_url(instance_path)


def remember_url(instance_path: Path, url: str) -> None:
    """Record the serving replica URL so CLI writers ship to the same place."""
    saved = _saved_url_file(instance_path)
    files.private_dir(saved.parent)
    tmp = saved.with_suffix(".tmp")
    with files.open_private(tmp, "w") as f:
        f.write(url + "\n")
    os.replace(tmp, saved)


def prepare_target(instance_path: Path, url: str) -> Target:
    """Open the target; a file target's folder is made (0700) on first use if its parent
    exists."""
    target = open_target(url)
    root = target.local_path()
    if root is not None and not root.exists() and root.parent.is_dir():
        files.private_dir(root)
    return target


def same_disk(instance_path: Path, target: Target) -> bool:
    """Whether a file target lives on the instance's own disk (then it is no backup)."""
    root = target.local_path()
    if root is None:
        return False
    try:
        return os.stat(root).st_dev == os.stat(instance_path).st_dev
    except OSError:
        return False


def human_ago(seconds: float) -> str:
    """'3 seconds ago', '5 minutes ago'..."""
    seconds = max(0, int(seconds))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now" if seconds < 2 else f"{seconds} seconds ago"


@dataclass
class BackupStatus:
    """What a Manager sees on the settings page."""

    last_backed_up: str | None
    note: str = ""


class Replicator:
    """The running replication service of one `gvo serve`."""

    def __init__(self, instance, target: Target, options: Options | None = None,
                 interval: float = 0.1):
        self.instance = instance
        self.target = target
        self.options = options or Options()
        self.interval = interval
        self.threads: dict[str, ShipperThread] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._supervisor = threading.Thread(target=self._supervise, name="gvo-replication",
                                            daemon=True)
        self.same_disk = same_disk(instance.path, target)

    def start(self) -> "Replicator":
        """Start a thread per school, and a supervisor that picks up new schools."""
        self._scan()
        self._supervisor.start()
        return self

    def _scan(self) -> None:
        try:
            slugs = [s.slug for s in self.instance.schools()]
        except Exception:
            log.exception("replication: cannot list schools")
            return
        for slug in slugs:
            with self._lock:
                if slug in self.threads or self._stop.is_set():
                    continue
            shipper = SchoolShipper(self.instance, slug, self.target, self.options)
            try:
                shipper.open()
            except Busy:
                continue  # a CLI command is shipping it right now; try again later
            except Exception:
                log.exception("replication of %s: cannot start", slug)
                continue
            thread = ShipperThread(shipper, self.interval)
            with self._lock:
                self.threads[slug] = thread
            thread.start()

    def _supervise(self) -> None:
        while not self._stop.wait(SCAN_SECONDS):
            self._scan()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop every thread after a last round (ship, checkpoint), then release locks."""
        self._stop.set()
        self._supervisor.join(timeout)
        with self._lock:
            threads = list(self.threads.values())
        for t in threads:
            t.stop()
        for t in threads:
            t.join(timeout)
            t.shipper.close()

    # -- status --------------------------------------------------------------

    def school_status(self, slug: str) -> dict:
        """Last shipped commit, lag and target health of one school."""
        with self._lock:
            thread = self.threads.get(slug)
        if thread is None:
            return {"running": False}
        s = thread.shipper
        lag = s.lag()
        return {
            "running": True,
            "last_commit_at": s.last_commit_at,
            "lag_seconds": None if lag == float("inf") else round(lag, 3),
            "target_ok": s.last_error is None,
            "error": s.last_error,
            "generation": s.generation.id if s.generation else None,
        }

    def health(self) -> dict:
        """The /healthz part: degraded when a school lags > 1 minute or its target fails."""
        schools = {}
        degraded = []
        with self._lock:
            slugs = list(self.threads)
        for slug in slugs:
            st = self.school_status(slug)
            schools[slug] = st
            lag = st["lag_seconds"]
            if not st["target_ok"] or lag is None or lag > LAG_DEGRADED_SECONDS:
                degraded.append(slug)
        out = {"replication": {"target": self.target.url, "same_disk": self.same_disk,
                               "schools": schools, "degraded": degraded}}
        if degraded:
            out["status"] = "degraded"
        return out

    def backup_status(self, slug: str) -> BackupStatus:
        """'Last backed up' for a school's Managers."""
        st = self.school_status(slug)
        if not st.get("running"):
            return BackupStatus(None, "continuous backup has not started for this school yet")
        when = None
        if st["lag_seconds"] is not None and st["target_ok"]:
            when = human_ago(st["lag_seconds"])
        elif st["last_commit_at"]:
            when = human_ago(time.time() - st["last_commit_at"]) + " (" + time.strftime(
                "%Y-%m-%d %H:%M UTC", time.gmtime(st["last_commit_at"])) + ")"
        note = ""
        if not st["target_ok"]:
            note = "the backup target is unreachable; your server operator has been alerted"
        elif self.same_disk:
            note = "backups are on the server's own disk: ask your operator for an off-site copy"
        return BackupStatus(when, note)


def start(app, instance, url: str | None = None, *, options: Options | None = None,
          interval: float = 0.1) -> Replicator:
    """Start replication for every school of the instance; register the app's hooks."""
    url = resolve_url(instance.path, url)
    target = prepare_target(instance.path, url)
    remember_url(instance.path, url)
    rep = Replicator(instance, target, options, interval).start()
    if app is not None:
        app.extensions.setdefault("gvo_health", []).append(rep.health)
        app.extensions["gvo_backup_status"] = rep.backup_status
        app.extensions["gvo_replicator"] = rep
    log.info("replicating to %s", target.url)
    return rep


def replicate_once(instance, target: Target, slug: str,
                   options: Options | None = None) -> tuple[bool, str]:
    """Ship one school now and checkpoint; (done, message). Skips a school the server ships."""
    shipper = SchoolShipper(instance, slug, target, options)
    try:
        shipper.open()
    except Busy:
        return False, f"{slug}: replicated by the running server"
    try:
        ok = shipper.step(checkpoint=True)
        if not ok:
            return False, f"{slug}: {shipper.last_error}"
        return True, (f"{slug}: shipped through generation {shipper.generation.id}, "
                      f"segment {shipper.seq}")
    finally:
        shipper.close()
