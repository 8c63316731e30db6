"""A small in-process publish/subscribe for changes that features built on top must follow.

The people and board services announce that who-may-see-what changed (a role, a
capability, a board or committee membership), and the meetings services that a
meeting, its agenda or its register changed; features whose access lists are
derived from those facts (the meetings' confidential paper rooms) re-derive
them. The lower layer never imports the feature: features are listed here and
imported on first use, so a change made from the CLI is followed too.
"""

import importlib
from collections import defaultdict
from collections.abc import Callable

ACCESS_CHANGED = "access_changed"
# A meeting, its agenda or its attendance register changed (details: meeting_id, who):
# who may read its confidential papers follows them (gvo.meetings.papers).
MEETING_CHANGED = "meeting_changed"
# Modules that subscribe to events; imported before the first event is published.
SUBSCRIBER_MODULES = ("gvo.meetings.papers",)

_subscribers: dict[str, list[Callable]] = defaultdict(list)
_loaded = False


def subscribe(event: str, handler: Callable) -> Callable:
    """Call handler(conn, **details) after each `event` (usable as a decorator)."""
    if handler not in _subscribers[event]:
        _subscribers[event].append(handler)
    return handler


def publish(event: str, conn, **details) -> None:
    """Tell every subscriber; call after the change's transaction has committed."""
    global _loaded
    if not _loaded:
        for name in SUBSCRIBER_MODULES:
            importlib.import_module(name)
        _loaded = True
    for handler in list(_subscribers[event]):
        handler(conn, **details)
