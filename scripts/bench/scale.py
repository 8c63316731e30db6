#!/usr/bin/env python3
"""Many schools in one `gvo serve`: start, memory, threads, files, idle CPU, latency, stop.

Makes an instance with N schools (default 500; the first --signins have one
Author each), starts the real `gvo serve` (waitress, replication to a folder)
and measures it from outside, through /proc and HTTP:

* time until it listens, and until /healthz first answers;
* resident memory, threads and open files at start, after touching every
  school (one anonymous GET of its sign-in page), and after the sign-ins;
* CPU used while idle over 10 s (% of one core);
* /healthz latency, a cold school's first page, the same school's next page;
* SIGTERM: how long the stop takes and its exit status; then a second start
  (listen time, memory) and `gvo status --json` (its time, and the largest lag
  it reports, which must be 0 after a clean stop).

Each figure is printed beside its target (issue 11). Never a test: nothing here fails.
A server that dies is reported with the end of its error output.

Usage: .venv/bin/python scripts/bench/scale.py [--schools 500] [--signins 50]
"""

import argparse
import http.client
import json
import multiprocessing
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - a throwaway bench account
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
TICKS = os.sysconf("SC_CLK_TCK")
MEMORY_TARGET_MB = 1024
HEALTH_TOKEN = "bench-" + "t" * 40  # noqa: S105 - lets the bench read /healthz's detail
IDLE_CPU_TARGET = 5.0
LATENCY_TARGET_MS = 50.0


def slug_of(i: int) -> str:
    """The bench's i-th school."""
    return f"school-{i:04d}"


def _make_schools(args: tuple) -> None:
    """Worker: create some schools (and an Author in those that get sign-ins)."""
    path, numbers, signins = args
    sys.path.insert(0, str(ROOT))
    from gvo.core.identity import Identity
    from gvo.people import accounts, settings
    from gvo.storage.instance import Instance

    inst = Instance.open(path, environ={})
    for i in numbers:
        slug = slug_of(i)
        inst.create_school(slug, f"School {i}")
        if i < signins:
            conn = inst.db(slug)
            settings.put(conn, "mfa_policy", "optional")
            accounts.add_user(conn, Identity.operator(), email=f"author{i}@example.org",
                              name=f"Author {i}", role="author", password=PASSWORD)
    inst.close()


