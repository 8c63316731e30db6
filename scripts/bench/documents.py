#!/usr/bin/env python3
"""Document benchmark: uploads and downloads through a real `gvo serve`, measured in one run.

Starts `gvo serve` (waitress, the real server, replicating to a file replica) on a
temporary instance, signs in over HTTP, then for each file size runs a few rounds, each
round SQLCipher's own BLOB write and read of the same bytes (sqlcipher3, a school
database's cipher settings and PRAGMAs, the library's 1 MiB chunks) and then an upload and
a download through the server, checking the bytes are identical. Prints (never asserts; a
benchmark, not a test):

* upload and download throughput in MB/s beside SQLCipher's write and read, and the
  ratios (SQLCipher's time / the server's) as min/median/max over the rounds, beside the
  target of 0.8x (issue 11: the physical limit for encrypted storage is what AES and HMAC
  per page cost, so the web path may add at most a quarter to it);
* the server process's peak memory (VmHWM) before and after each size, so one
  can see it does not grow with the file size.

The helpers (`LiveGvo`) are shared with tests/library/test_large_upload.py.

Usage: .venv/bin/python scripts/bench/documents.py [--sizes 10,200] [--rounds 3]
"""

import argparse
import hashlib
import http.client
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET_RATIO = 0.8
CHUNK_NAME = "1 MiB blob_chunks"
PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - a throwaway bench account
EMAIL = "bench-author@example.org"
BLOCK = 1024 * 1024
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_file(path: Path, size: int) -> str:
    """A PNG-typed file of `size` random bytes; returns its sha256."""
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        head = b"\x89PNG\r\n\x1a\n"
        f.write(head)
        digest.update(head)
        left = size - len(head)
        while left > 0:
            block = os.urandom(min(BLOCK, left))
            f.write(block)
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


