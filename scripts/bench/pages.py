#!/usr/bin/env python3
"""Signed-in pages against /healthz: throughput of each main page in one real `gvo serve`.

Makes a temporary instance holding the demo school (Riverside Primary, `gvo demo`),
starts the real `gvo serve` (waitress, replication to a folder, as in production),
signs in over HTTP as the demo governor and as the demo clerk (a Manager), checks
each page answers 200 with its own content, then measures requests per second at a
fixed concurrency (8 keep-alive connections) of:

* /healthz (the baseline: the same server, no school, no session);
* home, a library folder, a document, the meetings list, a meeting, the calendar and
  the profile page, as the governor;
* the same meeting page and the people page (/admin/users), as the clerk.

Rounds are interleaved (every page once per round, /healthz first in each), so a
slow moment of the machine falls on all of them alike; each page's throughput is
divided by /healthz's of the same round. Printed: each page's ratio over the rounds
as min/median/max beside the target (0.5x /healthz, issue 11), its requests/s and
median latency. Never a test: nothing here fails.

The load comes from `wrk` when it is installed (Debian: apt-get install wrk), else
from a pure-Python client (processes with one keep-alive connection each), which is
slower than wrk: its ratios are still fair (the same client for every page) but
/healthz may be held back by the client rather than the server.

Usage: .venv/bin/python scripts/bench/pages.py [--rounds 3] [--seconds 5]
       [--connections 8] [--client wrk|python]
"""

import argparse
import http.client
import multiprocessing
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# The same `gvo serve` harness as the many-schools benchmark (this folder is on sys.path).
from scale import Server, sign_in_as

ROOT = Path(__file__).resolve().parents[2]
TARGET_RATIO = 0.5


@dataclass
class Page:
    """One page to measure: its label, path, who asks for it and a text it must show."""

    label: str
    path: str
    who: str  # "governor" | "clerk" | "" (no cookie)
    expect: str
    rps: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)


def make_instance(path: Path) -> dict:
    """An instance with the demo school; the ids of the richest folder, document and meeting."""
    sys.path.insert(0, str(ROOT))
    from gvo.people import demo
    from gvo.storage.instance import Instance

    inst = Instance.init(path, environ={})
    demo.create(inst)
    conn = inst.db(demo.SLUG)

    def one(sql: str) -> int:
        return conn.execute(sql).fetchone()[0]

    ids = {
        "folder": one("SELECT folder_id FROM documents WHERE deleted_at IS NULL"
                      " GROUP BY folder_id ORDER BY count(*) DESC, folder_id LIMIT 1"),
        "document": one("SELECT d.id FROM documents d LEFT JOIN comments c ON"
                        " c.subject_type = 'document' AND c.subject_id = d.id"
                        " WHERE d.deleted_at IS NULL GROUP BY d.id"
                        " ORDER BY count(c.id) DESC, d.id LIMIT 1"),
        "meeting": one("SELECT m.id FROM meetings m JOIN agenda_items a ON a.meeting_id = m.id"
                       " LEFT JOIN agenda_papers p ON p.item_id = a.id GROUP BY m.id"
                       " ORDER BY count(p.id) DESC, count(DISTINCT a.id) DESC, m.id LIMIT 1"),
    }
    inst.close()
    return ids


# -- the load: wrk, or Python processes -------------------------------------------------

_WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_WRK_BAD = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_WRK_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_WRK_P50 = re.compile(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def load_wrk(url: str, cookie: str, seconds: float, connections: int) -> tuple[float, float]:
    """(requests/s, median latency in ms) of `connections` keep-alive connections for
    `seconds`, with wrk; raises if any answer was not 2xx/3xx or a socket failed."""
    cmd = ["wrk", "-t", str(min(2, connections)), "-c", str(connections),
           "-d", f"{max(1, round(seconds))}s", "--latency", "--timeout", "30s"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    bad = _WRK_BAD.search(out)
    errors = _WRK_ERRORS.search(out)
    if bad or (errors and any(int(n) for n in errors.groups())):
        raise RuntimeError(f"wrk met failures on {url}:\n{out}")
    p50 = _WRK_P50.search(out)
    return float(_WRK_RPS.search(out).group(1)), float(p50.group(1)) * _UNIT[p50.group(2)]


def _python_worker(args: tuple) -> tuple[list[float], float, float]:
    """One keep-alive connection asking for the page until the deadline (at least once):
    (each latency in s, when it began, when it ended: time.time())."""
    port, path, cookie, deadline = args
    headers = {"Cookie": cookie} if cookie else {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    took = []
    began = time.time()
    while not took or time.time() < deadline:
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{path} answered {resp.status}")
        took.append(time.perf_counter() - t0)
    conn.close()
    return took, began, time.time()


def load_python(pool, port: int, path: str, cookie: str, seconds: float,
                connections: int) -> tuple[float, float]:
    """As load_wrk, from `connections` Python processes with one connection each."""
    deadline = time.time() + seconds
    parts = pool.map(_python_worker, [(port, path, cookie, deadline)] * connections)
    took = [t for part, _began, _ended in parts for t in part]
    span = max(p[2] for p in parts) - min(p[1] for p in parts)
    return len(took) / span, 1000 * statistics.median(took)


# -- the run ------------------------------------------------------------------------------

def pages_of(ids: dict) -> list[Page]:
    """/healthz and the main signed-in pages, each with a text that shows it rendered."""
    s = "/riverside"
    return [
        Page("/healthz", "/healthz", "", '"status"'),
        Page("home", f"{s}/", "governor", "Grace Governor"),
        Page("library folder", f"{s}/library/folders/{ids['folder']}", "governor", "<h1"),
        Page("document", f"{s}/library/documents/{ids['document']}", "governor", "<h1"),
        Page("meetings list", f"{s}/meetings", "governor", "<h1"),
        Page("meeting", f"{s}/meetings/{ids['meeting']}", "governor", "<h1"),
        Page("meeting (clerk)", f"{s}/meetings/{ids['meeting']}", "clerk", "<h1"),
        Page("calendar", f"{s}/meetings/calendar", "governor", "<h1"),
        Page("profile", f"{s}/profile", "governor", "Grace Governor"),
        Page("people (Manager)", f"{s}/admin/users", "clerk", "Clara Clerk"),
    ]


def spread(values: list[float], fmt: str) -> str:
    """min/median/max of values."""
    return "/".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def run(args, work: Path) -> None:
    from gvo.people import demo

    ids = make_instance(work / "instance")
    server = Server(work / "instance", work / "replica", args.threads)
    server.start()
    pool = None
    try:
        cookies = {"": "",
                   "governor": sign_in_as(server, demo.SLUG, "governor@riverside.example",
                                          demo.PASSWORD)[0],
                   "clerk": sign_in_as(server, demo.SLUG, "clerk@riverside.example",
                                       demo.PASSWORD)[0]}
        pages = pages_of(ids)
        for page in pages:  # each answers itself, signed in, before anything is timed
            status, body, _h, _took = server.request("GET", page.path,
                                                     headers={"Cookie": cookies[page.who]})
            if status != 200 or page.expect not in body:
                raise RuntimeError(f"{page.label} ({page.path}) answered {status}: {body[:300]}")
        client = args.client or ("wrk" if shutil.which("wrk") else "python")
        if client == "python":
            pool = multiprocessing.get_context("spawn").Pool(args.connections)
        print(f"gvo serve --threads {args.threads} (waitress) pid {server.proc.pid}, the demo "
              f"school; load: {client}, {args.connections} keep-alive connections, "
              f"{args.seconds:g} s per page per round, {args.rounds} rounds interleaved")
        for rnd in range(args.rounds):
            for page in pages:
                if client == "wrk":
                    rps, p50 = load_wrk(f"http://127.0.0.1:{server.port}{page.path}",
                                        cookies[page.who], args.seconds, args.connections)
                else:
                    rps, p50 = load_python(pool, server.port, page.path, cookies[page.who],
                                           args.seconds, args.connections)
                page.rps.append(rps)
                page.p50_ms.append(p50)
            print(f"round {rnd + 1}: /healthz {pages[0].rps[-1]:.0f} requests/s")
        if server.proc.poll() is not None:
            raise RuntimeError("gvo serve died: " + server.stderr_tail())
        report(pages)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        server.stop()
        server.kill()


def report(pages: list[Page]) -> None:
    """Each page's ratio to /healthz (same round), min/median/max, beside the target."""
    health = pages[0]
    print(f"{'page':<18} {'requests/s min/med/max':>24} {'p50 ms (median)':>16} "
          f"{'ratio to /healthz min/med/max':>30}  target")
    print(f"{health.label:<18} {spread(health.rps, '{:.0f}'):>24} "
          f"{statistics.median(health.p50_ms):>16.1f}")
    missed = []
    for page in pages[1:]:
        ratios = [p / h for p, h in zip(page.rps, health.rps, strict=True)]
        met = statistics.median(ratios) >= TARGET_RATIO
        if not met:
            missed.append(page.label)
        print(f"{page.label:<18} {spread(page.rps, '{:.0f}'):>24} "
              f"{statistics.median(page.p50_ms):>16.1f} {spread(ratios, '{:.2f}x'):>30}  "
              f"{TARGET_RATIO}x {'MET' if met else 'NOT MET'}")
    print("every page at least 0.5x /healthz (median of the rounds): "
          + ("MET" if not missed else "NOT MET (" + ", ".join(missed) + ")"))


def main() -> None:
    """Measure once and print each page's ratio beside its target."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="per page per round")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="gvo serve --threads")
    parser.add_argument("--client", choices=("wrk", "python"),
                        help="the load generator (default: wrk if installed, else python)")
    args = parser.parse_args()
    if args.client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (Debian: apt-get install wrk)")
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="gvo-bench-pages-") as tmp:
        run(args, Path(tmp))


if __name__ == "__main__":
    main()
