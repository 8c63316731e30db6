#!/usr/bin/env python3
"""Load run: 50 governors signed in with TOTP against a real `gvo serve`, replication on.

Makes a throwaway instance with the demo school (Riverside Primary) and 50 more governors
(authors on the full board, each with an authenticator), plus a few 2 MiB board papers;
starts `gvo serve` replicating to a file replica; runs locust headless
(scripts/load/locustfile.py: sign in, then read pages, download papers, search and
comment); and samples the school's replication lag from /healthz every 0.1 s meanwhile.
Prints requests, failures and p50/p95/p99 per endpoint, and the lag's p50/p99, each
beside its target (0 failures, p95 under 300 ms, lag p99 under 0.1 s). A benchmark,
never a test: it prints, it does not assert.

Password hashing is the real Argon2id throughout: setting up 50 accounts costs ~10 s,
and the sign-ins measured are the real ones.

Usage: .venv/bin/python scripts/load/run.py [--minutes 10] [--users 50] [--keep DIR]
(needs the `load` extra: pip install -e '.[load]'; `make load` does both).
"""

import argparse
import csv
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts" / "bench"))

from documents import cpu_seconds, free_port, make_file  # noqa: E402 - the bench's helpers

P95_TARGET_MS = 300
LAG_P99_TARGET = 0.1
PAPERS = 6
PAPER_BYTES = 2 * 1024 * 1024
SAMPLE_SECONDS = 0.1


class _Part:
    """A file to upload through the library's own intake (name + chunks)."""

    def __init__(self, path: Path):
        self.filename = path.name
        self.path = path

    def chunks(self):
        with open(self.path, "rb") as f:
            while block := f.read(1024 * 1024):
                yield block


def setup(workdir: Path, governors: int) -> dict:
    """The instance: demo school, `governors` more governors with TOTP, board papers.

    Returns what the locust users need (accounts, ids to visit), also written as JSON.
    """
    import pyotp

    from gvo.board import bodies
    from gvo.core.errors import NotFound, NotPermitted
    from gvo.core.identity import Identity
    from gvo.library import documents, folders
    from gvo.meetings import meetings
    from gvo.people import accounts, signin
    from gvo.people import demo as demo_data
    from gvo.storage.instance import Instance

    inst = Instance.init(workdir / "instance", environ={})
    demo_data.create(inst)
    conn = inst.db(demo_data.SLUG)
    op = Identity.operator()
    board = conn.execute("SELECT id FROM bodies WHERE kind = 'board'").fetchone()[0]
    people = []
    for n in range(1, governors + 1):
        email, name = f"governor{n:02d}@riverside.example", f"Load Governor {n:02d}"
        uid = accounts.add_user(conn, op, email=email, name=name, role="author",
                                password=demo_data.PASSWORD)
        bodies.add_member(conn, op, board, uid, "member", "parent")
        secret = pyotp.random_base32()
        # Enrolled with the previous step's code, so the sign-in's code (a later step) is
        # not refused as a replay of the enrolment's.
        code = pyotp.TOTP(secret).at(time.time() - 30)
        signin.enrol_totp(conn, Identity(uid, "author"), uid, secret, code)
        people.append({"email": email, "name": name, "totp_secret": secret})
    viewer = Identity(conn.execute("SELECT id FROM users WHERE email = ?",
                                   (people[0]["email"],)).fetchone()[0], "author")
    clerk = Identity(conn.execute("SELECT id FROM users WHERE role = 'manager'").fetchone()[0],
                     "manager")
    papers_folder = folders.create_folder(conn, clerk, parent_id=None, title="Board papers")
    parts = []
    for n in range(PAPERS):
        path = workdir / f"board-paper-{n + 1}.png"
        make_file(path, PAPER_BYTES)
        parts.append(_Part(path))
    papers = documents.add_files(conn, clerk, papers_folder, parts, limit=PAPER_BYTES * 2)

    def visible(ids, check):
        out = []
        for i in ids:
            try:
                check(conn, viewer, i)
            except (NotFound, NotPermitted):
                continue
            out.append(i)
        return out

    all_docs = [r[0] for r in conn.execute(
        "SELECT id FROM documents WHERE deleted_at IS NULL") if r[0] not in papers]
    targets = {
        "slug": demo_data.SLUG,
        "password": demo_data.PASSWORD,
        "governors": people,
        "meetings": [m["id"] for m in meetings.list_meetings(conn, viewer)],
        "folders": visible([r[0] for r in conn.execute("SELECT id FROM folders")],
                           folders.get_folder),
        "documents": visible(all_docs, documents.get_document),
        "papers": papers,
        "paper_bytes": PAPER_BYTES,
    }
    inst.close()
    (workdir / "targets.json").write_text(json.dumps(targets))
    return targets


class LagSampler(threading.Thread):
    """Reads the school's replication lag from /healthz (operator detail) every 0.1 s.

    The lag is the server's own: seconds since its replica last held every committed
    transaction (gvo.replication.shipper.SchoolShipper.lag), 0 when nothing is waiting.
    """

    def __init__(self, origin: str, token: str, slug: str):
        super().__init__(daemon=True)
        self.url, self.token, self.slug = origin + "/healthz", token, slug
        self.samples: list[float] = []
        self.errors = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        """Sample until stopped."""
        req = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.url, headers={"Authorization": f"Bearer {self.token}"})
        while not self.stopping.wait(SAMPLE_SECONDS):
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
                    body = json.load(resp)
                lag = body["replication"]["schools"][self.slug]["lag_seconds"]
            except (OSError, KeyError, ValueError):
                self.errors += 1
                continue
            if lag is None:
                self.errors += 1
            else:
                self.samples.append(float(lag))


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


