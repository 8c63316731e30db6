"""A real `gvo serve` with many schools, and its clean stop on SIGTERM.

Before: with ~130 schools waitress's select() failed on file descriptors above
1023 ("filedescriptor out of range in select()") because every school held a
replicator thread and 8 files; SIGTERM killed the server at once, without the
last ship and checkpoint, so the replica missed the last acknowledged writes.
"""

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import subprocess_env

from gvo.replication.targets import FileTarget
from gvo.storage import keys
from gvo.storage.instance import Instance

from .conftest import SLUG, add_schools, school_files_open, wait_for
from .test_kill_drill import Writer, _restored_titles, bench

_SCALE = Path(__file__).resolve().parents[2] / "scripts" / "bench" / "scale.py"
_spec = importlib.util.spec_from_file_location("gvo_bench_scale", _SCALE)
scale = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(scale)

SCHOOLS = 200
# db and WAL of the web's connection and of the replicator's two, the WAL index, and the two
# the replicator reads without closing (gvo.storage.live_files).
FILES_PER_OPEN_SCHOOL = 10


def files_by_school(pid: int, instance_path: Path) -> tuple[int, dict[str, int]]:
    """(files process `pid` holds open, {school folder: its files open})."""
    schools = str(Path(instance_path).resolve() / "schools") + "/"
    total, per_school = 0, {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            total += 1
            if target.startswith(schools):
                name = target[len(schools):].split("/", 1)[0]
                per_school[name] = per_school.get(name, 0) + 1
    return total, per_school


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
        most_other = most_open = most_threads = 0
        for slug in slugs:
            status, page, _h, _t = server.request("GET", f"/{slug}/login")
            assert status == 200 and "csrf_token" in page, (slug, status)
            total, per_school = files_by_school(server.proc.pid, server.instance)
            # Each open school's files are few (its connections, WAL index, replicator).
            assert all(n <= FILES_PER_OPEN_SCHOOL for n in per_school.values()), per_school
            most_other = max(most_other, total - sum(per_school.values()))
            most_open = max(most_open, len(per_school))
            most_threads = max(most_threads, proc.threads())
        assert server.request("GET", "/healthz")[0] == 200
        # Bounded, whatever the number of schools (before: ~8 files and a thread per school,
        # more than 1,600 files): files outside the schools stay few, and idle schools
        # close theirs, so only those touched in the last moments are open (how many is
        # set by the machine's speed against the 1-second idle time, not by the 200).
        assert most_other < 100, most_other
        assert most_open < SCHOOLS // 2, most_open
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
