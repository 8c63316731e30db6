#!/usr/bin/env python3
"""Storage benchmark: what SQLCipher encryption costs GVO, measured in one run.

Prints (never asserts; this is a benchmark, not a test):

* connection open time with the raw key (gvo.storage.sqlcipher.connect) vs a
  passphrase key (SQLCipher's default PBKDF2), median and p95, and their ratio;
* small write transactions, point reads by primary key and full scans on an
  encrypted database vs the same sqlcipher3 build without a key (plain SQLite),
  both with GVO's real settings (gvo.storage.sqlcipher.apply_settings), as
  ratios encrypted/plain beside the targets;
* the same reads with SQLite's stock 2 MiB page cache, for contrast.

Rounds alternate which side runs first, and each ratio is the median of the
per-round ratios, so drift in machine load hits both sides alike.

Usage: .venv/bin/python scripts/bench/storage.py [--quick] [--investigate]
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlcipher3

from gvo.storage import sqlcipher as gs

# A benchmark-only passphrase: the point is the PBKDF2 cost of any passphrase.
PASSPHRASE = "benchmark passphrase, not a secret"  # noqa: S105
STOCK_CACHE_KIB = 2_000  # SQLite's stock default (cache_size = -2000)

CACHE = f"{gs.CACHE_KIB // 1024} MiB cache"
STOCK = f"{STOCK_CACHE_KIB // 1000} MiB cache"

TARGET_OPEN_MS = 1.0
TARGET_READ = 0.7
TARGET_WRITE = 0.5


@dataclass(frozen=True)
class Sizes:
    rows: int  # rows in the scanned table
    body_chars: int  # characters per scanned row's body
    write_body_chars: int  # characters per row inserted by the write test
    writes: int  # write transactions per side per round
    point_reads: int  # point reads per side per round
    scans: int  # full scans per side per round (64 MiB cache)
    stock_scans: int  # full scans per side per round (2 MiB cache)
    stock_point_reads: int
    raw_opens: int
    passphrase_opens: int
    rounds: int


FULL = Sizes(rows=100_000, body_chars=240, write_body_chars=200, writes=3_000,
             point_reads=30_000, scans=6, stock_scans=3, stock_point_reads=15_000,
             raw_opens=300, passphrase_opens=12, rounds=5)
QUICK = Sizes(rows=2_000, body_chars=240, write_body_chars=200, writes=50,
              point_reads=300, scans=2, stock_scans=1, stock_point_reads=100,
              raw_opens=10, passphrase_opens=2, rounds=2)


# --- opening --------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """A change from GVO's settings, for --investigate only (GVO itself uses DEFAULT)."""

    name: str
    page_size: int | None = None  # page_size on both sides, cipher_page_size on the encrypted
    cipher_pragmas: tuple[str, ...] = ()  # after the key (encrypted side), on every open
    pragmas: tuple[str, ...] = ()  # after GVO's settings, both sides


DEFAULT = Variant("GVO settings")
VARIANTS = (
    Variant("SQLCipher 4 defaults (4096 B, HMAC_SHA512)", page_size=4096,
            cipher_pragmas=("PRAGMA cipher_hmac_algorithm = HMAC_SHA512",)),
    Variant("4096 B pages, HMAC_SHA256", page_size=4096),
    Variant("1024 B pages, HMAC_SHA256", page_size=1024),
    Variant("synchronous=FULL", pragmas=("PRAGMA synchronous = FULL",)),
)


