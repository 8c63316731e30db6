"""`gvo doctor`: check an installation and say, one line per check, what to fix."""

import os
import sys

import click

from gvo.cli.context import Context, pass_ctx
from gvo.ops import doctor as checks
from gvo.replication import service
from gvo.replication.targets import open_target

MARKS = {checks.OK: "ok     ", checks.WARN: "WARN   ", checks.FAIL: "FAIL   ",
         checks.UNKNOWN: "unknown"}


@click.command()
@click.option("--url", default=None,
              help="The public https address (e.g. https://gvo.example.org): check the proxy "
                   "with a real request to /healthz through it.")
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A CA bundle to trust for --url besides the system's.")
@click.option("--replica", "replica_url", default=None,
              help="Replica URL to check (default: as `gvo serve` finds it).")
@pass_ctx
def doctor(ctx: Context, url: str | None, ca_file: str | None, replica_url: str | None) -> None:
    """Check this installation: master key, file modes, replica, mail, clock, proxy, disk.

    Prints one line per check (ok, WARN, FAIL or unknown) saying what to fix; the exit
    status is 1 when a check fails. Changes nothing.
    """
    try:
        target = open_target(service.resolve_url(ctx.path, replica_url))
    except ValueError as exc:
        target = f"{exc}: set GVO_REPLICA_URL to file:///path or s3://bucket/prefix"
    results = checks.run(ctx.path, os.environ, target=target, open_instance=ctx.instance,
                         url=url, ca_file=ca_file)
    width = max(len(c.name) for c in results)
    for c in results:
        click.echo(f"{MARKS[c.status]}  {c.name.ljust(width)}  {c.message}")
    failed = [c.name for c in results if c.status == checks.FAIL]
    if failed:
        click.echo(f"{len(failed)} check(s) failed: {', '.join(failed)}.", err=True)
        sys.exit(1)
