"""Fault drill: kill -9 the app + replicator at random moments during a write workload.

After each kill a restore on a fresh instance (same master key) must hold
every write acknowledged at least one second before the kill, and pass both
integrity checks (restore.build runs them).
"""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gvo.replication import restore
from gvo.replication.targets import FileTarget
from gvo.storage.instance import Instance
from gvo.storage.sqlcipher import connect

from .conftest import SLUG

WORKER = Path(__file__).with_name("drill_worker.py")
ROUNDS = 20


def _reader(proc, acks, ready):
    for line in proc.stdout:
        parts = line.split()
        if parts[:1] == ["ready"]:
            ready.set()
        elif parts[:1] == ["ack"]:
            acks.append((int(parts[1]), float(parts[2])))


@pytest.mark.slow
def test_kill_9_during_writes_loses_nothing_acknowledged(tmp_path):
    rng = random.Random(int(os.environ.get("GVO_DRILL_SEED", "20260301")))
    inst = Instance.init(tmp_path / "live", environ={})
    inst.create_school(SLUG, "Alpha Primary")
    master = inst.master_key
    inst.close()
    replica = tmp_path / "replica"
    replica.mkdir()
    target = FileTarget(replica)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    all_acks: list[tuple[int, float]] = []
    next_n = 0
    for round_no in range(ROUNDS):
        proc = subprocess.Popen([sys.executable, str(WORKER), str(inst.path), replica.as_uri(),
                                 str(next_n)], stdout=subprocess.PIPE, text=True, env=env)
        acks: list[tuple[int, float]] = []
        ready = threading.Event()
        reader = threading.Thread(target=_reader, args=(proc, acks, ready), daemon=True)
        reader.start()
        assert ready.wait(60), "worker did not start"
        time.sleep(rng.uniform(0.2, 1.6))
        killed_at = time.time()
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        reader.join(10)
        proc.stdout.close()
        all_acks += acks
        if acks:
            next_n = acks[-1][0] + 1
        must_have = {n for n, t in all_acks if t <= killed_at - 1.0}
        fresh = Instance.init(tmp_path / f"fresh{round_no}",
                              environ={"GVO_MASTER_KEY": master.hex()})
        try:
            restore.restore(fresh, target, SLUG)
            conn = connect(fresh.school_path(SLUG), fresh.school_key(SLUG))
            have = {int(r[0][6:]) for r in conn.execute(
                "SELECT key FROM settings WHERE key LIKE 'drill-%'")}
            conn.close()
        finally:
            fresh.close()
        missing = sorted(must_have - have)
        assert not missing, f"round {round_no}: lost acknowledged writes {missing[:10]}"
    assert len(all_acks) > ROUNDS
