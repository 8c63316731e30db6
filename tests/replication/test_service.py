"""The replicator inside the server: health, outages of folder and S3 targets, recovery."""


from moto.server import ThreadedMotoServer

from gvo import create_app
from gvo.replication import service
from gvo.replication.shipper import Options

from .conftest import (
    HEALTH_TOKEN,
    SLUG,
    free_port,
    operator_health,
    put,
    restored_settings,
    settings,
    wait_for,
)


def _caught_up(rep, inst):
    def check():
        st = rep.school_status(SLUG)
        if not st.get("running") or not st["target_ok"]:
            return False
        s = rep.schools[SLUG].shipper
        return s.pos is not None and s.lag() < 5 and s.last_error is None and _wal_shipped(s)
    return check


def _wal_shipped(s):
    from gvo.replication import wal

    hdr = wal.read_header(s.wal_path)
    if hdr is None:
        return True
    start, prev = (s.pos.next_frame, s.pos.checksum) if hdr.raw == s.pos.wal_header else (
        1, (hdr.checksum1, hdr.checksum2))
    return wal.read_committed(s.wal_path, hdr, start, prev).nframes == 0


def _outage_drill(inst, url, break_target, mend_target, tmp_path):
    app = create_app({"TESTING": True, "GVO_HEALTH_TOKEN": HEALTH_TOKEN}, instance=inst)
    rep = service.start(app, inst, url, options=Options(), interval=0.05)
    client = app.test_client()
    try:
        put(inst, "before", "1")
        wait_for(_caught_up(rep, inst), "first shipment")
        assert client.get("/healthz").get_json()["status"] == "ok"
        break_target()
        for i in range(5):
            put(inst, f"during{i}", "2")  # the office keeps serving
        wait_for(lambda: not rep.school_status(SLUG)["target_ok"], "the outage to be seen")
        assert client.get("/healthz").get_json() == {"status": "degraded"}  # no school named
        body = operator_health(client)
        assert body["status"] == "degraded" and SLUG in body["replication"]["degraded"]
        assert rep.backup_status(SLUG).note
        mend_target()
        put(inst, "after", "3")
        wait_for(_caught_up(rep, inst), "catching up after the outage")
        assert client.get("/healthz").get_json()["status"] == "ok"
    finally:
        rep.stop()
    got, _ = restored_settings(rep.target, inst.master_key, tmp_path / "restored")
    assert got == settings(inst.db(SLUG))
    assert {"before", "during4", "after"} <= set(got)


def test_folder_target_outage_and_recovery(rep_instance, tmp_path):
    root = tmp_path / "nas"
    root.mkdir()
    away = tmp_path / "nas-unmounted"
    _outage_drill(rep_instance, root.as_uri(), lambda: root.rename(away),
                  lambda: away.rename(root), tmp_path)


def test_s3_target_outage_and_recovery(rep_instance, tmp_path, monkeypatch):
    import boto3

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("GVO_S3_ENDPOINT", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
        Bucket="outage")
    state = {"server": server}

    def down():
        state["server"].stop()

    def up():
        state["server"] = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
        state["server"].start()

    try:
        _outage_drill(rep_instance, "s3://outage/gvo", down, up, tmp_path)
    finally:
        state["server"].stop()


def test_s3_round_trip_and_backup_status(rep_instance, s3_target, tmp_path):
    app = create_app({"TESTING": True}, instance=rep_instance)
    rep = service.start(app, rep_instance, s3_target.url, interval=0.05)
    try:
        for i in range(10):
            put(rep_instance, f"k{i}", "v")
        wait_for(_caught_up(rep, rep_instance), "shipping to S3")
        status = app.extensions["gvo_backup_status"](SLUG)
        assert status.last_backed_up
    finally:
        rep.stop()
    got, _ = restored_settings(s3_target, rep_instance.master_key, tmp_path / "r")
    assert got == settings(rep_instance.db(SLUG))
