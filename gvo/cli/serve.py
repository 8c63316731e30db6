"""`gvo serve`: running the office (waitress, with replication alongside)."""

import os
import signal
import threading
import time

import click

from gvo.cli.context import DEFAULT_HOST, DEFAULT_PORT, Context, pass_ctx, serving_url
from gvo.core.config import is_loopback

RECV_BYTES = 256 * 1024
# Responses: a streamed download hands waitress 1 MiB chunks (gvo.library.blobs.CHUNK_SIZE).
# waitress keeps pending output in memory up to outbuf_overflow and spools the rest to a
# temporary file (encrypted: gvo.library.spool), and pauses the app above the high
# watermark. Its defaults (1 MiB, 16 MiB) sent every chunk of a download through that
# file (AES-CTR in and out, and a disk write), which cost a third of a download's time
# (scripts/bench/documents.py). With the watermark at 2 MiB and the overflow above what
# the watermark lets pile up (2 MiB + one chunk), a download stays in memory, at most
# 3 MiB per connection whatever the file's size; a response larger than 4 MiB given in one
# piece still goes to the encrypted file.
OUTBUF_HIGH_WATERMARK = 2 * 1024 * 1024
OUTBUF_OVERFLOW = 4 * 1024 * 1024


def proxy_options(trusted_proxies: int) -> dict:
    """waitress settings for X-Forwarded-* headers: one mechanism, Werkzeug's ProxyFix.

    create_app wraps the app in ProxyFix when GVO_TRUSTED_PROXIES > 0; it takes the
    client address, scheme and host from the last N proxies' X-Forwarded-For/-Proto/-Host.
    waitress must then pass those headers through untouched: by default (no trusted_proxy)
    it deletes them before the app sees them, which left GVO behind nginx or Caddy
    thinking every request came over plain http from 127.0.0.1. With no trusted
    proxies, waitress keeps deleting them, so a client cannot forge them.
    """
    return {"clear_untrusted_proxy_headers": trusted_proxies <= 0}


DRAIN_SECONDS = 20.0  # requests in flight at a stop get this long to finish


