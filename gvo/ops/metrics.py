"""Prometheus metrics of `gvo serve`, on a separate port that listens on loopback only.

Why a loopback port and not /metrics behind a token: the office's own port is what the
TLS proxy publishes, so anything served there is one proxy rule away from the internet;
a second port that binds 127.0.0.1 only (never a configurable address) cannot be reached
from another machine by accident, and the office's port has no /metrics at all. A
Prometheus on another machine scrapes it through an SSH tunnel or a local agent.

What is measured (names as Prometheus shows them):

- `gvo_http_requests_total{route, method, status}`: requests by Flask endpoint name (e.g.
  `library.document`, or `unmatched` when no route matched), never the raw path, so the
  number of series stays bounded whatever callers send.
- `gvo_http_request_duration_seconds{route}`: latency histogram (seconds, from the first
  byte of the request to the response handed to the server; a streamed body's sending
  is not included).
- `gvo_replication_lag_seconds{school}`: per school (its slug), seconds of committed
  changes not yet on the replica; `gvo_replication_target_ok{school}` 1 or 0.
- `gvo_mail_outbox_queued{school}` and `gvo_mail_outbox_failed{school}`: the outbox as the
  sender last saw it (when mail is on).
- `gvo_signin_failures_total{school, kind}`: failed password or code checks (kind is the
  audit action: login.failure, login.mfa_failure, reauth.failure).

Labels hold slugs and route names only: no address, name, e-mail or path.
"""

import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily

METRICS_PORT_ENV = "GVO_METRICS_PORT"
LISTEN_ADDRESS = "127.0.0.1"  # never configurable: see the module's docstring
UNMATCHED = "unmatched"

# Process-wide metrics, registered in each server's registry (`Metrics`).
REQUESTS = Counter("gvo_http_requests", "HTTP requests by route (endpoint name) and status",
                   ["route", "method", "status"], registry=None)
LATENCY = Histogram("gvo_http_request_duration_seconds",
                    "Time to answer a request, seconds, by route (endpoint name)", ["route"],
                    registry=None,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
SIGNIN_FAILURES = Counter("gvo_signin_failures", "Failed sign-in checks (password or code)",
                          ["school", "kind"], registry=None)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(route: str | None, method: str, status: int, seconds: float) -> None:
    """Count one answered request. route: the Flask endpoint name (None: no route matched);
    method: the HTTP method (unusual ones count as "other"); seconds: time to answer."""
    route = route or UNMATCHED
    REQUESTS.labels(route, method if method in METHODS else "other", str(status)).inc()
    LATENCY.labels(route).observe(seconds)


def signin_failed(school: str, kind: str) -> None:
    """Count one failed password or code check at `school` (its slug); kind: the audit
    action recorded with it."""
    SIGNIN_FAILURES.labels(school, kind).inc()


class ServiceCollector:
    """Per-school gauges read from the running services when Prometheus scrapes: the
    replicator's lag and target health, and the mail sender's outbox counts.

    `slugs()` lists the schools; `services()` returns (replicator or None, mail sender or
    None). No school database is read: the services report what they last saw.
    """

    def __init__(self, slugs, services):
        self.slugs = slugs
        self.services = services

    def collect(self):
        """The gauge families, as prometheus_client's collector protocol asks."""
        slugs = sorted(self.slugs())
        replicator, sender = self.services()
        lag = GaugeMetricFamily("gvo_replication_lag_seconds",
                                "Seconds of committed changes not yet on the replica",
                                labels=["school"])
        target_ok = GaugeMetricFamily("gvo_replication_target_ok",
                                      "1 when the school's last replication round reached "
                                      "its target", labels=["school"])
        if replicator is not None:
            for slug in slugs:
                status = replicator.school_status(slug)
                if not status.get("running"):
                    continue
                seconds = status["lag_seconds"]
                lag.add_metric([slug], float("inf") if seconds is None else seconds)
                target_ok.add_metric([slug], 1.0 if status["target_ok"] else 0.0)
        queued = GaugeMetricFamily("gvo_mail_outbox_queued", "Messages waiting in the outbox",
                                   labels=["school"])
        failed = GaugeMetricFamily("gvo_mail_outbox_failed", "Messages that failed for good",
                                   labels=["school"])
        if sender is not None:
            for slug in slugs:
                stats = sender.school_stats(slug)
                if stats is not None:
                    queued.add_metric([slug], stats.queued)
                    failed.add_metric([slug], stats.failed)
        yield from (lag, target_ok, queued, failed)


class _Quiet(WSGIRequestHandler):
    """No line per scrape on standard error."""

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        """Say nothing."""


class MetricsServer:
    """The metrics port: prometheus_client's WSGI app on 127.0.0.1:`port`, served one
    scrape at a time by one thread (so `slugs()` reads the control database through one
    connection, not one per scrape thread)."""

    def __init__(self, port: int, slugs, services):
        self.registry = CollectorRegistry()
        for metric in (REQUESTS, LATENCY, SIGNIN_FAILURES, ServiceCollector(slugs, services)):
            self.registry.register(metric)
        self._httpd = make_server(LISTEN_ADDRESS, port, make_wsgi_app(self.registry),
                                  WSGIServer, handler_class=_Quiet)
        self.port = self._httpd.server_port
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="gvo-metrics",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and end the server's thread."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def port_from(env: dict, office_port: int) -> int | None:
    """The metrics port from GVO_METRICS_PORT (None: unset, no metrics). Raises ValueError
    for a value that is not a port, or the office's own port."""
    value = (env.get(METRICS_PORT_ENV) or "").strip()
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ValueError(f"{METRICS_PORT_ENV} must be a port number (1-65535), not {value!r}")
    if int(value) == office_port:
        raise ValueError(f"{METRICS_PORT_ENV} must differ from the office's port {office_port}")
    return int(value)
