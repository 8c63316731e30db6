"""What people (and their browsers, and people who are not browsers) send: Hypothesis
strategies for form values, query values, file uploads and the bodies that carry them.

Every strategy puts the value a page served (a real option, a real id, the text already
in the field) first, so the simplest example Hypothesis tries is a realistic request
that reaches the view's code; the rest is text in any script, control characters and
NUL, bidi overrides, very long text, empty text, malformed numbers and dates, and bytes
that are not UTF-8 at all.
"""

import base64
from functools import cache
from urllib.parse import quote, quote_from_bytes

from hypothesis import strategies as st

# Numbers as they are mistyped or forged: signs, exponents, separators, other scripts,
# full width, and sizes past every integer type.
NUMBERS = [
    "0", "00", "-0", "-1", "+1", "1.5", "1e3", "1,000", "1_000", "0x1F", " 12 ", "１２",
    "٣", "९", "²", "½", "Ⅻ", "NaN", "inf", "-inf", str(2**31), str(2**63 - 1), str(2**63),
    str(2**64), "-" + str(2**63 + 1), "9" * 40, "9" * 5000,
]
# Dates and times that do not exist, or are written in other ways.
DATES = [
    "2026-02-30", "2026-13-01", "2026-00-10", "0000-00-00", "0001-01-01", "9999-12-31",
    "10000-01-01", "-2026-01-01", "2026-1-1", "31/12/2026", "2026-01-01T25:61",
    "2026-01-01T00:00", "2026-01-01T00:00:00Z", "9999-12-31T23:59", "0001-01-01T00:00",
    "２０２６-０１-０１", "٢٠٢٦-٠١-٠١", "2026-W05", "1970-01-01T00:00",
]
TEXTS = [
    "", " ", "\x00", "a\x00b", "\r\n", "\t", "\x1b[31m", "\x7f", "\u0085", "\u202e\u2066",
    "\ufeff", "\u200b", "\u2028", "😀", "e\u0301", "Z\u0324\u0354\u0367\u0311a", "\U0010ffff",
    "\uffff", "ﷺ", "ß", "İ", "<script>alert(1)</script>", "' OR '1'='1", "%s%s%n", "{0}",
    "{{7*7}}", "../../etc/passwd", "javascript:alert(1)", "https://evil.example/",
    "//evil.example", "\\\\evil", "null", "None", "true", "[]", "on", "1", "y",
    "document", "page", "folder", "meeting", "comment", "up", "down",
]
# Positions in a long list (gvo.core.paging tokens: JSON in URL-safe base64) as forged:
# JSON escapes text no UTF-8 form can carry (lone surrogates), and other shapes and types.
FORGED_POSITIONS = [
    base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=") for raw in (
        '["\\ud800"]', '["\\udfff","\\ud800"]', '["a\\ud800b",1,2]', '[1,"\\udc00"]',
        '["\\ud83d\\ude00"]', '[null,null,null]', "[true]", "[1e999]", "[NaN]", "{}",
        '["\\u0000"]', "[99999999999999999999999]", "[" + ",".join(["1"] * 50) + "]")]
# Bytes a form can carry that are not UTF-8 text (a broken or hostile client).
BAD_BYTES = [b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"a\x00\xff"]


def long_text(most: int) -> st.SearchStrategy[str]:
    """Text of up to `most` characters (a pasted document), cheaply: a piece repeated."""
    return st.builds(lambda piece, times: piece * times,
                     st.sampled_from(["a", "é", "😀", "word ", "\x00", "٣", "\u202e"]),
                     st.integers(200, most // 5))


def unicode_text() -> st.SearchStrategy[str]:
    """Short text from all of Unicode (but lone surrogates, which no UTF-8 form can carry)."""
    return st.text(st.characters(exclude_categories=["Cs"]), max_size=30)


def controls() -> st.SearchStrategy[str]:
    """Control, format, separator and private-use characters only."""
    return st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Co"]), min_size=1,
                   max_size=8)


def _nasty(most: int) -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(TEXTS),
        st.sampled_from(NUMBERS),
        st.sampled_from(DATES),
        unicode_text(),
        controls(),
        st.integers().map(str),
        st.floats().map(str),
        st.dates().map(lambda d: d.isoformat()),
        st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
        long_text(most),
        st.sampled_from(BAD_BYTES),
        st.sampled_from(FORGED_POSITIONS),
    )


