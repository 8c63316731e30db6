"""E-mail addresses people type: one check for every form and command that takes one.

An address GVO stores or sends to must be one a mail server takes: the syntax of RFC 5321
section 4.1.2 and RFC 5322 section 3.4.1 as mail servers read it (no dot at either end or
two in a row, each label of the domain 1-63 letters, digits and hyphens not starting or ending
with a hyphen, a domain with a dot in it, at most 254 characters), international names as
RFC 6531 allows them. The rules are the well-kept `email-validator` library's; the domain is
not looked up (that is the mail server's work, and tests run without a network).
"""

from email_validator import EmailNotValidError, validate_email

from gvo.core.errors import InvalidInput

MAX_LENGTH = 254   # RFC 5321 section 4.5.3.1.3 (a path of 256 octets, less its brackets)


def check(address: str) -> str:
    """The address trimmed, as typed; InvalidInput saying what is wrong ("... is not an
    e-mail address: An email address cannot end with a period.") if it is not one a mail
    server would take (see the module docstring)."""
    address = (address or "").strip()
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f"{address[:MAX_LENGTH]!r} is not an e-mail address: {exc}") from None
    if len(address) > MAX_LENGTH:
        raise InvalidInput(f"an e-mail address has at most {MAX_LENGTH} characters")
    return address
