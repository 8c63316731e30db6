"""PDF copies of Word, Excel, PowerPoint and OpenDocument files, made by LibreOffice.

A board pack merges PDFs only; schools mostly write their papers in Word and Excel. So each
version of such a document is converted to PDF once, by LibreOffice in headless mode, and the
copy is kept in the school database (`document_pdfs`, the copy itself a blob), where it is
encrypted and replicated like the file it was made from. A version whose conversion failed or
ran out of time keeps that status and is not tried again; a file of another kind has no copy.

When it runs: never in a request. A paper uploaded to a meeting is queued for conversion
just after its upload has committed (`convert_in_background`), so the first pack built after
it finds the copy ready; a pack that meets a version not converted yet (linked from the
library, uploaded before LibreOffice was installed, or still queued) queues it too and lists
the paper as provided separately (being converted): a pack never waits for a conversion.
One worker thread converts, one file at a time (LibreOffice is heavy; the machine is small),
taking the schools in turn (each school's own queue, at most MAX_QUEUED files), so one
school's slow or hostile files delay its own papers only, and another school's by at most
one conversion each.

How it runs: LibreOffice (`soffice --headless --convert-to pdf`) in a child process of its
own session, killed with everything it started after SECONDS; with a throwaway profile folder
(-env:UserInstallation) and the file in a private temporary folder, in memory where the
system has one (/dev/shm), removed at once; in a network namespace of its own with no
interfaces but loopback (`unshare -rn`, util-linux), its address space limited to
MEMORY_BYTES (`prlimit --as`, util-linux: setrlimit in the child, which a threaded server
cannot do safely from Python's preexec_fn), so a document that links a picture or
a template on the web cannot make it fetch anything. Where no namespace can be made, the
conversion is not run (status 'no-sandbox'). Where LibreOffice is not installed (or the
program the GVO_LIBREOFFICE setting names is missing) nothing is stored and the pack lists the
paper as provided separately; installing it later converts the paper on the next pack.
"""

import contextlib
import functools
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gvo.core import clock
from gvo.core.atomic import transaction
from gvo.library import blobs, extract, sniff
from gvo.storage.sqlcipher import Connection

# The office formats GVO accepts (gvo.library.sniff.ALLOWED) that LibreOffice converts.
CONVERTIBLE = frozenset({
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
})
PROGRAM = "soffice"                    # the default; the GVO_LIBREOFFICE setting overrides it
SECONDS = 60                           # one conversion, start to finish (LibreOffice included)
MEMORY_BYTES = 2 * 1024 * 1024 * 1024  # its address space (LibreOffice needs about 1 GB)
MAX_QUEUED = 20                        # files waiting per school; more are queued again later
MAX_INPUT_BYTES = extract.MAX_INPUT_BYTES
MAX_OUTPUT_BYTES = 100 * 1024 * 1024
SANDBOX = ("unshare", "--map-root-user", "--net")
LIMITS = ("prlimit", f"--as={MEMORY_BYTES}", "--core=0", "--")
# Statuses that say the copy will never be made for that version (stored); others are not.
FINAL = ("ok", "unreadable", "limit:time", "limit:size")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Copy:
    """A version's PDF copy: `data` when `status` is 'ok'. Other statuses: 'unreadable' (the
    converter made no PDF), 'limit:time', 'limit:size' (stored: not tried again); 'missing'
    (LibreOffice is not installed), 'no-sandbox' (no network namespace could be made),
    'converting' (queued or being converted now), 'other' (not an office file) (not
    stored)."""

    status: str
    data: bytes | None = None


@dataclass(frozen=True)
class School:
    """Where a conversion's copy is kept: the school's `key` (its slug: the worker takes the
    schools in turn by it), and how the worker thread opens its own connection to the school
    (`open_conn()`) and gives it back (`release()`, after each file)."""

    key: str
    open_conn: Callable[[], Connection]
    release: Callable[[], None]


def convertible(mime: str) -> bool:
    """Whether files of this type are converted (Word, Excel, PowerPoint, OpenDocument)."""
    return mime in CONVERTIBLE


