"""A write workload inside the app with its replicator, for the kill -9 drill.

Usage: python drill_worker.py INSTANCE REPLICA_URL START
Prints "ack N TIME" after each committed write, until killed.
"""

import sys
import time

from gvo import create_app
from gvo.replication import service
from gvo.storage.instance import Instance
from gvo.storage.sqlcipher import transaction


def main() -> None:
    """Serve nothing, write forever, replicate alongside (as `gvo serve` does)."""
    inst = Instance.open(sys.argv[1])
    app = create_app({"TESTING": True}, instance=inst)
    service.start(app, inst, sys.argv[2], interval=0.1)
    n = int(sys.argv[3])
    print("ready", flush=True)
    while True:
        with transaction(inst.db("alpha")) as conn:  # OR REPLACE: a write committed just
            # before a kill, but never acknowledged, is written again by the next round
            conn.execute("INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)",
                         (f"drill-{n:06d}", "x" * (n % 700)))
        print(f"ack {n} {time.time()}", flush=True)
        n += 1
        time.sleep(0.004)


if __name__ == "__main__":
    main()
