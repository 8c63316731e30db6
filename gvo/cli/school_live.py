"""`gvo school rekey` and `gvo school move`: a school's new data key, and its move to another
server sharing the replica bucket; done by the running server when there is one
(gvo/replication/live.py), else by the command itself."""

import click

from gvo.cli.context import Context, pass_ctx
from gvo.cli.replication import _target
from gvo.core.errors import GvoError
from gvo.replication import live, service
from gvo.replication.shipper import Busy, acquire_lock, server_running


def _live_school(ctx: Context, slug: str):
    """The opened instance, once the school is known to be served here (not moved away)."""
    inst = ctx.instance()
    record = inst.school(slug)
    if record.moved_to:
        raise GvoError(f"school {slug} has moved to {record.moved_to}; it is served there")
    return inst


def _ask_server(inst, slug: str, action: str, moved_to: str | None = None) -> str:
    """Have the running server do the work; its message, or GvoError with its reason."""
    answer = live.wait(inst, live.ask(inst, slug, action, moved_to))
    if not answer.done:
        raise GvoError(f"the {action} of {slug} was not done: {answer.message}")
    return answer.message


@click.command("rekey")
@click.argument("slug")
@pass_ctx
def school_rekey(ctx: Context, slug: str) -> None:
    """Re-encrypt a school under a new data key; the replica starts a new generation.

    While `gvo serve` runs it does the rekey itself: the school answers "back in a moment"
    (503, Retry-After) for those seconds, every other school serves throughout. Replicas
    from before and after open with the master key.
    """
    from gvo.replication.rekey import rekey_school

    inst = _live_school(ctx, slug)
    if server_running(inst.path):
        click.echo(_ask_server(inst, slug, "rekey"))
        return
    target = _target(ctx, None)
    try:
        lock = acquire_lock(inst.path, slug)
    except Busy:
        raise GvoError(f"school {slug} is being served; run the command again (the server "
                       "does the rekey)") from None
    lock.close()
    service.replicate_once(inst, target, slug)  # everything under the old key first
    version = rekey_school(inst, slug)
    done, message = service.replicate_once(inst, target, slug)
    click.echo(f"School {slug} now uses data key version {version}.")
    if not done:
        click.echo(f"Warning: {message}", err=True)


@click.command("move")
@click.argument("slug")
@click.option("--to", "moved_to", required=True,
              help="The school's address on its new server (https://...), shown to anyone "
                   "who still comes here.")
@pass_ctx
def school_move(ctx: Context, slug: str, moved_to: str) -> None:
    """Move a school to another server that shares this one's replica bucket (step 1 of 3).

    Here: the last sync of every commit to the replica; from then on this server refuses
    the school's pages and writes with a page saying where it went, and replicates it no
    more. Then, as the command prints: restore it on the new server (same bucket, same
    master key), and switch the proxy's route for /SLUG/ to the new server.
    """
    moved_to = live.check_moved_to(moved_to)
    inst = _live_school(ctx, slug)
    url = service.resolve_url(ctx.path, None)
    target = _target(ctx, url)
    if target.local_path() is not None and service.same_disk(inst.path, target):
        raise GvoError(f"the replica {url} is on this server's own disk: the new server "
                       "cannot restore from it. Serve with a shared bucket (s3://...) first")
    if server_running(inst.path):
        message = _ask_server(inst, slug, "move", moved_to)
    else:
        message = live.move_offline(inst, target, slug, moved_to)
    click.echo(message)
    click.echo(f"Next, on the new server (same bucket, same master key):\n"
               f"  gvo restore {slug} --from {url}\n"
               f"Then switch the proxy's route for /{slug}/ (every path under it) to the new "
               f"server, e.g. Caddy `handle /{slug}/*` or nginx `location /{slug}/`. Until then "
               f"this server answers /{slug}/ with a page saying it moved to {moved_to}.")
