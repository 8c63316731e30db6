"""Text rules every part of GVO shares: file names that cannot mislead, and search's folding.

No Flask and no database here: the library, the meetings, the download helper and the
school database's migrations all use these, so one name or one word is treated the same
way everywhere.
"""

import hashlib
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
# What ends a line: the mandatory breaks of UAX #14 (BK: VT, FF, U+2028, U+2029; CR; LF;
# NL: NEL U+0085), and tabs. In a one-line field each run of them is one space.
LINE_BREAKS = "\t\n\x0b\x0c\r\x85\u2028\u2029"
_BREAKS = re.compile(f"[{LINE_BREAKS}]+")
_C0_C1 = re.compile("[\x00-\x1f\x7f-\x9f]")
# Characters that hide or reorder the text around them without being part of any word: the
# Arabic letter mark, left-to-right and right-to-left marks, embeddings, overrides and
# isolates (UAX #9), the zero-width space, word joiner and byte order mark, the Mongolian
# vowel separator. One-line fields leave them out; file names leave out every invisible.
_HIDING = re.compile("[\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064"
                     "\u2066-\u2069\ufeff]")
# Combining marks (Mn, Me) and invisible format characters (Cf: joiners, zero-width space,
# tag characters) kept in a row. Real text needs a few (a Vietnamese letter two, a keycap
# two, a flag's tag sequence six); a run of thousands is no text, and costs the PDF
# library time quadratic in its length (it draws nothing and so never breaks a line).
MAX_MARKS = 8
_MARKS = frozenset(("Mn", "Me", "Cf"))
_WORD = re.compile(r"\w+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
MAX_NAME = 200
DEFAULT_STEM = "document"


def is_well_formed(text: str) -> bool:
    """Whether `text` has a UTF-8 form: no lone surrogates (U+D800-U+DFFF outside a pair
    cannot be written in UTF-8, Unicode 3.9 D92, so SQLite cannot take them). Werkzeug
    reads addresses, forms and cookies with replacement characters; text that reaches GVO
    another way (JSON's \\ud800 escapes, a PDF's text map) may still carry them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def well_formed(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD (and each escaped pair joined
    into its character), so it can be stored; see `is_well_formed`."""
    if is_well_formed(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def strip_controls(text: str) -> str:
    """`text` without control, format (zero-width, bidirectional), separator or other
    default-ignorable characters (see _INVISIBLE)."""
    return _INVISIBLE.sub("", text or "")


def cap_marks(text: str, limit: int = MAX_MARKS) -> str:
    """`text` with each run of combining marks and invisible format characters (ZWJ, ZWNJ,
    zero-width space, variation selectors, tags) cut to its first `limit` characters."""
    out, run = [], 0
    for ch in text or "":
        if unicodedata.category(ch) in _MARKS:
            run += 1
            if run > limit:
                continue
        else:
            run = 0
        out.append(ch)
    return "".join(out) if len(out) != len(text or "") else (text or "")


def one_line(text: str) -> str:
    """A one-line field's text (a title, a name, a place) as it shows: composed (Unicode
    NFC); each run of white space, line breaks and tabs (LINE_BREAKS, U+2028 and U+2029
    too) one space; C0 and C1 controls and the characters that hide or reorder text left
    out (_HIDING: bidirectional controls, zero-width space, word joiner, byte order mark);
    runs of marks capped (`cap_marks`); trimmed. Joiners (ZWJ, ZWNJ) stay: Persian and
    Indic names and emoji sequences need them. Every one-line form field reads what is
    sent through this (`gvo.web.forms.LineField`), and the services apply it again."""
    line = unicodedata.normalize("NFC", text or "")
    line = _HIDING.sub("", _C0_C1.sub("", _SPACES.sub(" ", line)))
    return cap_marks(_SPACES.sub(" ", line)).strip()


def paragraphs(text: str) -> str:
    """A multi-line field's text (an interest's description): each line as `one_line`
    makes it (no bidirectional controls, zero-width spaces or other controls; runs of
    spaces one), the lines joined by "\n" (any line break, LINE_BREAKS less the tab, is
    one), blank lines at either end left out."""
    lines = re.split("\r\n|[\n\x0b\x0c\r\x85\u2028\u2029]", text or "")
    return "\n".join(one_line(line) for line in lines).strip("\n")


def safe_filename(name: str, default: str = DEFAULT_STEM) -> str:
    """A file name fit to store, show and send: no folders, nothing invisible, no leading
    dots, no trailing dots or spaces (Windows drops them), trimmed around its extension.

    The name is `one_line`'s, without any invisible character either (`strip_controls`). A name with
    nothing before its extension ("   .txt") gets `default` as its stem ("document.txt");
    an empty one is `default`. Keeps the end of a name longer than 200 characters (where
    its extension is).
    """
    name = strip_controls(one_line(name)).replace("\\", "/").rsplit("/", 1)[-1]
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


def sort_key(value: str) -> str:
    """THE sort key for names and titles in any script (people, courses, topics...): the
    words transliterated to lower-case ASCII (`fold`: Łódź -> lodz, Ψηφοφορία -> psifoforia,
    王 -> wang), then the text case-folded, so two that fold alike keep a stable order.
    SQLite's NOCASE folds ASCII letters only ("Łucja" would sort after "Zoe"); store this in
    a column to sort in SQL."""
    return f"{fold(value)}\x1f{value.casefold()}"


def folded_words(text: str) -> str:
    """The folded forms of the distinct non-ASCII words of `text`, for a search index column
    beside the original text (ASCII words are found as they are)."""
    seen: dict[str, None] = {}
    for word in set(_WORD.findall(text or "")):
        if not word.isascii():
            seen.setdefault(fold(word), None)
    return " ".join(sorted(w for w in seen if w))


# What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"): =, +, - and @
# first (also after spaces, which some spreadsheets skip), or a tab or carriage return first.
_FORMULA_START = ("=", "+", "-", "@")


def spreadsheet_cell(value):
    """A value for a CSV cell that a spreadsheet never runs as a formula: text starting with
    =, +, - or @ (after any spaces), a tab or a carriage return gets a leading ' (OWASP,
    CSV Injection); other values are returned as they are. Every CSV and XLSX GVO writes
    passes its text cells through this."""
    if isinstance(value, str) and (value[:1] in ("\t", "\r")
                                   or value.lstrip(" ")[:1] in _FORMULA_START):
        return "'" + value
    return value


def from_spreadsheet_cell(value: str) -> str:
    """A cell written by `spreadsheet_cell` back to its text (what an import of GVO's own
    export reads): the leading ' taken off only where `spreadsheet_cell` put it."""
    if value.startswith("'") and spreadsheet_cell(value[1:]) == value:
        return value[1:]
    return value


# Characters Windows refuses in a file name (and '/' everywhere), and its device names: a
# file called "CON.txt" or "aux" cannot be made on Windows (Microsoft, "Naming Files, Paths,
# and Namespaces"). Most file systems take 255 bytes per name (ext4, APFS; NTFS 255 UTF-16
# units): a name is cut to MAX_NAME_BYTES of UTF-8, so names in any script fit.
_NOT_PORTABLE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_DEVICE_NAMES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(10)),
                           *(f"LPT{n}" for n in range(10))})