def make_instance(path: Path, schools: int, signins: int, procs: int) -> float:
    """An instance with `schools` schools, made by `procs` processes; returns seconds."""
    sys.path.insert(0, str(ROOT))
    from gvo.storage.instance import Instance

    t0 = time.perf_counter()
    Instance.init(path, environ={}).close()
    parts = [(str(path), list(range(k, schools, procs)), signins) for k in range(procs)]
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        pool.map(_make_schools, parts)
    return time.perf_counter() - t0


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """What /proc says about the server."""

    def __init__(self, pid: int):
        self.pid = pid

    def status(self, field: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise RuntimeError(field)

    def rss_mb(self) -> float:
        return self.status("VmRSS") / 1024

    def threads(self) -> int:
        return self.status("Threads")

    def files(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS


class Server:
    """A `gvo serve` subprocess."""

    def __init__(self, instance: Path, replica: Path, threads: int = 8,
                 settings: dict | None = None):
        self.instance, self.replica, self.threads = instance, replica, threads
        self.settings = settings or {}
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.err = tempfile.TemporaryFile()  # noqa: SIM115 - closed by kill()

    def start(self) -> float:
        """Start; seconds until it accepts connections."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("GVO_")}
        env["GVO_REPLICA_URL"] = self.replica.as_uri()
        env["GVO_HEALTH_TOKEN"] = HEALTH_TOKEN
        env["PYTHONPATH"] = str(ROOT)
        env.update(self.settings)
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gvo", "--instance", str(self.instance), "serve",
             "--port", str(self.port), "--threads", str(self.threads)],
            env=env, stdout=subprocess.DEVNULL, stderr=self.err, cwd=ROOT)
        while True:
            if self.proc.poll() is not None:
                raise ServerDied(self.stderr_tail())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return time.perf_counter() - t0
            except OSError:
                time.sleep(0.02)
            if time.perf_counter() - t0 > 600:
                raise ServerDied("did not listen within 600 s")

    def stderr_tail(self) -> str:
        self.err.seek(0)
        return self.err.read().decode(errors="replace")[-1500:]

    def alive(self) -> None:
        if self.proc.poll() is not None:
            raise ServerDied(self.stderr_tail())

    def request(self, method: str, path: str, body: str | None = None,
                headers: dict | None = None) -> tuple[int, str, dict, float]:
        """One request on a new connection: (status, body, headers, seconds)."""
        t0 = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            conn.request(method, path, body, headers or {})
            resp = conn.getresponse()
            text = resp.read().decode(errors="replace")
            conn.close()
        except OSError as exc:
            self.alive()
            raise ServerDied(f"{method} {path}: {exc}") from None
        return resp.status, text, dict(resp.getheaders()), time.perf_counter() - t0

    def stop(self) -> tuple[float, int]:
        """SIGTERM; (seconds until it exited, exit status)."""
        t0 = time.perf_counter()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        return time.perf_counter() - t0, code

    def kill(self) -> None:
        """Kill it if it still runs, and let go of its error output."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.err.close()


class ServerDied(Exception):
    """The server exited (or stopped answering)."""


def idle_cpu(proc: Proc, seconds: float) -> float:
    """% of one core the server used over `seconds` of no requests."""
    c0, t0 = proc.cpu_seconds(), time.perf_counter()
    time.sleep(seconds)
    return 100 * (proc.cpu_seconds() - c0) / (time.perf_counter() - t0)


def report_idle_cpu(proc: Proc, seconds: float, when: str) -> None:
    cpu = idle_cpu(proc, seconds)
    label = f"idle CPU over {seconds:.0f} s ({when})"
    print(f"{label:<34} {cpu:7.1f} % of one core (target < {IDLE_CPU_TARGET:.0f}% "
          f"{verdict(cpu < IDLE_CPU_TARGET)})")


def ms(values: list[float]) -> str:
    """median (p90, max) in ms."""
    s = sorted(values)
    p90 = s[min(len(s) - 1, int(0.9 * len(s)))]
    return (f"median {1000 * statistics.median(s):7.1f} ms  p90 {1000 * p90:7.1f}  "
            f"max {1000 * s[-1]:7.1f}")


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def snapshot(label: str, proc: Proc, bounds: dict) -> None:
    rss, threads, files = proc.rss_mb(), proc.threads(), proc.files()
    bounds.setdefault("threads", []).append(threads)
    bounds.setdefault("files", []).append(files)
    print(f"{label:<34} resident {rss:7.0f} MB (target < {MEMORY_TARGET_MB} MB "
          f"{verdict(rss < MEMORY_TARGET_MB)})   threads {threads:4d}   open files {files:5d}")


def sign_in_as(server: Server, slug: str, email: str, password: str) -> tuple[str, float]:
    """Sign in over HTTP (the form, CSRF and all) as a new session: (the session's Cookie
    header, seconds for the POST)."""
    _status, page, headers, _ = server.request("GET", f"/{slug}/login")
    cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
    token = _CSRF.search(page).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password})
    status, _page, headers, took = server.request(
        "POST", f"/{slug}/login", body,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
         "Referer": f"http://127.0.0.1:{server.port}/{slug}/login"})
    if status != 302:
        raise ServerDied(f"sign-in {slug} as {email}: {status}")
    return headers["Set-Cookie"].split(";", 1)[0], took


def sign_in(server: Server, i: int) -> float:
    """Sign in as school i's Author (a new session); seconds for the POST."""
    return sign_in_as(server, slug_of(i), f"author{i}@example.org", PASSWORD)[1]


def wait_for_health(server: Server, timeout: float = 600) -> float:
    """Seconds until /healthz answers (200 or 503)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            status, *_ = server.request("GET", "/healthz")
            if status in (200, 503):
                return time.perf_counter() - t0
        except ServerDied:
            server.alive()
        time.sleep(0.02)
    raise ServerDied("/healthz never answered")


def replicated_schools(server: Server) -> int:
    """How many schools the replicator reports on (their first round has run)."""
    status, body, _h, _t = server.request("GET", "/healthz",
                                          headers={"Authorization": f"Bearer {HEALTH_TOKEN}"})
    detail = json.loads(body)
    return len(detail.get("replication", {}).get("schools", {}))


def wait_replicated(server: Server, schools: int, timeout: float = 900) -> float:
    """Seconds until every school's first replication round has run."""
    t0 = time.perf_counter()
    while replicated_schools(server) < schools and time.perf_counter() - t0 < timeout:
        time.sleep(0.2)
    return time.perf_counter() - t0


