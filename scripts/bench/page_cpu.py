#!/usr/bin/env python3
"""CPU time per request of each main page, in-process: the measure a shared machine does
not distort much.

Makes a temporary instance holding the demo school (as pages.py), builds the app as
`gvo serve` does (same config, same instance, the app's WSGI stack through Werkzeug's
test client, no waitress), signs in through the real sign-in page as the demo governor
and the demo clerk, and for each page of pages.py runs `--requests` GETs, alternating
pages over `--rounds` rounds. Printed: each page's CPU ms per request (process time,
min/median/max over the rounds) and its SQL statements on the school's database.

With `--profile DIR` it also writes a pyinstrument profile of each page (HTML and text,
the `dev` extra) over the same requests.

Usage: .venv/bin/python scripts/bench/page_cpu.py [--rounds 5] [--requests 200]
       [--profile DIR] [--only LABEL]
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://localhost"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def signed_in(app, slug: str, email: str, password: str):
    """A test client signed in through the sign-in page (the demo people need no code)."""
    client = app.test_client()
    page = client.get(f"/{slug}/login", base_url=BASE).get_data(as_text=True)
    resp = client.post(f"/{slug}/login", base_url=BASE,
                       data={"csrf_token": _CSRF.search(page).group(1), "email": email,
                             "password": password},
                       headers={"Referer": f"{BASE}/{slug}/login"})
    if resp.status_code != 302:
        raise RuntimeError(f"sign-in of {email} answered {resp.status_code}")
    return client


def main() -> None:
    """Measure and print CPU ms per request per page."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200, help="per page per round")
    parser.add_argument("--profile", type=Path, help="write pyinstrument profiles here")
    parser.add_argument("--only", action="append", help="only the pages with this label")
    args = parser.parse_args()
    if args.profile:
        try:
            import pyinstrument  # noqa: F401 - only to say early that it is missing
        except ImportError:
            parser.error("--profile needs pyinstrument: .venv/bin/pip install -e '.[dev]'")
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).parent))
    from pages import make_instance, pages_of

    from gvo import create_app
    from gvo.people import demo
    from gvo.storage.instance import Instance

    with tempfile.TemporaryDirectory(prefix="gvo-bench-cpu-") as tmp:
        ids = make_instance(Path(tmp) / "instance")
        instance = Instance.open(Path(tmp) / "instance", environ={})
        app = create_app({"GVO_BASE_URL": BASE}, instance=instance)
        clients = {"": app.test_client(),
                   "governor": signed_in(app, demo.SLUG, "governor@riverside.example",
                                         demo.PASSWORD),
                   "clerk": signed_in(app, demo.SLUG, "clerk@riverside.example",
                                      demo.PASSWORD)}
        pages = [p for p in pages_of(ids) if not args.only or p.label in args.only]
        cpu: dict[str, list[float]] = {p.label: [] for p in pages}
        statements: dict[str, int] = {}
        for page in pages:  # each answers, and its statements are counted, first
            client = clients[page.who]
            resp = client.get(page.path, base_url=BASE)
            if resp.status_code != 200 or page.expect not in resp.get_data(as_text=True):
                raise RuntimeError(f"{page.label} answered {resp.status_code}")
            seen: list[str] = []
            if page.who:
                conn = instance.db(demo.SLUG)
                conn.set_trace_callback(seen.append)
            client.get(page.path, base_url=BASE)
            if page.who:
                conn.set_trace_callback(None)
            statements[page.label] = len(seen)
        for _ in range(args.rounds):
            for page in pages:
                client = clients[page.who]
                t0 = time.process_time()
                for _ in range(args.requests):
                    client.get(page.path, base_url=BASE)
                cpu[page.label].append(1000 * (time.process_time() - t0) / args.requests)
        if args.profile:
            from pyinstrument import Profiler

            args.profile.mkdir(parents=True, exist_ok=True)
            for page in pages:
                client = clients[page.who]
                profiler = Profiler(interval=0.0002)
                profiler.start()
                for _ in range(args.requests):
                    client.get(page.path, base_url=BASE)
                profiler.stop()
                name = re.sub(r"[^a-z0-9]+", "-", page.label.lower()).strip("-") or "healthz"
                (args.profile / f"{name}.txt").write_text(profiler.output_text(show_all=False))
                (args.profile / f"{name}.html").write_text(profiler.output_html())
        instance.close()
    print(f"CPU ms per request, in-process ({args.requests} requests x {args.rounds} rounds,"
          " min/median/max); statements on the school's database")
    for page in pages:
        values = cpu[page.label]
        print(f"{page.label:<18} {min(values):6.2f} {statistics.median(values):6.2f} "
              f"{max(values):6.2f}   {statements[page.label]:3d} statements")


if __name__ == "__main__":
    main()
