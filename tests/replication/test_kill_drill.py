"""Fault drill: kill -9 a real `gvo serve` at random moments during a write workload.

The server is the `gvo serve` a user runs (waitress, with the replicator thread
alongside), started by the LiveGvo harness of scripts/bench/documents.py with
GVO_REPLICA_URL pointing at a replica folder. A client thread creates Markdown
library pages over HTTP (POST .../pages/new, titles drill-NNNNNN); a write is
acknowledged when its 303 arrives, and the client records that moment. At a
random moment (seeded: GVO_DRILL_SEED) the server gets SIGKILL. Then a restore
onto a fresh instance (same master key) must pass both integrity checks
(restore.build runs them) and hold every page acknowledged at least one second
before the kill. The server is started again on the same instance (the Author's
session survives: it is a row in the school database) and the next round goes
on. 20 kills in one run.
"""

import http.client
import os
import random
import shutil
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from conftest import bench_script

from gvo.replication import restore
from gvo.replication.targets import FileTarget
from gvo.storage.instance import Instance
from gvo.storage.sqlcipher import connect

from .conftest import SLUG

bench = bench_script("documents")

ROUNDS = 20
MARGIN = 1.0  # seconds: writes acknowledged this long before the kill must survive it


class Writer(threading.Thread):
    """Creates pages drill-<first>, drill-<first+1>, ... over one HTTP connection.

    Appends (n, time the 303 arrived) to `acks`; stops at the first failed request
    (the server died: that write is not acknowledged). Any answer other than 303
    while the server is up is kept in `error`.
    """

    def __init__(self, server, token: str, first: int):
        super().__init__(daemon=True)
        self.server, self.token, self.next = server, token, first
        self.acks: list[tuple[int, float]] = []
        self.error: str | None = None
        self.started_at = threading.Event()

    def run(self) -> None:
        path = f"/alpha/library/folders/{self.server.folder_id}/pages/new"
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Cookie": self.server.cookie_header(), "Referer": self.server.origin + path}
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        self.started_at.set()
        try:
            while True:
                n = self.next
                self.next += 1  # never reuse a title: a write may commit yet go unanswered
                body = urllib.parse.urlencode({"csrf_token": self.token,
                                               "title": f"drill-{n:06d}",
                                               "body": "x" * (n % 700)})
                try:
                    conn.request("POST", path, body, headers)
                    resp = conn.getresponse()
                    text = resp.read()
                except (OSError, http.client.HTTPException):
                    return
                if resp.status != 303:
                    self.error = f"drill-{n:06d}: {resp.status} {text[:300]!r}"
                    return
                self.acks.append((n, time.time()))
        finally:
            conn.close()


def _is_gvo_serve(pid: int) -> bool:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return b"serve" in argv and any(a.endswith((b"/gvo", b"gvo")) for a in argv)


def _restored_titles(workdir: Path, master: bytes, target: FileTarget) -> set[int]:
    fresh = Instance.init(workdir, environ={"GVO_MASTER_KEY": master.hex()})
    try:
        restore.restore(fresh, target, SLUG)  # raises if an integrity check fails
        conn = connect(fresh.school_path(SLUG), fresh.school_key(SLUG))
        try:
            rows = conn.execute("SELECT title FROM pages WHERE title LIKE 'drill-%'").fetchall()
        finally:
            conn.close()
    finally:
        fresh.close()
    shutil.rmtree(workdir)
    return {int(r[0][6:]) for r in rows}


@pytest.mark.slow
def test_kill_9_of_gvo_serve_during_writes_loses_nothing_acknowledged(tmp_path):
    rng = random.Random(int(os.environ.get("GVO_DRILL_SEED", "20260301")))
    server = bench.LiveGvo(tmp_path).start()
    writer = None
    try:
        live = Instance.open(server.instance, environ={})
        master = live.master_key
        live.close()
        target = FileTarget(tmp_path / "replica")
        form = f"/alpha/library/folders/{server.folder_id}/pages/new"
        all_acks: list[tuple[int, float]] = []
        next_n = 0
        for round_no in range(ROUNDS):
            if round_no:
                server.restart()
            assert _is_gvo_serve(server.proc.pid), "not the gvo serve process"
            writer = Writer(server, server.token(form), next_n)  # token: still signed in
            writer.start()
            writer.started_at.wait(10)
            time.sleep(rng.uniform(0.2, 1.6))
            killed_at = time.time()
            server.kill()
            writer.join(30)
            assert not writer.is_alive(), "the writer did not notice the kill"
            assert writer.error is None, f"round {round_no}: {writer.error}"
            all_acks += writer.acks
            next_n = writer.next
            must_have = {n for n, t in all_acks if t <= killed_at - MARGIN}
            have = _restored_titles(tmp_path / f"fresh{round_no}", master, target)
            missing = sorted(must_have - have)
            assert not missing, (f"round {round_no}: lost {len(missing)} acknowledged "
                                 f"writes, first {missing[:10]}")
        print(f"{ROUNDS} kills, {len(all_acks)} writes acknowledged")
        assert len(all_acks) > ROUNDS * 10
    finally:
        server.kill()
        server.stop()
        if writer is not None:
            writer.join(30)
