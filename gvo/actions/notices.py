"""Mail about actions: assignees hear of a new action (kind "task_assigned"); the weekly
newsletter's section is gvo.actions.newsletter.

A notice carries the reference ('task', id), registered in gvo.mail.refs with the task
access rule by gvo.actions.tasks (`may_see`): someone who has lost access to the action's
folder by the time the mail is made hears nothing of it.
"""

from gvo.core import dates
from gvo.core.identity import Identity
from gvo.mail import about, outbox, volume
from gvo.storage.sqlcipher import Connection

KIND = "task_assigned"

volume.describe_kind(KIND, "e-mails telling you of an action for you")


def path(task_id: int) -> str:
    """The action's page, below the school's address."""
    return f"/actions/{task_id}"


def new_task(conn: Connection, actor: Identity, task_id: int, user_ids: list[int]) -> list[int]:
    """Tell assignees (never the person who acted) that an action is theirs, inside the
    caller's transaction; the outbox ids queued (none when mail is off)."""
    people = [uid for uid in user_ids if uid != actor.user_id]
    if not people or not outbox.enabled(conn):
        return []
    task = conn.execute("SELECT title, due_on FROM tasks WHERE id = ?", (task_id,)).fetchone()
    letter = about.item_letter(
        conn, subject=f"An action for you: {task['title'][:80]}",
        why="you were named as one of the people to do it", headline="An action for you",
        title=task["title"], path=path(task_id),
        when=f"Due {dates.day(task['due_on'])}" if task["due_on"] else "",
        ref=("task", task_id))
    return outbox.notify(conn, actor, people, letter, kind=KIND)
