"""Restore writes each page's last version once: the same bytes as replaying every frame in order.

The database shrinks (VACUUM after deletes) and grows again between segments,
so the cut-offs a smaller commit makes must be honoured as an in-order replay would.
"""

import os
import shutil

import pytest

from gvo.replication import manifest as mf
from gvo.replication import restore, segment, wal

from .conftest import SLUG, put, restored_settings, settings


def replay_in_order(target, workdir):
    """The reference: snapshot, then every frame's page written in order, cut at each commit.

    Returns (the file's bytes, how many commits made the database smaller)."""
    m = mf.load(target, SLUG)
    gen = m.current()
    path = workdir / "reference.db"
    path.write_bytes(target.get(mf.snapshot_key(SLUG, gen.id)))
    fd = os.open(path, os.O_RDWR)
    shrinks = 0
    try:
        for obj in target.list(mf.segments_prefix(SLUG, gen.id)):
            seg = segment.decode(target.get(obj.key))
            ps = seg.header.page_size
            for fh, page in wal.iter_frames(seg.frames, ps):
                os.pwrite(fd, page, (fh.pgno - 1) * ps)
                if fh.is_commit:
                    shrinks += fh.db_size * ps < os.fstat(fd).st_size
                    os.ftruncate(fd, fh.db_size * ps)
    finally:
        os.close(fd)
    return path.read_bytes(), shrinks


@pytest.mark.parametrize("max_sources", [1, restore.PLAN_MAX_SOURCES])
def test_coalesced_restore_equals_in_order_replay_through_shrink_and_growth(
        rep_instance, shipper, file_target, tmp_path, monkeypatch, max_sources):
    monkeypatch.setattr(restore, "PLAN_MAX_SOURCES", max_sources)
    assert shipper.step()
    for i in range(120):
        put(rep_instance, f"big{i}", "x" * 1500)
    assert shipper.step()
    conn = rep_instance.db(SLUG)
    conn.execute("DELETE FROM settings WHERE key LIKE 'big%' AND key != 'big7'")
    conn.execute("VACUUM")  # through the WAL: the commit's database size shrinks
    assert shipper.step()
    for i in range(30):
        put(rep_instance, f"again{i}", "y" * 900)
        if i % 7 == 0:
            assert shipper.step()
    assert shipper.step()
    work = tmp_path / "r"
    got, built = restored_settings(file_target, rep_instance.master_key, work)
    assert built.problems == []
    assert got == settings(rep_instance.db(SLUG))
    ref, shrinks = replay_in_order(file_target, tmp_path)
    assert shrinks  # the case this test is about happened
    assert built.path.read_bytes() == ref


def test_remote_restore_equals_in_order_replay(rep_instance, s3_target, tmp_path):
    from gvo.replication.shipper import Options, SchoolShipper

    s = SchoolShipper(rep_instance, SLUG, s3_target, Options(checkpoint_wal_bytes=1 << 30))
    s.open()
    try:
        assert s.step()
        for i in range(40):
            put(rep_instance, f"k{i}", "z" * 700)
            if i % 5 == 0:
                assert s.step()
        rep_instance.db(SLUG).execute("DELETE FROM settings WHERE key LIKE 'k1%'")
        rep_instance.db(SLUG).execute("VACUUM")
        assert s.step()
    finally:
        s.close()
    got, built = restored_settings(s3_target, rep_instance.master_key, tmp_path / "r")
    assert built.problems == []
    assert got == settings(rep_instance.db(SLUG))
    ref, shrinks = replay_in_order(s3_target, tmp_path)
    assert shrinks
    assert built.path.read_bytes() == ref
    shutil.rmtree(tmp_path / "r")
