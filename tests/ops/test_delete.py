"""`gvo school delete`: the key goes first (crypto-shredding), then every file of the school;
live sessions refuse without --force; the operator log keeps the entry; replicas purged."""

import time

import pytest
from replication.conftest import free_port, moto_endpoint  # noqa: F401 (a fixture)

from gvo.lifecycle import operator_log
from gvo.replication import manifest as mf
from gvo.replication.shipper import acquire_server_lock
from gvo.replication.targets import open_target
from gvo.storage.instance import Instance
from gvo.storage.sqlcipher import connect, transaction
from ops.helpers import gvo, made_instance

GONE, KEPT = "leaving", "leaving-too"  # one slug the other's prefix: only one may go


def school_paths(instance, slug):
    """Every path in the instance with the school's slug in its name, or in a folder's."""
    other = {GONE: KEPT, KEPT: None}[slug]
    return sorted(p for p in instance.rglob("*")
                  if any(slug in part and (other is None or other not in part)
                         for part in p.relative_to(instance).parts))


def open_instance(path):
    return Instance.open(path, environ={})


def sign_in_someone(path, slug):
    inst = open_instance(path)
    try:
        conn = connect(inst.school_path(slug), inst.school_key(slug))
        now = time.time()
        with transaction(conn):
            conn.execute("INSERT INTO users(email, name, role, created_at, updated_at)"
                         " VALUES ('g@example.org', 'G', 'reader', 'x', 'x')")
            conn.execute("INSERT INTO sessions(id_hash, user_id, data, created_at, last_seen)"
                         " VALUES ('h', 1, '{}', ?, ?)", (now, now))
        conn.close()
    finally:
        inst.close()


@pytest.fixture
def replica(tmp_path):
    return (tmp_path / "replica").as_uri()


@pytest.fixture
def inst(tmp_path, replica):
    path = made_instance(tmp_path, replica, GONE, KEPT)
    # What a restore --force and an interrupted snapshot leave beside the school.
    (path / "schools" / f".replaced-{GONE}-20260101T000000").mkdir(mode=0o700)
    (path / "replication" / "tmp").mkdir(mode=0o700, exist_ok=True)
    (path / "replication" / "tmp" / f"{GONE}-ab_c1234.db").write_bytes(b"x")
    (path / f".verify-{GONE}-ab_c1234").mkdir(mode=0o700)
    return path


def test_delete_destroys_the_key_then_every_file(inst, replica, tmp_path):
    kept_before = school_paths(inst, KEPT)
    done = gvo(inst, replica, "school", "delete", GONE, "--yes")
    assert done.exit_code == 0, done.output
    assert "data key is destroyed" in done.stdout

    assert school_paths(inst, GONE) == []
    assert school_paths(inst, KEPT) == kept_before
    opened = open_instance(inst)
    try:
        assert [s.slug for s in opened.schools()] == [KEPT]
        row = opened.control().execute("SELECT count(*) FROM schools WHERE slug = ?",
                                       (GONE,)).fetchone()[0]
        assert row == 0
        (entry,) = operator_log.entries(opened.control())
        assert entry["action"] == "school.delete" and entry["target"] == f"school:{GONE}"
        assert entry["detail"]["name"] == f"School {GONE}"
        assert operator_log.verify(opened.control()).ok
    finally:
        opened.close()
    wal = inst / "control.db-wal"  # the old page with the key: checkpointed away
    assert not wal.exists() or wal.stat().st_size == 0

    target = open_target(replica)
    assert target.list(f"{GONE}/generations/")  # not purged: ciphertext without a key
    assert not target.list(mf.manifest_key(GONE))
    restored = gvo(inst, replica, "restore", GONE)
    assert restored.exit_code == 1
    assert f"school '{GONE}' was deleted" in restored.stderr
    assert "data key destroyed" in restored.stderr and "Traceback" not in restored.output
    # A fresh instance with the same master key cannot restore it either.
    assert "was deleted" in gvo(inst, replica, "restore", GONE, "--as", "again").stderr
    # The other school still restores.
    assert gvo(inst, replica, "restore", KEPT, "--as", "kept-copy").exit_code == 0


def test_live_sessions_refuse_without_force(inst, replica):
    sign_in_someone(inst, GONE)
    refused = gvo(inst, replica, "school", "delete", GONE, "--yes")
    assert refused.exit_code == 1
    assert "1 live session(s)" in refused.stderr and "--force" in refused.stderr
    assert (inst / "schools" / GONE / "school.db").exists()
    assert mf.load(open_target(replica), GONE) is not None  # the replica's key untouched
    forced = gvo(inst, replica, "school", "delete", GONE, "--yes", "--force")
    assert forced.exit_code == 0, forced.output
    assert school_paths(inst, GONE) == []
    opened = open_instance(inst)
    try:
        (entry,) = operator_log.entries(opened.control())
        assert entry["detail"]["live_sessions"] == 1
    finally:
        opened.close()


