"""JSON logs and Prometheus metrics through a real `gvo serve` (issue 17, acceptance 4).

One server, with GVO_LOG_FORMAT=json, GVO_METRICS_PORT and mail through aiosmtpd on
loopback. The clerk signs in (password and code), opens the home page, someone types a
wrong password for the clerk's account, and a set-up link's token is posted without its
form's CSRF token (a 400 whose warning names the path). Then:

- every line the server wrote is one JSON object with the fields named in the README;
  the request lines carry request id, route, status and duration; nothing written holds
  the clerk's e-mail address or name, the session cookie, the token or a client address;
- the metrics port answers on loopback only (its socket is bound to 127.0.0.1; from any
  other address of this machine nothing answers), the office's own port has no /metrics,
  and the metrics parse with prometheus_client's parser and hold every family named.
"""

import json
import logging
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from conftest import gvo_command
from mail.conftest import MAIL_FROM, SmtpServer
from prometheus_client.parser import text_string_to_metric_families
from replication.conftest import free_port
from serving import CLERK, PASSWORD, SLUG, Caller

from gvo.core import clock as gvo_clock
from ops.conftest import CLERK_NAME, make_office, serve_office

SETUP_TOKEN = "Zq9xW2vB7nM4kL1pR8tY6uI3oP5aS0dF-gH7jK2lQ"


@dataclass
class Served:
    """The running server: its ports, its log file and the clerk's cookies."""

    port: int
    metrics_port: int
    log: Path
    cookies: dict

    def lines(self) -> list[dict]:
        """What the server logged so far, each line parsed as JSON."""
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The server, once the requests in the module's docstring were made."""
    work = tmp_path_factory.mktemp("logs-and-metrics")
    smtp = SmtpServer().start()
    port, metrics_port = free_port(), free_port()
    log = work / "gvo.log"
    try:
        with make_office(work) as office, serve_office(
                office, port, log, GVO_LOG_FORMAT="json", GVO_METRICS_PORT=str(metrics_port),
                GVO_SMTP_URL=smtp.url, GVO_MAIL_FROM=MAIL_FROM):
            clerk = Caller("127.0.0.7", port, host=f"127.0.0.1:{port}")
            assert clerk.password_step(CLERK, PASSWORD).status == 302
            token = clerk.token(f"/{SLUG}/login/verify")
            code = pyotp.TOTP(office.secret).at(gvo_clock.now())
            resp = clerk.request("POST", f"/{SLUG}/login/verify",
                                 {"csrf_token": token, "code": code})
            assert resp.status == 302, resp.text[:300]
            assert clerk.request("GET", f"/{SLUG}/").status == 200
            stranger = Caller("127.0.0.8", port, host=f"127.0.0.1:{port}")
            assert stranger.password_step(CLERK, "not-the-password").status == 422
            resp = stranger.request("POST", f"/{SLUG}/setup/{SETUP_TOKEN}?t={SETUP_TOKEN}",
                                    {"password": PASSWORD})
            assert resp.status == 400
            yield Served(port, metrics_port, log, dict(clerk.cookies))
    finally:
        smtp.stop()


def scrape(port: int, address: str = "127.0.0.1") -> str:
    with urllib.request.urlopen(f"http://{address}:{port}/metrics", timeout=10) as resp:  # noqa: S310
        return resp.read().decode()


def test_metrics_parse_and_hold_every_family_named(served):
    metrics_port = served.metrics_port
    families = {f.name: f for f in text_string_to_metric_families(scrape(metrics_port))}
    for name in ("gvo_http_requests", "gvo_http_request_duration_seconds",
                 "gvo_replication_lag_seconds", "gvo_replication_target_ok",
                 "gvo_mail_outbox_queued", "gvo_mail_outbox_failed", "gvo_signin_failures"):
        assert name in families, sorted(families)
    requests = {(s.labels["route"], s.labels["status"]): s.value
                for s in families["gvo_http_requests"].samples if s.name.endswith("_total")}
    assert requests[("auth.login", "302")] >= 1 and requests[("auth.login", "422")] >= 1
    assert requests[("home.index", "200")] >= 1
    routes = {s.labels["route"] for s in families["gvo_http_requests"].samples}
    assert not any("/" in r for r in routes)  # endpoint names, never paths
    failures = [s for s in families["gvo_signin_failures"].samples
                if s.name.endswith("_total")]
    assert [(s.labels, s.value) for s in failures] == [
        ({"school": SLUG, "kind": "login.failure"}, 1.0)]
    latency = [s for s in families["gvo_http_request_duration_seconds"].samples
               if s.name.endswith("_count") and s.labels["route"] == "home.index"]
    assert latency and latency[0].value >= 1


