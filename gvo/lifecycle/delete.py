"""Deleting a school for good: its keys destroyed first (crypto-shredding), then its files.

A school's data key exists in two places only, both wrapped under the master key: its row
in the control database and its replica's manifest (`<slug>/manifest.json`, which a restore
on a new server reads). Everything else (the database file, its WAL, every snapshot and
segment of the replica) is ciphertext under that key. So `delete`, in this order:

1. checks, before anything changes: the school exists, no `gvo serve` or replicator holds it
   (its replication lock), no live session (unless `force`), the replica target answers;
2. replaces the replica's manifest by a marker saying the school was deleted (no key in it),
   so a restore from what remains says so instead of restoring (`restore.load_manifest`);
3. deletes the school's row, wrapped key included, from the control database with SQLite's
   secure_delete on (the freed bytes are overwritten) and checkpoints its WAL, in the same
   transaction as the operator log's entry;
4. removes the school's files from the instance: its folder (database, -wal, -shm), its
   replication lock, snapshots left in replication/tmp, folders a restore kept aside;
5. with `purge_replicas`, or when the replica is a folder inside the instance (the default,
   `<instance>/replicas`: no backup, and nothing of the school may stay in the instance),
   removes every replica object of the school (the marker too).

After step 3 nothing anywhere holds the school's data key, so any copy of its files that
step 4 or 5 misses (a replica not purged, a backup of the instance) is unreadable. Not
covered, and said in the README: copies of the control database or of the manifest kept
elsewhere (an S3 bucket with versioning keeps old manifests; a file-system snapshot).
"""

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from gvo.core import clock
from gvo.core import config as app_config
from gvo.core.errors import GvoError
from gvo.lifecycle import operator_log
from gvo.replication import manifest as mf
from gvo.replication.shipper import Busy, acquire_lock
from gvo.replication.targets import NotFoundInTarget, Target, TargetError
from gvo.storage.instance import Instance
from gvo.storage.sqlcipher import connect


class LiveSessions(GvoError):
    """The school has people signed in; deleting it needs `force`."""


@dataclass
class Deleted:
    """What `delete` did: files removed from the instance, replica objects removed."""

    slug: str
    removed: list[Path] = field(default_factory=list)
    replica_objects: int = 0
    replica_url: str = ""


def live_sessions(inst: Instance, slug: str, env: dict | None = None) -> int:
    """How many of the school's sessions are live: used within GVO_IDLE_TIMEOUT and begun
    within GVO_ABSOLUTE_TIMEOUT (seconds; the server's own limits, gvo.core.config)."""
    cfg = app_config.from_environment(env)
    now = clock.now()
    conn = connect(inst.school_path(slug), inst.school_key(slug))
    try:
        return conn.execute(
            "SELECT count(*) FROM sessions WHERE user_id IS NOT NULL AND last_seen >= ?"
            " AND created_at >= ?",
            (now - cfg["GVO_IDLE_TIMEOUT"], now - cfg["GVO_ABSOLUTE_TIMEOUT"])).fetchone()[0]
    finally:
        conn.close()