def open_side(path: Path, key: bytes | None, *, cache_kib: int | None = None,
              variant: Variant = DEFAULT, create: bool = False) -> gs.Connection:
    """Encrypted: gvo's own connect(). Plain: the same build and the same settings, no key.

    A variant's page size is set before the first write; SQLCipher needs cipher_page_size
    and cipher_hmac_algorithm on every open, as they cannot be read from an encrypted file.
    """
    if key is not None and variant == DEFAULT:
        conn = gs.connect(path, key, create=create)
    else:
        conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA cipher_log_level = NONE")
        page_size = variant.page_size or gs.CIPHER_PAGE_SIZE
        if key is not None:
            conn.execute(gs.key_pragma(key))
            for pragma in (*gs.CIPHER_SETTINGS, *variant.cipher_pragmas):
                conn.execute(pragma)
            conn.execute(f"PRAGMA cipher_page_size = {int(page_size)}")
        # The plain side uses the same page size, so the ratio isolates encryption.
        conn.execute(f"PRAGMA page_size = {int(page_size)}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        gs.apply_settings(conn)
        conn.row_factory = sqlcipher3.Row
    for pragma in variant.pragmas:
        conn.execute(pragma)
    if cache_kib is not None:
        conn.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
    return conn


def open_passphrase(path: Path) -> gs.Connection:
    """The steps of gvo's connect(), but keyed with a passphrase (PBKDF2, SQLCipher default)."""
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = '{PASSPHRASE}'")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    gs.apply_settings(conn)
    conn.row_factory = sqlcipher3.Row
    return conn


def bench_open(tmp: Path, key: bytes, sizes: Sizes) -> tuple[list[float], list[float]]:
    """Seconds per open, raw key and passphrase, interleaved; each open is the file's only one."""
    raw_path, pass_path = tmp / "open-raw.db", tmp / "open-passphrase.db"
    for path, opener in ((raw_path, lambda p: gs.connect(p, key, create=True)),
                         (pass_path, open_passphrase)):
        conn = opener(path)
        conn.execute("CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO note (body) VALUES ('x')")
        conn.close()

    def timed(opener: Callable[[], gs.Connection]) -> float:
        start = time.perf_counter()
        conn = opener()
        elapsed = time.perf_counter() - start
        conn.close()
        return elapsed

    for _ in range(3):  # warm-up: library and OpenSSL initialisation, OS cache
        timed(lambda: gs.connect(raw_path, key))
    timed(lambda: open_passphrase(pass_path))
    raw, passphrase = [], []
    per_batch = max(1, sizes.raw_opens // sizes.passphrase_opens)
    for _ in range(sizes.passphrase_opens):
        passphrase.append(timed(lambda: open_passphrase(pass_path)))
        raw.extend(timed(lambda: gs.connect(raw_path, key)) for _ in range(per_batch))
    return raw, passphrase


# --- data -----------------------------------------------------------------------------


def bodies(seed: int, count: int, chars: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.randbytes(chars // 2).hex() for _ in range(count)]


def build(path: Path, key: bytes | None, sizes: Sizes, variant: Variant) -> None:
    """The scanned table t (same rows on both sides) and the empty write table w."""
    conn = open_side(path, key, variant=variant, create=True)
    actual = int(conn.execute("PRAGMA page_size").fetchone()[0])
    if variant.page_size is not None and actual != variant.page_size:
        raise SystemExit(f"{path.name}: page size {actual}, wanted {variant.page_size}")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, body TEXT NOT NULL)")
    conn.execute("CREATE TABLE w (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    rng = random.Random(1)
    batch = 10_000
    with gs.transaction(conn):
        for start in range(0, sizes.rows, batch):
            count = min(batch, sizes.rows - start)
            rows = [(start + i + 1, rng.randrange(1_000_000),
                     rng.randbytes(sizes.body_chars // 2).hex()) for i in range(count)]
            conn.executemany("INSERT INTO t (id, n, body) VALUES (?, ?, ?)", rows)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


# --- workloads: each returns operations per second ------------------------------------


def run_writes(conn: gs.Connection, payload: list[str]) -> float:
    start = time.perf_counter()
    for body in payload:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO w (body) VALUES (?)", (body,))
        conn.execute("COMMIT")
    return len(payload) / (time.perf_counter() - start)


def run_point_reads(conn: gs.Connection, ids: list[int]) -> float:
    start = time.perf_counter()
    for row_id in ids:
        conn.execute("SELECT n, body FROM t WHERE id = ?", (row_id,)).fetchone()
    return len(ids) / (time.perf_counter() - start)


def scan_once(conn: gs.Connection) -> None:
    conn.execute("SELECT count(*), sum(n), sum(length(body)) FROM t").fetchone()


def run_scans(conn: gs.Connection, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        scan_once(conn)
    return count / (time.perf_counter() - start)


# --- statistics and printing ----------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


@dataclass
class Series:
    """Per-round ops/s for each side of one workload."""

    name: str
    unit: str
    target: float | None
    enc: list[float]
    plain: list[float]

    def ratios(self) -> list[float]:
        return [e / p for e, p in zip(self.enc, self.plain, strict=True)]

    def line(self) -> str:
        ratio = median(self.ratios())
        spread = f"[{min(self.ratios()):.2f}-{max(self.ratios()):.2f}]"
        target = (f"target >= {self.target:.1f}x  {verdict(ratio >= self.target)}"
                  if self.target is not None else "(contrast, no target)")
        return (f"ratio {self.name:<28} {ratio:5.2f}x {spread:<12} "
                f"enc {median(self.enc):>9,.1f} {self.unit:<9} "
                f"plain {median(self.plain):>9,.1f} {self.unit:<9} {target}")


def cipher_facts(conn: gs.Connection) -> dict[str, str]:
    facts = {}
    for pragma in ("cipher_version", "cipher_provider", "cipher_provider_version",
                   "cipher_page_size", "cipher_use_hmac", "cipher_hmac_algorithm",
                   "cipher_kdf_algorithm", "kdf_iter", "cipher_plaintext_header_size",
                   "cipher_memory_security"):
        row = conn.execute(f"PRAGMA {pragma}").fetchone()
        facts[pragma] = str(row[0]) if row is not None else "?"
    return facts


def compiled_default_cache() -> str:
    """This build's compiled-in cache size, as SQLite reports it (negative: KiB)."""
    conn = sqlcipher3.connect(":memory:")
    options = [r[0] for r in conn.execute("PRAGMA compile_options")]
    conn.close()
    found = [o for o in options if o.startswith("DEFAULT_CACHE_SIZE=")]
    return found[0].split("=", 1)[1] if found else "-2000"


# --- the benchmark --------------------------------------------------------------------


@dataclass
class Throughput:
    series: list[Series]
    frames_per_commit: dict[str, float]
    megabytes: dict[str, float]


def wal_bytes(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def throughput(tmp: Path, key: bytes, sizes: Sizes, *, variant: Variant = DEFAULT,
               rounds: int | None = None, stock: bool = True) -> Throughput:
    """Writes, point reads and scans, encrypted vs plain; GVO's settings on both sides."""
    folder = tmp / f"v{len(list(tmp.glob('v*')))}"
    folder.mkdir()
    paths = {"enc": folder / "enc.db", "plain": folder / "plain.db"}
    keys = {"enc": key, "plain": None}
    for side in paths:
        build(paths[side], keys[side], sizes, variant)
    megabytes = {side: paths[side].stat().st_size / 1e6 for side in paths}

    conns = {side: open_side(paths[side], keys[side], variant=variant) for side in paths}
    stock_conns = {}
    if stock:
        stock_conns = {side: open_side(paths[side], keys[side], variant=variant,
                                       cache_kib=STOCK_CACHE_KIB) for side in paths}
    page = int(conns["enc"].execute("PRAGMA page_size").fetchone()[0])
    rng = random.Random(7)
    payload = bodies(11, sizes.writes, sizes.write_body_chars)
    ids = [rng.randint(1, sizes.rows) for _ in range(sizes.point_reads)]
    stock_ids = [rng.randint(1, sizes.rows) for _ in range(sizes.stock_point_reads)]

    series = {
        "write-txn": Series(f"write-txn ({CACHE})", "txn/s", TARGET_WRITE, [], []),
        "point-read": Series(f"point-read ({CACHE})", "reads/s", TARGET_READ, [], []),
        "scan": Series(f"scan ({CACHE})", "scans/s", TARGET_READ, [], []),
    }
    if stock:
        series["stock-point-read"] = Series(f"point-read ({STOCK})", "reads/s", None, [], [])
        series["stock-scan"] = Series(f"scan ({STOCK})", "scans/s", None, [], [])
    frames: dict[str, list[float]] = {"enc": [], "plain": []}

    def one(name: str, side: str) -> float:
        conn = conns[side]
        if name == "write-txn":
            before = wal_bytes(paths[side])
            ops = run_writes(conn, payload)
            frames[side].append((wal_bytes(paths[side]) - before) / (page + 24) / len(payload))
            return ops
        if name == "point-read":
            return run_point_reads(conn, ids)
        if name == "scan":
            return run_scans(conn, sizes.scans)
        conn = stock_conns[side]
        scan_once(conn)  # same start on both sides (a 2 MiB cache cannot hold the table)
        if name == "stock-point-read":
            return run_point_reads(conn, stock_ids)
        return run_scans(conn, sizes.stock_scans)

    for round_no in range(rounds or sizes.rounds):
        order = ("enc", "plain") if round_no % 2 == 0 else ("plain", "enc")
        for name, result in series.items():
            if name == "point-read":
                # The WAL grew during the writes (wal_autocheckpoint=0): checkpoint as
                # GVO's replicator would, then warm GVO's page cache with one scan.
                for side in order:
                    conns[side].execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    scan_once(conns[side])
            for side in order:
                getattr(result, side).append(one(name, side))
    for conn in [*conns.values(), *stock_conns.values()]:
        conn.close()
    return Throughput(list(series.values()), {s: median(f) for s, f in frames.items()},
                      megabytes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--investigate", action="store_true",
                        help="also run variants that GVO does not use (page sizes 2048 and "
                             "8192, HMAC_SHA256, synchronous=FULL) to explain the write cost")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    started = time.perf_counter()
    key = os.urandom(32)

    with tempfile.TemporaryDirectory(prefix="gvo-bench-") as tmpdir:
        tmp = Path(tmpdir)
        probe = gs.connect(tmp / "probe.db", key, create=True)
        facts = cipher_facts(probe)
        version = probe.execute("SELECT sqlite_version()").fetchone()[0]
        probe.close()
        load = os.getloadavg()
        print(f"GVO storage benchmark ({'quick' if args.quick else 'full'}): "
              f"SQLite {version}, SQLCipher {facts['cipher_version']} "
              f"({facts['cipher_provider']} {facts['cipher_provider_version']}), "
              f"{os.cpu_count()} CPUs, load average {load[0]:.2f}")
        if args.quick:
            print("--quick: a smoke run; sizes too small for the figures to mean anything")
        print(f"cipher settings: page {facts['cipher_page_size']} B, "
              f"HMAC {facts['cipher_hmac_algorithm']} (use_hmac={facts['cipher_use_hmac']}), "
              f"KDF {facts['cipher_kdf_algorithm']} x{facts['kdf_iter']}, "
              f"plaintext header {facts['cipher_plaintext_header_size']} B, "
              f"memory_security={facts['cipher_memory_security']}")
        print(f"GVO settings on both sides: WAL, synchronous=NORMAL, "
              f"cache_size=-{gs.CACHE_KIB} ({gs.CACHE_KIB // 1024} MiB), temp_store=MEMORY, "
              f"wal_autocheckpoint=0, foreign_keys=ON, busy_timeout={gs.BUSY_TIMEOUT_MS}")
        print()

        raw, passphrase = bench_open(tmp, key, sizes)
        raw_ms, pass_ms = [s * 1000 for s in raw], [s * 1000 for s in passphrase]
        print(f"open raw key (gvo connect)  n={len(raw_ms):<4} median {median(raw_ms):8.3f} ms  "
              f"p95 {p95(raw_ms):8.3f} ms   target median < {TARGET_OPEN_MS:g} ms  "
              f"{verdict(median(raw_ms) < TARGET_OPEN_MS)}")
        print(f"open passphrase (PBKDF2)    n={len(pass_ms):<4} median {median(pass_ms):8.3f} ms  "
              f"p95 {p95(pass_ms):8.3f} ms")
        print(f"ratio open passphrase/raw   {median(pass_ms) / median(raw_ms):,.0f}x slower "
              f"with a passphrase (medians)")
        print()

        result = throughput(tmp, key, sizes)
        print(f"table t: {sizes.rows:,} rows of ~{sizes.body_chars} B, "
              f"{result.megabytes['enc']:.1f} MB encrypted, {result.megabytes['plain']:.1f} MB "
              f"plain; writes insert ~{sizes.write_body_chars} B rows into table w")
        print(f"{len(result.series[0].enc)} rounds alternating which side goes first; ratio = "
              f"median of per-round encrypted/plain [min-max]; ops/s are medians")
        for series in result.series:
            print(series.line())
        writes = result.series[0]
        extra_us = 1e6 / median(writes.enc) - 1e6 / median(writes.plain)
        frames = result.frames_per_commit
        print(f"write-txn: {frames['enc']:.2f} WAL frames per commit "
              f"(plain {frames['plain']:.2f}); "
              f"encryption adds {extra_us:.1f} us per commit, {extra_us / frames['enc']:.1f} us "
              f"per frame (AES-256-CBC + {facts['cipher_hmac_algorithm']} of a "
              f"{facts['cipher_page_size']} B page, fresh IV); a plain commit under "
              f"synchronous=NORMAL is {1e6 / median(writes.plain):.1f} us")
        if median(writes.ratios()) < TARGET_WRITE and not args.investigate:
            print("write-txn below target: --investigate compares page sizes, HMAC_SHA256 and "
                  "synchronous=FULL")
        print()
        print(f"Tuned: page cache {gs.CACHE_KIB // 1024} MiB per connection "
              f"(cache_size=-{gs.CACHE_KIB}) instead of "
              f"SQLite's stock 2 MiB (this build's compiled default: "
              f"cache_size={compiled_default_cache()}). An encrypted page is decrypted and its "
              f"HMAC checked every time it is read from the OS cache into SQLite's page cache; "
              f"a {gs.CACHE_KIB // 1024} MiB cache keeps hot pages decrypted, so repeated "
              f"reads cost what plain "
              f"SQLite's do.")
        print(f"Tuned: {gs.CIPHER_PAGE_SIZE} B pages with {gs.CIPHER_HMAC} instead of "
              f"SQLCipher 4's 4096 B with HMAC_SHA512: a small transaction writes about one "
              f"page, and encrypting plus authenticating a smaller page with a cheaper MAC "
              f"halves the per-commit cost (--investigate shows the defaults). Every page is "
              f"still authenticated; no plaintext header; raw 256-bit key.")

        if args.investigate:
            print()
            print("investigate (not GVO's settings; 3 rounds each, same sizes):")
            for variant in VARIANTS:
                inv = throughput(tmp, key, sizes, variant=variant, rounds=3, stock=False)
                for series in inv.series:
                    print(f"  {variant.name:<26} {series.line()}")

    print()
    print(f"elapsed {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
