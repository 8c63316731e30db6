"""`gvo school rekey` while `gvo serve` runs (issue 17): the command asks, the server closes
that school's connections, rekeys, starts a new generation and reopens; other schools serve
throughout. A school closed for that moment answers 503 "back in a moment" (never a 500).
"""

import threading
import time

from conftest import gvo_command, make_app
from serving import Caller, gvo_serve, make_office, stop

from gvo.replication.targets import FileTarget
from gvo.storage.instance import Instance

from .conftest import free_port, put, restored_settings, wait_for


def test_a_paused_school_answers_back_in_a_moment_and_the_others_serve(instance):
    instance.create_school("alpha", "Alpha Primary")
    instance.create_school("beta", "Beta Primary")
    client = make_app(instance).test_client()
    instance.pause_school("alpha")
    resp = client.get("/alpha/login")
    assert resp.status_code == 503 and resp.headers["Retry-After"].isdigit()
    assert "Back in a moment" in resp.get_data(as_text=True)
    assert client.post("/alpha/login", data={"email": "x@example.org"}).status_code == 503
    assert client.get("/beta/login").status_code == 200
    instance.resume_school("alpha")
    assert client.get("/alpha/login").status_code == 200


def _statuses(port: int, slug: str, stop_event: threading.Event, out: list) -> None:
    caller = Caller("127.0.0.1", port, host=f"127.0.0.1:{port}")
    while not stop_event.is_set():
        out.append(caller.request("GET", f"/{slug}/login").status)
        time.sleep(0.02)


def _settings_at(replica, master, workdir, at=None, slug="alpha"):
    try:
        return restored_settings(replica, master, workdir, at, slug=slug)
    except Exception:  # noqa: BLE001 - not shipped yet
        return {}, None


def test_rekey_while_serving(tmp_path):
    instance = tmp_path / "instance"
    make_office(instance)
    inst = Instance.open(instance, environ={})
    inst.create_school("beta", "Beta Primary")
    put(inst, "marker", "before")
    master = inst.master_key
    inst.close()
    replica = FileTarget(tmp_path / "replica")
    proc = gvo_serve(instance, port := free_port())
    try:
        n = iter(range(10**6))
        wait_for(lambda: _settings_at(replica, master, tmp_path / f"w{next(n)}")[0]
                 .get("marker") == "before", "the first write in the replica")
        between = time.time()
        stop_event, beta, alpha = threading.Event(), [], []
        pollers = [threading.Thread(target=_statuses, args=(port, s, stop_event, out))
                   for s, out in (("beta", beta), ("alpha", alpha))]
        for t in pollers:
            t.start()
        wait_for(lambda: beta and alpha, "the first answers")
        result = gvo_command("--instance", str(instance), "school", "rekey", "alpha")
        seen = len(beta)
        wait_for(lambda: len(beta) > seen + 2, "beta answering after the rekey")
        stop_event.set()
        for t in pollers:
            t.join()
        assert result.exit_code == 0, result.output
        assert "data key version 2" in result.stdout
        assert set(beta) == {200}  # the other school served throughout
        assert set(alpha) <= {200, 503} and alpha[-1] == 200
        caller = Caller("127.0.0.1", port, host=f"127.0.0.1:{port}")
        assert caller.request("GET", "/alpha/login").status == 200

        inst = Instance.open(instance, environ={})
        try:
            assert inst.school("alpha").key_version == 2
            put(inst, "marker", "after")
        finally:
            inst.close()
        wait_for(lambda: _settings_at(replica, master, tmp_path / f"w{next(n)}")[0]
                 .get("marker") == "after", "the write after the rekey in the replica")
        latest, built = restored_settings(replica, master, tmp_path / "latest")
        assert latest["marker"] == "after" and built.generation.key_version == 2
        before, built = restored_settings(replica, master, tmp_path / "before", between)
        assert before["marker"] == "before" and built.generation.key_version == 1
    finally:
        stop(proc)


def test_a_rekey_is_in_the_operator_log(instance, tmp_path):
    """The new key version is recorded in the operator log in the same control-database
    transaction that stores the key (gvo.lifecycle.operator_log)."""
    from gvo.lifecycle import operator_log

    instance.create_school("beta", "Beta Primary")
    instance.close()
    done = gvo_command("--instance", str(instance.path), "school", "rekey", "beta",
                       GVO_REPLICA_URL=(tmp_path / "replica").as_uri())
    assert done.exit_code == 0, done.output
    control = instance.control()
    assert [(e["action"], e["target"], e["detail"]) for e in operator_log.entries(control)] == [
        ("school.rekey", "school:beta", {"key_version": 2})]
    assert operator_log.verify(control).ok
