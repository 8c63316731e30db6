"""Building one message: multipart text and HTML from templates, with good headers.

Templates live in gvo/templates/mail/: `<name>.txt` and `<name>.html`, extending
`_base.txt` and `_base.html`, which add the footer saying why the person got the message
and how to change that. Headers (RFC 5322 and RFC 2047 for non-ASCII names, through the
standard library's `email.policy.SMTP`): From (the school's name, the operator's
address), To (the person's name and address), Reply-To (the school's clerk, if set),
Subject, Date, Message-ID, and `Auto-Submitted: auto-generated` (RFC 3834: no
out-of-office replies to it). Mail holds titles and links, never a document's content.

`List-Unsubscribe` and `List-Unsubscribe-Post` are written as they are, never folded or
encoded (`_Policy`): RFC 2369 and RFC 8058 want `<https://...>` in ASCII, and a mail
program or a large provider's one-click check does not decode RFC 2047 encoded-words in
them (the standard library folds any token longer than 78 characters into encoded-words).
"""

import secrets
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime

import jinja2

from gvo.core import addresses, clock, text
from gvo.mail.config import MailSettings

RAW_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post"})
MAX_LINE = 998  # RFC 5322 2.1.1: a line's limit (78 is only recommended)


class _Policy(EmailPolicy):
    """`email.policy.SMTP`, but the headers of RAW_HEADERS are written unfolded and
    unencoded (their values are ASCII, checked when set, and under MAX_LINE)."""

    def _raw(self, name: str, value: str) -> str | None:
        return f"{name}: {value}{self.linesep}" if name.lower() in RAW_HEADERS else None

    def fold(self, name, value):
        """The header as text (raw for RAW_HEADERS)."""
        return self._raw(name, value) or super().fold(name, value)

    def fold_binary(self, name, value):
        """The header as bytes (raw, ASCII, for RAW_HEADERS)."""
        raw = self._raw(name, value)
        return raw.encode("ascii") if raw else super().fold_binary(name, value)


POLICY = _Policy().clone(linesep="\r\n")


def raw_header_value(value: str) -> str:
    """`value` checked for a header written as it is: ASCII, no control characters (no
    line breaks: no header can be added through it), and short enough for one line.
    ValueError otherwise (an operator's GVO_BASE_URL that is not ASCII, a bug)."""
    if not value.isascii() or not value.isprintable() or len(value) > MAX_LINE - 40:
        raise ValueError(f"not a raw header value: {value[:80]!r}")
    return value


