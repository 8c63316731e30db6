"""Many schools in one process: bounded threads, idle schools closed and reopened on demand.

Real SQLCipher files and the real replicator (file-system notifications, its
worker pool); the idle period is shortened, which is a setting of the code.
"""

import os
import threading
import time
from pathlib import Path

from gvo.replication import service
from gvo.storage.instance import Instance

from .conftest import (
    add_schools,
    put,
    restored_settings,
    school_files_open,
    settings,
    wait_for,
)

IDLE = 0.3  # seconds: the idle period these tests give the pool and the replicator


def replication_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith("gvo-replicat"))


def started(rep) -> bool:
    return bool(rep.schools) and all(s.started and not s.running for s in rep.schools.values())


def test_replication_threads_do_not_grow_with_the_number_of_schools(rep_instance,
                                                                     file_target):
    add_schools(rep_instance, "alpha", ["b01", "b02"])
    rep = service.start(None, rep_instance, file_target.url, workers=2)
    try:
        wait_for(lambda: len(rep.schools) == 3 and started(rep), "3 schools started")
        for slug in rep.schools:
            put(rep_instance, "k", "v", slug)  # every school ships (its threads would start)
        wait_for(lambda: all(s.shipper.seq > 1 for s in rep.schools.values()), "shipping")
        few = replication_threads()
        add_schools(rep_instance, "alpha", [f"c{i:02d}" for i in range(40)])
        wait_for(lambda: len(rep.schools) == 43 and started(rep), "43 schools started")
        for slug in rep.schools:
            put(rep_instance, "k", "w", slug)
        wait_for(lambda: all(s.shipper.seq > 1 for s in rep.schools.values()), "shipping")
        many = replication_threads()
    finally:
        rep.stop()
    assert few == many <= 1 + 2  # the coordinator and two workers, for 3 or 43 schools


def test_open_schools_are_capped_however_many_are_written(rep_instance, file_target):
    add_schools(rep_instance, "alpha", [f"c{i:02d}" for i in range(20)])
    rep = service.start(None, rep_instance, file_target.url, max_open=4, idle_seconds=3600)
    try:
        wait_for(lambda: len(rep.schools) == 21 and started(rep), "schools started")
        for slug in rep.schools:
            put(rep_instance, "k", "v", slug)
        wait_for(lambda: all(s.clean for s in rep.schools.values()), "every school shipped")
        wait_for(lambda: len(rep.open_schools()) <= 4, "the least active schools closed")
    finally:
        rep.stop()
    for slug in rep.schools:  # closing lost nothing
        got, _ = restored_settings(file_target, rep_instance.master_key,
                                   rep_instance.path.parent / f"r-{slug}", slug=slug)
        assert got["k"] == "v"


def test_an_idle_school_closes_its_connections_and_reopens_them_on_demand(rep_instance,
                                                                           file_target):
    inst = rep_instance
    inst.bound_resources(cache_mb=64, threads=4, idle_seconds=IDLE)
    rep = service.start(None, inst, file_target.url, idle_seconds=IDLE)
    try:
        wait_for(lambda: started(rep), "first round")
        school = rep.schools["alpha"]
        generation = school.shipper.generation.id

        def request(key, value):  # what a request thread does: use, then release
            def run():
                put(inst, key, value)
                inst.release()
            t = threading.Thread(target=run)
            t.start()
            t.join()

        inst.release()  # this thread's own connections too (fixtures used them)
        request("a", "1")
        assert inst.connection_counts()["idle"] == 1
        wait_for(lambda: inst.connection_counts() == {"held": 0, "idle": 0},
                 "the pool to close the idle connection")
        wait_for(lambda: rep.open_schools() == [], "the replicator to close the school")
        wait_for(lambda: school_files_open(os.getpid(), inst.path) == 0, "no school file open")
        request("b", "2")  # reopened on demand, and shipped
        wait_for(lambda: school.shipper.last_commit_at and school.clean
                 and rep.school_status("alpha")["lag_seconds"] == 0, "shipping b")
        wait_for(lambda: school_files_open(os.getpid(), inst.path) == 0, "closed again")
    finally:
        rep.stop()
    got, built = restored_settings(file_target, inst.master_key, inst.path.parent / "r")
    assert got["a"] == "1" and got["b"] == "2" and got == settings(inst.db("alpha"))
    assert built.generation.id == generation  # closing and reopening kept the generation


def test_a_connection_is_never_closed_while_a_thread_holds_it(tmp_path):
    inst = Instance.init(Path(tmp_path) / "i", environ={})
    inst.create_school("alpha", "Alpha")
    inst.bound_resources(cache_mb=64, threads=4, idle_seconds=IDLE)
    try:
        held = inst.db("alpha")
        time.sleep(3 * IDLE)  # several idle periods: the closer runs meanwhile
        assert held.execute("SELECT count(*) FROM settings").fetchone()[0] >= 3
        assert inst.db("alpha") is held
        inst.release()
        wait_for(lambda: inst.connection_counts()["idle"] == 0, "closed once released")
        assert inst.db("alpha") is not held  # a new one, on demand
        assert settings(inst.db("alpha"))["slug"] == "alpha"
    finally:
        inst.close()