def status_json(instance: Path, replica: Path) -> tuple[float, float | None, int]:
    """`gvo status --json`: (seconds, largest lag reported, schools listed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GVO_")}
    env["PYTHONPATH"] = str(ROOT)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "gvo", "--instance", str(instance), "status",
                          "--json", "--to", replica.as_uri()],
                         env=env, capture_output=True, text=True, cwd=ROOT, check=True)
    took = time.perf_counter() - t0
    rows = json.loads(out.stdout)["schools"]
    lags = [r["lag_seconds"] for r in rows if r["lag_seconds"] is not None]
    return took, (max(lags) if lags else None), len(rows)


def run(args, work: Path) -> None:
    instance, replica = work / "instance", work / "replica"
    made = make_instance(instance, args.schools, args.signins, args.procs)
    print(f"{args.schools} schools made in {made:.1f} s ({args.procs} processes)")
    server = Server(instance, replica, args.threads)
    bounds: dict = {}
    try:
        listen = server.start()
        proc = Proc(server.proc.pid)
        health_first = wait_for_health(server)
        print(f"time to listen                     {listen:7.2f} s   (target: a few seconds "
              f"{verdict(listen < 5)})")
        print(f"then /healthz first answered after {health_first:7.2f} s")
        snapshot("at start", proc, bounds)
        first_pass = wait_replicated(server, args.schools)
        print(f"replication's first pass (a new replica: a snapshot per school) took "
              f"{first_pass:.1f} s more")
        time.sleep(args.settle)
        snapshot(f"then {args.settle:.0f} s later", proc, bounds)
        report_idle_cpu(proc, args.idle, "before use")
        health = [server.request("GET", "/healthz")[3] for _ in range(50)]
        print(f"/healthz                           {ms(health)}   (target median < "
              f"{LATENCY_TARGET_MS:.0f} ms {verdict(statistics.median(health) < 0.05)})")
        first, nxt = [], []
        for i in range(args.schools):
            status, _p, _h, took = server.request("GET", f"/{slug_of(i)}/login")
            if status != 200:
                raise ServerDied(f"/{slug_of(i)}/login: {status}")
            first.append(took)
            if i % 10 == 0:
                nxt.append(server.request("GET", f"/{slug_of(i)}/login")[3])
        print(f"a cold school's first page         {ms(first)}   (target median < "
              f"{LATENCY_TARGET_MS:.0f} ms {verdict(statistics.median(first) < 0.05)})")
        print(f"the same school's next page        {ms(nxt)}")
        snapshot(f"after touching {args.schools} schools", proc, bounds)
        signins = [sign_in(server, i) for i in range(args.signins)]
        print(f"{args.signins} sign-ins (POST, password hash) {ms(signins)}")
        snapshot(f"after {args.signins} sign-ins", proc, bounds)
        report_idle_cpu(proc, args.idle, "after use")
        snapshot(f"after {args.idle:.0f} s idle", proc, bounds)
        print(f"threads, most seen                 {max(bounds['threads']):7d}   (target: "
              "bounded, independent of the number of schools)")
        print(f"open files, most seen              {max(bounds['files']):7d}   (target: "
              "bounded, independent of the number of schools)")
        took, code = server.stop()
        print(f"SIGTERM to exit                    {took:7.2f} s   exit status {code}")
        tail = server.stderr_tail()
        if "Traceback" in tail:
            print("  stderr: " + tail.replace("\n", "\n  "))
        server.kill()
        second = Server(instance, replica, args.threads)
        server = second
        listen = second.start()
        proc = Proc(second.proc.pid)
        wait_for_health(second)
        print(f"second start: time to listen       {listen:7.2f} s   resident "
              f"{proc.rss_mb():5.0f} MB")
        first_pass = wait_replicated(second, args.schools)
        print(f"  every school checked after       {first_pass:7.2f} s more; resident "
              f"{proc.rss_mb():5.0f} MB")
        took, lag, n = status_json(instance, replica)
        print(f"gvo status --json                  {took:7.2f} s for {n} schools (target: well "
              f"under a second {verdict(took < 1)}); largest lag {lag} (after a clean stop: "
              f"0 {verdict(not lag)})")
        took, code = second.stop()
        print(f"second SIGTERM to exit             {took:7.2f} s   exit status {code}")
    except ServerDied as exc:
        print(f"THE SERVER DIED OR STOPPED ANSWERING: {exc}")
    finally:
        server.kill()


def main() -> None:
    """Measure once and print each figure beside its target."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--signins", type=int, default=50)
    parser.add_argument("--threads", type=int, default=8, help="gvo serve --threads")
    parser.add_argument("--procs", type=int, default=2, help="processes making the schools")
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds to wait after the first replication pass")
    parser.add_argument("--idle", type=float, default=10.0,
                        help="seconds over which idle CPU is measured")
    args = parser.parse_args()
    args.signins = min(args.signins, args.schools)
    with tempfile.TemporaryDirectory() as tmp:
        run(args, Path(tmp))


if __name__ == "__main__":
    main()