def test_replication_lag_and_outbox_are_reported_per_school_by_slug(served):
    metrics_port = served.metrics_port
    for _ in range(600):  # the first rounds run in the background: a hang guard only
        families = {f.name: f for f in text_string_to_metric_families(scrape(metrics_port))}
        lag = families["gvo_replication_lag_seconds"].samples
        queued = families["gvo_mail_outbox_queued"].samples
        if lag and queued:
            break
        time.sleep(0.1)
    assert [s.labels for s in lag] == [{"school": SLUG}]
    assert lag[0].value >= 0
    assert [s.labels for s in queued] == [{"school": SLUG}]


def test_the_offices_own_port_has_no_metrics(served):
    port = served.port
    with pytest.raises(urllib.error.HTTPError) as refused:
        scrape(port)
    refused.value.close()
    assert refused.value.code == 404


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of sockets listening on `port`, from /proc/net/tcp and tcp6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def _other_addresses() -> set[str]:
    """This machine's IPv4 addresses that are not loopback (may be none)."""
    found = set()
    for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
        found.add(info[4][0])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # chooses a route; sends nothing
            found.add(probe.getsockname()[0])
        except OSError:
            pass
    return {a for a in found if not a.startswith("127.") and a != "0.0.0.0"}  # noqa: S104


def test_the_metrics_port_listens_on_loopback_only(served):
    metrics_port = served.metrics_port
    assert _listening_addresses(metrics_port) == {"0100007F"}  # 127.0.0.1, nothing else
    for address in _other_addresses():
        with pytest.raises(OSError):
            socket.create_connection((address, metrics_port), timeout=5).close()


def test_log_lines_are_json_with_request_fields(served):
    lines = served.lines()
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line)
        assert line["time"].endswith("Z") and "T" in line["time"]
    requests = [line for line in lines if line["logger"] == "gvo.request"]
    home = [r for r in requests if r["route"] == "home.index"]
    assert home and home[0]["status"] == 200 and home[0]["school"] == SLUG
    assert len(home[0]["request_id"]) == 32 and home[0]["duration_ms"] >= 0
    assert {r["route"] for r in requests} >= {"auth.login", "auth.verify", "auth.setup"}
    setup = [r for r in requests if r["route"] == "auth.setup"]
    assert [r["status"] for r in setup] == [400]  # refused by CSRF's hook, logged still


def test_logs_hold_no_personal_data_or_secrets(served):
    log = served.log.read_text()
    assert len(served.lines()) > 5
    secrets = [CLERK, CLERK.split("@")[0], CLERK_NAME, SETUP_TOKEN, PASSWORD, "127.0.0.7",
               "127.0.0.8", *served.cookies.values()]
    for secret in secrets:
        assert secret not in log, secret


def test_a_message_naming_the_requests_path_names_its_route_instead(app):
    """A warning that names the path (gvo.web.errors does, for a 400) would carry a set-up
    or reset token: the JSON line names the route."""
    from gvo.ops.logs import JsonFormatter

    record = logging.LogRecord("gvo.web", logging.WARNING, __file__, 1, "400 for %s %s: %s",
                               ("POST", f"/{SLUG}/setup/{SETUP_TOKEN}", "bad input"), None)
    with app.test_request_context(f"/{SLUG}/setup/{SETUP_TOKEN}?t={SETUP_TOKEN}",
                                  method="POST"):
        from flask import request

        request.url_rule, request.view_args = app.url_map.bind("localhost").match(
            f"/{SLUG}/setup/{SETUP_TOKEN}", method="POST", return_rule=True)
        line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "400 for POST <auth.setup>: bad input"


@pytest.mark.parametrize("value", ["8123", "not-a-port", "70000"])
def test_a_metrics_port_that_cannot_be_used_is_refused_before_serving(tmp_path, value):
    result = gvo_command("--instance", str(tmp_path / "none"), "serve", "--port", "8123",
                         GVO_METRICS_PORT=value)
    assert result.returncode == 2, result.output
    assert "GVO_METRICS_PORT must" in result.stderr