class Serving:
    """waitress's loop, run so that SIGTERM and SIGINT stop it cleanly.

    A first signal stops accepting connections (the listening sockets close),
    lets the requests in flight finish (up to `drain_seconds`; their responses
    are sent), closes idle keep-alive connections and stops the request
    threads. A second signal cuts the wait short. The caller then stops
    replication (last ship and checkpoint) and closes the instance.
    The loop uses poll(), not select(): select() fails on a file descriptor
    above 1023 ("filedescriptor out of range in select()").
    """

    def __init__(self, server, drain_seconds: float = DRAIN_SECONDS):
        from waitress import wasyncore
        from waitress.server import BaseWSGIServer

        self.server = server
        self.drain_seconds = drain_seconds
        self._wasyncore = wasyncore
        self._listener_class = BaseWSGIServer
        self.map = server.map if hasattr(server, "map") else server._map
        self.signals = 0
        self._deadline: float | None = None

    def install_signal_handlers(self) -> None:
        """SIGTERM (systemd's stop) and SIGINT (Ctrl+C) ask for a clean stop."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum, _frame) -> None:
        self.signals += 1
        if self.signals > 1:
            self._deadline = time.monotonic()  # a second signal: stop waiting for requests

    def run(self) -> None:
        """Serve until a stop is asked, then drain and stop the request threads."""
        loop = self._wasyncore.loop
        tick = min(float(self.server.adj.asyncore_loop_timeout), 0.5)
        while not self.signals:
            loop(timeout=tick, map=self.map, use_poll=True, count=1)
        self.drain()

    def _channels(self) -> list:
        return [d for d in list(self.map.values()) if hasattr(d, "requests")]

    def drain(self) -> None:
        """Stop accepting; let requests in flight finish; stop the request threads."""
        for d in list(self.map.values()):
            if isinstance(d, self._listener_class):
                self._wasyncore.dispatcher.close(d)  # the listening socket only
        self._deadline = time.monotonic() + self.drain_seconds
        loop = self._wasyncore.loop
        while time.monotonic() < self._deadline:
            busy = False
            for ch in self._channels():
                if ch.requests or ch.total_outbufs_len or ch.request is not None:
                    busy = True
                else:
                    ch.handle_close()  # an idle keep-alive connection
            if not busy:
                break
            loop(timeout=0.05, map=self.map, use_poll=True, count=1)
        self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        self._wasyncore.close_all(self.map)


@click.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--replica", "replica_url", default=None,
              help="Replica target URL (file:///path or s3://bucket/prefix); "
                   "default $GVO_REPLICA_URL or <instance>/replicas.")
@pass_ctx
def serve(ctx: Context, host: str, port: int, threads: int, replica_url: str | None) -> None:
    """Serve the office with waitress (and run replication alongside it).

    SIGTERM or Ctrl+C stops it cleanly: requests in flight finish, every committed
    change is shipped to the replica, and the schools are checkpointed and closed.
    """
    import waitress

    from gvo import create_app
    from gvo.library import spool
    from gvo.mail import sender as mail_sender
    from gvo.newsletter import schedule
    from gvo.ops import metrics
    from gvo.replication import live, service

    try:
        metrics_port = metrics.port_from(os.environ, port)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    inst = ctx.instance()
    app = create_app({"GVO_INSTANCE": inst.path}, instance=inst)
    config = app.config
    inst.bound_resources(cache_mb=config["GVO_CACHE_MB"], threads=threads,
                         idle_seconds=config["GVO_SCHOOL_IDLE_SECONDS"])
    proxies = config["GVO_TRUSTED_PROXIES"]
    if not is_loopback(host) and not proxies:
        click.echo("Warning: serving on a public address without a TLS reverse proxy; "
                   "see deploy/ for Caddy and nginx examples.", err=True)
    if not is_loopback(host) and proxies:
        click.echo("Warning: GVO_TRUSTED_PROXIES is set but GVO listens on a public address: "
                   "anyone reaching it directly can claim any client address. Listen on "
                   "127.0.0.1 behind the proxy.", err=True)
    spool.install()  # waitress's temporary files for large bodies hold ciphertext only
    # recv_bytes: read uploads 256 KiB per recv, not waitress's 8 KiB (a third faster
    # for large files: scripts/bench/documents.py).
    server = waitress.create_server(app, host=host, port=port, threads=threads, ident="GVO",
                                    recv_bytes=RECV_BYTES, asyncore_use_poll=True,
                                    outbuf_overflow=OUTBUF_OVERFLOW,
                                    outbuf_high_watermark=OUTBUF_HIGH_WATERMARK,
                                    **proxy_options(proxies))
    serving = Serving(server)
    serving.install_signal_handlers()
    # Replication starts in the background: the server listens at once, whatever the
    # number of schools.
    replicator = service.start(app, inst, replica_url or os.environ.get("GVO_REPLICA_URL"),
                               workers=config["GVO_REPLICATION_WORKERS"],
                               idle_seconds=config["GVO_SCHOOL_IDLE_SECONDS"])
    # The addresses really listened on (port 0 picks a free one; a name may give several).
    listening = getattr(server, "effective_listen", None) or [
        (server.effective_host, server.effective_port)]
    addresses = " and ".join(serving_url(str(h), int(p), from_here=False)
                             for h, p in listening)
    # One mail sender for every school, started and stopped with replication, and one
    # scheduler (APScheduler) for timed work: newsletters, digests, reminders (decision 0009).
    # `gvo school rekey` and `gvo school move` ask this server to do the work (live.py).
    watcher = live.Watcher(inst, replicator).start()
    sender = mail_sender.start(app, inst)
    newsletters = schedule.start(inst) if sender is not None else None
    # Metrics on their own loopback-only port (gvo.ops.metrics says why), when asked for.
    exporter = None
    if metrics_port is not None:
        exporter = metrics.MetricsServer(
            metrics_port, lambda: [s.slug for s in inst.schools()],
            lambda: (app.extensions.get("gvo_replicator"), app.extensions.get("gvo_mail_sender")))
        click.echo(f"Metrics for Prometheus on {serving_url(metrics.LISTEN_ADDRESS, exporter.port)}"
                   "/metrics (this machine only)")
    click.echo(f"GVO serving {inst.path} on {addresses}  (Ctrl+C to stop)")
    try:
        serving.run()
    finally:
        if exporter is not None:
            exporter.stop()
        if newsletters is not None:
            newsletters.stop()
        if sender is not None:
            sender.stop()
        watcher.stop()
        replicator.stop()
        inst.close()
    click.echo("GVO stopped: every committed change is shipped.")
