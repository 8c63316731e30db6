#!/usr/bin/env python3
"""Mail: building and queueing the weekly newsletter, and the sender against plain smtplib.

Makes a temporary instance with one school of N people (500 by default) and a week's
worth of things to tell them (pages in a public folder and in a private room, comments,
an approval waiting, meetings in the next two weeks), with a loopback SMTP server
(aiosmtpd, accepting everything) as the office's mail server. Then, in one run:

1. **Newsletter**: `gvo.newsletter.letters.send_newsletters` builds and queues every
   person's newsletter in one transaction (what the scheduler does at the school's hour).
   Printed: milliseconds per person beside the target (under 20 ms, issue 13).
2. **Sender against smtplib**: the same queued messages are sent twice to the same
   server: by a plain `smtplib` loop (one connection, `sendmail` per message, nothing
   else: the fastest a Python client goes), and by GVO's sender (`gvo.mail.sender`: the
   outbox read in batches, each message marked sent in its own transaction). Printed:
   messages per second of each and the ratio beside the target (at least 0.5x).

Never a test: nothing here fails (tests/test_bench_scripts.py runs it small).

Usage: .venv/bin/python scripts/bench/mail.py [--people 500] [--rounds 5]
"""

import argparse
import smtplib
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402

from gvo.board import bodies  # noqa: E402
from gvo.core import clock  # noqa: E402
from gvo.core.atomic import transaction  # noqa: E402
from gvo.core.identity import Identity  # noqa: E402
from gvo.discussion import approvals, comments, subjects  # noqa: E402
from gvo.library import folders, pages  # noqa: E402
from gvo.mail import config  # noqa: E402
from gvo.mail.sender import Sender  # noqa: E402
from gvo.meetings import meetings  # noqa: E402
from gvo.newsletter import letters  # noqa: E402
from gvo.people import accounts  # noqa: E402
from gvo.storage.instance import Instance  # noqa: E402

TARGET_MS_PER_PERSON = 20.0
TARGET_RATIO = 0.5
OP = Identity.operator()


class Counter:
    """aiosmtpd handler: accepts every message and counts them."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        """Accept and count."""
        with self.lock:
            self.count += 1
        return "250 2.0.0 Ok"

    def wait_for(self, n: int, limit: float = 600.0) -> None:
        """Until n messages have arrived (or `limit` seconds: a guard against a hang)."""
        deadline = time.monotonic() + limit
        while self.count < n and time.monotonic() < deadline:
            time.sleep(0.002)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_school(inst: Instance, people: int):
    """One school of `people` governors and a week's news; its connection."""
    inst.create_school("bench", "Bench Primary")
    conn = inst.db("bench")
    with transaction(conn):
        ids = [accounts.add_user(conn, OP, email=f"governor{i}@example.org",
                                 name=f"Governor {i}", role="author") for i in range(people)]
        manager_id = accounts.add_user(conn, OP, email="clerk@example.org", name="Clerk",
                                       role="manager")
    manager = Identity.load(conn, manager_id)
    board = bodies.save_body(conn, OP, body_id=None, kind="board", name="Full Governing Board")
    with transaction(conn):
        for uid in ids[: min(people, 20)]:
            bodies.add_member(conn, OP, board, uid, "member")
    public = folders.create_folder(conn, manager, parent_id=None, title="Board papers")
    room = folders.create_folder(conn, manager, parent_id=None, title="Pay panel",
                                 restricted=True, users=ids[:3])
    page_ids = [pages.create_page(conn, manager, public, title=f"Paper {n}", body="x")
                for n in range(12)]
    pages.create_page(conn, Identity.load(conn, ids[0]), room, title="Pay review", body="x")
    subject = subjects.load(conn, manager, "page", page_ids[0])
    approvals.request_approval(conn, manager, subject, "read_approved")
    first = comments.add(conn, Identity.load(conn, ids[0]), subject, "A question")
    comments.add(conn, manager, subject, "An answer", parent_id=first)
    for days in (3, 10):
        start = (meetings.local_now() + timedelta(days=days)).replace(hour=18, minute=0)
        meetings.create(conn, manager, meetings.MeetingInput(
            body_id=board, title=f"Board meeting in {days} days", starts_at=start,
            ends_at=start + timedelta(hours=2), location="School library"))
    return conn