def peak_rss_kib(pid: int) -> int:
    """A process's peak resident memory (VmHWM) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def rss_kib(pid: int) -> int:
    """A process's current resident memory (VmRSS) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class LiveGvo:
    """A `gvo serve` subprocess on a new instance with one school and one signed-in Author."""

    def __init__(self, workdir: Path, *, limit_mb: int = 400):
        self.workdir = workdir
        self.instance = workdir / "instance"
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.limit_mb = limit_mb
        self.proc: subprocess.Popen | None = None
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.folder_id = 0

    def _setup(self) -> None:
        sys.path.insert(0, str(ROOT))
        from gvo.core.identity import Identity
        from gvo.library import folders
        from gvo.people import accounts, settings
        from gvo.storage.instance import Instance

        inst = Instance.init(self.instance, environ={})
        inst.create_school("alpha", "Alpha Primary")
        conn = inst.db("alpha")
        settings.put(conn, "mfa_policy", "optional")
        settings.put(conn, "upload_limit_mb", str(self.limit_mb))
        manager = accounts.add_user(conn, Identity.operator(), email="bench-manager@example.org",
                                    name="Bench Manager", role="manager", password=PASSWORD)
        accounts.add_user(conn, Identity.operator(), email=EMAIL, name="Bench Author",
                          role="author", password=PASSWORD)
        self.folder_id = folders.create_folder(conn, Identity(manager, "manager"),
                                               parent_id=None, title="Bench")
        inst.close()

    def start(self) -> "LiveGvo":
        """Make the instance, start the server, wait for it, sign in."""
        self._setup()
        try:
            self._launch()
            self._sign_in()
        except BaseException:
            self.stop()
            raise
        return self

    def restart(self) -> "LiveGvo":
        """Start `gvo serve` again on the same instance and port, keeping the cookie jar.

        For after kill() (or stop()): sessions are rows in the school database, so the
        Author stays signed in across a restart.
        """
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()
        self._launch()
        return self

    def kill(self) -> None:
        """kill -9 the server (no clean shutdown of waitress or the replicator)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()  # SIGKILL
        if self.proc:
            self.proc.wait(30)

    def _launch(self) -> None:
        """Start `gvo serve` and wait until it accepts connections."""
        # Only the settings given here: none from the caller's shell (an exported
        # GVO_MASTER_KEY would not open this instance).
        env = {k: v for k, v in os.environ.items() if not k.startswith("GVO_")}
        env.update(GVO_MAX_UPLOAD_MB=str(self.limit_mb),
                   GVO_REPLICA_URL=(self.workdir / "replica").as_uri())
        gvo = Path(sys.executable).with_name("gvo")
        cmd = [str(gvo)] if gvo.exists() else [sys.executable, "-m", "gvo"]
        self.proc = subprocess.Popen(
            [*cmd, "--instance", str(self.instance), "serve", "--port", str(self.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gvo serve exited: " + self.proc.stderr.read().decode())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"gvo serve did not listen on port {self.port} within 60 s")

    def stop(self) -> None:
        """Stop the server."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()

    def get(self, path: str) -> str:
        """GET a page as the signed-in Author."""
        with self.opener.open(self.origin + path) as resp:
            return resp.read().decode()

    def token(self, path: str) -> str:
        """The CSRF token of a page."""
        return _CSRF.search(self.get(path)).group(1)

    def _sign_in(self) -> None:
        token = self.token("/alpha/login")
        data = urllib.parse.urlencode({"csrf_token": token, "email": EMAIL,
                                       "password": PASSWORD}).encode()
        with self.opener.open(self.origin + "/alpha/login", data) as resp:
            resp.read()
        assert "Bench Author" in self.get("/alpha/"), "sign-in failed"

    def _cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def cookie_header(self) -> str:
        """The signed-in Author's cookies, as a Cookie header (for raw http.client requests)."""
        return self._cookie_header()

    def folder_token(self) -> str:
        """The CSRF token of the Bench folder's page (what its upload form sends)."""
        return self.token(f"/alpha/library/folders/{self.folder_id}")

    def upload(self, path: Path, name: str | None = None,
               token: str | None = None) -> tuple[int, str]:
        """Stream a file from disk into the Bench folder; returns (status, body).

        Without `token`, the folder page is fetched first for one (as a browser would).
        """
        folder_page = f"/alpha/library/folders/{self.folder_id}"
        token = token or self.folder_token()
        boundary = "gvo-bench-4c1a9e"
        name = name or path.name
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
                f"{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"files\";"
                f" filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        size = path.stat().st_size

        def body():
            yield head
            with open(path, "rb") as f:
                while block := f.read(BLOCK):
                    yield block
            yield tail

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600,
                                          blocksize=BLOCK)
        try:
            conn.request("POST", f"{folder_page}/upload", body=body(), headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(head) + size + len(tail)),
                "Cookie": self._cookie_header(), "Referer": self.origin + folder_page})
            resp = conn.getresponse()
            return resp.status, resp.read().decode(errors="replace")
        finally:
            conn.close()

    def latest_document(self) -> int:
        """The id of the newest document in the Bench folder."""
        page = self.get(f"/alpha/library/folders/{self.folder_id}")
        ids = [int(x) for x in re.findall(r"/alpha/library/documents/(\d+)\"", page)]
        return max(ids)

    def download(self, doc_id: int, *, digest: bool = True) -> tuple[int, str]:
        """Stream a document's latest version; returns (bytes, sha256), keeping nothing.

        With digest=False the bytes are only counted (the sha256 is then "").
        """
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        hasher, total = hashlib.sha256(), 0
        try:
            conn.request("GET", f"/alpha/library/documents/{doc_id}/download",
                         headers={"Cookie": self._cookie_header()})
            resp = conn.getresponse()
            if resp.status != 200:
                raise RuntimeError(f"download answered {resp.status}")
            while block := resp.read(BLOCK):
                if digest:
                    hasher.update(block)
                total += len(block)
        finally:
            conn.close()
        return total, hasher.hexdigest() if digest else ""


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user + system, all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(pid: int, *, tick: float = 0.2, most: float = 60.0) -> None:
    """Wait until a process uses almost no CPU (under 10% of a core over `tick` seconds).

    The server's replicator ships and checkpoints a large upload for a while after it is
    acknowledged; each transfer is timed once that is done, so one transfer is not charged
    for the last one's background work.
    """
    deadline = time.monotonic() + most
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(tick)
        now = cpu_seconds(pid)
        if now - last < 0.1 * tick:
            return
        last = now


