"""The `gvo` operator command: the root group (`--instance`), `gvo init` and the entry point.

One module per command group: schools, users, audit, serve, demo, mail, replication. Each
defines its commands on its own; this module adds them to the root group.
"""

import os
import sys
from pathlib import Path

import click

from gvo.cli import audit, demo, doctor, mail, replication, schools, serve, users
from gvo.cli.context import Context, master_key_note, pass_ctx
from gvo.core.errors import GvoError
from gvo.mail import config as mail_config
from gvo.ops import logs
from gvo.storage.instance import Instance, default_instance_dir


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
    mail_config.configure(None)  # read GVO_SMTP_URL and GVO_MAIL_FROM at first use
    logs.configure(os.environ)  # GVO_LOG_FORMAT=json: one JSON object per log line
    ctx.obj = Context(instance_path or default_instance_dir())


@cli.command()
@pass_ctx
def init(ctx: Context) -> None:
    """Create a new instance: control database and master key file."""
    Instance.init(ctx.path)
    click.echo(f"Created instance at {ctx.path}")
    click.echo(master_key_note(ctx.path))


for _command in (schools.school, users.user, audit.audit_group, serve.serve, demo.demo,
                 mail.mail_group, doctor.doctor, *replication.COMMANDS):
    cli.add_command(_command)
cli.result_callback()(replication.ship_after_writes)


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
