"""deploy/gvo.service: systemd accepts it, it is hardened as the issue asks, and GVO reads
the master key as the unit hands it over (systemd's LoadCredential=).

`systemd-analyze verify` and `systemd-analyze security --offline=true` check a unit file
without a running systemd (this machine has none as PID 1). The unit's ExecStart= program
is the only thing changed (verify checks that it can be executed). That the unit's command,
environment and credential really serve GVO is shown by every test in test_proxies.py,
whose `office` is started from them (conftest.service_run).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import subprocess_env
from proxies import replace_once
from serving import SLUG, Caller

from gvo.cli import cli
from gvo.core.errors import GvoError, WrongMasterKey
from gvo.storage import keys
from gvo.storage.instance import Instance

from .conftest import UNIT, unit_settings

SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze"


@pytest.fixture
def unit_here(tmp_path) -> Path:
    """deploy/gvo.service with ExecStart= naming this checkout's `gvo`."""
    if not os.access(SYSTEMD_ANALYZE, os.X_OK):
        pytest.fail(f"{SYSTEMD_ANALYZE} is missing (Debian's systemd package)", pytrace=False)
    path = tmp_path / "gvo.service"
    path.write_text(replace_once(UNIT.read_text(), "ExecStart=/opt/gvo/.venv/bin/gvo ",
                                 f"ExecStart={Path(sys.executable).with_name('gvo')} ",
                                 "gvo.service"))
    return path


def analyze(*args: str) -> subprocess.CompletedProcess:
    """systemd-analyze with these arguments, offline."""
    return subprocess.run([SYSTEMD_ANALYZE, *args], capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "SYSTEMD_LOG_COLOR": "0"})


def test_systemd_analyze_verify_accepts_the_unit_without_a_warning(unit_here):
    result = analyze("verify", str(unit_here))
    # A directive systemd cannot parse is only a warning ("ignoring"): none is allowed.
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_the_unit_runs_gvo_as_its_own_user_in_a_read_only_system(unit_here):
    result = analyze("security", "--offline=true", "--json=short", str(unit_here))
    assert result.returncode == 0, result.stderr
    checks = {entry["name"]: entry["set"] for entry in json.loads(result.stdout)}
    for name in ("User=/DynamicUser=", "NoNewPrivileges=", "ProtectSystem=", "PrivateTmp=",
                 "ProtectHome=", "PrivateDevices=", "CapabilityBoundingSet=~CAP_SYS_ADMIN",
                 "RestrictSUIDSGID=", "UMask="):
        assert checks[name], f"{name} is not set"
    # systemd's own score, 0 (locked down) to 10: "OK" is below 4.5; this unit is 3.6.
    assert analyze("security", "--offline=true", "--threshold=40",
                   str(unit_here)).returncode == 0
    unit = unit_settings(UNIT.read_text())
    assert unit["User"] == ["gvo"] and unit["ProtectSystem"] == ["strict"]
    assert unit["NoNewPrivileges"] == ["yes"] and unit["PrivateTmp"] == ["yes"]


def test_what_gvo_writes_is_writable_and_the_key_comes_from_a_credential():
    unit = unit_settings(UNIT.read_text())
    (exec_start,) = unit["ExecStart"]
    writable = " ".join(unit["ReadWritePaths"]).split()
    instance = exec_start.split("--instance ")[1].split()[0]
    replica = next(e for e in unit["Environment"] if e.startswith("GVO_REPLICA_URL="))
    assert instance in writable
    assert replica.removeprefix("GVO_REPLICA_URL=file://") in writable
    assert unit["LoadCredential"] == ["master.key:/etc/gvo/master.key"]
    assert not any(e.startswith(keys.MASTER_KEY_ENV) for e in unit["Environment"])


def test_the_service_serves_with_the_key_it_was_handed_and_none_in_the_instance(office):
    assert not (office.instance / keys.MASTER_KEY_FILE).exists()
    resp = Caller("127.0.0.2", office.port, host=f"127.0.0.1:{office.port}").request(
        "GET", f"/{SLUG}/login")
    assert resp.status == 200


# -- where GVO finds the master key ----------------------------------------------------------


def test_the_key_is_read_from_a_systemd_credential(tmp_path):
    made = Instance.init(tmp_path / "inst", environ={})
    master = made.master_key
    made.close()
    credentials = tmp_path / "credentials"
    credentials.mkdir(mode=0o700)
    (tmp_path / "inst" / keys.MASTER_KEY_FILE).rename(credentials / keys.MASTER_KEY_CREDENTIAL)
    (credentials / keys.MASTER_KEY_CREDENTIAL).chmod(0o400)
    env = {keys.CREDENTIALS_ENV: str(credentials)}
    assert keys.load_master_key(tmp_path / "inst", env) == master
    inst = Instance.open(tmp_path / "inst", environ=env)
    assert inst.master_key == master
    inst.close()
    # Without the credential there is no key, and the message says where to put one.
    with pytest.raises(WrongMasterKey, match="GVO_MASTER_KEY_FILE"):
        keys.load_master_key(tmp_path / "inst", {})


def test_a_key_file_named_by_gvo_master_key_file(tmp_path):
    key_file = tmp_path / "etc" / "master.key"
    key_file.parent.mkdir()
    env = {keys.MASTER_KEY_FILE_ENV: str(key_file)}
    made = Instance.init(tmp_path / "inst", environ=env)  # a new key, written there
    master = made.master_key
    made.close()
    assert not (tmp_path / "inst" / keys.MASTER_KEY_FILE).exists()
    assert (key_file.stat().st_mode & 0o777) == 0o600
    assert keys.load_master_key(tmp_path / "inst", env) == master
    # An existing key file is used, not replaced, by a second instance's init.
    other = Instance.init(tmp_path / "other", environ=env)
    assert other.master_key == master
    other.close()
    key_file.chmod(0o644)
    with pytest.raises(GvoError, match="readable by others"):
        keys.load_master_key(tmp_path / "inst", env)
    missing = {keys.MASTER_KEY_FILE_ENV: str(tmp_path / "nowhere.key")}
    with pytest.raises(WrongMasterKey, match="nowhere.key, which does not exist"):
        keys.load_master_key(tmp_path / "inst", missing)


def test_init_says_where_the_key_went(tmp_path, monkeypatch):
    key_file = tmp_path / "master.key"
    monkeypatch.setenv(keys.MASTER_KEY_FILE_ENV, str(key_file))
    result = CliRunner().invoke(cli, ["--instance", str(tmp_path / "inst"), "init"])
    assert result.exit_code == 0, result.output
    assert f"The master key is in {key_file} (mode 0600)" in result.output
    assert key_file.exists() and not (tmp_path / "inst" / keys.MASTER_KEY_FILE).exists()


def test_an_operator_command_reads_roots_key_file_on_its_standard_input(tmp_path):
    """README: `runuser -u gvo -- env GVO_MASTER_KEY_FILE=/dev/stdin gvo ... < /etc/gvo/master.key`
    (the gvo user cannot open root's file; the shell opens it for the command)."""
    key_file = tmp_path / "master.key"
    Instance.init(tmp_path / "inst", environ={keys.MASTER_KEY_FILE_ENV: str(key_file)}).close()
    with key_file.open("rb") as stdin:
        result = subprocess.run(
            [sys.executable, "-m", "gvo", "--instance", str(tmp_path / "inst"), "school",
             "list"], stdin=stdin, capture_output=True, text=True, timeout=120,
            env=subprocess_env(GVO_MASTER_KEY_FILE="/dev/stdin"))
    assert result.returncode == 0, result.stderr