def sqlcipher_blob_seconds(db_path: Path, src: Path) -> tuple[float, float, float, float]:
    """Seconds for SQLCipher itself to write the file as a chunked BLOB and read it back,
    then the CPU seconds each took (write, read, write CPU, read CPU).

    The physical limit for encrypted storage: a database made with sqlcipher3 and the same
    PRAGMAs as a school database (raw key, so no KDF; `CIPHER_SETTINGS`: 2048-byte pages,
    HMAC-SHA256; `apply_settings`: WAL, synchronous=NORMAL, no autocheckpoint) and the
    library's chunking (`blob_chunks` rows of `blobs.CHUNK_SIZE`, written in one
    transaction, read one row at a time, under the streaming page cache). No HTTP, no
    checks, no hashing: only the bytes in and out of SQLCipher. The WAL is checkpointed and
    the rows deleted after each round (untimed), as the replicator checkpoints the server's.
    """
    import sqlcipher3

    from gvo.library import blobs
    from gvo.storage import sqlcipher

    conn = sqlcipher3.connect(str(db_path), isolation_level=None)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(sqlcipher.key_pragma(b"\x42" * 32))
        for setting in sqlcipher.CIPHER_SETTINGS:
            conn.execute(setting)
        sqlcipher.apply_settings(conn)
        conn.execute(f"PRAGMA cache_size = -{blobs.STREAM_CACHE_KIB}")
        conn.execute("CREATE TABLE IF NOT EXISTS blob_chunks (id INTEGER PRIMARY KEY,"
                     " blob_id INTEGER NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL,"
                     " UNIQUE (blob_id, seq))")
        start, cpu = time.perf_counter(), time.process_time()
        conn.execute("BEGIN IMMEDIATE")
        with open(src, "rb") as f:
            seq = 0
            while chunk := f.read(blobs.CHUNK_SIZE):
                conn.execute("INSERT INTO blob_chunks(blob_id, seq, data) VALUES (1, ?, ?)",
                             (seq, chunk))
                seq += 1
        conn.execute("COMMIT")
        write, write_cpu = time.perf_counter() - start, time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        seq = 0
        while True:
            row = conn.execute("SELECT data FROM blob_chunks WHERE blob_id = 1 AND seq = ?",
                               (seq,)).fetchone()
            if row is None:
                break
            seq += 1
        read, read_cpu = time.perf_counter() - start, time.process_time() - cpu
        conn.execute("DELETE FROM blob_chunks")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()
    return write, read, write_cpu, read_cpu


def timed_transfer(server: LiveGvo, src: Path) -> tuple[float, float, int, float, float]:
    """Seconds to upload a file and to download it back; the document's id; the CPU
    seconds the server process (all its threads) spent on the upload and the download.

    The upload's CSRF token is fetched before the clock starts: the page load is not
    part of the transfer. The timed download only counts the bytes (hashing them is the
    client's work, not the server's); the bytes are compared once, untimed, afterwards.
    """
    token = server.folder_token()
    pid = server.proc.pid
    wait_idle(pid)
    start, cpu = time.perf_counter(), cpu_seconds(pid)
    status, body = server.upload(src, token=token)
    up, up_cpu = time.perf_counter() - start, cpu_seconds(pid) - cpu
    if status != 303:
        raise RuntimeError(f"upload answered {status}: {body[:300]}")
    doc_id = server.latest_document()
    wait_idle(pid)
    start, cpu = time.perf_counter(), cpu_seconds(pid)
    total, _ = server.download(doc_id, digest=False)
    down, down_cpu = time.perf_counter() - start, cpu_seconds(pid) - cpu
    if total != src.stat().st_size:
        raise RuntimeError("download was short")
    return up, down, doc_id, up_cpu, down_cpu


