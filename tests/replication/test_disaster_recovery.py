"""The README's disaster-recovery runbook, followed literally against temporary folders."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def runbook() -> list[str]:
    """The shell lines of the README's "Disaster recovery" section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Disaster recovery", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_runbook_brings_every_school_back(tmp_path):
    gvo_bin = Path(sys.executable).with_name("gvo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GVO_", "AWS_"))}
    env["PATH"] = f"{gvo_bin.parent}:{env.get('PATH', '')}"
    old = tmp_path / "old"
    replica = tmp_path / "replica"
    replica.mkdir()
    url = replica.as_uri()

    def gvo(*args, **kw):
        return subprocess.run([str(gvo_bin), "--instance", str(old), *args], env=dict(
            env, GVO_REPLICA_URL=url), capture_output=True, text=True, check=True, **kw)

    gvo("init")
    for slug in ("alpha", "beta"):
        gvo("school", "create", slug, "--name", f"{slug.title()} School")
        gvo("user", "add", slug, f"clerk@{slug}.example.org", "--name", "Clerk",
            "--role", "manager")
    key_file = tmp_path / "kept-safe.key"
    shutil.copy(old / "master.key", key_file)
    shutil.rmtree(old)  # the server is gone

    lines = runbook()
    assert any(line.startswith("gvo restore") for line in lines)
    new_instance = tmp_path / "srv" / "gvo" / "instances"
    script = "\n".join(
        # The runbook's absolute path becomes a temporary one; `gvo serve` would run forever.
        line.replace("/srv/gvo/instances", str(new_instance))
        for line in lines if not line.startswith("gvo serve")
    )
    run_env = dict(env, MASTER_KEY_FILE=str(key_file), REPLICA_URL=url)
    result = subprocess.run(["bash", "-euc", script], env=run_env, capture_output=True,
                            text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Restored alpha" in result.stdout and "Restored beta" in result.stdout
    listed = subprocess.run(
        [str(gvo_bin), "--instance", str(new_instance), "user", "list", "beta"],
        env=dict(run_env, GVO_MASTER_KEY=key_file.read_text().strip()),
        capture_output=True, text=True, check=True)
    assert "clerk@beta.example.org" in listed.stdout
