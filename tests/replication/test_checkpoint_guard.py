"""Transactions rewritten while open, and the WAL-index guard on every checkpoint.

SQLite may overwrite an open transaction's frames in place (a page spilled
twice) and recompute their checksums when it commits; the scanner must then
check the run again from its start. And whatever the scanner concludes, a
checkpoint runs only once the shipped position has reached the committed end
SQLite records in its WAL index, so an unshipped frame can never reach the
database file.
"""

import os

from gvo.replication import wal
from gvo.storage.sqlcipher import connect

from .conftest import SLUG, put, restored_settings, settings


def _sees_nothing(self, header, next_frame, prev_checksum, max_bytes=None, *, hold=True):
    """A scanner bug: nothing committed past the position, and the end of the log reached."""
    return wal.CommittedRun(header, next_frame, 0, prev_checksum, [])


def _spilling_conn(inst):
    """A connection whose tiny page cache spills an open transaction into the WAL."""
    conn = connect(inst.school_path(SLUG), inst.school_key(SLUG))
    conn.execute("PRAGMA cache_size = 10")
    return conn


def _rewrite_an_open_transaction(inst, shipper):
    conn = _spilling_conn(inst)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO settings(key, value) VALUES ('a-first', ?)",
                     (os.urandom(20000).hex(),))
        for i in range(60):
            conn.execute("INSERT INTO settings(key, value) VALUES (?, ?)",
                         (f"b{i:03d}", os.urandom(1500).hex()))
        assert shipper.step()  # sees spilled frames of the open transaction, no commit
        for rnd in range(3):
            conn.execute("UPDATE settings SET value = ? WHERE key = 'b001'", (f"v{rnd}",))
            conn.execute("UPDATE settings SET value = ? WHERE key = 'b000'", (f"w{rnd}",))
            for i in range(40):
                conn.execute("INSERT INTO settings(key, value) VALUES (?, ?)",
                             (f"c{rnd}-{i:03d}", os.urandom(1500).hex()))
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_a_transaction_rewritten_while_open_still_ships(rep_instance, shipper, file_target,
                                                         tmp_path):
    put(rep_instance, "seed", "1")
    assert shipper.step()
    generation = shipper.generation.id
    _rewrite_an_open_transaction(rep_instance, shipper)
    put(rep_instance, "after", "1")
    for _ in range(3):
        assert shipper.step(), shipper.last_error
    assert shipper._drained
    got, built = restored_settings(file_target, rep_instance.master_key, tmp_path / "r")
    assert built.problems == [] and shipper.generation.id == generation
    assert got == settings(rep_instance.db(SLUG))


def test_the_wal_index_end_matches_the_committed_frames(rep_instance, shipper):
    for i in range(30):
        put(rep_instance, f"k{i}", "x" * 500)
    hdr = wal.read_header(shipper.wal_path)
    run = wal.read_committed(shipper.wal_path, hdr, 1, (hdr.checksum1, hdr.checksum2))
    end = wal.index_end(shipper.shm_path)
    assert end == wal.IndexEnd(run.nframes, hdr.salts)


def test_a_scanner_that_misses_frames_cannot_make_the_checkpoint_copy_them(
        rep_instance, shipper, file_target, tmp_path, monkeypatch):
    put(rep_instance, "seed", "1")
    assert shipper.step(checkpoint=True)
    for i in range(50):
        put(rep_instance, f"unshipped{i}", "x" * 800)
    before = os.stat(shipper.db_path)
    # A scanner bug: it sees nothing past the shipped position and says so.
    real_scan = wal.WalScanner.scan
    monkeypatch.setattr(wal.WalScanner, "scan", _sees_nothing)
    assert shipper.step(checkpoint=True)
    assert shipper._drained
    after = os.stat(shipper.db_path)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns), \
        "the checkpoint copied frames that were never shipped"
    monkeypatch.setattr(wal.WalScanner, "scan", real_scan)
    assert shipper.step(checkpoint=True)
    got, built = restored_settings(file_target, rep_instance.master_key, tmp_path / "r")
    assert built.problems == [] and got == settings(rep_instance.db(SLUG))
