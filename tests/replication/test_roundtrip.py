"""Ship and restore: latest state, WAL resets, out-of-process writes, rekey, damage, keys."""

import shutil

import pytest

from gvo.core.errors import GvoError, WrongMasterKey
from gvo.replication import manifest as mf
from gvo.replication import restore, segment
from gvo.replication.rekey import rekey_school
from gvo.replication.shipper import Options, SchoolShipper
from gvo.storage.instance import Instance
from gvo.storage.sqlcipher import connect

from .conftest import SLUG, put, restored_settings, settings


def live(inst):
    return settings(inst.db(SLUG))


def test_each_commit_is_shipped_and_restores_equal(rep_instance, shipper, file_target, tmp_path):
    assert shipper.step()
    for i in range(20):
        put(rep_instance, f"k{i}", f"v{i}")
        if i % 3 == 0:
            assert shipper.step()
    assert shipper.step()
    got, built = restored_settings(file_target, rep_instance.master_key, tmp_path / "r")
    assert got == live(rep_instance)
    assert built.problems == []


def test_wal_reset_after_checkpoint_keeps_one_generation(rep_instance, file_target, tmp_path):
    s = SchoolShipper(rep_instance, SLUG, file_target, Options(checkpoint_wal_bytes=20_000))
    s.open()
    try:
        s.step()
        salts = set()
        for i in range(60):
            put(rep_instance, f"k{i}", "x" * 500)
            assert s.step()
            salts.add(s.pos.wal_header)
        assert len(salts) > 2, "the WAL should have restarted several times"
        m = mf.load(file_target, SLUG)
        assert len(m.generations) == 1
    finally:
        s.close()
    got, _ = restored_settings(file_target, rep_instance.master_key, tmp_path / "r")
    assert got == live(rep_instance)


def test_write_while_replicator_is_down_starts_a_new_generation(rep_instance, shipper,
                                                                file_target, tmp_path):
    put(rep_instance, "before", "1")
    assert shipper.step(checkpoint=True)
    shipper.close()
    rep_instance.close()
    # Another process writes and, closing last, checkpoints the WAL into the file.
    conn = connect(rep_instance.school_path(SLUG), rep_instance.school_key(SLUG))
    conn.execute("INSERT INTO settings(key, value) VALUES ('outside', 'yes')")
    conn.close()
    again = SchoolShipper(rep_instance, SLUG, file_target)
    again.open()
    try:
        assert again.step()
        m = mf.load(file_target, SLUG)
        assert len(m.generations) == 2
        assert "outside" in m.generations[-1].reason
    finally:
        again.close()
    got, _ = restored_settings(file_target, rep_instance.master_key, tmp_path / "r")
    assert got["outside"] == "yes" and got == live(rep_instance)


def test_restart_without_outside_writes_continues_the_generation(rep_instance, shipper,
                                                                 file_target, tmp_path):
    put(rep_instance, "a", "1")
    assert shipper.step(checkpoint=True)
    shipper.close()
    rep_instance.close()  # last close: nothing left to checkpoint
    again = SchoolShipper(rep_instance, SLUG, file_target)
    again.open()
    try:
        put(rep_instance, "b", "2")
        assert again.step()
        assert len(mf.load(file_target, SLUG).generations) == 1
    finally:
        again.close()
    got, _ = restored_settings(file_target, rep_instance.master_key, tmp_path / "r")
    assert got == live(rep_instance)


