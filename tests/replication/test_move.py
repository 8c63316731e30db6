"""`gvo school move` between two `gvo serve` processes on loopback, each its own instance,
sharing one bucket in moto's server mode (issue 17; docs/decisions/0012-one-school-one-node.md).

Writes go through HTTP in a loop while the move runs; every one acknowledged (a redirect to
the new folder) is on the new server afterwards, and the old server refuses the school's
writes and pages with a page saying where it went.
"""

import re
import subprocess
import sys
import threading

import pyotp
import pytest
from conftest import gvo_command, make_app, subprocess_env
from serving import CLERK, PASSWORD, Caller, make_office, stop, wait_for_port

from gvo.lifecycle import operator_log
from gvo.replication.targets import open_target
from gvo.storage import keys
from gvo.storage.instance import Instance
from gvo.storage.sqlcipher import connect, transaction

from .conftest import free_port, wait_for

SLUG = "alpha"
_FOLDER = re.compile(r"/alpha/library/folders/(\d+)$")


def serve(instance, port: int, replica: str, endpoint: str) -> subprocess.Popen:
    """`gvo serve` on loopback replicating to the shared bucket."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gvo", "--instance", str(instance), "serve", "--host",
         "127.0.0.1", "--port", str(port)],
        env=subprocess_env(GVO_REPLICA_URL=replica, GVO_S3_ENDPOINT=endpoint),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_port(port, proc, "gvo serve")
    return proc


def signed_in_clerk(port: int, secret: str) -> Caller:
    caller = Caller("127.0.0.1", port, host=f"127.0.0.1:{port}")
    assert caller.password_step(CLERK, PASSWORD).status == 302
    token = caller.token(f"/{SLUG}/login/verify")
    resp = caller.request("POST", f"/{SLUG}/login/verify",
                          {"csrf_token": token, "code": pyotp.TOTP(secret).now()})
    assert resp.status in (302, 303), resp.text[:300]
    return caller


def new_folder(caller: Caller, title: str) -> tuple[int | None, int, str]:
    """Make a top-level folder: (its id if the server acknowledged it, status, page)."""
    page = caller.request("GET", f"/{SLUG}/library/folders/new")
    if page.status != 200:
        return None, page.status, page.text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    resp = caller.request("POST", f"/{SLUG}/library/folders/new",
                          {"csrf_token": token, "title": title, "sort_order": "0"})
    match = _FOLDER.search(resp.headers.get("Location") or "")
    return (int(match.group(1)) if resp.status == 303 and match else None), resp.status, \
        resp.text


@pytest.fixture
def bucket(moto_endpoint, request):
    """An s3:// replica URL in a fresh bucket of the moto server."""
    import boto3

    name = "gvo-move-" + request.node.name.lower().replace("_", "-")[:30].strip("-")
    boto3.client("s3", endpoint_url=moto_endpoint["url"],
                 region_name="us-east-1").create_bucket(Bucket=name)
    return f"s3://{name}/replicas"


def test_a_school_moves_to_another_server_sharing_the_bucket(tmp_path, moto_endpoint, bucket):
    endpoint = moto_endpoint["url"]
    old, new = tmp_path / "old", tmp_path / "new"
    secret = make_office(old)
    master = keys.load_master_key(old, environ={})
    Instance.init(new, environ={keys.MASTER_KEY_ENV: master.hex()}).close()
    keys.write_master_key_file(new / keys.MASTER_KEY_FILE, master)  # the same master key
    old_port, new_port = free_port(), free_port()
    servers = [serve(old, old_port, bucket, endpoint), serve(new, new_port, bucket, endpoint)]
    try:
        clerk = signed_in_clerk(old_port, secret)
        acknowledged: dict[int, str] = {}
        odd: list = []
        moving = threading.Event()

        def write_in_a_loop():
            n = 0
            while not moving.is_set():
                n += 1
                made, status, text = new_folder(clerk, f"Folder {n}")
                if made is not None:
                    acknowledged[made] = f"Folder {n}"
                elif status in (410, 503):  # closed for the last sync, then moved
                    moving.wait(0.05)
                else:
                    odd.append((status, text[:2000]))
                    return

        writer = threading.Thread(target=write_in_a_loop)
        writer.start()
        wait_for(lambda: len(acknowledged) >= 3 or odd, "writes before the move")
        assert not odd
        moved_to = f"http://127.0.0.1:{new_port}/{SLUG}/"
        result = gvo_command("--instance", str(old), "school", "move", SLUG, "--to", moved_to,
                             GVO_S3_ENDPOINT=endpoint)
        moving.set()
        writer.join()
        assert result.exit_code == 0, result.output
        assert not odd
        assert f"gvo restore {SLUG} --from {bucket}" in result.stdout
        assert f"/{SLUG}/" in result.stdout and "proxy" in result.stdout

        restored = gvo_command("--instance", str(new), "restore", SLUG, "--from", bucket,
                               GVO_S3_ENDPOINT=endpoint)
        assert restored.exit_code == 0, restored.output
        inst = Instance.open(new, environ={})
        try:
            folders = {r["id"]: r["title"] for r in inst.db(SLUG).execute(
                "SELECT id, title FROM folders")}
        finally:
            inst.close()
        assert acknowledged and all(folders.get(i) == t for i, t in acknowledged.items())

        page = clerk.request("GET", f"/{SLUG}/library")
        assert page.status == 410 and moved_to in page.text
        # The old server refuses the school's writes from then on.
        assert new_folder(clerk, "After the move")[:2] == (None, 410)
        # The new server serves the school, sessions included (they are in its database).
        on_new = Caller("127.0.0.1", new_port, host=f"127.0.0.1:{new_port}",
                        cookies=dict(clerk.cookies))
        made, _status, _text = new_folder(on_new, "On the new server")
        assert made is not None and made not in acknowledged
    finally:
        for proc in servers:
            stop(proc)


