"""The operator's command line: instances, schools, users, audit; errors are one clear line."""

import json
import re
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import gvo_command, subprocess_env


def run(*args, instance: Path, input_text=None, env_extra=None):
    return gvo_command("--instance", str(instance), *args, input_text=input_text,
                       **(env_extra or {}))


def snapshot(root: Path) -> dict:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def inst(tmp_path):
    path = tmp_path / "inst"
    result = run("init", instance=path)
    assert result.returncode == 0, result.stderr
    return path


def test_init_makes_control_db_and_0600_key(inst):
    assert (inst / "control.db").exists()
    mode = stat.S_IMODE((inst / "master.key").stat().st_mode)
    assert mode == 0o600
    assert len((inst / "master.key").read_text().strip()) == 64


def test_init_refuses_to_overwrite(inst):
    before = snapshot(inst)
    result = run("init", instance=inst)
    assert result.returncode != 0
    assert "already exists" in result.stderr
    assert snapshot(inst) == before


def test_init_with_key_from_environment_writes_no_key_file(tmp_path):
    path = tmp_path / "envinst"
    key = "ab" * 32
    assert run("init", instance=path, env_extra={"GVO_MASTER_KEY": key}).returncode == 0
    assert not (path / "master.key").exists()
    ok = run("school", "list", instance=path, env_extra={"GVO_MASTER_KEY": key})
    assert ok.returncode == 0
    bad = run("school", "list", instance=path)
    assert bad.returncode != 0 and "master key" in bad.stderr


def test_school_create_and_list(inst):
    result = run("school", "create", "oak-field", "--name", "Oakfield Academy", instance=inst)
    assert result.returncode == 0, result.stderr
    assert (inst / "schools" / "oak-field" / "school.db").exists()
    run("user", "add", "oak-field", "clerk@oak.example", "--name", "Jo Clerk", "--role",
        "manager", "--password-stdin", instance=inst, input_text="tall-ships-and-harbours\n")
    listed = json.loads(run("school", "list", "--json", instance=inst).stdout)
    assert listed[0]["slug"] == "oak-field" and listed[0]["name"] == "Oakfield Academy"
    assert listed[0]["users"] == 1 and listed[0]["size_bytes"] > 0
    text = run("school", "list", instance=inst).stdout
    assert "oak-field" in text and "Oakfield Academy" in text


@pytest.mark.parametrize("slug", ["A", "x", "Bad_Slug", "-lead", "trail-", "a--b", "a" * 41,
                                  "static", "über"])
def test_bad_slug_is_a_clear_error_and_writes_nothing(inst, slug):
    before = snapshot(inst)
    result = run("school", "create", "--name", "X", "--", slug, instance=inst)
    assert result.returncode != 0
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert snapshot(inst) == before


def test_duplicate_slug_is_refused(inst):
    assert run("school", "create", "oak", "--name", "Oak", instance=inst).returncode == 0
    before = snapshot(inst)
    result = run("school", "create", "oak", "--name", "Oak again", instance=inst)
    assert result.returncode != 0 and "already exists" in result.stderr
    assert snapshot(inst) == before


def test_wrong_master_key_is_one_line_and_changes_nothing(inst):
    assert run("school", "create", "oak", "--name", "Oak", instance=inst).returncode == 0
    before = snapshot(inst)
    for args in (["school", "list"], ["user", "list", "oak"],
                 ["school", "create", "elm", "--name", "Elm"]):
        result = run(*args, instance=inst, env_extra={"GVO_MASTER_KEY": "cd" * 32})
        assert result.returncode != 0
        assert result.stderr.count("\n") == 1, result.stderr
        assert "master key" in result.stderr
    assert snapshot(inst) == before


def test_missing_master_key_is_one_line(inst):
    (inst / "master.key").rename(inst.parent / "elsewhere.key")
    result = run("school", "list", instance=inst)
    assert result.returncode != 0 and result.stderr.count("\n") == 1
    assert "no master key" in result.stderr


def test_user_add_without_password_prints_a_setup_link(inst):
    run("school", "create", "oak", "--name", "Oak", instance=inst)
    result = run("user", "add", "oak", "gov@oak.example", "--name", "A Governor", "--role",
                 "author", instance=inst, env_extra={"GVO_BASE_URL": "https://gvo.example"})
    assert result.returncode == 0, result.stderr
    assert "https://gvo.example/oak/setup/" in result.stdout


def test_user_add_refuses_weak_password_and_bad_role(inst):
    run("school", "create", "oak", "--name", "Oak", instance=inst)
    weak = run("user", "add", "oak", "a@oak.example", "--name", "A", "--role", "author",
               "--password-stdin", instance=inst, input_text="password123\n")
    assert weak.returncode != 0 and "12 characters" in weak.stderr
    common = run("user", "add", "oak", "a@oak.example", "--name", "A", "--role", "author",
                 "--password-stdin", instance=inst, input_text="123456789012\n")
    assert common.returncode != 0 and "too common" in common.stderr
    role = run("user", "add", "oak", "a@oak.example", "--name", "A", "--role", "king",
               instance=inst)
    assert role.returncode != 0
    users = json.loads(run("user", "list", "oak", "--json", instance=inst).stdout)
    assert users == []