def test_rekey_new_generation_and_restores_before_and_after(rep_instance, shipper, file_target,
                                                            tmp_path):
    put(rep_instance, "old", "1")
    assert shipper.step(checkpoint=True)
    before = live(rep_instance)
    t_before = shipper.last_commit_at
    shipper.close()
    assert rekey_school(rep_instance, SLUG) == 2
    put(rep_instance, "new", "2")
    s = SchoolShipper(rep_instance, SLUG, file_target)
    s.open()
    try:
        assert s.step()
    finally:
        s.close()
    m = mf.load(file_target, SLUG)
    assert sorted(m.keys) == [1, 2]
    assert [g.key_version for g in m.generations] == [1, 2]
    got, _ = restored_settings(file_target, rep_instance.master_key, tmp_path / "after")
    assert got == live(rep_instance)
    old, built = restored_settings(file_target, rep_instance.master_key, tmp_path / "before",
                                   at=t_before)
    assert old == before and built.generation.key_version == 1


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_damaged_segment_stops_at_last_good_commit(rep_instance, shipper, file_target, tmp_path,
                                                   damage):
    shipper.step()
    states = []
    for i in range(6):
        put(rep_instance, f"k{i}", f"v{i}")
        assert shipper.step()
        states.append(live(rep_instance))
    segs = file_target.list(mf.segments_prefix(SLUG, shipper.generation.id))
    victim = file_target.root / segs[4].key  # the segment of the 4th write (seq 5)
    data = bytearray(victim.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
    else:
        data = data[: len(data) - 100]
    victim.write_bytes(bytes(data))
    got, built = restored_settings(file_target, rep_instance.master_key, tmp_path / "r")
    assert got == states[2]
    assert built.problems and "segment 5" in built.problems[0]
    assert "segment 4" in built.commit_label


def test_wrong_master_key_one_clear_error_nothing_written(rep_instance, shipper, file_target,
                                                          tmp_path):
    put(rep_instance, "a", "1")
    assert shipper.step()
    other = Instance.init(tmp_path / "other", environ={})  # a different master key
    try:
        before = sorted(p.name for p in (other.path / "schools").iterdir())
        with pytest.raises(WrongMasterKey):
            restore.restore(other, file_target, SLUG)
        assert sorted(p.name for p in (other.path / "schools").iterdir()) == before
        assert not other.has_school(SLUG)
    finally:
        other.close()


def test_restore_into_fresh_instance_as_new_slug_and_force(rep_instance, shipper, file_target,
                                                           tmp_path):
    put(rep_instance, "a", "1")
    assert shipper.step()
    env = {"GVO_MASTER_KEY": rep_instance.master_key.hex()}
    fresh = Instance.init(tmp_path / "fresh", environ=env)
    try:
        restore.restore(fresh, file_target, SLUG)
        assert settings(fresh.db(SLUG))["a"] == "1"
        with pytest.raises(GvoError, match="--force"):
            restore.restore(fresh, file_target, SLUG)
        done = restore.restore(fresh, file_target, SLUG, force=True)
        assert done.replaced is not None and (done.replaced / "school.db").exists()
        restore.restore(fresh, file_target, SLUG, as_slug="beta")
        assert settings(fresh.db("beta"))["a"] == "1"
        assert fresh.school("beta").name == "Alpha Primary"
    finally:
        fresh.close()


def test_corrupt_snapshot_falls_back_to_previous_generation(rep_instance, shipper, file_target,
                                                            tmp_path):
    put(rep_instance, "a", "1")
    assert shipper.step()
    shipper.need_generation = "test"
    put(rep_instance, "b", "2")
    assert shipper.step()
    m = mf.load(file_target, SLUG)
    snap = file_target.root / mf.snapshot_key(SLUG, m.generations[-1].id)
    snap.write_bytes(snap.read_bytes()[:-10])
    got, built = restored_settings(file_target, rep_instance.master_key, tmp_path / "r")
    assert got["a"] == "1" and built.generation.id == m.generations[0].id
    assert "checksum" in built.problems[0]


def test_segment_checksums_detect_a_changed_frame(rep_instance, shipper, file_target):
    shipper.step()
    put(rep_instance, "a", "1")
    assert shipper.step()
    obj = file_target.list(mf.segments_prefix(SLUG, shipper.generation.id))[-1]
    seg = segment.decode(file_target.get(obj.key))
    frames = bytearray(seg.frames)
    frames[100] ^= 1
    seg.frames = bytes(frames)
    with pytest.raises(segment.SegmentError, match="checksum"):
        segment.decode(seg.encode())


def test_retention_drops_generations_older_than_the_window(rep_instance, file_target):
    s = SchoolShipper(rep_instance, SLUG, file_target, Options(retention_seconds=0.0))
    s.open()
    try:
        s.step()
        s.need_generation = "again"
        s.step()
        s.need_generation = "and again"
        s.step()
        m = mf.load(file_target, SLUG)
        assert len(m.generations) == 1
        gens = {o.key.split("/")[2] for o in file_target.list(f"{SLUG}/generations/")}
        assert gens == {m.generations[0].id}
    finally:
        s.close()


def test_default_target_folder_gone_is_not_recreated(rep_instance, shipper, file_target,
                                                     tmp_path):
    shutil.rmtree(file_target.root)
    put(rep_instance, "a", "1")
    assert not shipper.step()
    assert "missing" in shipper.last_error
    assert not file_target.root.exists()
