"""The deploy in deploy/, run: GVO as deploy/gvo.service starts it, behind real proxies.

`office` (one per session) is a throwaway instance served by a real `gvo serve` started
with deploy/gvo.service's Environment= and ExecStart= (only the program's path, the
instance and replica paths and the port changed) and its master key handed over as
systemd's LoadCredential= does: a copy in a private folder named by $CREDENTIALS_DIRECTORY,
none in the instance. The proxy modules put their own proxy process in front of it.
"""

import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import subprocess_env
from proxies import DEPLOY, replace_once
from replication.conftest import free_port
from serving import SLUG, add_member, stop, wait_for_port

from gvo.core.identity import Identity
from gvo.library import folders
from gvo.people import settings
from gvo.storage import keys
from gvo.storage.instance import Instance

UNIT = DEPLOY / "gvo.service"
UPLOAD_MB = 250  # the upload limit the office is given (GVO's default is 50)


# -- deploy/gvo.service ----------------------------------------------------------------------


def unit_settings(text: str) -> dict[str, list[str]]:
    """The [Service] section of a unit file: each key's values, in order (systemd.syntax(7);
    no line continuations or quoting are used in deploy/gvo.service)."""
    found: dict[str, list[str]] = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


@dataclass
class ServiceRun:
    """How the unit runs GVO, with this test's paths: the command and its environment."""

    argv: list[str]
    environment: dict[str, str]
    credentials: dict[str, Path]  # credential name -> the file systemd would copy


def service_run(*, program: Path, instance: Path, replica: Path, port: int,
                key_file: Path) -> ServiceRun:
    """deploy/gvo.service's ExecStart=, Environment= and LoadCredential=, with this test's
    program, instance, replica folder, port and key file in place of the unit's."""
    unit = unit_settings(UNIT.read_text())
    (exec_start,) = unit["ExecStart"]
    exec_start = replace_once(exec_start, "/opt/gvo/.venv/bin/gvo ", f"{program} ", "ExecStart=")
    exec_start = replace_once(exec_start, " /srv/gvo ", f" {instance} ", "ExecStart")
    exec_start = replace_once(exec_start, "--port 8000", f"--port {port}", "ExecStart")
    environment = {}
    for assignment in unit["Environment"]:
        name, _, value = assignment.partition("=")
        if name == "GVO_REPLICA_URL":
            value = replace_once(value, "file:///srv/gvo-replica", replica.as_uri(), name)
        environment[name] = value
    credentials = {}
    for entry in unit["LoadCredential"]:
        name, _, source = entry.partition(":")
        credentials[name] = key_file if source == "/etc/gvo/master.key" else Path(source)
    return ServiceRun(shlex.split(exec_start), environment, credentials)


def hand_over_credentials(run: ServiceRun, folder: Path) -> dict[str, str]:
    """Copy each credential into `folder` as systemd does (a private folder, files 0400)
    and return the environment naming it ($CREDENTIALS_DIRECTORY)."""
    folder.mkdir(mode=0o700)
    for name, source in run.credentials.items():
        shutil.copyfile(source, folder / name)
        (folder / name).chmod(0o400)
    return {keys.CREDENTIALS_ENV: str(folder)}


# -- the office ------------------------------------------------------------------------------


@dataclass
class Office:
    """A throwaway instance and the `gvo serve` of deploy/gvo.service serving it."""

    instance: Path
    port: int
    environ: dict  # what opens the instance from this process (its key file)
    folder_id: int
    members: dict = field(default_factory=dict)  # e-mail -> TOTP secret


CLERKS = {"nginx": "clerk-nginx@example.org", "caddy": "clerk-caddy@example.org"}


@pytest.fixture(scope="session")
def office(tmp_path_factory):
    """School alpha (a clerk per proxy, a folder, uploads up to UPLOAD_MB) served as
    deploy/gvo.service serves it; the instance holds no master key."""
    work = tmp_path_factory.mktemp("deploy")
    instance, replica, key_file = work / "srv-gvo", work / "srv-gvo-replica", work / "master.key"
    replica.mkdir(mode=0o700)
    environ = {keys.MASTER_KEY_FILE_ENV: str(key_file)}
    inst = Instance.init(instance, environ=environ)  # writes a new key to key_file
    try:
        inst.create_school(SLUG, "Alpha Primary")
        conn = inst.db(SLUG)
        members = {email: add_member(conn, email, f"Clerk {proxy}", "manager")
                   for proxy, email in CLERKS.items()}
        settings.put(conn, "upload_limit_mb", str(UPLOAD_MB))
        folder_id = folders.create_folder(conn, Identity.operator(), parent_id=None,
                                          title="Papers")
    finally:
        inst.close()
    assert not (instance / keys.MASTER_KEY_FILE).exists()
    port = free_port()
    run = service_run(program=Path(sys.executable).with_name("gvo"), instance=instance,
                      replica=replica, port=port, key_file=key_file)
    # GVO_MAX_UPLOAD_MB as an operator puts it in /etc/gvo/gvo.env (EnvironmentFile=).
    env = subprocess_env(**run.environment, GVO_MAX_UPLOAD_MB=str(UPLOAD_MB),
                         **hand_over_credentials(run, work / "credentials"))
    proc = subprocess.Popen(run.argv, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        wait_for_port(port, proc, "gvo serve (deploy/gvo.service)")
        yield Office(instance, port, environ, folder_id, members)
    finally:
        stop(proc)
