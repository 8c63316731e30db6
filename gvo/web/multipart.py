"""Reading a multipart/form-data request body as it arrives, without spooling to disk.

Werkzeug's form parser writes large file parts to a temporary file, in
plaintext; board papers must never touch the disk outside SQLCipher. This
reader pulls the body through Werkzeug's sans-IO `MultipartDecoder` and hands
each file on as a stream of pieces, so they go straight into database chunks.
Ordinary fields are small and kept in memory (bounded).
"""

from collections.abc import Iterator
from typing import IO

from werkzeug.exceptions import BadRequest
from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    NeedData,
)

# Werkzeug's decoder searches and copies what it holds on every read: fed 1 MiB at a time
# it spent 1.8 ms of CPU per MB of upload on this machine, fed 256 KiB 0.8 ms (a buffer
# that stays in the CPU's cache); smaller reads cost more again in calls. 256 KiB is also
# what `gvo serve` receives per recv (gvo.cli.serve.RECV_BYTES).
READ_SIZE = 256 * 1024
MAX_FIELD = 64 * 1024
MAX_FIELDS = 50


class FieldPart:
    """An ordinary form field."""

    filename = None

    def __init__(self, name: str, value: str):
        self.name, self.value = name, value


class FilePart:
    """A file field; its bytes come from `chunks()`, once, in order."""

    def __init__(self, name: str, filename: str, events: Iterator):
        self.name, self.filename = name, filename
        self._events = events
        self._done = False

    def chunks(self) -> Iterator[bytes]:
        """The file's bytes as they arrive."""
        if self._done:
            return
        for event in self._events:
            if not isinstance(event, Data):
                raise BadRequest("malformed upload")
            if event.data:
                yield event.data
            if not event.more_data:
                self._done = True
                return
        raise BadRequest("the upload ended early")

    def drain(self) -> None:
        """Skip what is left of this file."""
        for _ in self.chunks():
            pass


class MultipartReader:
    """Iterate over a request body's parts: FieldPart values, FilePart streams."""

    def __init__(self, stream: IO[bytes], boundary: str):
        self.stream = stream
        self.decoder = MultipartDecoder(boundary.encode("latin-1"))

    def _events(self) -> Iterator:
        ended = False
        while True:
            try:
                event = self.decoder.next_event()
            except ValueError:
                # Werkzeug's decoder on a body that is not multipart with this boundary, or a
                # part without its Content-Disposition: a broken upload, not a server error.
                raise BadRequest("malformed upload") from None
            if isinstance(event, NeedData):
                if ended:
                    raise BadRequest("the upload ended early")
                data = self.stream.read(READ_SIZE)
                ended = not data
                self.decoder.receive_data(data or None)
                continue
            yield event
            if isinstance(event, Epilogue):
                return

    def __iter__(self):
        events = self._events()
        fields = 0
        for event in events:
            if isinstance(event, File):
                part = FilePart(event.name, event.filename or "", events)
                yield part
                part.drain()
            elif isinstance(event, Field):
                fields += 1
                if fields > MAX_FIELDS:
                    raise BadRequest("too many form fields")
                value = bytearray()
                for data in events:
                    if not isinstance(data, Data):
                        raise BadRequest("malformed form")
                    value += data.data
                    if len(value) > MAX_FIELD:
                        raise BadRequest("a form field is too long")
                    if not data.more_data:
                        break
                yield FieldPart(event.name, value.decode("utf-8", "replace"))
            elif isinstance(event, Epilogue):
                return
