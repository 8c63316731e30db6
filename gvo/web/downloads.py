"""Every file GVO sends (library documents, board packs, minutes, attendance reports,
calendars) goes out through `file_response`, so each carries one correct Content-Disposition
whatever the name is written in.

RFC 6266 (section 4.3) with RFC 8187: `filename*` carries the real name as UTF-8, percent-
encoded; `filename` an ASCII stand-in for user agents that do not read `filename*`. A raw
non-Latin-1 name in a header cannot even be sent (WSGI headers are Latin-1).
"""

from collections.abc import Iterable
from urllib.parse import quote

from flask import Response

from gvo.core import text

# A file is never a page of the office: whatever it holds (a PDF's script, markup in a file
# a browser might render) runs with no scripts, no requests and no origin of its own
# (`sandbox`), so a paper opened in the browser cannot act as its reader. Chromium's PDF
# viewer and image view show files under it.
FILE_CSP = ("default-src 'none'; img-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'; sandbox")


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """The Content-Disposition value for `filename` (attachment, or inline when asked).

    Control and bidirectional characters are dropped from the name first.
    """
    name = text.safe_filename(filename)
    kind = "inline" if inline else "attachment"
    return (f'{kind}; filename="{text.ascii_filename(name)}"; '
            f"filename*=UTF-8''{quote(name, safe='')}")


def file_response(body: bytes | Iterable[bytes], filename: str, mimetype: str, *,
                  inline: bool = False, length: int | None = None) -> Response:
    """A file download that no cache keeps: `body` as bytes or as an iterable of chunks
    (then streamed as it is; give its `length` in bytes when known). `mimetype` is sent as
    the Content-Type (never sniffed: X-Content-Type-Options), and the file is sandboxed
    (FILE_CSP) whether it opens inline or is saved."""
    whole = isinstance(body, bytes | bytearray)
    resp = Response(body, mimetype=mimetype, direct_passthrough=not whole)
    if length is None and whole:
        length = len(body)
    if length is not None:
        resp.content_length = length
    resp.headers["Content-Disposition"] = content_disposition(filename, inline=inline)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Content-Security-Policy"] = FILE_CSP
    return resp