# A hostile or mistaken value (str, or bytes for a value that is not UTF-8): in a form,
# up to 60,000 characters (past every limit GVO sets on a field: a page is 50,000); in a
# query string, up to 4,000 (an address that long is already past what browsers send).
NASTY = _nasty(60_000)
NASTY_QUERY = _nasty(4_000)


@cache
def value(served: tuple[str, ...], query: bool = False) -> st.SearchStrategy:
    """A field's value: one the page served (most often), else a nasty one."""
    nasty = NASTY_QUERY if query else NASTY
    if not served:
        return nasty
    return st.one_of(st.sampled_from(served), st.sampled_from(served), nasty)


# What a query string may hold that no encoder makes: broken escapes, bytes that are not
# UTF-8, empty names (the simplest example adds nothing).
RAW_QUERY = st.sampled_from(["", "", "", "%", "%zz", "%ff%fe=%ff", "a=%E2%82", "=", "&&",
                             ";;", "a[]=1&a[]=2", "%00=%00", "q=%C0%AF"])
# A form's body as a client may label it (the simplest example: as browsers do).
FORM_TYPE = st.sampled_from(["application/x-www-form-urlencoded"] * 6 + [
    "application/x-www-form-urlencoded; charset=latin-1", "text/plain", "application/json",
    "multipart/form-data; boundary=x", "multipart/form-data", "", "application/xml"])
# A session cookie other than the visitor's own (None: their own).
COOKIE = st.one_of(st.just(None), st.just(None), st.just(None), st.sampled_from(
    ["", "x", "a" * 4000, "%00", "\"\\", "deleted"]),
    st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=60))


FORM_WAYS = ["served", "served", "nasty", "omit", "twice"]
QUERY_WAYS = ["omit", "omit", "served", "nasty", "twice"]


def pairs(fields: dict[str, list[str]], multi: set[str] = frozenset(),
          ways: list[str] = FORM_WAYS, query: bool = False) -> st.SearchStrategy:
    """(name, value) pairs for named fields: each sent as served, nasty, left out or twice
    (`ways`: the first is the simplest example's); `multi` fields (checkbox lists) may send
    any subset of their values; and now and then a field nobody asked for."""

    nasty = NASTY_QUERY if query else NASTY
    how_sent = st.sampled_from(ways)
    served = {name: tuple(fields[name]) for name in sorted(fields)}
    subsets = {name: st.lists(st.sampled_from(served[name]), unique=True)
               for name in multi if served.get(name)}
    extra = st.lists(st.tuples(st.sampled_from(["x", "id", "csrf_token", "_method"]), nasty),
                     max_size=1)

    @st.composite
    def build(draw):
        out = []
        for name, values in served.items():
            how = draw(how_sent)
            if how == "omit":
                continue
            if name in subsets and how == "served":
                out += [(name, v) for v in draw(subsets[name])]
                continue
            out.append((name, draw(value(values, query) if how != "nasty" else nasty)))
            if how == "twice":
                out.append((name, draw(value(values, query))))
        return out + draw(extra)

    return build()


def encode_pairs(items: list[tuple[str, object]]) -> str:
    """URL-encode pairs; bytes values are sent as they are (percent-encoded), not as UTF-8."""
    out = []
    for name, val in items:
        raw = val if isinstance(val, bytes) else str(val).encode("utf-8")
        out.append(f"{quote(name, safe='')}={quote_from_bytes(raw, safe='')}")
    return "&".join(out)


@cache
def small_pdf() -> bytes:
    """A real one-page PDF (the suite's one PDF maker, made once)."""
    from conftest import make_pdf

    return make_pdf("Fuzz")


FILE_NAMES = [
    "report.pdf", "notes.txt", "budget.csv", "photo.png", "minutes.docx", "setup.exe", "",
    ".pdf", "a/b/../c.pdf", "C:\\Users\\clerk\\paper.pdf", "invoice\u202efdp.exe",
    "nul\x00.pdf", "x" * 500 + ".pdf", "名前.pdf", "résumé.pdf", "CON", "..", "a;b=c\".pdf",
    "line\r\nbreak.pdf", "%00.pdf", "😀.txt",
]


