"""`gvo demo`: make (or show) the demo office, Riverside Primary."""

import click

from gvo.cli.context import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    Context,
    base_url,
    master_key_note,
    pass_ctx,
)
from gvo.storage.instance import Instance


@click.command()
@click.option("--show", is_flag=True, help="Only print the demo sign-in details.")
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="The address `gvo serve` will listen on (for the sign-in address printed).")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535),
              help="The port `gvo serve` will listen on (for the sign-in address printed).")
@pass_ctx
def demo(ctx: Context, show: bool, host: str, port: int) -> None:
    """Make a demo instance with the Riverside Primary office (if it is not there), and
    print where to sign in: $GVO_BASE_URL, else the address `gvo serve --host HOST --port
    PORT` serves on (what `make run HOST=... PORT=...` passes to both)."""
    from gvo.people import demo as demo_data

    if (ctx.path / "control.db").exists():
        inst = ctx.instance()
    else:
        inst = Instance.init(ctx.path)
        click.echo(f"Created a new instance at {ctx.path}.")
        click.echo(master_key_note(ctx.path))
    if not inst.has_school(demo_data.SLUG):
        if show:
            click.echo("This instance has no demo school; run: gvo demo")
            return
        demo_data.create(inst)
        click.echo("Created the demo school Riverside Primary.")
    click.echo(demo_data.credentials_text(base_url(host, port)))
