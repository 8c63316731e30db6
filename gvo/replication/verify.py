"""`gvo verify`: restore the replica to a temporary place and compare it with the live school."""

import hashlib
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from gvo.replication import restore, wal
from gvo.replication.targets import Target
from gvo.storage.sqlcipher import connect


def logical_digest(conn) -> dict[str, str]:
    """A digest per table of its rows (order-independent), and of the schema."""
    out = {}
    tables = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
    schema = [tuple(r) for r in conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")]
    out["(schema)"] = hashlib.sha256(repr(schema).encode()).hexdigest()
    out["(user_version)"] = str(conn.execute("PRAGMA user_version").fetchone()[0])
    for name, _sql in tables:
        rows = sorted(hashlib.sha256(repr(tuple(r)).encode()).digest()
                      for r in conn.execute(f'SELECT * FROM "{name.replace(chr(34), "")}"'))
        out[name] = hashlib.sha256(b"".join(rows)).hexdigest()
    return out


def live_digest(instance, slug: str) -> dict[str, str]:
    """The live school's digest, read in one transaction."""
    conn = connect(instance.school_path(slug), instance.school_key(slug))
    try:
        conn.execute("BEGIN")
        try:
            return logical_digest(conn)
        finally:
            conn.execute("ROLLBACK")
    finally:
        conn.close()


@dataclass
class Verified:
    """Outcome of a verify."""

    same: bool
    differing: list[str]
    commit_at: float
    lag_seconds: float   # the replica behind the live school (`wal.live_lag`, as gvo status)
    problems: list[str]
    attempts: int

    @property
    def age_seconds(self) -> float:
        """Seconds since the replica's last commit was made (not a lag: a school nobody
        changed for an hour has an hour-old last commit and is fully replicated)."""
        return max(0.0, time.time() - self.commit_at)


def verify(instance, target: Target, slug: str, *, attempts: int = 5,
           wait: float = 1.0) -> Verified:
    """Restore to a temporary folder, compare table by table; retry while the replica catches up."""
    result = None
    for attempt in range(1, attempts + 1):
        work = tempfile.mkdtemp(prefix=f".verify-{slug}-", dir=instance.path)
        try:
            live = live_digest(instance, slug)
            built = restore.build(target, slug, instance.master_key, Path(work))
            conn = connect(built.path, built.key)
            try:
                copy = logical_digest(conn)
            finally:
                conn.close()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        differing = sorted(k for k in set(live) | set(copy) if live.get(k) != copy.get(k))
        lag = wal.live_lag(instance.school_path(slug), built.commit_at)
        result = Verified(not differing, differing, built.commit_at, lag, built.problems,
                          attempt)
        if result.same:
            return result
        time.sleep(wait)
    return result
