"""`gvo user ...`: add, list and help the people of a school from the command line."""

import json
import sys

import click

from gvo.cli.context import Context, pass_ctx
from gvo.core import identity
from gvo.core.errors import GvoError, NotFound
from gvo.core.identity import Identity
from gvo.people import accounts


@click.group()
def user() -> None:
    """Add, list and help people of a school."""


@user.command("add")
@click.argument("slug")
@click.argument("email")
@click.option("--name", required=True, help="The person's name.")
@click.option("--role", required=True, type=click.Choice(identity.ROLES, case_sensitive=False))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_ctx
def user_add(ctx: Context, slug: str, email: str, name: str, role: str, password_stdin: bool):
    """Add a person; without a password, print a one-time set-up link (and, when the
    office sends mail, queue the invitation carrying it)."""
    inst = ctx.instance()
    inst.school(slug)
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise GvoError("no password on standard input")
    conn = inst.db(slug)
    uid = accounts.add_user(conn, Identity.operator(), email=email, name=name, role=role,
                            password=password)
    click.echo(f"Added {email} to {slug} as {identity.ROLE_LABELS[role.lower()]}")
    if password is None:
        sent = accounts.invite(conn, Identity.operator(), uid)
        click.echo(f"Set-up link (valid {accounts.SETUP_LINK_HOURS} hours, works once):")
        click.echo(f"  {sent.link}")
        if sent.mailed:
            click.echo(f"An invitation carrying it is queued for {email}: the running server "
                       "sends it.")


@user.command("list")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def user_list(ctx: Context, slug: str, as_json: bool):
    """List the people of a school."""
    inst = ctx.instance()
    inst.school(slug)
    rows = [
        {"id": u["id"], "email": u["email"], "name": u["name"], "role": u["role"],
         "mfa": u["mfa_enrolled_at"] is not None}
        for u in accounts.list_users(inst.db(slug))
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'EMAIL':<36} {'NAME':<28} {'ROLE':<9} MFA")
    for r in rows:
        click.echo(f"{r['email']:<36} {r['name'][:28]:<28} {r['role']:<9} "
                   f"{'on' if r['mfa'] else 'off'}")


def _school_user(ctx: Context, slug: str, email: str):
    """The school's connection and one of its users, or a clear NotFound."""
    inst = ctx.instance()
    conn = inst.db(inst.school(slug).slug)
    row = accounts.find_by_email(conn, email)
    if row is None:
        raise NotFound(f"no user {email} in {slug}")
    return conn, row


@user.command("reset-mfa")
@click.argument("slug")
@click.argument("email")
@pass_ctx
def user_reset_mfa(ctx: Context, slug: str, email: str):
    """Remove a person's authenticator and recovery codes (they enrol again at sign-in)."""
    conn, row = _school_user(ctx, slug, email)
    ended = accounts.reset_mfa(conn, Identity.operator(), row["id"])
    click.echo(f"Two-step sign-in reset for {email}; {ended.sessions} session(s) ended. "
               f"{ended.notice('Their')}".strip())


@user.command("set-password")
@click.argument("slug")
@click.argument("email")
@pass_ctx
def user_set_password(ctx: Context, slug: str, email: str):
    """Set a person's password from standard input; their sessions end (they sign in anew)."""
    conn, row = _school_user(ctx, slug, email)
    password = sys.stdin.readline().rstrip("\n")
    ended = accounts.set_password(conn, Identity.operator(), row["id"], password)
    click.echo(f"Password set for {email}; {ended.sessions} session(s) ended. "
               f"{ended.notice('Their')}".strip())
