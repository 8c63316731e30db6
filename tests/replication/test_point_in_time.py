"""Point-in-time restore: random writes, noted times, each time restores exactly its state."""

import itertools
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gvo.replication.shipper import Options, SchoolShipper
from gvo.replication.targets import FileTarget
from gvo.storage.instance import Instance
from gvo.storage.sqlcipher import transaction

from .conftest import SLUG, restored_settings
from .conftest import settings as read_settings

ops = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.sampled_from("abcde"), st.text("xyz", max_size=300)),
        st.tuples(st.just("delete"), st.sampled_from("abcde"), st.just("")),
        st.tuples(st.just("checkpoint"), st.just(""), st.just("")),
        st.tuples(st.just("generation"), st.just(""), st.just("")),
    ),
    min_size=1, max_size=8,
)
_counter = itertools.count()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_restore_at_each_noted_time_gives_that_state(script):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inst = Instance.init(tmp / "live", environ={})
        try:
            inst.create_school(SLUG, "Alpha Primary")
            (tmp / "replica").mkdir()
            target = FileTarget(tmp / "replica")
            shipper = SchoolShipper(inst, SLUG, target, Options(checkpoint_wal_bytes=8_000))
            shipper.open()
            noted = []
            try:
                assert shipper.step()
                noted.append((time.time(), read_settings(inst.db(SLUG))))
                for op, key, value in script:
                    if op in ("put", "delete"):
                        with transaction(inst.db(SLUG)) as conn:
                            if op == "put":
                                conn.execute("INSERT OR REPLACE INTO settings(key, value) "
                                             "VALUES (?, ?)", ("t-" + key, value))
                            else:
                                conn.execute("DELETE FROM settings WHERE key = ?", ("t-" + key,))
                        assert shipper.step()
                    elif op == "checkpoint":
                        assert shipper.step(checkpoint=True)
                    else:
                        shipper.need_generation = "test"
                        assert shipper.step()
                    noted.append((time.time(), read_settings(inst.db(SLUG))))
            finally:
                shipper.close()
            for at, expected in noted:
                got, built = restored_settings(target, inst.master_key,
                                               tmp / f"r{next(_counter)}", at=at)
                assert got == expected
                assert built.problems == []
        finally:
            inst.close()
