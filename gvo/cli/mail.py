"""`gvo mail test SLUG ADDRESS`: send one message now and print the SMTP server's answer."""

import click

from gvo.cli.context import Context, pass_ctx
from gvo.core import addresses
from gvo.core.errors import GvoError
from gvo.mail import config, outbox, sender
from gvo.mail.compose import Letter, Recipient


@click.group("mail")
def mail_group() -> None:
    """E-mail: check that the office's mail reaches people."""


@mail_group.command("test")
@click.argument("slug")
@click.argument("address")
@pass_ctx
def mail_test(ctx: Context, slug: str, address: str) -> None:
    """Send a test message from school SLUG to ADDRESS at once (not through the outbox) and
    print the SMTP server's answer; exit status 1 if it was not accepted."""
    settings = config.current()
    if not settings.enabled:
        raise GvoError(f"mail is off: set {config.SMTP_ENV} and {config.FROM_ENV} "
                       "(see README, 'E-mail')")
    inst = ctx.instance()
    inst.school(slug)
    address = addresses.check(address)
    letter = Letter("test", "Test message from the Governors' Virtual Office",
                    "the server's operator sent a test message to this address")
    msg = outbox.compose_for(inst.db(slug), Recipient("", address), letter)
    click.echo(f"Sending to {address} through {settings.smtp.describe()} ...")
    try:
        answer = sender.send_now(settings, address, msg.as_bytes())
    except sender.Refused as exc:
        raise GvoError(f"the mail server refused the message: {exc}") from None
    except sender.Unreachable as exc:
        raise GvoError(f"cannot reach the mail server: {exc}") from None
    click.echo(f"The mail server answered: {answer}")
