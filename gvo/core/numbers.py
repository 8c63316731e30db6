"""Numbers as people type them: full-width digits from a phone keyboard, digits of other
scripts, spaces between groups.

Every number typed into a form or sent in an address goes through here (the form fields
of `gvo.web.forms` too), so a code, a count, an id or a date typed in any of those forms is
read as the same number, and anything else gets a clear message or counts as no number
(never a 500: `str.isdigit` is true for "²", which `int()` refuses, and comparing a
non-ASCII string with `hmac.compare_digest` raises TypeError).
"""

import unicodedata

from gvo.core.errors import InvalidInput

# SQLite's INTEGER is a signed 64-bit number (https://sqlite.org/datatype3.html): an id
# outside this range names nothing, and binding one raises OverflowError.
SQLITE_MIN, SQLITE_MAX = -(2**63), 2**63 - 1


def ascii_digits(text: str) -> str:
    """`text` in Unicode NFKC with whitespace removed and every decimal digit of any script
    written as its ASCII digit ("１２ ３" -> "123", "٤٥" -> "45", "２０３１-０１-０２" ->
    "2031-01-02"); other characters stay."""
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


def whole_number_or_none(text: str | None, *, low: int = 1, high: int = SQLITE_MAX
                         ) -> int | None:
    """`whole_number` for a value where anything else means "none given" (an id in an
    address or a hidden field, a filter): the number, or None for no text, text that is
    not a whole number, or one outside [low, high] (by default an id SQLite can hold)."""
    try:
        return whole_number(text or "", what="", low=low, high=high)
    except InvalidInput:
        return None
