"""Streaming: a transaction far bigger than the memory bound ships and restores in pieces.

The bound is measured with tracemalloc (peak Python allocations, numpy's
included) while shipping and while restoring a ~64 MB transaction: never a time.
"""

import os
import struct
import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from gvo.replication import manifest as mf
from gvo.replication import restore, segment, wal
from gvo.storage.sqlcipher import connect, transaction

from .conftest import SLUG, restored_settings
from .conftest import settings as read_settings

TXN_BYTES = 64 * 1024 * 1024
MAX_PEAK = 16 * 1024 * 1024


def _big_transaction(inst, nbytes: int, tag: str) -> None:
    """One transaction writing nbytes of incompressible values, 1 MiB per row."""
    with transaction(inst.db(SLUG)) as conn:
        for i in range(nbytes // (1 << 20)):
            conn.execute("INSERT INTO settings(key, value) VALUES (?, ?)",
                         (f"{tag}-{i:04d}", os.urandom(1 << 19).hex()))


def _peak(fn):
    """(fn(), peak bytes of Python allocations during fn)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_64_mb_transaction_ships_and_restores_in_bounded_memory(rep_instance, shipper,
                                                                  file_target, tmp_path):
    assert shipper.step()
    _big_transaction(rep_instance, TXN_BYTES, "big")
    ok, ship_peak = _peak(shipper.step)
    assert ok, shipper.last_error
    segs = file_target.list(mf.segments_prefix(SLUG, shipper.generation.id))
    assert segs[-1].size > TXN_BYTES, "the transaction should ship as one segment"
    assert ship_peak < MAX_PEAK, f"shipping peaked at {ship_peak // 2**20} MiB"
    work = tmp_path / "r"
    work.mkdir()
    built, restore_peak = _peak(
        lambda: restore.build(file_target, SLUG, rep_instance.master_key, work))
    assert restore_peak < MAX_PEAK, f"restoring peaked at {restore_peak // 2**20} MiB"
    assert built.problems == []
    assert built.commit_label.startswith(f"segment {len(segs)},")
    conn = connect(built.path, built.key)
    try:
        assert read_settings(conn) == read_settings(rep_instance.db(SLUG))
    finally:
        conn.close()


def test_large_segment_goes_to_s3_in_parts(rep_instance, s3_target, tmp_path):
    from gvo.replication.shipper import Options, SchoolShipper

    s = SchoolShipper(rep_instance, SLUG, s3_target, Options(checkpoint_wal_bytes=1 << 30))
    s.open()
    try:
        assert s.step()
        _big_transaction(rep_instance, 20 * 1024 * 1024, "s3")
        assert s.step(), s.last_error
        segs = s3_target.list(mf.segments_prefix(SLUG, s.generation.id))
        assert segs[-1].size > 20 * 1024 * 1024
    finally:
        s.close()
    got, built = restored_settings(s3_target, rep_instance.master_key, tmp_path / "r")
    assert built.problems == []
    assert got == read_settings(rep_instance.db(SLUG))


def _reference(frames: bytes, page_size: int, big_endian: bool, prev) -> list:
    fsize = wal.WAL_FRAME_HEADER_SIZE + page_size
    out, s = [], prev
    for pos in range(0, len(frames), fsize):
        s = wal.frame_checksum(frames[pos : pos + fsize], big_endian, s)
        out.append(s)
    return out


@settings(max_examples=60, deadline=None)
@given(page_size=st.sampled_from([512, 1024, 2048, 4096]), nframes=st.integers(1, 40),
       big_endian=st.booleans(), s0=st.integers(0, 2**32 - 1), s1=st.integers(0, 2**32 - 1),
       seed=st.binary(min_size=8, max_size=8))
def test_vectorised_checksums_equal_the_pure_python_ones(page_size, nframes, big_endian, s0,
                                                         s1, seed):
    fsize = wal.WAL_FRAME_HEADER_SIZE + page_size
    rng = __import__("random").Random(seed)
    frames = rng.randbytes(nframes * fsize)
    got = wal.frame_checksums(frames, nframes, page_size, big_endian, (s0, s1))
    assert [(int(a), int(b)) for a, b in got] == _reference(frames, page_size, big_endian,
                                                            (s0, s1))


def test_stream_reader_rejects_a_frame_with_a_bad_checksum_when_asked():
    page = 512
    magic = wal.WAL_MAGIC_LE
    raw = struct.pack(">IIIIII", magic, wal.WAL_FORMAT_VERSION, page, 0, 7, 9)
    hdr_raw = raw + struct.pack(">II", *wal.checksum(raw, False))
    hdr = wal.parse_header(hdr_raw)
    prev = (hdr.checksum1, hdr.checksum2)
    frames, s = b"", prev
    for pgno, size in ((1, 0), (2, 2)):
        body = os.urandom(page)
        head8 = struct.pack(">II", pgno, size)
        s = wal.checksum(body, False, *wal.checksum(head8, False, *s))
        frames += head8 + struct.pack(">IIII", 7, 9, *s) + body
    seg = segment.Segment("g", 1, hdr_raw, 1, prev, s, [(1, 2, 0.0)], (0, 0, 0), frames)
    assert segment.decode(seg.encode()).nframes == 2
    bad = bytearray(frames)
    bad[-1] ^= 1
    seg.frames = bytes(bad)
    try:
        segment.decode(seg.encode())
    except segment.SegmentError as exc:
        assert "checksum" in str(exc)
    else:
        raise AssertionError("a changed page was not noticed")