_env = jinja2.Environment(
    loader=jinja2.PackageLoader("gvo", "templates/mail"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Recipient:
    """Who a message is for: their name and address (and account, if they have one)."""

    name: str
    address: str
    user_id: int | None = None

    def header(self) -> Address:
        """The To header's value (a non-ASCII name is encoded by the policy)."""
        user, _, domain = self.address.rpartition("@")
        return Address(display_name=header_text(self.name), username=user, domain=domain)


def header_text(value: str) -> str:
    """Typed text (a name, a title) for a header (a display name, the Subject): one line,
    and never read as an RFC 2047 encoded word ("=?utf-8?q?...?="), which a mail client
    would decode into other text. Python's header registry decodes such a word, even inside
    quotes, and writes it back as it is; so "=?" becomes "= ?" (shown as typed, but for
    that space)."""
    return text.one_line(value).replace("=?", "= ?")


@dataclass(frozen=True)
class Letter:
    """What a message says: its template (gvo/templates/mail/<template>.txt/.html), subject,
    the words ending "You received this because ..." (`why`), what to do to change that
    (`change`, optional), the template's values, and `link`: the address of the item it is
    about (a digest or the newsletter lists a held notification as its subject and this
    link).

    `ref`: the item the message is about, (ref_type, ref_id) as registered in
    gvo.mail.refs, so access is checked again when the mail is made (None: about no item).
    `gathered`: the Subject for several notices of this kind about the item gathered in one
    message, with "{n}" for their number ("{n} new comments on ..."); "" leaves each notice
    a message of its own (gvo.mail.outbox.notify)."""

    template: str
    subject: str
    why: str
    context: dict = field(default_factory=dict)
    change: str = ""
    link: str = ""
    ref: tuple[str, int] | None = None
    gathered: str = ""


def _reply_to_address(school_name: str, reply_to: str) -> Address | None:
    """The Reply-To header's value, or None for none: the address in ASCII (an
    internationalised domain as its A-labels, gvo.core.addresses.ascii_form); an address
    that cannot be written in ASCII (a non-ASCII local part, which needs SMTPUTF8) or that
    is not an address gives no Reply-To rather than a header naming a nonsense address."""
    address = addresses.ascii_form(reply_to) if reply_to else None
    if address is None:
        return None
    user, _, domain = address.rpartition("@")
    return Address(display_name=header_text(school_name), username=user, domain=domain)


def reply_to_header(school_name: str, reply_to: str) -> bytes:
    """The Reply-To header line as `build` writes it (with its CRLF), b"" for none."""
    reply = _reply_to_address(school_name, reply_to)
    if reply is None:
        return b""
    msg = EmailMessage(policy=POLICY)
    msg["Reply-To"] = reply
    return POLICY.fold_binary("Reply-To", msg["Reply-To"])


def replace_reply_to(data: bytes, header: bytes) -> bytes:
    """A built message (`data`, RFC 5322 bytes with CRLF) with its Reply-To header (and its
    folded continuation lines) replaced by `header` (a `reply_to_header` line; b"" for
    none); the rest of the message is unchanged byte for byte."""
    head, sep, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    out, dropping, at = [], False, None
    for line in lines:
        if line[:1] in (b" ", b"\t") and dropping:
            continue
        dropping = line.lower().startswith(b"reply-to:")
        if dropping:
            at = len(out) if at is None else at
            continue
        out.append(line)
    if header:
        out.insert(len(out) if at is None else at, header.rstrip(b"\r\n"))
    return b"\r\n".join(out) + sep + body


def build(settings: MailSettings, *, school_name: str, school_url: str, reply_to: str,
          to: Recipient, letter: Letter, unsubscribe: str = "") -> EmailMessage:
    """The message for `to`: text and HTML parts from `letter`'s templates and headers.

    school_url: the school's address in the office (links start there). reply_to: the
    clerk's address, or "" for none. unsubscribe: for mail that is not account mail, the
    one-click unsubscribe link (https), sent as `List-Unsubscribe` with
    `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058, RFC 2369) and shown in
    the footer. The Date is the app's clock (UTC). Raises jinja2.TemplateNotFound for a
    template that does not exist (a bug).
    """
    values = dict(letter.context, school_name=school_name, school_url=school_url,
                  recipient=to, why=letter.why, change=letter.change, unsubscribe=unsubscribe)
    body = _env.get_template(f"{letter.template}.txt").render(values)
    html = _env.get_template(f"{letter.template}.html").render(values)
    sender = settings.sender
    msg = EmailMessage(policy=POLICY)
    msg["From"] = Address(display_name=header_text(school_name), username=sender.username,
                          domain=sender.domain)
    msg["To"] = to.header()
    if (reply := _reply_to_address(school_name, reply_to)) is not None:
        msg["Reply-To"] = reply
    msg["Subject"] = header_text(letter.subject)
    msg["Date"] = format_datetime(clock.utcnow())
    # 128 random bits from `secrets` (RFC 5322 3.6.4: unique; short enough not to be folded).
    # Not make_msgid: it draws on the `random` module, whose state a test framework
    # (Hypothesis) or a fork may repeat, and the outbox holds each Message-ID once.
    msg["Message-ID"] = f"<{secrets.token_hex(16)}@{sender.domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    if unsubscribe:
        msg["List-Unsubscribe"] = f"<{raw_header_value(unsubscribe)}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(body)
    msg.add_alternative(html, subtype="html")
    return msg
