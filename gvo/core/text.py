"""Text rules every part of GVO shares: file names that cannot mislead, and search's folding.

No Flask and no database here: the library, the meetings, the download helper and the
school database's migrations all use these, so one name or one word is treated the same
way everywhere.
"""

import re

from anyascii import anyascii

# Unicode's explicit bidirectional formatting characters (UAX #9, section 2, table 1) and
# the Arabic letter mark. In a file name U+202E makes "invoice‮fdp.exe" read as
# "invoiceexe.pdf": none of them belongs in a name.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# C0 and C1 controls, DEL, line and paragraph separators, and the bidi controls.
_CONTROLS = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}]")
# What an ASCII fallback name keeps (RFC 6266 section 4.3 advises against '%' and '\' in
# `filename`, and quotes and ';' would end the parameter).
_FALLBACK_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()+,=@&!#$'\[\]{}~^-]")
_WORD = re.compile(r"\w+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
MAX_NAME = 200


def strip_controls(text: str) -> str:
    """`text` without control, line-separator or bidirectional formatting characters."""
    return _CONTROLS.sub("", text or "")


def safe_filename(name: str, default: str = "file") -> str:
    """A file name fit to store, show and send: no folders, no controls, no leading dots.

    Keeps the end of a name longer than 200 characters (where its extension is);
    `default` when nothing is left.
    """
    name = strip_controls(name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = name.lstrip(".").strip()
    return name[-MAX_NAME:] or default


def ascii_filename(name: str, default: str = "file") -> str:
    """An ASCII stand-in for a file name (Ł -> L, ß -> ss), for user agents that cannot read
    RFC 8187's UTF-8 `filename*`; characters without a safe ASCII form become '_'."""
    folded = _FALLBACK_UNSAFE.sub("_", anyascii(safe_filename(name, default)))
    return folded.strip() or default


def fold(text: str) -> str:
    """Lower-case ASCII words for search: each letter transliterated (ł -> l, ø -> o, ß -> ss,
    æ -> ae, Cyrillic and Greek to Latin), the same at index and at query time."""
    return " ".join(_ASCII_WORD.findall(anyascii(text).lower()))


def folded_words(text: str) -> str:
    """The folded forms of the distinct non-ASCII words of `text`, for a search index column
    beside the original text (ASCII words are found as they are)."""
    seen: dict[str, None] = {}
    for word in set(_WORD.findall(text or "")):
        if not word.isascii():
            seen.setdefault(fold(word), None)
    return " ".join(sorted(w for w in seen if w))
