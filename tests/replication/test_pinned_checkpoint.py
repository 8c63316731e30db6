"""The SQLite facts the replicator's non-blocking checkpoint relies on, checked on the real library.

A read transaction pins a WAL snapshot: a PASSIVE checkpoint from another
connection copies frames up to that snapshot and no further, and no writer
restarts the WAL under it. A read transaction begun when the WAL was wholly
copied (read-lock 0, database file only) lets a checkpoint copy nothing.
"""

import contextlib

from gvo.replication import wal
from gvo.replication.shipper import SchoolShipper
from gvo.storage.sqlcipher import connect

from .conftest import SLUG, put


def test_pinned_snapshot_caps_a_passive_checkpoint(rep_instance, tmp_path):
    path = rep_instance.school_path(SLUG)
    key = rep_instance.school_key(SLUG)


    pin, ckpt = connect(path, key), connect(path, key)
    try:
        for i in range(5):
            put(rep_instance, f"a{i}", "x")
        pin.execute("BEGIN")
        pin.execute("SELECT count(*) FROM sqlite_master").fetchone()
        _busy, log_before, _done = ckpt.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        for i in range(5):
            put(rep_instance, f"b{i}", "y")
        _busy, log_after, done = ckpt.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert log_after > log_before
        assert done == log_before  # up to the pinned snapshot, not past it
        salts = wal.read_header(str(path) + "-wal").salts
        put(rep_instance, "c", "z")  # a writer must not restart the WAL under the pin
        assert wal.read_header(str(path) + "-wal").salts == salts
        pin.execute("ROLLBACK")
        _busy, log_all, done = ckpt.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert done == log_all
        # Read-lock 0: pinned when every frame is in the database file.
        pin.execute("BEGIN")
        pin.execute("SELECT count(*) FROM sqlite_master").fetchone()
        for i in range(3):
            put(rep_instance, f"d{i}", "w")
        assert wal.read_header(str(path) + "-wal").salts != salts  # restarted: allowed
        _busy, log_new, done = ckpt.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert log_new > 0 and done == 0  # nothing copied under a read-lock-0 pin
        pin.execute("ROLLBACK")
    finally:
        pin.close()
        ckpt.close()


PINNED = {"now": False}


class _Watched:
    """A connection whose PASSIVE checkpoints are compared with what was shipped."""

    def __init__(self, conn, shipper):
        self.conn, self.shipper, self.seen = conn, shipper, []

    def execute(self, sql, *args):
        cur = self.conn.execute(sql, *args)
        if "wal_checkpoint" not in sql:
            return cur
        row = cur.fetchone()
        pos = self.shipper.pos
        hdr = wal.read_header(self.shipper.wal_path)
        shipped = pos.next_frame - 1 if hdr is not None and hdr.raw == pos.wal_header else 0
        self.seen.append((row[2], shipped, PINNED["now"]))
        return _Row(row)

    def close(self):
        self.conn.close()


class _Row:
    def __init__(self, row):
        self.row = row

    def fetchone(self):
        return self.row


def test_checkpoint_never_copies_an_unshipped_frame(rep_instance, file_target, monkeypatch):
    """A write lands between the pin and the checkpoint; the checkpoint stops at the pin."""
    s = SchoolShipper(rep_instance, SLUG, file_target)
    s.open()
    watched = _Watched(s._ckpt_conn, s)
    s._ckpt_conn = watched
    try:
        assert s.step()
        for i in range(20):
            put(rep_instance, f"k{i}", "v" * 300)
        real_ship, real_pin = SchoolShipper._ship, SchoolShipper._snapshot_pinned

        @contextlib.contextmanager
        def pin(self):
            with real_pin(self):
                PINNED["now"] = True
                try:
                    yield
                finally:
                    PINNED["now"] = False

        def ship_then_write(self):
            n = real_ship(self)
            if PINNED["now"]:
                put(rep_instance, f"late{len(watched.seen)}", "after the pin")
            return n

        monkeypatch.setattr(SchoolShipper, "_snapshot_pinned", pin)
        monkeypatch.setattr(SchoolShipper, "_ship", ship_then_write)
        assert s.step(checkpoint=True)
        pinned = [(done, shipped) for done, shipped, pin in watched.seen if pin]
        assert pinned and all(0 < done <= shipped for done, shipped in pinned)
        monkeypatch.setattr(SchoolShipper, "_ship", real_ship)
        assert s.step()
        assert s.need_generation is None
    finally:
        s.close()
