"""Coalesced segments, lag under a backlog, and when the replicator checkpoints.

A round that finds many commits ships each page's last version once (what a
checkpoint would copy); commit times are kept per segment, so nothing
restorable is lost. The lag must keep growing while a backlog remains, and
an idle replicator must not checkpoint over and over.
"""

import struct
import time

from gvo.replication import manifest as mf
from gvo.replication import segment, wal
from gvo.replication.shipper import Options, SchoolShipper
from gvo.storage import sqlcipher

from .conftest import SLUG, put, restored_settings, settings

PAGE = 512


def _frames(pages: list[tuple[int, int]]) -> bytes:
    """Synthetic WAL frames: (page number, database size or 0) each, page bytes = its index."""
    out = b""
    for i, (pgno, size) in enumerate(pages):
        out += struct.pack(">IIIIII", pgno, size, 7, 9, 0, 0) + bytes([i]) * PAGE
    return out


def _header() -> wal.WalHeader:
    raw = struct.pack(">IIIIII", wal.WAL_MAGIC_BE, wal.WAL_FORMAT_VERSION, PAGE, 0, 7, 9)
    return wal.parse_header(raw + struct.pack(">II", *wal.checksum(raw, True)))


def _pages_of(data, n: int) -> list[tuple[int, int, int]]:
    """(page number, database size, which original frame) of each frame."""
    fsize = wal.WAL_FRAME_HEADER_SIZE + PAGE
    return [(*struct.unpack_from(">II", data, k * fsize),
             data[k * fsize + wal.WAL_FRAME_HEADER_SIZE]) for k in range(n)]


def test_coalesce_keeps_each_pages_last_version_in_wal_order():
    data = _frames([(1, 0), (2, 2), (1, 0), (3, 0), (2, 3)])
    out, n = wal.coalesce(memoryview(data), _header())
    assert n == 3
    # Page 1 from frame 2, page 3 from frame 3, page 2 from frame 4 (the last commit).
    assert _pages_of(out, n) == [(1, 0, 2), (3, 0, 3), (2, 3, 4)]


def test_coalesce_drops_pages_past_the_final_size_and_leaves_distinct_pages_alone():
    data = _frames([(1, 0), (5, 0), (2, 5), (1, 0), (2, 3)])
    out, n = wal.coalesce(memoryview(data), _header())
    assert _pages_of(out, n) == [(1, 0, 3), (2, 3, 4)]
    distinct = memoryview(_frames([(1, 0), (2, 2), (3, 3)]))
    same, n = wal.coalesce(distinct, _header())
    assert same is distinct and n == 3


def _last_segment(target) -> segment.Segment:
    m = mf.load(target, SLUG)
    key = target.list(mf.segments_prefix(SLUG, m.current().id))[-1].key
    with target.open_stream(key) as src:
        raw = src.read()
    return segment.decode(raw)  # checks the digest and, where they chain, frame checksums


def test_a_busy_round_ships_one_coalesced_segment_that_restores_and_continues(
        rep_instance, shipper, file_target, tmp_path):
    assert shipper.step()
    for i in range(300):
        put(rep_instance, f"k{i % 5}", f"value {i} " + "x" * 200)
    assert shipper.step()
    seg = _last_segment(file_target)
    assert seg.wal_frames is not None and seg.nframes < seg.wal_frames / 10
    assert len(seg.commits) == 1
    got, built = restored_settings(file_target, rep_instance.master_key, tmp_path / "r1")
    assert got == settings(rep_instance.db(SLUG)) and built.problems == []

    for i in range(50):
        put(rep_instance, f"more{i % 3}", str(i))
    assert shipper.step()
    generation = shipper.generation.id
    shipper.close()
    again = SchoolShipper(rep_instance, SLUG, file_target, Options(checkpoint_wal_bytes=1 << 30))
    again.open()
    try:
        put(rep_instance, "after-restart", "1")
        assert again.step()
        assert again.generation.id == generation, "a coalesced segment must not break continuity"
    finally:
        again.close()
    got, built = restored_settings(file_target, rep_instance.master_key, tmp_path / "r2")
    assert got == settings(rep_instance.db(SLUG)) and built.problems == []


def test_growth_then_shrink_within_one_round_restores_equal(rep_instance, shipper,
                                                            file_target, tmp_path):
    assert shipper.step()
    conn = rep_instance.db(SLUG)
    for i in range(400):
        put(rep_instance, f"big{i}", "y" * 900)
    conn.execute("DELETE FROM settings WHERE key LIKE 'big%'")
    conn.execute("VACUUM")
    put(rep_instance, "small", "z")
    assert shipper.step()
    assert _last_segment(file_target).wal_frames is not None
    got, built = restored_settings(file_target, rep_instance.master_key, tmp_path / "r")
    assert got == settings(conn) and built.problems == []  # both integrity checks passed


def test_lag_keeps_growing_while_a_backlog_remains(rep_instance, shipper):
    assert shipper.step()
    shipper.scanner.hold_bytes = 64 * 1024  # a round ships at most this much
    for i in range(200):
        put(rep_instance, f"k{i}", "x" * 1500)
    long_ago = time.time() - 100
    shipper.caught_up_at = long_ago
    assert shipper.step()
    assert not shipper._drained
    assert shipper.caught_up_at == long_ago and shipper.lag() >= 100
    before = time.time()
    rounds = 0
    while not shipper._drained:
        assert shipper.step()
        rounds += 1
    assert rounds > 3
    assert shipper.caught_up_at >= before and shipper.lag() < 100


def test_an_idle_replicator_does_not_checkpoint_again(rep_instance, file_target, monkeypatch):
    s = SchoolShipper(rep_instance, SLUG, file_target, Options(checkpoint_wal_bytes=64 * 1024))
    s.open()
    calls = []
    real = SchoolShipper._checkpoint

    def counted(self, **kw):
        calls.append(kw)
        return real(self, **kw)

    monkeypatch.setattr(SchoolShipper, "_checkpoint", counted)
    try:
        assert s.step()
        for i in range(200):
            put(rep_instance, f"k{i}", "x" * 700)
        assert s.step()
        assert len(calls) == 1
        for _ in range(5):
            assert s.step()
        assert len(calls) == 1, "nothing new was shipped, so nothing is due for a checkpoint"
        put(rep_instance, "one-more", "1")
        assert s.step()
        assert len(calls) == 1
    finally:
        s.close()


def test_the_wal_file_shrinks_back_after_a_burst(rep_instance, file_target):
    conn = rep_instance.db(SLUG)
    assert conn.execute("PRAGMA journal_size_limit").fetchone()[0] == sqlcipher.WAL_SIZE_LIMIT
    limit = 256 * 1024  # the same rule, at a size a test can pass
    conn.execute(f"PRAGMA journal_size_limit = {limit}")
    s = SchoolShipper(rep_instance, SLUG, file_target, Options(checkpoint_wal_bytes=64 * 1024))
    s.open()
    try:
        assert s.step()
        for i in range(400):
            put(rep_instance, f"k{i}", "x" * 1500)
        wal_file = s.wal_path
        assert wal_file.stat().st_size > 4 * limit
        assert s.step(checkpoint=True)  # everything shipped and copied: the WAL may restart
        put(rep_instance, "after", "1")  # the writer that restarts the WAL cuts it back
        assert wal_file.stat().st_size <= limit
        assert s.step()
        assert s.need_generation is None
    finally:
        s.close()
