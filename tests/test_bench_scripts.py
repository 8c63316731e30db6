"""The benchmark scripts still run: a smoke run with tiny sizes. No timing is asserted."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_bench(script: str, *args: str) -> subprocess.CompletedProcess:
    """scripts/bench/<script> ARGS, run to its end (its output as text)."""
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "bench" / script), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_storage_benchmark_quick_run_prints_its_ratios():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench" / "storage.py"),
                             "--quick"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("open raw key") for line in lines), result.stdout
    assert any(line.startswith("ratio open passphrase/raw") for line in lines), result.stdout
    for workload in ("write-txn", "point-read", "scan"):
        found = [line for line in lines if line.startswith(f"ratio {workload} (")]
        assert found, (workload, result.stdout)
        assert all(" target " in line or "(contrast" in line for line in found), found


def test_scale_benchmark_quick_run_prints_every_figure():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench" / "scale.py"),
                             "--schools", "4", "--signins", "2", "--procs", "1",
                             "--settle", "0", "--idle", "1"],
                            capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "DIED" not in out, out
    for figure in ("time to listen", "idle CPU over", "/healthz", "a cold school's first page",
                   "after 2 sign-ins", "open files, most seen", "gvo status --json"):
        assert figure in out, (figure, out)
    assert "SIGTERM to exit" in out and "exit status 0" in out, out


def test_page_cpu_benchmark_quick_run_prints_every_page_with_its_statements():
    result = run_bench("page_cpu.py", "--rounds", "1", "--requests", "2", "--only", "home",
                       "--only", "meeting (clerk)")
    assert result.returncode == 0, result.stderr
    for page in ("home", "meeting (clerk)"):
        [line] = [x for x in result.stdout.splitlines() if x.startswith(page + " ")]
        assert line.endswith(" statements"), result.stdout


def test_pages_benchmark_quick_run_prints_every_page_beside_its_target():
    # The pure-Python client: the run works whether or not wrk is installed.
    result = run_bench("pages.py", "--rounds", "1", "--seconds", "0.3", "--connections", "2",
                       "--client", "python")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for page in ("home", "library folder", "document", "meetings list", "meeting (clerk)",
                 "calendar", "profile", "people (Manager)"):
        [line] = [x for x in out.splitlines() if x.startswith(page + " ")]
        assert "0.5x" in line and ("MET" in line), (page, out)
    assert "every page at least 0.5x /healthz" in out, out


def test_mail_benchmark_quick_run_prints_both_figures_beside_their_targets():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench" / "mail.py"),
                             "--people", "8", "--rounds", "1"],
                            capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    [news] = [x for x in out.splitlines() if x.startswith("newsletter build+queue: 9 ")]
    assert "ms per person" in news and "target < 20 ms" in news, out
    [ratio] = [x for x in out.splitlines() if x.startswith("sender/smtplib throughput")]
    assert "target >= 0.5x" in ratio, out
