"""/healthz turns degraded when a school lags more than a minute; Managers see the backup."""

import time

import pytest
from conftest import sign_in

from gvo import create_app
from gvo.replication import service
from gvo.replication.shipper import Options

from .conftest import HEALTH_TOKEN, SLUG, operator_health, put


@pytest.fixture
def running(rep_instance, file_target):
    """The replicator as `gvo serve` runs it; nothing is written, so the test sets the lag."""
    app = create_app({"TESTING": True, "GVO_BASE_URL": "https://localhost",
                     "GVO_HEALTH_TOKEN": HEALTH_TOKEN}, instance=rep_instance)
    put(rep_instance, "k", "v")
    rep = service.start(app, rep_instance, file_target.url, options=Options(), interval=3600)
    end = time.monotonic() + 60  # hang guard for the first pass, not a performance limit
    while rep.school_status(SLUG).get("lag_seconds") is None and time.monotonic() < end:
        time.sleep(0.05)
    yield app, rep
    rep.stop()


def test_healthz_is_degraded_after_a_minute_of_lag(running):
    app, rep = running
    client = app.test_client()
    school = rep.schools[SLUG]
    school.clean = False  # as after a round that did not catch up: the lag counts
    shipper = school.shipper
    shipper.caught_up_at = time.time() - 10
    assert client.get("/healthz").get_json()["status"] == "ok"
    shipper.caught_up_at = time.time() - (service.LAG_DEGRADED_SECONDS + 5)
    assert client.get("/healthz").get_json() == {"status": "degraded"}  # no school named
    body = operator_health(client)
    assert body["status"] == "degraded" and SLUG in body["replication"]["degraded"]
    shipper.caught_up_at = time.time()
    assert client.get("/healthz").get_json()["status"] == "ok"


def test_anonymous_healthz_names_no_school(running):
    app, _rep = running
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}
    text = resp.get_data(as_text=True)
    assert "Alpha Primary" not in text and SLUG not in text and "replica" not in text
    wrong = app.test_client().get("/healthz", headers={"Authorization": "Bearer wrong"})
    assert wrong.get_json() == {"status": "ok"}
    detail = operator_health(app.test_client())
    assert detail["status"] == "ok" and SLUG in detail["replication"]["schools"]


def test_managers_see_last_backed_up_on_the_settings_page(running, rep_instance):
    from conftest import WebClient

    from gvo.core.identity import Identity
    from gvo.people import accounts

    app, rep = running
    accounts.add_user(rep_instance.db(SLUG), Identity.operator(), email="clerk@example.org",
                      name="Clerk", role="manager", password="tall-ships-and-harbours")
    from gvo.people import settings

    settings.put(rep_instance.db(SLUG), "demo", "1")  # password-only sign-in here

    class Person:
        slug, email, password, totp_secret = SLUG, "clerk@example.org", \
            "tall-ships-and-harbours", None

    client = WebClient(app.test_client())
    assert sign_in(client, Person()).status_code == 302
    page = client.get(f"/{SLUG}/admin/settings").get_data(as_text=True)
    assert 'data-testid="last-backed-up"' in page
    assert "Last backed up" in page and "not yet" not in page.split("last-backed-up")[1][:200]


def test_gvo_verify_reports_the_lag_gvo_status_reports(rep_instance, file_target):
    # Attack 4: `gvo verify` printed "lag: 14.7 s", the age of the last commit, while
    # `gvo status` said 0.0 s for the same fully shipped school.
    import json
    import re

    from conftest import gvo_command

    put(rep_instance, "k", "v")
    rep_instance.close()
    common = ("--instance", str(rep_instance.path))
    env = {"GVO_REPLICA_URL": file_target.url}
    assert gvo_command(*common, "replicate", "--once", **env).returncode == 0
    verified = gvo_command(*common, "verify", SLUG, **env)
    assert verified.returncode == 0, verified.output
    status = gvo_command(*common, "status", "--json", **env)
    [row] = [r for r in json.loads(status.stdout)["schools"] if r["slug"] == SLUG]
    assert row["lag_seconds"] == 0.0
    assert re.search(r"the school's last change [\d.]+ s ago\)  lag: 0\.0 s", verified.stdout)
