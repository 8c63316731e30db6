"""`gvo replicate` (the stand-alone replicator) stops as cleanly as `gvo serve` on SIGTERM
and SIGINT: every committed write shipped, schools checkpointed and closed, the
instance's replication lock released, exit status 0.

Before (issue 11): only Ctrl+C (KeyboardInterrupt) ran the last round; SIGTERM, what
systemd sends, killed the process at once (status -15) with the last commits unshipped.
"""

import json
import signal
import subprocess
import sys

import pytest
from conftest import subprocess_env

from gvo.replication.shipper import acquire_server_lock
from gvo.replication.targets import FileTarget
from gvo.storage.sqlcipher import connect

from .conftest import SLUG, add_schools, put, restored_settings, wait_for

WRITES = 40


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_gvo_replicate_ships_every_commit_and_exits_cleanly_on_a_signal(rep_instance, tmp_path,
                                                                        sig):
    add_schools(rep_instance, SLUG, ["beta"])
    replica = tmp_path / "replica"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gvo", "--instance", str(rep_instance.path), "replicate", "--to",
         replica.as_uri()],
        env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("Replicating to"), proc.stderr.read()
        target = FileTarget(replica)
        wait_for(lambda: target.list(f"{SLUG}/") and target.list("beta/"),
                 "the first round of both schools")
        for n in range(WRITES):  # a burst, then the signal at once: some not yet shipped
            put(rep_instance, f"burst-{n}", str(n))
            put(rep_instance, f"burst-{n}", str(n), slug="beta")
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)  # a hang guard: the stop is bounded by 30 s
        assert proc.returncode == 0, err  # before: -15, killed by SIGTERM
        assert "every committed change is shipped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    # Every committed write is in the replica of each school.
    master = rep_instance.master_key
    for slug in (SLUG, "beta"):
        got, _built = restored_settings(target, master, tmp_path / f"restored-{slug}",
                                        slug=slug)
        assert {f"burst-{n}": str(n) for n in range(WRITES)}.items() <= got.items(), slug
    # The lock is released, and nothing is left to ship: the status reports no lag.
    acquire_server_lock(rep_instance.path).close()
    rep_instance.close()
    out = subprocess.run([sys.executable, "-m", "gvo", "--instance", str(rep_instance.path),
                          "status", "--json", "--to", replica.as_uri()], env=subprocess_env(),
                         capture_output=True, text=True, check=True)
    rows = json.loads(out.stdout)["schools"]
    assert [(r["slug"], r["lag_seconds"], r["error"]) for r in rows] == [
        ("alpha", 0, None), ("beta", 0, None)]
    # Checkpointed: every frame of the WAL is in the database file.
    conn = connect(rep_instance.school_path(SLUG), rep_instance.school_key(SLUG))
    try:
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and frames == copied
    finally:
        conn.close()
