"""E-mail addresses people type: one check for every form and command that takes one.

An address GVO stores or sends to must be one a mail server takes: the syntax of RFC 5321
section 4.1.2 and RFC 5322 section 3.4.1 as mail servers read it (no dot at either end or
two in a row, each label of the domain 1-63 letters, digits and hyphens not starting or ending
with a hyphen, a domain with a dot in it, at most 254 characters), international domain
names (kept in their ASCII form, RFC 5891), but only ASCII before the @ (letters beyond
it need SMTPUTF8, RFC 6531, which is not assumed). The rules are the well-kept
`email-validator` library's; the domain is not looked up (that is the mail server's
work, and tests run without a network).
"""

from email_validator import EmailNotValidError, validate_email

from gvo.core.errors import InvalidInput

MAX_LENGTH = 254   # RFC 5321 section 4.5.3.1.3 (a path of 256 octets, less its brackets)


NON_ASCII_LOCAL = ("the part before the @ may hold only ASCII letters, digits and . _ % + - "
                   "(this office cannot send to or from other addresses: it does not assume "
                   "that mail servers speak SMTPUTF8, RFC 6531)")


def check(address: str) -> str:
    """The address trimmed, as typed if it is ASCII; an internationalised domain
    ("exämple.org") becomes its ASCII form (IDNA A-labels, "xn--exmple-cua.org", RFC 5891),
    which every mail server takes and which means the same domain. InvalidInput saying what
    is wrong ("... is not an e-mail address: An email address cannot end with a period.")
    if it is not one a mail server would take (see the module docstring), or if its part
    before the @ is not ASCII (that needs SMTPUTF8, RFC 6531, which this office does not
    assume)."""
    address = (address or "").strip()
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f"{address[:MAX_LENGTH]!r} is not an e-mail address: {exc}") from None
    if valid.ascii_email is None:
        raise InvalidInput(f"{address[:MAX_LENGTH]!r} cannot be used: {NON_ASCII_LOCAL}.")
    if not address.isascii():
        address = valid.ascii_email  # an ASCII address stays as typed (its case too)
    if len(address) > MAX_LENGTH:
        raise InvalidInput(f"an e-mail address has at most {MAX_LENGTH} characters")
    return address


def ascii_form(address: str) -> str | None:
    """An address stored earlier (perhaps before `check` turned domains into ASCII) as mail
    can carry it: `check`'s result, or None if it is not one (a non-ASCII part before the
    @, or not an address)."""
    try:
        return check(address)
    except InvalidInput:
        return None


def lookup_form(typed: str) -> str:
    """The form an address typed at sign-in or on the forgotten-password page is looked up
    by: the stored (`check`) form when it is an address ("clerk@exämple.org" is stored as
    "clerk@xn--exmple-cua.org"), else what was typed, stripped (it then matches nobody)."""
    typed = typed.strip()
    return ascii_form(typed) or typed
