"""`gvo school ...`: create and list the schools of an instance."""

import json

import click

from gvo.cli import school_delete, school_export, school_live
from gvo.cli.context import Context, human_size, pass_ctx
from gvo.core.identity import Identity


@click.group()
def school() -> None:
    """Create and list schools."""


@school.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The school's name as people know it.")
@pass_ctx
def school_create(ctx: Context, slug: str, name: str) -> None:
    """Create a school with its own encrypted database."""
    from gvo.people import settings

    inst = ctx.instance()
    record = inst.create_school(slug, name)
    settings.record_creation(inst.db(slug), Identity.operator(), slug)
    click.echo(f"Created school {record.slug} ({record.name}) at {inst.school_path(slug)}")


@school.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def school_list(ctx: Context, as_json: bool) -> None:
    """List the schools: slug, name, users, size on disk; and those moved to another server."""
    from gvo.people import accounts

    inst = ctx.instance()
    rows = []
    for rec in inst.schools():
        rows.append(
            {
                "slug": rec.slug,
                "name": rec.name,
                "users": accounts.count_users(inst.db(rec.slug)),
                "size_bytes": inst.school_size(rec.slug),
                "created_at": rec.created_at,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    moved = [r for r in inst.schools(moved=True) if r.moved_to]
    if not rows and not moved:
        click.echo("No schools yet. Create one: gvo school create SLUG --name NAME")
        return
    click.echo(f"{'SLUG':<24} {'NAME':<36} {'USERS':>5} {'SIZE':>9}")
    for r in rows:
        click.echo(
            f"{r['slug']:<24} {r['name'][:36]:<36} {r['users']:>5} {human_size(r['size_bytes']):>9}"
        )
    for r in moved:  # served elsewhere now (gvo school move): its files are still here
        click.echo(f"{r.slug:<24} moved to {r.moved_to}")


# Commands with modules of their own.
school.add_command(school_delete.school_delete)
school.add_command(school_export.school_export)
school.add_command(school_live.school_rekey)
school.add_command(school_live.school_move)
