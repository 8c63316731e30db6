"""Acceptance 2: a 200 MB file through a real `gvo serve`, byte-identical, in little memory.

The server runs as a subprocess (waitress, as in production); its peak
resident memory (VmHWM in /proc/<pid>/status) is read before and after the
upload and download. The limit is on memory growth, never on time.
"""

import pytest
from conftest import bench_script

bench = bench_script("documents")

SIZE = 200 * 1024 * 1024
MAX_GROWTH_KIB = 48 * 1024  # far below the 200 MB that passes through


@pytest.mark.slow
def test_200_mb_upload_and_download_in_bounded_memory(tmp_path):
    server = bench.LiveGvo(tmp_path, limit_mb=250).start()
    try:
        warm = tmp_path / "warm.png"
        bench.make_file(warm, 64 * 1024)
        assert server.upload(warm)[0] == 303
        server.download(server.latest_document())
        before = bench.peak_rss_kib(server.proc.pid)

        src = tmp_path / "board-pack.png"
        digest = bench.make_file(src, SIZE)
        status, body = server.upload(src)
        assert status == 303, body[:500]
        total, got = server.download(server.latest_document())
        assert total == SIZE and got == digest
        growth = bench.peak_rss_kib(server.proc.pid) - before
        assert growth < MAX_GROWTH_KIB, f"peak memory grew by {growth // 1024} MiB"

        # Over the limit: 413, and nothing is left behind.
        over = tmp_path / "over.png"
        bench.make_file(over, 251 * 1024 * 1024)
        status, body = server.upload(over)
        assert status == 413 and "Nothing was uploaded" in body
        assert server.latest_document() == 2
    finally:
        server.stop()