def available(program: str = PROGRAM) -> bool:
    """Whether the LibreOffice program (a name on PATH or a path) is there to run."""
    return shutil.which(program) is not None


@functools.cache
def _sandbox_works() -> bool:
    """Whether this system lets a child have a network namespace of its own (checked once)."""
    try:
        return subprocess.run([*SANDBOX, "true"], stdout=subprocess.DEVNULL,  # noqa: S603
                              stderr=subprocess.DEVNULL, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def stored(conn: Connection, blob_id: int) -> Copy | None:
    """The copy kept for a version's content (None: not converted yet)."""
    row = conn.execute("SELECT status, pdf_blob_id FROM document_pdfs WHERE blob_id = ?",
                       (blob_id,)).fetchone()
    if row is None:
        return None
    data = blobs.read_all(conn, row["pdf_blob_id"]) if row["pdf_blob_id"] else None
    return Copy(row["status"], data)


def pdf_copy(conn: Connection, blob_id: int, mime: str, size: int, school: School, *,
             program: str = PROGRAM) -> Copy:
    """The PDF copy of a document version (its content's blob, type and size in bytes), if
    it has one; else the conversion is queued for `school` (see the module docstring) and
    the answer is Copy('converting'), at once. Never converts in the calling thread, never
    raises for a bad file: the status says why there is no copy."""
    if not convertible(mime):
        return Copy("other")
    found = stored(conn, blob_id)
    if found is not None:
        return found
    if not available(program):
        return Copy("missing")
    if not _sandbox_works():
        log.warning("LibreOffice conversions need a network namespace (unshare -rn): none")
        return Copy("no-sandbox")
    _queue.put(school, blob_id, mime, size, program)
    return Copy("converting")


def _convert_one(school: School, blob_id: int, mime: str, size: int, program: str) -> None:
    """Convert one queued version and keep the outcome (in the worker thread)."""
    try:
        conn = school.open_conn()
        if stored(conn, blob_id) is not None:
            return  # converted meanwhile
        if conn.execute("SELECT 1 FROM blobs WHERE id = ?", (blob_id,)).fetchone() is None:
            return  # the version went while it waited
        made = (Copy("limit:size") if size > MAX_INPUT_BYTES
                else convert(blobs.read_all(conn, blob_id), mime, program))
        _keep(conn, blob_id, made)
    except Exception:  # the next pack queues it again: never let the worker die
        log.exception("a paper's PDF copy could not be made")
    finally:
        school.release()


class _Queue:
    """The conversions waiting, a queue per school taken in turn, and the one worker."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        # Each school's files waiting, the schools in the order of their turns (the one
        # served last, last; one entry per school the process has converted for).
        self.schools: OrderedDict[str, deque] = OrderedDict()
        self.waiting: set[tuple[str, int]] = set()  # (school, blob id), queued or running
        self.running = 0
        self.worker: threading.Thread | None = None

    def put(self, school: School, blob_id: int, mime: str, size: int, program: str) -> None:
        """Queue a version (once; not past MAX_QUEUED for its school), waking the worker."""
        with self.changed:
            if (school.key, blob_id) in self.waiting:
                return
            if school.key not in self.schools:  # a school not served yet goes first
                self.schools[school.key] = deque()
                self.schools.move_to_end(school.key, last=False)
            files = self.schools[school.key]
            if len(files) >= MAX_QUEUED:
                return  # listed as being converted; a later pack queues it again
            files.append((school, blob_id, mime, size, program))
            self.waiting.add((school.key, blob_id))
            if self.worker is None or not self.worker.is_alive():
                self.worker = threading.Thread(target=self._work, name="gvo-pdf-copies",
                                               daemon=True)
                self.worker.start()
            self.changed.notify_all()

    def _next(self) -> tuple:
        """The next file, from the first school in turn that has one (waits for one); that
        school's turn comes again after every other school's."""
        with self.changed:
            while True:
                for key, files in self.schools.items():
                    if files:
                        self.schools.move_to_end(key)
                        self.running += 1
                        return files.popleft()
                self.changed.wait()

    def _work(self) -> None:
        while True:
            school, blob_id, mime, size, program = self._next()
            try:
                _convert_one(school, blob_id, mime, size, program)
            finally:
                with self.changed:
                    self.running -= 1
                    self.waiting.discard((school.key, blob_id))
                    self.changed.notify_all()

    def pending(self, key: str) -> int:
        """Files of the school `key` queued or being converted."""
        with self.changed:
            return sum(1 for k, _ in self.waiting if k == key)

    def wait_idle(self) -> None:
        """Wait until nothing is queued or being converted."""
        with self.changed:
            while any(self.schools.values()) or self.running:
                self.changed.wait()


_queue = _Queue()


def pending(key: str) -> int:
    """How many files of the school `key` (its slug) are queued or being converted now."""
    return _queue.pending(key)


def _keep(conn: Connection, blob_id: int, made: Copy) -> None:
    """Store a conversion's outcome (a final one only) in one short transaction."""
    if made.status not in FINAL:
        return
    with transaction(conn):
        if conn.execute("SELECT 1 FROM document_pdfs WHERE blob_id = ?", (blob_id,)).fetchone():
            return
        if conn.execute("SELECT 1 FROM blobs WHERE id = ?", (blob_id,)).fetchone() is None:
            return  # the version went while it was converted
        pdf_blob = None
        if made.data:
            with blobs.small_cache(conn):
                writer = blobs.BlobWriter(conn)
                writer.write(made.data)
                pdf_blob = writer.close()
        conn.execute("INSERT INTO document_pdfs(blob_id, status, pdf_blob_id, converted_at)"
                     " VALUES (?, ?, ?, ?)", (blob_id, made.status, pdf_blob, clock.iso()))


def _scratch_root() -> str | None:
    """Where the file and the profile are written while converting: memory if possible."""
    shm = Path("/dev/shm")  # noqa: S108 - a private folder is made inside it (mkdtemp, 0700)
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def convert(data: bytes, mime: str, program: str = PROGRAM) -> Copy:
    """Convert one office file's bytes to PDF with LibreOffice (see the module docstring);
    nothing is kept. Returns Copy('ok', pdf), or the status of a failure."""
    if not available(program):
        return Copy("missing")
    with tempfile.TemporaryDirectory(prefix="gvo-convert-", dir=_scratch_root()) as scratch:
        folder = Path(scratch)
        source = folder / ("paper" + sniff.EXTENSIONS[mime][0])
        source.write_bytes(data)
        out = folder / "out"
        command = [*LIMITS, *SANDBOX, program, "--headless", "--invisible", "--norestore",
                   "--nologo", "--nodefault", "--nolockcheck", "--nofirststartwizard",
                   f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                   "--convert-to", "pdf", "--outdir", str(out), str(source)]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": scratch,
               "LANG": "C.UTF-8", "TMPDIR": scratch}
        try:
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL,  # noqa: S603
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     cwd=scratch, env=env, start_new_session=True)
        except OSError:
            return Copy("missing")
        try:
            child.wait(timeout=SECONDS)
        except subprocess.TimeoutExpired:
            return Copy("limit:time")
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGKILL)  # whatever it left running
            child.wait()
        made = out / "paper.pdf"
        if not made.is_file() or made.stat().st_size > MAX_OUTPUT_BYTES:
            return Copy("unreadable")
        pdf = made.read_bytes()
        return Copy("ok", pdf) if pdf.lstrip()[:5] == sniff.PDF_MAGIC else Copy("unreadable")


def convert_in_background(school: School, versions: list[tuple[int, str, int]], *,
                          program: str = PROGRAM) -> None:
    """Queue `versions` (blob id, type, size) of `school` for conversion, so the upload that
    made them returns at once and the next pack finds them ready (see `pdf_copy`)."""
    todo = [v for v in versions if convertible(v[1])]
    if not todo or not available(program) or not _sandbox_works():
        return
    for blob_id, mime, size in todo:
        _queue.put(school, blob_id, mime, size, program)


def wait_for_background() -> None:
    """Wait until every queued conversion has ended (for shutdown, and for tests that check
    what it stored)."""
    _queue.wait_idle()
