"""`gvo serve` and `gvo demo`: running the office."""

import ipaddress
import os

import click

from gvo.cli import Context, cli, pass_ctx
from gvo.storage.instance import Instance

RECV_BYTES = 256 * 1024


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


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


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--replica", "replica_url", default=None,
              help="Replica target URL (file:///path or s3://bucket/prefix); "
                   "default $GVO_REPLICA_URL or <instance>/replicas.")
@pass_ctx
def serve(ctx: Context, host: str, port: int, threads: int, replica_url: str | None) -> None:
    """Serve the office with waitress (and run replication alongside it)."""
    import waitress

    from gvo import create_app

    inst = ctx.instance()
    app = create_app({"GVO_INSTANCE": inst.path}, instance=inst)
    replicator = None
    try:
        from gvo.replication import service
    except ImportError:
        service = None
    if service is not None:
        replicator = service.start(app, inst, replica_url or os.environ.get("GVO_REPLICA_URL"))
    proxies = app.config["GVO_TRUSTED_PROXIES"]
    if not _is_loopback(host) and not proxies:
        click.echo("Warning: serving on a public address without a TLS reverse proxy; "
                   "see deploy/ for Caddy and nginx examples.", err=True)
    if not _is_loopback(host) and proxies:
        click.echo("Warning: GVO_TRUSTED_PROXIES is set but GVO listens on a public address: "
                   "anyone reaching it directly can claim any client address. Listen on "
                   "127.0.0.1 behind the proxy.", err=True)
    click.echo(f"GVO serving {inst.path} on http://{host}:{port}  (Ctrl+C to stop)")
    from gvo.library import spool

    spool.install()  # waitress's temporary files for large bodies hold ciphertext only
    try:
        # recv_bytes: read uploads 256 KiB per recv, not waitress's 8 KiB (a third faster
        # for large files: scripts/bench/documents.py).
        waitress.serve(app, host=host, port=port, threads=threads, ident="GVO",
                       recv_bytes=RECV_BYTES, **proxy_options(proxies))
    finally:
        if replicator is not None:
            replicator.stop()
        inst.close()


@cli.command()
@click.option("--show", is_flag=True, help="Only print the demo sign-in details.")
@pass_ctx
def demo(ctx: Context, show: bool) -> None:
    """Make a demo instance with the Riverside Primary office (if it is not there)."""
    from gvo import demo as demo_data

    base = (os.environ.get("GVO_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
    if (ctx.path / "control.db").exists():
        inst = ctx.instance()
    else:
        inst = Instance.init(ctx.path)
        click.echo(f"Created a new instance at {ctx.path} (master key in {ctx.path}/master.key)")
    if not inst.has_school(demo_data.SLUG):
        if show:
            click.echo("This instance has no demo school; run: gvo demo")
            return
        demo_data.create(inst)
        click.echo("Created the demo school Riverside Primary.")
    click.echo(demo_data.credentials_text(base))