def smtplib_loop(port: int, messages: list, counter: Counter) -> float:
    """Seconds for a plain smtplib loop to send `messages` (recipient, bytes)."""
    start = counter.count
    t0 = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for recipient, data in messages:
            smtp.sendmail("office@bench.example", [recipient], data)
    counter.wait_for(start + len(messages))
    return time.perf_counter() - t0


def sender_run(inst: Instance, conn, messages: list, counter: Counter) -> float:
    """Seconds for GVO's sender to send `messages`, queued again in the outbox as their
    people's newsletters (so each is checked and built again as it is sent, as the sender
    does with a real newsletter: gvo.mail.outbox.recheck)."""
    with transaction(conn):
        conn.execute("DELETE FROM mail_outbox")
        now = clock.now()
        conn.executemany(
            "INSERT INTO mail_outbox(message_id, kind, user_id, recipient, subject, message,"
            " created_at, queued_at, next_attempt_at) VALUES (?, 'newsletter',"
            " (SELECT id FROM users WHERE email = ?), ?, '', ?, ?, ?, ?)",
            [(f"bench-{i}-{now}", r, r, d, now, now, now) for i, (r, d) in enumerate(messages)])
    inst.release()
    start = counter.count
    t0 = time.perf_counter()
    sender = Sender(inst, config.current(), sweep=3600.0).start()
    try:
        counter.wait_for(start + len(messages))
        elapsed = time.perf_counter() - t0
    finally:
        sender.stop()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    counter = Counter()
    port = free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    config.configure(config.from_mapping({
        "GVO_SMTP_URL": f"smtp://127.0.0.1:{port}?starttls=off",
        "GVO_MAIL_FROM": "Bench office <office@bench.example>",
        "GVO_BASE_URL": "https://gvo.example"}))
    with tempfile.TemporaryDirectory() as tmp:
        inst = Instance.init(Path(tmp) / "instance", environ={})
        try:
            conn = make_school(inst, args.people)
            print(f"one school, {args.people} people (+ the clerk), loopback aiosmtpd")

            per_person = []
            for n in range(args.rounds):
                conn.execute("DELETE FROM mail_outbox")
                t0 = time.perf_counter()
                sent = letters.send_newsletters(conn, f"bench-{n}", clock.now())
                per_person.append((time.perf_counter() - t0) * 1000 / max(sent, 1))
            ms = statistics.median(per_person)
            print(f"newsletter build+queue: {sent} newsletters, {ms:.2f} ms per person "
                  f"(median of {args.rounds}; min {min(per_person):.2f}, "
                  f"max {max(per_person):.2f})   target < {TARGET_MS_PER_PERSON:.0f} ms  "
                  f"{'MET' if ms < TARGET_MS_PER_PERSON else 'NOT MET'}")

            messages = [(r["recipient"], bytes(r["message"])) for r in conn.execute(
                "SELECT recipient, message FROM mail_outbox WHERE status = 'queued'"
                " ORDER BY id")]
            ratios = []
            for _ in range(args.rounds):  # interleaved: a slow moment falls on both
                plain = smtplib_loop(port, messages, counter)
                ours = sender_run(inst, conn, messages, counter)
                ratios.append(plain / ours)
                print(f"  round: smtplib {len(messages) / plain:.0f} msg/s, "
                      f"GVO sender {len(messages) / ours:.0f} msg/s")
            ratio = statistics.median(ratios)
            print(f"sender/smtplib throughput: {ratio:.2f}x (median of {args.rounds}; "
                  f"min {min(ratios):.2f}x, max {max(ratios):.2f}x)   target >= "
                  f"{TARGET_RATIO}x  {'MET' if ratio >= TARGET_RATIO else 'NOT MET'}")
        finally:
            inst.close()
            controller.stop()


if __name__ == "__main__":
    main()
