"""Fixtures for replication tests: an instance with a school, a file target, a moto S3 server."""

import contextlib
import os
import shutil
import socket
import time
from pathlib import Path

import pytest

from gvo.replication import restore
from gvo.replication.shipper import Options, SchoolShipper
from gvo.replication.targets import FileTarget, open_target
from gvo.storage import keys
from gvo.storage.instance import Instance
from gvo.storage.sqlcipher import connect, transaction

SLUG = "alpha"
HEALTH_TOKEN = "monitoring-" + "x" * 32  # GVO_HEALTH_TOKEN of the apps these tests build


def operator_health(client) -> dict:
    """/healthz as monitoring holding the health token sees it (per-school detail)."""
    return client.get("/healthz", headers={"Authorization": f"Bearer {HEALTH_TOKEN}"}).get_json()


@pytest.fixture
def rep_instance(tmp_path):
    """An instance with one school, 'alpha'."""
    inst = Instance.init(tmp_path / "live", environ={})
    inst.create_school(SLUG, "Alpha Primary")
    yield inst
    inst.close()


@pytest.fixture
def file_target(tmp_path):
    """A replica folder on its own (a stand-in for a second disk)."""
    root = tmp_path / "replica"
    root.mkdir()
    return FileTarget(root)


@pytest.fixture
def shipper(rep_instance, file_target):
    """A replicator for 'alpha', driven by hand with .step()."""
    s = SchoolShipper(rep_instance, SLUG, file_target, Options(checkpoint_wal_bytes=1 << 30))
    s.open()
    yield s
    s.close()


def put(inst, key: str, value: str, slug: str = SLUG) -> None:
    """One write transaction through the instance's pooled connection."""
    with transaction(inst.db(slug)) as conn:
        conn.execute("INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)", (key, value))


def settings(conn) -> dict:
    """The settings table as a dict."""
    return {r[0]: r[1] for r in conn.execute("SELECT key, value FROM settings")}


def restored_settings(target, master: bytes, workdir: Path, at=None, slug=SLUG):
    """Restore into workdir and return (settings, Built)."""
    workdir.mkdir(parents=True, exist_ok=True)
    built = restore.build(target, slug, master, workdir, at)
    conn = connect(built.path, built.key)
    try:
        return settings(conn), built
    finally:
        conn.close()


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    """A moto S3 server on loopback for the whole session, with dummy credentials."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                            "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1")
    yield {"server": server, "port": port, "url": f"http://127.0.0.1:{port}"}
    server.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def s3_target(moto_endpoint, monkeypatch, request):
    """An S3 target in a fresh bucket on the moto server."""
    monkeypatch.setenv("GVO_S3_ENDPOINT", moto_endpoint["url"])
    bucket = "gvo-" + request.node.name.lower().replace("_", "-")[:40].strip("-")
    import boto3

    boto3.client("s3", endpoint_url=moto_endpoint["url"],
                 region_name="us-east-1").create_bucket(Bucket=bucket)
    return open_target(f"s3://{bucket}/replicas")


def add_schools(inst: Instance, first: str, slugs: list[str]) -> None:
    """More schools, cheaply: copies of `first`'s (fully checkpointed) database file, each
    registered under its own slug with the data key wrapped for that slug.

    Real SQLCipher files that open and migrate like any school's; they share one data
    key, which only a test may do (create_school makes a new key per school).
    """
    inst.db(first).execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data_key = inst.school_key(first)
    for slug in slugs:
        folder = inst.school_dir(slug)
        folder.mkdir(mode=0o700)
        shutil.copyfile(inst.school_path(first), folder / "school.db")
        os.chmod(folder / "school.db", 0o600)
        inst.register_school(slug, f"School {slug}", keys.wrap_school_key(
            inst.master_key, slug, data_key), 1)


def school_files_open(pid: int, instance_path: Path) -> int:
    """Files under an instance's schools/ folder that process `pid` holds open."""
    schools = str(Path(instance_path).resolve() / "schools") + "/"
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith(schools)
    return count


def wait_for(predicate, what, timeout=60.0):
    """Poll until predicate() is true (a hang guard, not a performance limit)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"gave up waiting for {what}")