def spread(values: list[float]) -> str:
    """min/median/max of ratios, as 0.71/0.80/0.84x."""
    return (f"{min(values):.2f}/{statistics.median(values):.2f}/{max(values):.2f}x")


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,200", help="file sizes in MB, comma-separated")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds per size, each SQLCipher's then the server's transfer")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="gvo-bench-docs-") as tmp:
        work = Path(tmp)
        server = LiveGvo(work, limit_mb=max(sizes) + 50).start()
        try:
            small = work / "small.png"
            make_file(small, 64 * 1024)
            server.upload(small)
            server.download(server.latest_document())
            # What any request costs whatever its size (session, CSRF, audit, commit).
            fixed = [timed_transfer(server, small) for _ in range(5)]
            fixed_up = statistics.median(f[0] for f in fixed)
            fixed_down = statistics.median(f[1] for f in fixed)
            print(f"gvo serve pid {server.proc.pid}; peak memory after warm-up "
                  f"{peak_rss_kib(server.proc.pid) / 1024:.0f} MiB; a 64 KiB file takes "
                  f"{fixed_up * 1000:.0f} ms up, {fixed_down * 1000:.0f} ms down "
                  "(the fixed cost of a request)")
            print(f"{'size':>6} {'what':>8} {'gvo MB/s':>9} {'SQLCipher MB/s':>15} "
                  f"{'ratio min/med/max':>18} {'target':>7} {'CPU ratio':>10} "
                  f"{'peak MiB before→after':>22}")
            verdicts = []
            for mb in sizes:
                src = work / f"file-{mb}.png"
                digest = make_file(src, mb * 1024 * 1024)
                os.sync()  # the file on disk, not dirty in the cache, before anything is timed
                before = peak_rss_kib(server.proc.pid)
                rows = {"upload": ([], [], [], []), "download": ([], [], [], [])}
                for _ in range(args.rounds):
                    # Interleaved: SQLCipher's own I/O, then the server's, each round.
                    wait_idle(server.proc.pid)
                    write, read, write_cpu, read_cpu = sqlcipher_blob_seconds(
                        work / "plain-blob.db", src)
                    up, down, doc_id, up_cpu, down_cpu = timed_transfer(server, src)
                    for what, values in (("upload", (up, write, up_cpu, write_cpu)),
                                         ("download", (down, read, down_cpu, read_cpu))):
                        for column, value in zip(rows[what], values, strict=True):
                            column.append(value)
                after = peak_rss_kib(server.proc.pid)
                total, got = server.download(doc_id)
                assert total == mb * 1024 * 1024 and got == digest, "bytes differ"
                for what, (gvo_s, base_s, gvo_cpu, base_cpu) in rows.items():
                    ratios = [b / g for g, b in zip(gvo_s, base_s, strict=True)]
                    med = statistics.median(ratios)
                    cpu_ratio = statistics.median(base_cpu) / max(statistics.median(gvo_cpu),
                                                                  1e-9)
                    print(f"{mb:>4}MB {what:>8} {mb / statistics.median(gvo_s):>9.0f} "
                          f"{mb / statistics.median(base_s):>15.0f} {spread(ratios):>18} "
                          f"{TARGET_RATIO:>6.1f}x {cpu_ratio:>9.2f}x "
                          f"{before / 1024:>10.0f} → {after / 1024:.0f}")
                    verdicts.append(f"{'PASS' if med >= TARGET_RATIO else 'MISS'} {mb} MB "
                                    f"{what} {med:.2f}x median (target {TARGET_RATIO}x)")
                src.unlink()
            print(f"baseline: sqlcipher3 writing the same bytes as {CHUNK_NAME} rows in one "
                  "transaction and reading them back, with a school database's PRAGMAs, in "
                  f"{work} (the instance's disk); ratio = its time / the server's, per round")
            print(f"{args.rounds} rounds per size, interleaved; `gvo serve` ships WAL to its "
                  "replica while it serves, as in production")
            print("CPU ratio: SQLCipher's CPU seconds / the server process's (all threads, "
                  "replicator included), medians: what the web path costs beside the "
                  "storage, whatever else the machine runs (the time ratios are the target; "
                  f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
            print("\n".join(verdicts))
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
