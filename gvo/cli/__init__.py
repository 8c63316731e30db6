"""The `gvo` operator command: instances, schools, users, audit, serving, the demo."""

import json
import os
import sys
from pathlib import Path

import click

from gvo.errors import GvoError
from gvo.storage.instance import Instance, default_instance_dir


class Context:
    """What every sub-command needs: where the instance is, opened on demand."""

    def __init__(self, path: Path):
        self.path = path
        self._instance: Instance | None = None

    def instance(self) -> Instance:
        """The opened instance (a wrong or missing key fails here, clearly)."""
        if self._instance is None:
            self._instance = Instance.open(self.path)
        return self._instance


pass_ctx = click.make_pass_decorator(Context)


def human_size(n: int) -> str:
    """Bytes as a short human-readable size."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


@click.group()
@click.option(
    "--instance",
    "instance_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Instance directory (default: $GVO_INSTANCE or ./instances).",
)
@click.pass_context
def cli(ctx: click.Context, instance_path: Path | None) -> None:
    """GVO: the Governors' Virtual Office, operator commands."""
    ctx.obj = Context(instance_path or default_instance_dir())


@cli.command()
@pass_ctx
def init(ctx: Context) -> None:
    """Create a new instance: control database and master key file."""
    Instance.init(ctx.path)
    click.echo(f"Created instance at {ctx.path}")
    if not os.environ.get("GVO_MASTER_KEY"):
        click.echo(
            f"Master key written to {ctx.path / 'master.key'} (mode 0600).\n"
            "Keep a copy of it somewhere else: without it no school and no replica can be opened."
        )


@cli.group()
def school() -> None:
    """Create and list schools."""


@school.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The school's name as people know it.")
@pass_ctx
def school_create(ctx: Context, slug: str, name: str) -> None:
    """Create a school with its own encrypted database."""
    from gvo import audit

    inst = ctx.instance()
    record = inst.create_school(slug, name)
    audit.record(inst.db(slug), "school.create", target=slug, actor_email="operator (cli)")
    click.echo(f"Created school {record.slug} ({record.name}) at {inst.school_path(slug)}")


@school.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def school_list(ctx: Context, as_json: bool) -> None:
    """List the schools: slug, name, users, size on disk."""
    from gvo import people

    inst = ctx.instance()
    rows = []
    for rec in inst.schools():
        rows.append(
            {
                "slug": rec.slug,
                "name": rec.name,
                "users": people.count_users(inst.db(rec.slug)),
                "size_bytes": inst.school_size(rec.slug),
                "created_at": rec.created_at,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No schools yet. Create one: gvo school create SLUG --name NAME")
        return
    click.echo(f"{'SLUG':<24} {'NAME':<36} {'USERS':>5} {'SIZE':>9}")
    for r in rows:
        click.echo(
            f"{r['slug']:<24} {r['name'][:36]:<36} {r['users']:>5} {human_size(r['size_bytes']):>9}"
        )


def main() -> None:
    """Entry point: run the CLI, turning GvoError into one clear line and exit code 1.

    The process's umask becomes 077: whatever a command writes (files GVO makes
    with explicit modes anyway, and any a library makes) is its owner's only.
    """
    os.umask(0o077)
    try:
        cli.main(standalone_mode=False, prog_name="gvo")
    except GvoError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


# The other command groups register themselves on `cli` when imported.
from gvo import cli_people, cli_serve  # noqa: E402,F401
from gvo.replication import cli as _replication_cli  # noqa: E402,F401