def file_name() -> st.SearchStrategy[str]:
    """A file name as a browser sends it, or worse."""
    return st.one_of(st.sampled_from(FILE_NAMES),
                     st.tuples(unicode_text(), st.sampled_from([".pdf", ".txt", ".png", ""]))
                     .map("".join), long_text(2_000))


def file_content() -> st.SearchStrategy[bytes]:
    """A file's bytes: a real PDF, text, a lying header, random bytes, nothing."""
    return st.one_of(
        st.builds(small_pdf), st.just(b""), st.just(b"Minutes of the meeting.\n"),
        st.just(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), st.just(b"%PDF-1.7\nnot really"),
        st.just(b"PK\x03\x04" + b"\x00" * 40), st.just(b"MZ\x90\x00"), st.binary(max_size=3000),
    )


def _header_value(text: str, raw: bool) -> bytes:
    """A name or file name in a part header, escaped as browsers do (unless `raw`)."""
    if not raw:
        text = text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    return text.encode("utf-8", "replace")


def multipart_body(parts: list[tuple[str, str | None, bytes, str | None]],
                   boundary: str = "----gvo-fuzz-7d3a", raw_headers: bool = False
                   ) -> tuple[str, bytes]:
    """(content type, body) of multipart/form-data holding `parts`, each (name, file name or
    None for a plain field, bytes, content type or None), in order."""
    body = bytearray()
    for name, filename, data, ctype in parts:
        body += b"--" + boundary.encode("utf-8") + b"\r\n"
        body += b'Content-Disposition: form-data; name="' + _header_value(name, raw_headers)
        if filename is not None:
            body += b'"; filename="' + _header_value(filename, raw_headers)
        body += b'"\r\n'
        if ctype:
            body += f"Content-Type: {ctype}\r\n".encode()
        body += b"\r\n" + data + b"\r\n"
    body += b"--" + boundary.encode("utf-8") + b"--\r\n"
    return f"multipart/form-data; boundary={boundary}", bytes(body)


@st.composite
def multipart(draw, fields: dict[str, list[str]], file_field: str, csrf: str | None):
    """A multipart/form-data body: (content type, body, extra headers).

    The CSRF token comes first (as GVO's upload forms send it), or in the X-CSRFToken
    header, after a file, or not at all; 0-3 files; and sometimes a body cut short, a
    boundary that does not match, or no multipart at all.
    """
    boundary = draw(st.sampled_from(["----gvo-fuzz-7d3a", "x", "a" * 70]))
    raw_headers = draw(st.booleans()) and draw(st.booleans())
    headers = {}
    parts = []
    where = draw(st.sampled_from(["first", "first", "first", "header", "after", "none"]))
    if csrf and where == "header":
        headers["X-CSRFToken"] = csrf
    if csrf and where == "first":
        parts.append(("csrf_token", None, csrf.encode(), None))
    for name, val in draw(pairs(fields)):
        parts.append((name, None, val if isinstance(val, bytes) else str(val).encode(
            "utf-8"), None))
    for _ in range(draw(st.integers(0, 3))):
        parts.append((draw(st.sampled_from([file_field, file_field, "other"])),
                      draw(file_name()), draw(file_content()),
                      draw(st.sampled_from(["application/pdf", "text/plain", None,
                                            "application/octet-stream", "image/png"]))))
    if csrf and where == "after":
        parts.append(("csrf_token", None, csrf.encode(), None))
    content_type, body = multipart_body(parts, boundary, raw_headers)
    body = bytearray(body)
    mangle = draw(st.sampled_from(["none"] * 6 + ["cut", "boundary", "no-boundary", "garbage",
                                                  "urlencoded"]))
    if mangle == "cut":
        body = body[: draw(st.integers(0, max(0, len(body) - 1)))]
    elif mangle == "boundary":
        content_type = "multipart/form-data; boundary=not-the-boundary"
    elif mangle == "no-boundary":
        content_type = "multipart/form-data"
    elif mangle == "garbage":
        body = bytearray(draw(st.binary(max_size=500)))
    elif mangle == "urlencoded":
        content_type = "application/x-www-form-urlencoded"
    return content_type, bytes(body), headers
