"""A download is handed to the client from memory, never through a temporary file.

waitress spools pending output past `outbuf_overflow` to a temporary file (GVO's is
encrypted: gvo.library.spool), and lets it pile up to `outbuf_high_watermark` before the
app waits. With its defaults (1 MiB, 16 MiB) every 1 MiB chunk of a download went
through that file: AES-CTR in and out and a disk write per chunk, a third of a
download's time (scripts/bench/documents.py). `gvo serve` now pauses the download at
2 MiB pending and keeps it in memory.

Shown on a real `gvo serve` with a client that stops reading: once the server has
filled the socket and gone quiet, it holds no temporary file (the old settings held the
rest of the file in one, under the server's TMPDIR).
"""

import os
import socket
import time
from pathlib import Path

import pytest
from conftest import bench_script

bench = bench_script("documents")

SIZE = 24 * 1024 * 1024


def open_temp_files(pid: int, folder: Path) -> list[str]:
    """The server's open descriptors on files in `folder` (TemporaryFile's are unlinked:
    their links read '<folder>/#123 (deleted)' or '<folder>/tmpXXXX (deleted)')."""
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


@pytest.mark.slow
def test_a_download_to_a_slow_client_stays_in_memory(tmp_path, monkeypatch):
    spool = tmp_path / "server-tmp"
    spool.mkdir()
    monkeypatch.setenv("TMPDIR", str(spool))  # the server's temporary files go here
    server = bench.LiveGvo(tmp_path, limit_mb=50).start()
    try:
        src = tmp_path / "pack.png"
        bench.make_file(src, SIZE)
        assert server.upload(src)[0] == 303
        doc_id = server.latest_document()
        bench.wait_idle(server.proc.pid)
        with socket.create_connection(("127.0.0.1", server.port)) as client:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            client.sendall(f"GET /alpha/library/documents/{doc_id}/download HTTP/1.1\r\n"
                           f"Host: 127.0.0.1\r\nCookie: {server.cookie_header()}\r\n\r\n"
                           .encode())
            first = client.recv(4096)
            assert first.startswith(b"HTTP/1.1 200"), first[:200]
            # The client reads nothing more. Wait until the server stops working on it:
            # socket buffers full, and the rest either waiting in the app (paused) or
            # written out to a temporary file.
            time.sleep(0.2)
            bench.wait_idle(server.proc.pid)
            held = open_temp_files(server.proc.pid, spool)
            assert held == [], f"the download went through temporary files: {held}"
            # And the download is whole once the client reads on.
            total = len(first) - first.index(b"\r\n\r\n") - 4
            while total < SIZE:
                block = client.recv(1024 * 1024)
                assert block, "the download ended early"
                total += len(block)
            assert total == SIZE
    finally:
        server.stop()
