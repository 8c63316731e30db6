"""`gvo school delete SLUG`: delete a school for good (its key first: crypto-shredding)."""

import click

from gvo.cli.context import Context, pass_ctx
from gvo.cli.replication import _target
from gvo.core.errors import GvoError
from gvo.lifecycle import delete as deleting


@click.command("delete")
@click.argument("slug")
@click.option("--force", is_flag=True, help="Delete it even while people are signed in.")
@click.option("--purge-replicas", is_flag=True,
              help="Also remove every object of the school from its replica.")
@click.option("--replica", "url", default=None,
              help="Replica URL (default as for gvo serve).")
@click.option("--no-replica", is_flag=True,
              help="The school was never replicated anywhere: delete it here only.")
@click.option("--yes", is_flag=True, help="Do not ask to type the slug to confirm.")
@pass_ctx
def school_delete(ctx: Context, slug: str, force: bool, purge_replicas: bool, url: str | None,
                  no_replica: bool, yes: bool) -> None:
    """Delete a school for good: its data key is destroyed first (so every replica of it
    becomes unreadable), then its files; with --purge-replicas its replica objects too.
    Recorded in the operator log of the control database."""
    inst = ctx.instance()
    record = inst.school(slug)
    if no_replica and (url or purge_replicas):
        raise GvoError("--no-replica says the school has no replica: it takes neither "
                       "--replica nor --purge-replicas")
    target = None if no_replica else _target(ctx, url)
    if not yes:
        gone = "its data key, its files" + (f" and its replica at {target.url}"
                                            if purge_replicas else "")
        click.echo(f"This deletes {record.name} ({slug}) for good: {gone} cannot be brought "
                   "back, and no replica of it can be restored.")
        typed = click.prompt("Type the school's slug to confirm", default="",
                             show_default=False)
        if typed.strip() != slug:
            raise GvoError("the slug typed does not match: nothing was deleted")
    done = deleting.delete(inst, slug, target, force=force, purge_replicas=purge_replicas)
    click.echo(f"Deleted school {slug}: its data key is destroyed; removed "
               f"{len(done.removed)} path(s) from {inst.path}.")
    if target is None:
        return
    if purge_replicas or done.replica_objects:
        click.echo(f"Removed {done.replica_objects} replica object(s) from {target.url}.")
    else:
        click.echo(f"Its replica at {target.url} is unreadable without the key; remove it "
                   "with --purge-replicas or by hand.")
