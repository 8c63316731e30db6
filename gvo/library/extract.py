"""Text for search, taken from PDFs, Word and OpenDocument text, and plain text files.

Parsing an uploaded file is unbounded work on untrusted content (one 9 KB PDF
whose 40 pages share a 1 MB content stream took 99 s; a 20 KB .docx of 20 MB
XML took 400 MB), so it never runs inside a write transaction, and PDF and zip
formats are parsed in a child process (`extract_child.py`) held to limits on
CPU seconds, memory, wall time, expanded (decompressed) bytes, pages and
characters. The file reaches the child through a pipe, never a file on disk.
A file whose text cannot be read in those limits is still stored, found by its
title and file name, and its version says why (`Extracted.status`).
"""

import json
import logging
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from gvo.core import text
from gvo.library import blobs
from gvo.storage.sqlcipher import Connection

MAX_CHARS = 1_000_000          # characters of text kept per file
MAX_INPUT_BYTES = 50 * 1024 * 1024   # larger PDFs and documents are not parsed
MAX_PAGES = 300
MAX_EXPANDED_BYTES = 16 * 1024 * 1024   # decoded PDF content / unzipped XML per file
MAX_TEXT_BYTES = 2 * 1024 * 1024     # read of a plain text file
CPU_SECONDS = 20
MEMORY_BYTES = 1024 * 1024 * 1024    # the child's address space
WALL_SECONDS = 60              # a child still running then is killed
PARSED = {
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
}
_CHILD = Path(__file__).with_name("extract_child.py")
# Why a version's text was not read, in words for its page.
REASONS = {
    "limit:time": "it took too long",
    "limit:cpu": "it took too long",
    "limit:memory": "it needed too much memory",
    "limit:expanded": "it unpacks to too much",
    "limit:size": "the file is too large",
    "unreadable": "the file could not be read",
}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Extracted:
    """A file's text and how its extraction ended.

    status: 'indexed' (text read, maybe none), 'unreadable' (the parser failed), or
    'limit:<what>' with what in time, cpu, memory, expanded, size.
    """

    text: str
    status: str = "indexed"


def extract(conn: Connection, blob_id: int, mime: str, size: int) -> Extracted:
    """The searchable text of a stored file, read under limits.

    Call it outside any transaction: it reads the blob in short statements and may take
    up to WALL_SECONDS. Never raises for a bad file.
    """
    if mime in ("text/plain", "text/csv"):
        with blobs.open_blob(conn, blob_id) as raw:
            data = raw.read(MAX_TEXT_BYTES)
        # Stored text is UTF-8 (intake converts other encodings), maybe with a byte order mark.
        return Extracted(data.decode("utf-8-sig", "ignore")[:MAX_CHARS])
    if mime not in PARSED:
        return Extracted("")
    if size > MAX_INPUT_BYTES:
        return Extracted("", "limit:size")
    return _in_child(conn, blob_id, mime)


def _limits() -> dict:
    return {"chars": MAX_CHARS, "pages": MAX_PAGES, "expanded": MAX_EXPANDED_BYTES,
            "size": MAX_INPUT_BYTES, "cpu": CPU_SECONDS, "memory": MEMORY_BYTES}


def _in_child(conn: Connection, blob_id: int, mime: str) -> Extracted:
    """Run extract_child.py on the blob (piped in chunk by chunk) and read its answer."""
    child = subprocess.Popen(  # noqa: S603 - our own script, arguments we made
        [sys.executable, "-I", str(_CHILD), mime, json.dumps(_limits())],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    # The wall-clock limit covers feeding it too: a timer kills it wherever it is.
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        child.kill()

    timer = threading.Timer(WALL_SECONDS, stop)
    timer.start()
    try:
        try:
            with child.stdin:
                for chunk in blobs.stream(conn, blob_id):
                    child.stdin.write(chunk)
        except BrokenPipeError:
            pass  # it stopped reading (a limit); its exit status says which
        out = child.stdout.read()
        child.wait()
    finally:
        timer.cancel()
        child.stdout.close()
        if child.poll() is None:
            child.kill()
            child.wait()
    if child.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return _stopped(blob_id, "time" if timed_out.is_set() else "cpu")
    try:
        answer = json.loads(out)
    except ValueError:
        log.info("text extraction of blob %s ended without an answer (exit status %s)",
                 blob_id, child.returncode)
        return Extracted("", "unreadable")
    if answer.get("limit"):
        return _stopped(blob_id, answer["limit"])
    if answer.get("error"):
        log.info("no text extracted from blob %s: %s", blob_id, answer["error"])
        return Extracted("", "unreadable")
    # A PDF's text map may name lone surrogates (pypdf keeps them): stored as U+FFFD.
    return Extracted(text.well_formed(answer.get("text") or ""))


def _stopped(blob_id: int, what: str) -> Extracted:
    log.info("text extraction of blob %s stopped by its %s limit", blob_id, what)
    return Extracted("", f"limit:{what}")
