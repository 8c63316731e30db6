"""Everything GVO keeps is its owner's only (files 0600, folders 0700), under a umask of 022.

Before: school.db, its -wal and -shm, control.db, restored databases, lock files and
the folders of the instance and of a replica folder were 0644 / 0755 under umask 022,
while master.key and replica files were 0600.
"""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import subprocess_env

from gvo.replication import restore, service
from gvo.replication.rekey import rekey_school
from gvo.replication.shipper import SchoolShipper
from gvo.storage.instance import Instance
from gvo.storage.sqlcipher import transaction

GVO = [sys.executable, "-m", "gvo"]


@pytest.fixture
def umask_022():
    """The umask most systems give a login shell, for the test's own process."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def loose(root: Path) -> list[str]:
    """Paths under root (root included) with a mode other than 0600 (files) / 0700 (folders)."""
    found = []
    for p in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(p.lstat().st_mode)
        want = 0o700 if p.is_dir() else 0o600
        if mode != want:
            found.append(f"{p.relative_to(root.parent)} {mode:o}")
    return found


def put(inst: Instance, slug: str, key: str) -> None:
    with transaction(inst.db(slug)) as conn:
        conn.execute("INSERT OR REPLACE INTO settings(key, value) VALUES (?, 'v')", (key,))


def test_instance_replica_and_restore_are_private_under_umask_022(tmp_path, umask_022):
    live = Instance.init(tmp_path / "live", environ={})
    live.create_school("alpha", "Alpha Primary")
    put(live, "alpha", "k1")  # -wal and -shm exist while the connection is open
    (tmp_path / "nas").mkdir()  # the mount; GVO makes its folder inside
    target = service.prepare_target(live.path, (tmp_path / "nas" / "gvo").as_uri())
    shipper = SchoolShipper(live, "alpha", target)
    shipper.open()
    try:
        assert shipper.step(checkpoint=True)
        put(live, "alpha", "k2")
        assert shipper.step()
    finally:
        shipper.close()
    service.remember_url(live.path, target.url)
    rekey_school(live, "alpha")
    put(live, "alpha", "k3")
    assert (live.path / "schools" / "alpha" / "school.db-wal").exists()
    assert (live.path / "control.db-wal").exists()

    fresh = Instance.init(tmp_path / "fresh", environ={"GVO_MASTER_KEY": live.master_key.hex()})
    restore.restore(fresh, target, "alpha")
    restore.restore(fresh, target, "alpha", force=True)  # the replaced files are kept aside
    put(fresh, "alpha", "k4")
    try:
        assert loose(live.path) == []
        assert loose(fresh.path) == []
        assert loose(tmp_path / "nas" / "gvo") == []
    finally:
        live.close()
        fresh.close()


def test_files_of_older_instances_are_tightened_when_opened(tmp_path, umask_022):
    inst = Instance.init(tmp_path / "old", environ={})
    inst.create_school("alpha", "Alpha Primary")
    put(inst, "alpha", "k")
    inst.close()
    for p in [inst.path, *inst.path.rglob("*")]:  # as GVO left them before
        p.chmod(0o755 if p.is_dir() else 0o644)
    (inst.path / "master.key").chmod(0o600)  # refused otherwise, as before
    reopened = Instance.open(inst.path, environ={})
    try:
        put(reopened, "alpha", "k2")
        assert loose(inst.path) == []
    finally:
        reopened.close()


def test_the_gvo_command_keeps_everything_private_under_umask_022(tmp_path):
    path = tmp_path / "inst"

    def gvo(*args):
        result = subprocess.run([*GVO, "--instance", str(path), *args], capture_output=True,
                                text=True, env=subprocess_env(), timeout=120,
                                preexec_fn=lambda: os.umask(0o022))
        assert result.returncode == 0, result.stderr

    gvo("init")
    gvo("school", "create", "alpha", "--name", "Alpha Primary")
    gvo("user", "add", "alpha", "clerk@example.org", "--name", "Clerk", "--role", "manager")
    assert (path / "replicas" / "alpha" / "manifest.json").exists()  # shipped after the writes
    assert loose(path) == []
