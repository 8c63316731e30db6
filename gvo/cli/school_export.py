"""`gvo school export SLUG --to FILE`: the school's data as a passphrase-encrypted archive."""

from pathlib import Path

import click

from gvo.cli.context import Context, human_size, pass_ctx
from gvo.core.errors import GvoError
from gvo.lifecycle import export as exporting


def _read_passphrase(path: Path | None) -> str:
    """The passphrase: the first line of `path` (its line end dropped), else typed twice."""
    if path is None:
        return click.prompt("Passphrase for the archive (give it to the school separately)",
                            hide_input=True, confirmation_prompt=True)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise GvoError(f"cannot read the passphrase from {path}: {exc}") from None
    return lines[0] if lines else ""


@click.command("export")
@click.argument("slug")
@click.option("--to", "dest", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The archive to write (a new file: .zip).")
@click.option("--passphrase-file", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Read the passphrase from this file's first line "
              "(default: type it).")
@pass_ctx
def school_export(ctx: Context, slug: str, dest: Path, passphrase_file: Path | None) -> None:
    """Export a school: its library, minutes and packs as PDF, meetings, people, governor
    records, interests, policies and audit log as CSV, with a README; one AES-256 ZIP
    encrypted with a passphrase (7-Zip, WinZip or Keka open it). Recorded in the operator
    log."""
    inst = ctx.instance()
    inst.school(slug)
    passphrase = _read_passphrase(passphrase_file)
    done = exporting.export(inst, slug, dest, passphrase)
    held = ", ".join(f"{n} {what}" for what, n in done.counts.items())
    click.echo(f"Exported {slug} to {done.path} ({human_size(done.size)}): {held}.")
    click.echo("It opens with the passphrase (7-Zip, WinZip, Keka...); inside, export.zip "
               "opens in any file manager. README.txt there says what is where.")