def test_move_refuses_a_replica_on_the_servers_own_disk_and_a_bad_address(tmp_path):
    make_office(tmp_path / "inst")
    bad = gvo_command("--instance", str(tmp_path / "inst"), "school", "move", SLUG,
                      "--to", "javascript:alert(1)")
    assert bad.exit_code != 0 and "not an http(s) address" in bad.output
    local = gvo_command("--instance", str(tmp_path / "inst"), "school", "move", SLUG,
                        "--to", "https://new.example.org/alpha/",
                        GVO_REPLICA_URL=(tmp_path / "inst" / "replicas").as_uri())
    assert local.exit_code != 0 and "own disk" in local.output


def test_a_moved_school_is_refused_here_and_not_replicated(instance, moto_endpoint, bucket,
                                                          monkeypatch):
    """Without a running server the command does the last sync itself; then the school's
    pages are a 410 naming where it went, the CLI neither opens, rekeys nor replicates it, and
    `gvo school list` says where it went."""
    monkeypatch.setenv("GVO_S3_ENDPOINT", moto_endpoint["url"])
    instance.create_school(SLUG, "Alpha Primary")
    instance.create_school("beta", "Beta Primary")
    instance.close()
    moved = gvo_command("--instance", str(instance.path), "school", "move", SLUG, "--to",
                        "https://two.example.org/alpha/", GVO_REPLICA_URL=bucket,
                        GVO_S3_ENDPOINT=moto_endpoint["url"])
    assert moved.exit_code == 0, moved.output
    client = make_app(instance).test_client()
    for resp in (client.get(f"/{SLUG}/login"), client.post(f"/{SLUG}/login")):
        assert resp.status_code == 410
        assert 'href="https://two.example.org/alpha/"' in resp.get_data(as_text=True)
    assert client.get("/beta/login").status_code == 200
    again = gvo_command("--instance", str(instance.path), "school", "rekey", SLUG)
    assert again.exit_code != 0 and "moved to https://two.example.org/alpha/" in again.output
    assert instance.school(SLUG).moved_to == "https://two.example.org/alpha/"
    listed = gvo_command("--instance", str(instance.path), "school", "list")
    assert re.search(r"alpha +moved to https://two.example.org/alpha/", listed.stdout)
    target = open_target(bucket)
    manifest = target.get(f"{SLUG}/manifest.json")
    stray = connect(instance.school_path(SLUG), instance.school_key(SLUG))  # not through GVO
    with transaction(stray):
        stray.execute("INSERT INTO settings(key, value) VALUES ('stray', 'write')")
    stray.close()
    for args in (["replicate", "--once"], ["replicate", "--once", SLUG]):
        gvo_command("--instance", str(instance.path), *args, GVO_REPLICA_URL=bucket,
                    GVO_S3_ENDPOINT=moto_endpoint["url"])
    assert target.get(f"{SLUG}/manifest.json") == manifest  # the new server's to write now
    control = instance.control()
    assert [(e["action"], e["detail"]["moved_to"]) for e in operator_log.entries(control)
            if e["target"] == f"school:{SLUG}"] == [("school.move", "https://two.example.org/alpha/")]
    assert operator_log.verify(control).ok
    # Deleting the copy left here never touches the replica: it is the new server's now.
    purge = gvo_command("--instance", str(instance.path), "school", "delete", SLUG, "--yes",
                        "--purge-replicas", GVO_REPLICA_URL=bucket,
                        GVO_S3_ENDPOINT=moto_endpoint["url"])
    assert purge.exit_code != 0 and "its replica is that server's now" in purge.output
    assert instance.school_path(SLUG).exists()
    removed = gvo_command("--instance", str(instance.path), "school", "delete", SLUG, "--yes",
                          GVO_REPLICA_URL=bucket, GVO_S3_ENDPOINT=moto_endpoint["url"])
    assert removed.exit_code == 0, removed.output
    assert not instance.school_path(SLUG).exists()
    assert target.get(f"{SLUG}/manifest.json") == manifest