def delete(inst: Instance, slug: str, target: Target | None, *, force: bool = False,
           purge_replicas: bool = False) -> Deleted:
    """Delete school `slug` from the instance for good (see the module's steps).

    target: the school's replica target (None: the school has none to shred or purge). A
    target that holds no manifest of the school is refused (GvoError): it is not the
    school's replica, and shredding elsewhere would leave the real one restorable.
    Raises NotFound for an unknown school, LiveSessions while people are signed in (unless
    force), GvoError while a server or replicator holds the school or the target does not
    answer, or when asked to purge the replica of a school that moved to another server (the
    replica is that server's; deleting a moved school removes only the copy left here): in
    each case nothing has changed.
    """
    record = inst.school(slug)
    if record.moved_to:  # its replica is the new server's now: never shred or purge it
        if purge_replicas:
            raise GvoError(f"school {slug} has moved to {record.moved_to}: its replica is "
                           "that server's now, so it is not purged. Delete without "
                           "--purge-replicas to remove the copy left here")
        target = None
    try:
        lock = acquire_lock(inst.path, slug)
    except Busy as exc:
        raise GvoError(f"{exc}: stop `gvo serve` (or the replicator) before deleting the "
                       "school") from None
    try:
        sessions = live_sessions(inst, slug)
        if sessions and not force:
            raise LiveSessions(
                f"school {slug} has {sessions} live session(s): people are signed in. Tell "
                "them, then add --force to delete it all the same")
        if target is not None:
            try:
                target.check()
                target.get(mf.manifest_key(slug))
            except NotFoundInTarget:
                # A wrong --replica or GVO_REPLICA_URL: shredding there would leave the real
                # manifest, and with it the wrapped key, restorable.
                raise GvoError(
                    f"the replica at {target.url} holds no copy of school {slug} (no "
                    "manifest): is that its replica? Nothing was deleted. Give its replica "
                    "with --replica, or --no-replica if the school was never replicated"
                ) from None
            except TargetError as exc:
                raise GvoError(f"cannot reach the replica at {target.url} ({exc}); its "
                               "manifest holds the school's wrapped key, so nothing was "
                               "deleted") from None
        inst.close_school(slug)
        done = Deleted(slug, replica_url=target.url if target else "")
        if target is not None:
            _shred_manifest(target, slug)
        _forget_key(inst, slug, record.name, sessions, done)
        done.removed = _remove_files(inst, slug)
        if target is not None and (purge_replicas or inside(target, inst.path)):
            done.replica_objects = purge(target, slug)
        return done
    finally:
        lock.close()


def _shred_manifest(target: Target, slug: str) -> None:
    """Replace the replica's manifest (which holds the wrapped key) by the deletion marker."""
    marker = json.dumps({"slug": slug, "deleted_at": clock.iso(),
                         "note": "deleted with gvo school delete: its data key was destroyed"})
    try:
        target.put(mf.deleted_key(slug), marker.encode())
        target.delete(mf.manifest_key(slug))
    except TargetError as exc:
        raise GvoError(f"cannot remove the manifest of {slug} at {target.url} ({exc}); the "
                       "school is not deleted: try again") from None


def _forget_key(inst: Instance, slug: str, name: str, sessions: int, done: Deleted) -> None:
    """Delete the school's row (its wrapped key) for good, logged in the same transaction."""
    inst.unregister_school(slug, lambda control: operator_log.record(
        control, "school.delete", slug, name=name, live_sessions=sessions,
        replica=done.replica_url))


def _remove_files(inst: Instance, slug: str) -> list[Path]:
    """Remove everything of the school in the instance; the paths removed. Names made by
    tempfile (mkstemp, mkdtemp) end in 8 of [a-z0-9_], never a hyphen, so another school's
    ("oak-field" beside "oak") never matches."""
    schools = inst.path / "schools"
    replication = inst.path / "replication"
    ours = re.compile(rf"(\.(restore|verify)-{re.escape(slug)}-[a-z0-9_]{{8}}"
                      rf"|\.replaced-{re.escape(slug)}-\d{{8}}T\d{{6}}"
                      rf"|{re.escape(slug)}-[a-z0-9_]{{8}}\.db)")
    paths = [inst.school_dir(slug), replication / f"{slug}.lock"]
    for folder in (inst.path, schools, replication / "tmp"):
        if folder.is_dir():
            paths += sorted(p for p in folder.iterdir() if ours.fullmatch(p.name))
    removed = []
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        else:
            continue
        removed.append(path)
    return removed


def inside(target: Target, folder: Path) -> bool:
    """Whether the target is a folder inside `folder` (the default replica, <instance>/replicas,
    is: deleting a school leaves nothing of it in the instance, so it is purged there)."""
    root = target.local_path()
    return root is not None and root.resolve().is_relative_to(folder.resolve())


def purge(target: Target, slug: str) -> int:
    """Remove every replica object of the school (its marker too); how many."""
    objects = target.list(f"{slug}/")
    for obj in objects:
        target.delete(obj.key)
    return len(objects)
