"""An installation for the operator's checks, and the real parts they talk to.

`Office`: an instance (real SQLCipher files, school alpha and its clerk) whose master key
is given in GVO_MASTER_KEY, with its replica folder on another file system (/dev/shm,
a tmpfs) than the instance (tmp_path). `ntp_server`: a real NTP server on loopback (UDP,
RFC 5905 server answers) whose clock is set apart from this machine's by a chosen offset.
`serve_office`: the office's real `gvo serve`, its standard error kept in a file;
`behind_nginx`: that server behind Debian's nginx running deploy/nginx.conf.
"""

import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import subprocess_env
from proxies import proxy_in_front
from replication.conftest import free_port, moto_endpoint  # noqa: F401 - the fixture
from serving import CLERK, SLUG, add_member, stop, wait_for_port

from gvo.storage.instance import Instance

MASTER_KEY = "5f" * 32
CLERK_NAME = "Jo Clerk"
HEALTH_TOKEN = "doctor-health-token-" + "x" * 24
SHM = Path("/dev/shm")  # noqa: S108 - a second file system, not a temporary file


@dataclass
class Office:
    """A sound installation: `instance`, its `replica` folder (another disk) and the
    GVO_* settings it runs with (`env`); `secret` is the clerk's authenticator key."""

    instance: Path
    replica: Path
    secret: str

    @property
    def env(self) -> dict:
        """The settings `gvo serve` and `gvo doctor` get."""
        return {"GVO_MASTER_KEY": MASTER_KEY, "GVO_REPLICA_URL": self.replica.as_uri()}


@pytest.fixture
def office(tmp_path):
    """A sound installation (see the module's docstring)."""
    with make_office(tmp_path) as made:
        yield made


@contextmanager
def make_office(work: Path):
    """An Office under `work`, its replica folder removed afterwards."""
    if not SHM.is_dir():
        pytest.fail(f"{SHM} is missing: these tests keep the replica on a second file "
                    "system there", pytrace=False)
    replica = SHM / f"gvo-test-replica-{uuid.uuid4().hex}"
    replica.mkdir(mode=0o700)
    instance = work / "instance"
    inst = Instance.init(instance, environ={"GVO_MASTER_KEY": MASTER_KEY})
    try:
        inst.create_school(SLUG, "Alpha Primary")
        secret = add_member(inst.db(SLUG), CLERK, CLERK_NAME, "manager")
    finally:
        inst.close()
    try:
        yield Office(instance, replica, secret)
    finally:
        shutil.rmtree(replica, ignore_errors=True)


NTP_EPOCH = 2208988800  # seconds from 1900-01-01 (NTP's era 0) to 1970-01-01


def _ntp_time(seconds: float) -> bytes:
    whole = int(seconds) + NTP_EPOCH
    return struct.pack("!II", whole, int((seconds % 1) * 2**32))


class NtpServer:
    """An NTP server on 127.0.0.1 (a thread), `offset` seconds ahead of this machine."""

    def __init__(self, offset: float):
        self.offset = offset
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                data, peer = self.sock.recvfrom(512)
            except TimeoutError:
                continue
            if len(data) < 48:
                continue
            now = time.time() + self.offset
            # LI 0, version 4, mode 4 (server); stratum 1; reference id "TEST".
            head = struct.pack("!BBbb", (4 << 3) | 4, 1, 6, -20) + b"\0" * 8 + b"TEST"
            reply = head + _ntp_time(now) + data[40:48] + _ntp_time(now) + _ntp_time(now)
            self.sock.sendto(reply, peer)

    def stop(self) -> None:
        """Stop answering and close the socket."""
        self.running = False
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def ntp_server():
    """Start NTP servers: ntp_server(offset) gives one `offset` seconds ahead."""
    servers = []

    def start(offset: float = 0.0) -> NtpServer:
        servers.append(NtpServer(offset))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@contextmanager
def serve_office(office: Office, port: int, log: Path, **settings: str):
    """The office's `gvo serve` on 127.0.0.1:port with its settings and `settings`; its
    standard error goes to `log`."""
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gvo", "--instance", str(office.instance), "serve",
             "--host", "127.0.0.1", "--port", str(port)],
            env=subprocess_env(**office.env, **settings), stdout=subprocess.DEVNULL,
            stderr=err)
    try:
        wait_for_port(port, proc, f"gvo serve (its log: {log})")
        yield proc
    finally:
        stop(proc)


@dataclass
class Proxied:
    """GVO behind nginx: the public `url` (https on loopback), the certificate to trust
    (`ca_file`) and the TLS context for it."""

    url: str
    ca_file: Path
    tls: ssl.SSLContext
    https_port: int


@contextmanager
def behind_nginx(office: Office, work: Path, **settings: str):
    """The office's `gvo serve` (with `settings`) behind Debian's nginx running
    deploy/nginx.conf (ports, certificate and upstream changed), on loopback."""
    gvo_port = free_port()
    with serve_office(office, gvo_port, work / "gvo.log", **settings), \
            proxy_in_front("nginx", work / "nginx", gvo_port) as (https_port, _http_port, tls):
        yield Proxied(f"https://127.0.0.1:{https_port}", work / "nginx" / "cert.pem", tls,
                      https_port)
