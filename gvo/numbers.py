"""Numbers as people type them: full-width digits from a phone keyboard, digits of other
scripts, spaces between groups.

Every number typed into a form goes through here, so a code or a count typed in any of
those forms is read as the same number, and anything else gets a clear message (never a
500: comparing a non-ASCII string with `hmac.compare_digest` raises TypeError).
"""

import unicodedata

from gvo.errors import InvalidInput


def ascii_digits(text: str) -> str:
    """`text` in Unicode NFKC with whitespace removed and every decimal digit of any script
    written as its ASCII digit ("１２ ３" -> "123", "٤٥" -> "45"); other characters stay."""
    out = []
    for ch in unicodedata.normalize("NFKC", text or ""):
        if ch.isspace():
            continue
        digit = unicodedata.decimal(ch, None)
        out.append(str(digit) if digit is not None else ch)
    return "".join(out)


def is_digits(text: str) -> bool:
    """Whether `text` is one or more ASCII digits and nothing else."""
    return text.isascii() and text.isdigit()


def whole_number(text: str, *, what: str, low: int, high: int) -> int:
    """The whole number typed in `text`, between `low` and `high` inclusive.

    Raises InvalidInput naming `what` (for example "Quorum") if it is not a whole number
    written with digits, or is out of range.
    """
    cleaned = ascii_digits(text)
    if not is_digits(cleaned):
        raise InvalidInput(f"{what} must be a whole number, written in digits.")
    if len(cleaned.lstrip("0")) > len(str(high)) or not low <= int(cleaned) <= high:
        raise InvalidInput(f"{what} must be between {low} and {high}.")
    return int(cleaned)
