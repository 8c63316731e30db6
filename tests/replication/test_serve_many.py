"""A real `gvo serve` with many schools, and its clean stop on SIGTERM.

Before: with ~130 schools waitress's select() failed on file descriptors above
1023 ("filedescriptor out of range in select()") because every school held a
replicator thread and 8 files; SIGTERM killed the server at once, without the
last ship and checkpoint, so the replica missed the last acknowledged writes.
"""

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import bench_script, subprocess_env

from gvo.replication.targets import FileTarget
from gvo.storage import keys
from gvo.storage.instance import Instance

from .conftest import SLUG, add_schools, school_files_open, wait_for
from .test_kill_drill import Writer, _restored_titles, bench

scale = bench_script("scale")

SCHOOLS = 200


@pytest.mark.slow
def test_200_schools_are_served_and_touched_without_a_crash(tmp_path):
    inst = Instance.init(tmp_path / "instance", environ={})
    inst.create_school("school-0000", "School 0")
    slugs = ["school-0000"] + [f"school-{i:04d}" for i in range(1, SCHOOLS)]
    add_schools(inst, "school-0000", slugs[1:])
    inst.close()
    server = scale.Server(tmp_path / "instance", tmp_path / "replica",
                          settings={"GVO_SCHOOL_IDLE_SECONDS": "1"})
    server.start()
    try:
        proc = scale.Proc(server.proc.pid)
        most_files = most_threads = 0
        for slug in slugs:
            status, page, _h, _t = server.request("GET", f"/{slug}/login")
            assert status == 200 and "csrf_token" in page, (slug, status)
            most_files = max(most_files, proc.files())
            most_threads = max(most_threads, proc.threads())
        assert server.request("GET", "/healthz")[0] == 200
        # Bounded, whatever the number of schools (before: ~8 files and a thread per school).
        assert most_files < 250, most_files  # before: more than 1,600
        assert most_threads < 30, most_threads
        # Idle schools close their files; touched again, they open on demand.
        wait_for(lambda: school_files_open(server.proc.pid, server.instance) == 0,
                 "idle schools to close their files", timeout=120)
        assert server.request("GET", f"/{slugs[7]}/login")[0] == 200
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(120) == 0, server.stderr_tail()
    finally:
        server.kill()


def gvo_status(instance: Path, replica: Path) -> dict:
    """`gvo status --json` as an operator runs it."""
    out = subprocess.run([sys.executable, "-m", "gvo", "--instance", str(instance), "status",
                          "--json", "--to", replica.as_uri()], env=subprocess_env(),
                         capture_output=True, text=True, check=True)
    return {row["slug"]: row for row in json.loads(out.stdout)["schools"]}


@pytest.mark.slow
def test_sigterm_during_writes_ships_every_acknowledged_write_and_restarts_without_lag(
        tmp_path):
    server = bench.LiveGvo(tmp_path).start()
    writer = None
    try:
        master = keys.load_master_key(server.instance, environ={})
        target = FileTarget(tmp_path / "replica")
        writer = Writer(server, server.token(f"/alpha/library/folders/{server.folder_id}"
                                             "/pages/new"), 0)
        writer.start()
        writer.started_at.wait(10)
        wait_for(lambda: len(writer.acks) >= 20, "writes to be acknowledged")
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(120) == 0  # a clean stop, not death by signal
        writer.join(30)
        assert not writer.is_alive() and writer.error is None, writer.error
        acked = {n for n, _t in writer.acks}
        have = _restored_titles(tmp_path / "fresh", master, target)
        missing = sorted(acked - have)
        assert not missing, f"{len(missing)} acknowledged writes not in the replica: {missing}"
        server.restart()
        row = gvo_status(server.instance, tmp_path / "replica")[SLUG]
        assert row["replicated_by_server"] and row["error"] is None
        assert row["lag_seconds"] == 0  # before: the downtime, read as lag
    finally:
        server.kill()
        server.stop()
        if writer is not None:
            writer.join(30)