def test_the_slug_must_be_typed(inst, replica):
    wrong = gvo(inst, replica, "school", "delete", GONE, input_text="leaving-to\n")
    assert wrong.exit_code == 1 and "nothing was deleted" in wrong.stderr
    assert (inst / "schools" / GONE / "school.db").exists()
    typed = gvo(inst, replica, "school", "delete", GONE, input_text=f"{GONE}\n")
    assert typed.exit_code == 0, typed.output
    assert school_paths(inst, GONE) == []


def test_refused_while_a_server_replicates_the_instance(inst, replica):
    server = acquire_server_lock(inst)
    try:
        refused = gvo(inst, replica, "school", "delete", GONE, "--yes")
    finally:
        server.close()
    assert refused.exit_code == 1 and "stop `gvo serve`" in refused.stderr
    assert (inst / "schools" / GONE / "school.db").exists()


def test_unknown_school_is_one_clear_line(inst, replica):
    result = gvo(inst, replica, "school", "delete", "no-such", "--yes")
    assert result.exit_code == 1 and "no school 'no-such'" in result.stderr
    assert "Traceback" not in result.output


def test_purge_replicas_from_a_folder(inst, replica):
    done = gvo(inst, replica, "school", "delete", GONE, "--yes", "--purge-replicas")
    assert done.exit_code == 0, done.output
    target = open_target(replica)
    assert target.list(f"{GONE}/") == []
    assert target.list(f"{KEPT}/")
    assert "no replica of school" in gvo(inst, replica, "restore", GONE).stderr


def test_purge_replicas_from_s3(tmp_path, moto_endpoint, monkeypatch):  # noqa: F811
    import boto3

    monkeypatch.setenv("GVO_S3_ENDPOINT", moto_endpoint["url"])
    boto3.client("s3", endpoint_url=moto_endpoint["url"],
                 region_name="us-east-1").create_bucket(Bucket="gvo-delete")
    replica = "s3://gvo-delete/replicas"
    inst = made_instance(tmp_path, replica, GONE, KEPT)
    target = open_target(replica)
    assert target.list(f"{GONE}/")
    done = gvo(inst, replica, "school", "delete", GONE, "--yes", "--purge-replicas")
    assert done.exit_code == 0, done.output
    assert target.list(f"{GONE}/") == []
    assert mf.load(target, KEPT) is not None
    assert school_paths(inst, GONE) == []


def test_a_replica_inside_the_instance_is_purged(tmp_path):
    """With the default replica (<instance>/replicas, no backup) nothing of the school stays
    in the instance, even without --purge-replicas."""
    path = tmp_path / "inst"
    replica = (path / "replicas").resolve().as_uri()
    made_instance(tmp_path, replica, GONE, KEPT)
    assert school_paths(path / "replicas", GONE)
    done = gvo(path, replica, "school", "delete", GONE, "--yes")
    assert done.exit_code == 0, done.output
    assert school_paths(path, GONE) == []
    assert school_paths(path / "replicas", KEPT)


def test_a_replica_that_holds_no_copy_of_the_school_is_refused(inst, replica, tmp_path):
    """A wrong --replica (or a typo in GVO_REPLICA_URL) must not be shredded in place of the
    real one: the real manifest would keep the wrapped key and the school restorable."""
    wrong = (tmp_path / "wrong").as_uri()
    refused = gvo(inst, replica, "school", "delete", GONE, "--yes", "--replica", wrong)
    assert refused.exit_code != 0 and "holds no copy of school" in refused.output
    assert "Traceback" not in refused.output
    assert open_instance(inst).school(GONE).slug == GONE  # nothing deleted
    assert open_target(replica).get(mf.manifest_key(GONE))


def test_no_replica_deletes_here_only_and_takes_no_replica_options(inst, replica):
    """--no-replica (a school never replicated) deletes the school here, touching no replica;
    it refuses --replica and --purge-replicas, which contradict it."""
    both = gvo(inst, replica, "school", "delete", GONE, "--yes", "--no-replica",
               "--purge-replicas")
    assert both.exit_code != 0 and "takes neither" in both.output
    done = gvo(inst, replica, "school", "delete", GONE, "--yes", "--no-replica")
    assert done.exit_code == 0, done.output
    assert not (inst / "schools" / GONE).exists()
    assert open_target(replica).get(mf.manifest_key(GONE))  # untouched, as asked