def start_server(workdir: Path, port: int, token: str) -> subprocess.Popen:
    """`gvo serve` on the instance, replicating to workdir/replica; waits until it answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GVO_")}
    env.update(GVO_REPLICA_URL=(workdir / "replica").as_uri(), GVO_HEALTH_TOKEN=token)
    gvo = Path(sys.executable).with_name("gvo")
    cmd = [str(gvo)] if gvo.exists() else [sys.executable, "-m", "gvo"]
    log = open(workdir / "serve.log", "wb")  # noqa: SIM115 - the server's for its life
    proc = subprocess.Popen([*cmd, "--instance", str(workdir / "instance"), "serve",
                             "--port", str(port)], env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gvo serve exited: " + (workdir / "serve.log").read_text())
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz",  # noqa: S310
                                        timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gvo serve did not answer within 60 s")


def report(stats_csv: Path, lags: LagSampler, minutes: float) -> None:
    """Print the per-endpoint table and the lag, each beside its target."""
    rows = list(csv.DictReader(stats_csv.open()))
    print(f"\n{'endpoint':<52} {'requests':>8} {'fail':>5} {'p50':>6} {'p95':>6} "
          f"{'p99':>6}  (ms; target p95 < {P95_TARGET_MS}, 0 failures)")
    verdicts = []
    for r in rows:
        name = r["Name"] if r["Name"] != "Aggregated" else "all"
        label = f"{r['Type']} {name}".strip()
        reqs, fails = int(r["Request Count"]), int(r["Failure Count"])
        p50, p95, p99 = (r["50%"], r["95%"], r["99%"])
        print(f"{label[:52]:<52} {reqs:>8} {fails:>5} {p50:>6} {p95:>6} {p99:>6}")
        if name != "all":
            ok = fails == 0 and p95 not in ("N/A", "") and float(p95) < P95_TARGET_MS
            if not ok:
                verdicts.append(f"MISS {label}: {fails} failures, p95 {p95} ms")
    if lags.samples:
        p50, p99 = percentile(lags.samples, 50), percentile(lags.samples, 99)
        waiting = sum(1 for x in lags.samples if x > 0) / len(lags.samples)
        print(f"\nreplication lag over {len(lags.samples)} samples ({SAMPLE_SECONDS} s apart, "
              f"{minutes:g} min): p50 {p50:.3f} s, p99 {p99:.3f} s, max "
              f"{max(lags.samples):.3f} s, mean {statistics.mean(lags.samples):.3f} s; "
              f"something waiting to ship in {waiting:.0%} of samples "
              f"(target p99 < {LAG_P99_TARGET} s); {lags.errors} samples failed")
        if p99 >= LAG_P99_TARGET:
            verdicts.append(f"MISS replication lag p99 {p99:.3f} s")
    else:
        verdicts.append(f"MISS no lag samples ({lags.errors} failed)")
    print("\n".join(verdicts) if verdicts else "PASS every endpoint and the replication lag")


def main() -> int:
    """Set up, serve, load, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the run")
    parser.add_argument("--users", type=int, default=50, help="simulated governors")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="users started per s")
    parser.add_argument("--keep", type=Path, default=None,
                        help="make the instance here and keep it (default: a temporary one)")
    args = parser.parse_args()
    tmp = None
    if args.keep:
        workdir = args.keep
        workdir.mkdir(parents=True, exist_ok=False)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="gvo-load-")
        workdir = Path(tmp.name)
    try:
        t0 = time.monotonic()
        targets = setup(workdir, args.users)
        print(f"instance ready in {time.monotonic() - t0:.0f} s: {workdir}; "
              f"{len(targets['governors'])} governors, {len(targets['meetings'])} meetings, "
              f"{len(targets['documents'])} documents, {len(targets['papers'])} papers of "
              f"{PAPER_BYTES // (1024 * 1024)} MiB")
        port, token = free_port(), secrets.token_urlsafe(32)
        server = start_server(workdir, port, token)
        origin = f"http://127.0.0.1:{port}"
        lags = LagSampler(origin, token, targets["slug"])
        print(f"gvo serve pid {server.pid} on {origin}; load average before: "
              f"{os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)", flush=True)
        server_cpu = cpu_seconds(server.pid)
        locust_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            lags.start()
            locust = Path(sys.executable).with_name("locust")
            env = dict(os.environ, GVO_LOAD_TARGETS=str(workdir / "targets.json"))
            subprocess.run(
                [str(locust), "-f", str(Path(__file__).with_name("locustfile.py")),
                 "--headless", "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
                 "--run-time", f"{int(args.minutes * 60)}s", "--host", origin,
                 "--csv", str(workdir / "locust"), "--only-summary", "--loglevel", "WARNING",
                 "--exit-code-on-error", "0"],
                env=env, check=True)
            server_cpu = cpu_seconds(server.pid) - server_cpu
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            locust_cpu = (after.ru_utime + after.ru_stime
                          - locust_cpu.ru_utime - locust_cpu.ru_stime)
        finally:
            lags.stopping.set()
            lags.join(5)
            server.terminate()
            server.wait(60)
        report(workdir / "locust_stats.csv", lags, args.minutes)
        seconds = args.minutes * 60
        print(f"CPU during the run: gvo serve {server_cpu:.0f} s ({server_cpu / seconds:.0%} of "
              f"one core), locust {locust_cpu:.0f} s ({locust_cpu / seconds:.0%}); load "
              f"average after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other "
              "processes on the machine count too)")
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
