"""Text rules every part of GVO shares: file names that cannot mislead, and search's folding.

No Flask and no database here: the library, the meetings, the download helper and the
school database's migrations all use these, so one name or one word is treated the same
way everywhere.
"""

import re
import unicodedata

import regex
from anyascii import anyascii

# Characters that draw nothing, or change how the others draw, so a name can show something
# else than it is: controls (Cc), format characters (Cf: the zero-width space, joiners and
# marks U+200B-U+200F, the word joiner U+2060, the byte order mark U+FEFF, the bidirectional
# embeddings, overrides and isolates U+202A-U+202E and U+2066-U+2069 of UAX #9, with which
# "invoice\u202efdp.exe" reads as "invoiceexe.pdf"), line and paragraph separators, lone
# surrogates, and every other Default_Ignorable_Code_Point of Unicode (UAX #44,
# DerivedCoreProperties.txt: Hangul fillers, variation selectors, tags).
_INVISIBLE = regex.compile(r"[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]")
_SPACES = regex.compile(r"\s+")
# What an ASCII fallback name keeps (RFC 6266 section 4.3 advises against '%' and '\' in
# `filename`, and quotes and ';' would end the parameter).
_FALLBACK_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()+,=@&!#$'\[\]{}~^-]")
_WORD = re.compile(r"\w+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
MAX_NAME = 200
DEFAULT_STEM = "document"


def strip_controls(text: str) -> str:
    """`text` without control, format (zero-width, bidirectional), separator or other
    default-ignorable characters (see _INVISIBLE)."""
    return _INVISIBLE.sub("", text or "")


def plain_line(text: str) -> str:
    """`text` as one line that shows what it is: composed (Unicode NFC), line breaks and tabs
    made spaces, without invisible characters (`strip_controls`), each run of white space
    one space, trimmed."""
    line = _SPACES.sub(" ", unicodedata.normalize("NFC", text or ""))
    return _SPACES.sub(" ", strip_controls(line)).strip()


def safe_filename(name: str, default: str = DEFAULT_STEM) -> str:
    """A file name fit to store, show and send: no folders, nothing invisible, no leading
    dots, no trailing dots or spaces (Windows drops them), trimmed around its extension.

    The name is `plain_line`'s (NFC, no controls or bidirectional characters). A name with
    nothing before its extension ("   .txt") gets `default` as its stem ("document.txt");
    an empty one is `default`. Keeps the end of a name longer than 200 characters (where
    its extension is).
    """
    name = plain_line(name).replace("\\", "/").rsplit("/", 1)[-1]
    name = name.rstrip(". ")
    stem, dot, extension = name.rpartition(".")
    if dot:
        stem, extension = stem.rstrip(), extension.lstrip()
        if not stem.strip(". "):  # all extension: ".txt", ". txt", "..pdf"
            stem = ""
        name = f"{stem or default}.{extension}"
    name = name[-MAX_NAME:].lstrip(". ")
    return name or default


def ascii_filename(name: str, default: str = DEFAULT_STEM) -> str:
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
