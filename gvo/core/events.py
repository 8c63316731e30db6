"""A small in-process publish/subscribe for changes that features built on top must follow.

The people and board services announce that who-may-see-what changed (a role, a
capability, a board or committee membership), and the meetings services that a
meeting, its agenda or its register changed; features whose access lists are
derived from those facts (the meetings' confidential paper rooms) re-derive
them. The lower layer never imports the feature: features are listed here and
imported on first use, so a change made from the CLI is followed too.

Two kinds of event: ACCESS_CHANGED and MEETING_CHANGED are published after the change
has committed; CREDENTIALS_ENDED inside the change's transaction, so what its subscribers
end (a calendar feed address) ends with the sessions, or not at all.
"""

import importlib
from collections import defaultdict
from collections.abc import Callable

ACCESS_CHANGED = "access_changed"
# A meeting, its agenda or its attendance register changed (details: meeting_id, who):
# who may read its confidential papers follows them (gvo.meetings.papers).
MEETING_CHANGED = "meeting_changed"
# An account's credentials ended (a password set, signed out everywhere, two-step sign-in
# reset, sessions ended by a Manager, made inactive). Details: user_id, reason (a key of
# gvo.people.accounts.CREDENTIAL_EVENTS), actor. Published inside the transaction; a
# subscriber that ended something of the person's returns its name ("calendar feed address").
CREDENTIALS_ENDED = "credentials_ended"
# A school's newsletter day or hour changed (details: slug), published after the change
# has committed: the running newsletter scheduler visits the school again at once.
SCHEDULE_CHANGED = "schedule_changed"
# Modules that subscribe to events; imported before the first event is published.
SUBSCRIBER_MODULES = ("gvo.meetings.papers", "gvo.meetings.calendar_feed",
                      "gvo.training.certificates", "gvo.security.devices")

_subscribers: dict[str, list[Callable]] = defaultdict(list)
_loaded = False


def subscribe(event: str, handler: Callable) -> Callable:
    """Call handler(conn, **details) after each `event` (usable as a decorator)."""
    if handler not in _subscribers[event]:
        _subscribers[event].append(handler)
    return handler


def unsubscribe(event: str, handler: Callable) -> None:
    """Stop calling `handler` after `event` (a running service stopping)."""
    if handler in _subscribers[event]:
        _subscribers[event].remove(handler)


def publish(event: str, conn, **details) -> list:
    """Tell every subscriber (when: see the event's comment); returns what they returned
    that is not None, in the order they subscribed."""
    global _loaded
    if not _loaded:
        for name in SUBSCRIBER_MODULES:
            importlib.import_module(name)
        _loaded = True
    results = [handler(conn, **details) for handler in list(_subscribers[event])]
    return [r for r in results if r is not None]
