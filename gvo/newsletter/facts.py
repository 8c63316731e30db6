"""What is waiting for a person: the facts the home page's "For you" and the weekly
newsletter both show, from the same functions.

- approvals waiting for them (gvo.discussion.approvals.awaiting),
- meetings waiting for their reply (gvo.meetings.meetings.awaiting_reply),
- new replies to their comments (gvo.discussion.comments.replies_to),
- their open actions (gvo.actions.tasks.open_for; the newsletter lists those due this week
  in its own section, gvo.actions.newsletter).

Each comes from the module that owns the rule, through that module's access checks: a
room, a Part 2 item or a restricted folder the person may not open is never named.
"""

from dataclasses import dataclass

from gvo.actions import tasks
from gvo.core import clock
from gvo.core.identity import Identity
from gvo.discussion import approvals, comments
from gvo.discussion.subjects import Subject
from gvo.library import documents, pages  # noqa: F401  (register 'document' and 'page')
from gvo.meetings import meetings, minutes  # noqa: F401  (minutes registers 'minutes')
from gvo.storage.sqlcipher import Connection

HOME_REPLIES_DAYS = 14  # "new" replies on the home page: this many days
HOME_ACTIONS = 10       # open actions on the home page (the rest: /actions)

# Where a subject's page is, by the view that shows it (Subject.endpoint), for links in
# mail (which is built outside a request). A test follows each one.
_PATHS = {
    "library.show_document": "/library/documents/{doc_id}",
    "library.show_page": "/library/pages/{page_id}",
    "meetings.show": "/meetings/{meeting_id}",
    "actions.show": "/actions/{task_id}",
}


def subject_path(subject: Subject) -> str:
    """The subject's page, below the school's address ("/library/documents/7"): for a view
    not listed, the subject's own `path` (a discussion topic's "/discussions/4"), else "/"
    (the home page)."""
    pattern = _PATHS.get(subject.endpoint)
    return pattern.format(**subject.values) if pattern else (subject.path or "/")


@dataclass(frozen=True)
class ForYou:
    """What waits for one person: approvals (Subjects), meetings awaiting their reply
    (meeting rows), replies to their comments (comments.Reply) and their open actions
    (gvo.actions.tasks rows)."""

    approvals: list
    meetings: list
    replies: list
    actions: list

    def __bool__(self) -> bool:
        return bool(self.approvals or self.meetings or self.replies or self.actions)


def for_you(conn: Connection, who: Identity, replies_since: float | None = None) -> ForYou:
    """The person's waiting approvals, meetings awaiting their reply, replies to their
    comments made since `replies_since` (epoch seconds; default HOME_REPLIES_DAYS ago), and
    their open actions (at most HOME_ACTIONS, soonest due first)."""
    if replies_since is None:
        replies_since = clock.now() - HOME_REPLIES_DAYS * 86400
    return ForYou(approvals.awaiting(conn, who), meetings.awaiting_reply(conn, who.user_id),
                  comments.replies_to(conn, who, clock.iso(replies_since)),
                  tasks.open_for(conn, who, HOME_ACTIONS))
