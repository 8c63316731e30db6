"""Tests do not depend on GVO_* settings exported in the caller's shell.

The disaster-recovery runbook has operators `export GVO_MASTER_KEY` (and GVO_INSTANCE);
before, `make test` then failed: subprocess servers inherited the key and refused the
test's instance. Here the suite runs some of its subprocess-based tests (a real
`gvo serve`, the `gvo` command) in a nested pytest with such settings exported.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUBPROCESS_TESTS = [
    # gvo serve; an exported GVO_TRUSTED_PROXIES=1 would make it trust forged headers.
    "tests/deploy/test_direct.py::"
    "test_without_trusted_proxies_forged_headers_sent_straight_to_gvo_are_ignored",
    "tests/test_cli.py::test_school_create_and_list",  # the gvo command, which then ships
]


def test_subprocess_tests_pass_with_unrelated_gvo_settings_exported(tmp_path):
    exported = dict(
        os.environ,
        GVO_MASTER_KEY="ab" * 32,
        GVO_INSTANCE=str(tmp_path / "nonexistent"),
        GVO_REPLICA_URL=(tmp_path / "nonexistent" / "replica").as_uri(),
        GVO_TRUSTED_PROXIES="1",
        GVO_BASE_URL="https://elsewhere.example.org",
        GVO_MASTER_KEY_FILE=str(tmp_path / "nonexistent" / "master.key"),
        CREDENTIALS_DIRECTORY=str(tmp_path / "nonexistent" / "credentials"),
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *SUBPROCESS_TESTS],
        cwd=ROOT, env=exported, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"{len(SUBPROCESS_TESTS)} passed" in result.stdout
    assert not (tmp_path / "nonexistent").exists()