def test_user_list_and_reset_mfa(inst):
    run("school", "create", "oak", "--name", "Oak", instance=inst)
    run("user", "add", "oak", "b@oak.example", "--name", "B", "--role", "reader",
        "--password-stdin", instance=inst, input_text="reading-is-my-thing\n")
    users = json.loads(run("user", "list", "oak", "--json", instance=inst).stdout)
    assert users[0]["email"] == "b@oak.example" and users[0]["role"] == "reader"
    reset = run("user", "reset-mfa", "oak", "b@oak.example", instance=inst)
    assert reset.returncode == 0
    missing = run("user", "reset-mfa", "oak", "nobody@oak.example", instance=inst)
    assert missing.returncode != 0 and "no user" in missing.stderr


def test_audit_verify_reports_the_first_broken_link(inst):
    run("school", "create", "oak", "--name", "Oak", instance=inst)
    for i in range(3):
        run("user", "add", "oak", f"u{i}@oak.example", "--name", f"U{i}", "--role", "author",
            instance=inst)
    ok = run("audit", "verify", "oak", instance=inst)
    assert ok.returncode == 0 and "chain intact" in ok.stdout
    from gvo.storage.instance import Instance

    opened = Instance.open(inst, environ={})
    conn = opened.db("oak")
    conn.execute("UPDATE audit_log SET actor_email = 'someone-else' WHERE id = 3")
    opened.close()
    broken = run("audit", "verify", "oak", instance=inst)
    assert broken.returncode == 2
    assert "BROKEN at entry 3" in broken.stderr


def test_unknown_school_is_a_clear_error(inst):
    result = run("user", "list", "nowhere", instance=inst)
    assert result.returncode != 0 and "no school 'nowhere'" in result.stderr


# -- where `make run` serves (issue 12) ----------------------------------------------------


def test_the_demo_prints_the_address_it_will_serve_on(tmp_path):
    path = tmp_path / "demo"
    made = run("demo", "--host", "127.0.0.1", "--port", "8080", instance=path)
    assert made.returncode == 0, made.stderr
    assert "Sign in at http://127.0.0.1:8080/riverside/login" in made.stdout
    # Every address (0.0.0.0) is opened on loopback from this machine; IPv6 is bracketed.
    every = "0.0.0.0"  # noqa: S104 - the unspecified address, as `make run HOST=` takes it
    shown = run("demo", "--show", "--host", every, "--port", "9000", instance=path)
    assert "Sign in at http://127.0.0.1:9000/riverside/login" in shown.stdout
    shown = run("demo", "--show", "--host", "::1", "--port", "9000", instance=path)
    assert "Sign in at http://[::1]:9000/riverside/login" in shown.stdout
    # The public address, when set, is what people use.
    shown = run("demo", "--show", "--port", "9000", instance=path,
                env_extra={"GVO_BASE_URL": "https://governors.example.org/"})
    assert "Sign in at https://governors.example.org/riverside/login" in shown.stdout
    assert run("demo", "--show", "--port", "0", instance=path).returncode != 0


def test_make_run_passes_host_and_port_to_the_demo_and_the_server():
    root = Path(__file__).resolve().parents[1]
    plan = subprocess.run(["make", "-n", "-C", str(root), "run", "HOST=0.0.0.0", "PORT=8080",
                           "INSTANCE=/nonexistent/gvo"], capture_output=True, text=True,
                          check=True).stdout
    assert 'demo --host "0.0.0.0" --port "8080"' in plan
    assert 'serve --host "0.0.0.0" --port "8080"' in plan
    default = subprocess.run(["make", "-n", "-C", str(root), "run"], capture_output=True,
                             text=True, check=True).stdout
    assert 'serve --host "127.0.0.1" --port "8000"' in default


def test_serve_prints_the_address_it_really_listens_on(tmp_path):
    path = tmp_path / "inst"
    assert run("init", instance=path).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "gvo", "--instance", str(path), "serve", "--port", "0"],
        env=subprocess_env(GVO_REPLICA_URL=(tmp_path / "replica").as_uri()),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        for line in proc.stdout:  # noqa: B007 - the line that says where
            if "GVO serving" in line:
                break
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)", line).group(1))
        assert port != 0
        with socket.create_connection(("127.0.0.1", port)):
            pass  # it listens where it says
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)


def test_init_and_the_demo_say_where_the_master_key_really_is(tmp_path):
    # Attack 4: with GVO_MASTER_KEY set, `gvo demo` said "master key in <instance>/master.key"
    # and wrote no such file.
    key = "ab" * 32
    for command in ("init", "demo"):
        path = tmp_path / f"{command}-env"
        made = run(command, instance=path, env_extra={"GVO_MASTER_KEY": key})
        assert made.returncode == 0, made.stderr
        assert not (path / "master.key").exists()
        assert "master.key" not in made.stdout
        assert "The master key is the one in GVO_MASTER_KEY (no key file written)" in made.stdout
        path = tmp_path / f"{command}-file"
        made = run(command, instance=path)
        assert (path / "master.key").exists()
        assert f"Master key written to {path / 'master.key'} (mode 0600)" in made.stdout
