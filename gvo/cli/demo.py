"""`gvo demo`: make (or show) the demo office, Riverside Primary."""

import click

from gvo.cli.context import Context, base_url, pass_ctx
from gvo.storage.instance import Instance


@click.command()
@click.option("--show", is_flag=True, help="Only print the demo sign-in details.")
@pass_ctx
def demo(ctx: Context, show: bool) -> None:
    """Make a demo instance with the Riverside Primary office (if it is not there)."""
    from gvo.people import demo as demo_data

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
    click.echo(demo_data.credentials_text(base_url()))