MAX_NAME_BYTES = 200


def portable_name(name: str, default: str = DEFAULT_STEM) -> str:
    """A file or folder name that Windows, macOS and Linux all take, for files people copy
    out of GVO (a school's export): `safe_filename`'s, composed (NFC), with the characters
    Windows refuses (< > : " / \\ | ? * and controls) as '_', a device name ("CON", "LPT1",
    also with an extension) given a leading '_', and cut to MAX_NAME_BYTES bytes of UTF-8
    keeping the extension. Letters of every script are kept as they are."""
    name = _NOT_PORTABLE.sub("_", unicodedata.normalize("NFC", safe_filename(name, default)))
    name = name.rstrip(". ") or default
    if name.split(".", 1)[0].rstrip(" ").upper() in _DEVICE_NAMES:
        name = "_" + name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension.encode()) > 20:
        stem, dot, extension = name, "", ""
    while len(name.encode()) > MAX_NAME_BYTES:
        stem = stem[:-1].rstrip(". ")
        name = f"{stem or default}{dot}{extension}"
    return name


def fingerprint(*parts: str) -> str:
    """A short fingerprint (16 hex digits of SHA-256) of some saved text, sent with an editor
    so that a save can tell whether what it edits changed since the editor was opened (the
    minutes editor and the action form)."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]
