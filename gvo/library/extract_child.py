"""The child process that reads an uploaded file's text, under limits (run by `extract`).

Run as a script by path (`python -I extract_child.py MIME LIMITS`), so it imports neither
Flask nor GVO: standard library and pypdf only. It first caps its own address space, CPU
seconds and file writes (setrlimit), then reads the file from stdin and writes one JSON
object to stdout: {"text": str, "limit": null | "expanded" | "memory" | "size",
"error": null | str}. The parent turns a death by signal (SIGXCPU, SIGKILL) into a limit.

Run as `python -I extract_child.py clean-pdf LIMITS`, it is instead the board pack's
reader of uploaded PDFs (`gvo.meetings.packs`): papers come in one after another on stdin,
each as an 8-byte big-endian length and its bytes (a length of 0 ends), and for each it
writes one JSON line {"status": "ok" | "unreadable" | "password" | "limit:<what>",
"length": n} followed by n bytes: the paper written again by pypdf (decrypted, its own
objects only, at most LIMITS' pages and size), which the pack then merges. Each paper gets
its own CPU seconds (the soft limit is raised before each); the parent kills the child when
one takes longer than its wall-clock limit and goes on with the next paper in a new child.

Parsers: pypdf for PDF (the decoded content streams of all pages count against the
expanded-size limit, so forty pages sharing one 1 MB stream cost 40 MB of it); expat
through ElementTree for Word and OpenDocument text, the zip member read through a counter
that stops at the expanded-size limit whatever the archive declares.
"""

import io
import json
import logging
import resource
import sys
import warnings
import zipfile
from xml.etree import ElementTree

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_ODF_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
PDF = "application/pdf"


class ExpansionLimit(Exception):
    """The file expands (decompresses) to more than the limit allows."""


def limit_self(memory_bytes: int, cpu_seconds: int, *, hard_cpu: int | None = None) -> None:
    """Cap this process: address space, CPU time (SIGXCPU at `cpu_seconds`, SIGKILL at
    `hard_cpu`, by default a second later), no file writes, no core dumps."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, hard_cpu or cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class _Capped(io.RawIOBase):
    """A reader that raises ExpansionLimit once more than `cap` bytes have come through."""

    def __init__(self, raw, cap: int):
        self.raw, self.left = raw, cap

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(min(len(buffer), self.left + 1))
        self.left -= len(data)
        if self.left < 0:
            raise ExpansionLimit
        buffer[: len(data)] = data
        return len(data)


def pdf_text(data: bytes, limits: dict) -> str:
    """The text of a PDF's pages, up to the page, character and expanded-size limits."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    reader = PdfReader(io.BytesIO(data), strict=False)
    parts, total, budget = [], 0, limits["expanded"]
    for number, page in enumerate(reader.pages):
        if number >= limits["pages"] or total >= limits["chars"]:
            break
        contents = page.get_contents()
        budget -= len(contents.get_data()) if contents is not None else 0
        if budget < 0:
            raise ExpansionLimit
        text = page.extract_text() or ""
        parts.append(text)
        total += len(text)
    return "\n".join(parts)[: limits["chars"]]


def xml_text(data: bytes, member: str, text_tags: set, para_tags: set, limits: dict, *,
             all_text: bool = False) -> str:
    """The paragraphs of one XML member of a zip (Word, OpenDocument), read through a cap."""
    parts, total = [], 0
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        if zf.getinfo(member).file_size > limits["expanded"]:
            raise ExpansionLimit
        with zf.open(member) as raw:
            capped = io.BufferedReader(_Capped(raw, limits["expanded"]))
            # ElementTree fetches no external entities; expat limits entity expansion.
            for _event, elem in ElementTree.iterparse(capped, events=("end",)):  # noqa: S314
                if elem.tag in para_tags:
                    text = "".join(elem.itertext()) if all_text else "".join(
                        t.text or "" for t in elem.iter() if t.tag in text_tags)
                    parts.append(text)
                    total += len(text)
                    elem.clear()
                    if total >= limits["chars"]:
                        break
    return "\n".join(parts)[: limits["chars"]]


class PageLimit(Exception):
    """The PDF has more pages than the limit allows."""


def clean_pdf(data: bytes, limits: dict) -> tuple[str, bytes]:
    """A PDF read and written again by pypdf, as (status, bytes): ('ok', the PDF), or a
    status with no bytes: 'password' (it needs a password to open), 'unreadable' (not a PDF
    with pages), 'limit:pages', 'limit:expanded' (decoded page content beyond the limit),
    'limit:size' (written out larger than the limit)."""
    from pypdf import PasswordType, PdfReader, PdfWriter

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        return "unreadable", b""
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        return "password", b""
    count = len(reader.pages)
    if count == 0:
        return "unreadable", b""
    if count > limits["pages"]:
        raise PageLimit
    budget = limits["expanded"]
    for page in reader.pages:
        contents = page.get_contents()
        budget -= len(contents.get_data()) if contents is not None else 0
        if budget < 0:
            raise ExpansionLimit
    writer = PdfWriter()
    writer.append(reader, import_outline=False)
    out = io.BytesIO()
    writer.write(out)
    if out.tell() > limits["size"]:
        return "limit:size", b""
    return "ok", out.getvalue()


def clean_main(limits: dict) -> None:
    """The `clean-pdf` loop (see the module docstring)."""
    limit_self(limits["memory"], limits["cpu"], hard_cpu=limits["cpu_total"])
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        size = int.from_bytes(stdin.read(8) or b"\0" * 8, "big")
        if size == 0:
            return
        data = stdin.read(size)
        used = int(resource.getrusage(resource.RUSAGE_SELF).ru_utime
                   + resource.getrusage(resource.RUSAGE_SELF).ru_stime) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (min(used + limits["cpu"],
                                                     limits["cpu_total"]),
                                                 limits["cpu_total"]))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                status, out = clean_pdf(data, limits)
        except PageLimit:
            status, out = "limit:pages", b""
        except ExpansionLimit:
            status, out = "limit:expanded", b""
        except MemoryError:
            status, out = "limit:memory", b""
        except Exception:  # noqa: BLE001 - any parser failure only means "not merged"
            status, out = "unreadable", b""
        stdout.write(json.dumps({"status": status, "length": len(out)}).encode() + b"\n")
        stdout.write(out)
        stdout.flush()


def text_of(data: bytes, mime: str, limits: dict) -> str:
    """The searchable text of a file of type `mime` ('' for a type with none)."""
    if mime == PDF:
        return pdf_text(data, limits)
    if mime == DOCX:
        return xml_text(data, "word/document.xml", {_W + "t"}, {_W + "p"}, limits)
    if mime == ODT:
        return xml_text(data, "content.xml", set(), {_ODF_TEXT + "p", _ODF_TEXT + "h"},
                        limits, all_text=True)
    return ""


def main() -> None:
    """Limit this process, read the file from stdin, write the result to stdout."""
    mime, limits = sys.argv[1], json.loads(sys.argv[2])
    if mime == "clean-pdf":
        clean_main(limits)
        return
    limit_self(limits["memory"], limits["cpu"])
    result = {"text": "", "limit": None, "error": None}
    try:
        data = sys.stdin.buffer.read(limits["size"] + 1)
        if len(data) > limits["size"]:
            result["limit"] = "size"
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result["text"] = text_of(data, mime, limits)
    except ExpansionLimit:
        result["limit"] = "expanded"
    except MemoryError:
        result["limit"] = "memory"
    except Exception as exc:  # noqa: BLE001 - any parser failure only means "no text"
        result["error"] = exc.__class__.__name__
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    main()
