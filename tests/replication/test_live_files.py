"""The replicator reads a live database's files without dropping this process's SQLite locks.

POSIX locks belong to the process: an open()/close() of the -shm or the database file drops
the locks of every SQLite connection of the process. Found through a real `gvo serve`: the
server's replicator read the WAL index while a test added a governor from another process;
that process's close found no other connection (the server's lock was gone), checkpointed
and deleted the WAL under the server, and school.db would no longer open.
"""

import subprocess
import sys
import textwrap

from gvo.replication import wal
from gvo.storage import live_files
from gvo.storage.sqlcipher import connect

KEY = bytes(range(32))

OTHER_PROCESS = textwrap.dedent("""
    import sys
    from gvo.storage.sqlcipher import connect
    conn = connect(sys.argv[1], bytes(range(32)))
    conn.execute("PRAGMA busy_timeout = 0")
    print(*conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone())
    conn.close()
""")


def other_process_checkpoints(path) -> list[int]:
    """(busy, log, checkpointed) of a TRUNCATE checkpoint made by another process, which
    then closes its connection (as `gvo user add` beside a running server does)."""
    done = subprocess.run([sys.executable, "-c", OTHER_PROCESS, str(path)],
                          capture_output=True, text=True, check=True)
    return [int(x) for x in done.stdout.split()]


def live_database(tmp_path):
    """(path, writer, reader): a WAL database with a reader pinned on an old snapshot and
    frames written after it."""
    path = tmp_path / "school.db"
    writer = connect(path, KEY, create=True)
    writer.execute("CREATE TABLE t (x)")
    writer.execute("INSERT INTO t VALUES (1)")
    reader = connect(path, KEY)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 1  # snapshot pinned
    for n in range(50):
        writer.execute("INSERT INTO t VALUES (?)", (n,))
    return path, writer, reader


def test_reading_the_wal_index_and_copying_the_file_keep_this_process_locks(tmp_path):
    path, writer, reader = live_database(tmp_path)
    shm = path.with_name("school.db-shm")
    for _ in range(3):  # as the replicator does, round after round
        assert wal.index_end(shm).max_frame > 0
        live_files.copy(path, tmp_path / "snapshot.db")
    busy, _log, _done = other_process_checkpoints(path)
    # The pinned reader still holds its read mark: the other process cannot truncate the
    # WAL under it, and its close leaves the WAL (this process still has connections).
    assert busy == 1
    assert path.with_name("school.db-wal").stat().st_size > 0
    assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 1
    reader.execute("COMMIT")
    assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 51
    assert writer.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reader.close()
    writer.close()


def test_the_kept_descriptors_close_with_the_last_connection(tmp_path):
    path, writer, reader = live_database(tmp_path)
    before = live_files.open_descriptors()
    wal.index_end(path.with_name("school.db-shm"))
    live_files.copy(path, tmp_path / "snapshot.db")
    assert live_files.open_descriptors() == before + 2
    reader.execute("COMMIT")
    reader.close()
    assert live_files.open_descriptors() == before + 2  # the writer still holds locks
    writer.close()
    writer.close()  # twice: counted once
    assert live_files.open_descriptors() == before
    # With no connection left here, another process is the last and may checkpoint.
    assert other_process_checkpoints(path)[0] == 0
