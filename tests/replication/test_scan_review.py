"""Adversarial review of the one-read WAL scanner and coalesced segments.

Random mixes of small and many-commit rounds, deletes, VACUUM, big
transactions, checkpoints, replicator restarts and small hold buffers: the
generation must go on, and a restore must equal the live settings table with
no problems reported.
"""

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gvo.replication.shipper import Options, SchoolShipper
from gvo.replication.targets import FileTarget
from gvo.storage.instance import Instance
from gvo.storage.sqlcipher import transaction

from .conftest import SLUG, put, restored_settings
from .conftest import settings as read_settings

OPS = st.one_of(
    st.tuples(st.just("put"), st.integers(0, 30), st.integers(1, 3000)),
    st.tuples(st.just("many"), st.integers(1, 40), st.integers(1, 1500)),
    st.tuples(st.just("delete"), st.integers(0, 30), st.just(0)),
    st.tuples(st.just("vacuum"), st.just(0), st.just(0)),
    st.tuples(st.just("big"), st.integers(20, 120), st.just(0)),
    st.tuples(st.just("step"), st.just(0), st.just(0)),
    st.tuples(st.just("checkpoint"), st.just(0), st.just(0)),
    st.tuples(st.just("restart"), st.just(0), st.just(0)),
    st.tuples(st.just("hold"), st.sampled_from([4096, 20000, 65536, 1 << 20]), st.just(0)),
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=1, max_size=14))
def test_random_writes_and_rounds_restore_equal(tmp_path, ops):
    with tempfile.TemporaryDirectory(dir=tmp_path) as d:
        root = Path(d)
        inst = Instance.init(root / "live", environ={})
        inst.create_school(SLUG, "Alpha Primary")
        (root / "replica").mkdir()
        target = FileTarget(root / "replica")
        opts = Options(checkpoint_wal_bytes=1 << 30)
        s = SchoolShipper(inst, SLUG, target, opts)
        s.open()
        try:
            assert s.step()
            gen = s.generation.id
            hold = None
            for op, a, b in ops:
                conn = inst.db(SLUG)
                if op == "put":
                    put(inst, f"k{a}", os.urandom(b // 2 + 1).hex())
                elif op == "many":
                    for i in range(a):
                        put(inst, f"k{(a * 7 + i) % 31}", os.urandom(b // 2 + 1).hex())
                elif op == "delete":
                    conn.execute("DELETE FROM settings WHERE key >= ?", (f"k{a}",))
                elif op == "vacuum":
                    conn.execute("VACUUM")
                elif op == "big":
                    with transaction(conn) as c:
                        for i in range(a):
                            c.execute("INSERT OR REPLACE INTO settings(key, value) "
                                      "VALUES (?, ?)", (f"big{i % 50}", os.urandom(700).hex()))
                elif op == "step":
                    assert s.step(), s.last_error
                elif op == "checkpoint":
                    assert s.step(checkpoint=True), s.last_error
                elif op == "restart":
                    assert s.step(), s.last_error
                    s.close()
                    s = SchoolShipper(inst, SLUG, target, opts)
                    s.open()
                    if hold is not None:
                        s.scanner.hold_bytes = hold
                    assert s.step(), s.last_error
                    assert s.generation.id == gen, s.manifest.generations[-1].reason
                elif op == "hold":
                    hold = s.scanner.hold_bytes = a
            for _ in range(200):
                assert s.step(), s.last_error
                if s._drained:
                    break
            assert s._drained
            assert s.step(checkpoint=True), s.last_error
            assert s.generation.id == gen, s.manifest.generations[-1].reason
            live = read_settings(inst.db(SLUG))
            got, built = restored_settings(target, inst.master_key, root / "restored")
            assert built.problems == []
            assert got == live
        finally:
            s.close()
            inst.close()
