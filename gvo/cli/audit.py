"""`gvo audit ...`: the audit log from the command line."""

import sys

import click

from gvo.cli.context import Context, pass_ctx
from gvo.core import audit


@click.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
@click.argument("slug")
@pass_ctx
def audit_verify(ctx: Context, slug: str):
    """Check the audit log's hash chain; report the first broken link."""
    inst = ctx.instance()
    inst.school(slug)
    report = audit.verify(inst.db(slug))
    if report.ok:
        click.echo(f"Audit log of {slug}: {report.entries} entries, chain intact.")
        return
    click.echo(
        f"Audit log of {slug}: BROKEN at entry {report.broken_at}: {report.reason}.", err=True
    )
    sys.exit(2)
