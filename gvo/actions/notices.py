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


def changed_task(conn: Connection, actor: Identity, task_id: int, before: dict,
                 user_ids: list[int]) -> list[int]:
    """Tell the assignees who stay (never the person who acted) that an action's title or due
    date changed (`before`: the task's saved state before the change, as the audit log keeps
    it), inside the caller's transaction; the outbox ids queued (none when nothing they see
    changed, or mail is off)."""
    task = conn.execute("SELECT title, due_on FROM tasks WHERE id = ?", (task_id,)).fetchone()
    changes = []
    if task["due_on"] != before["due_on"]:
        now = f"due {dates.day(task['due_on'])}" if task["due_on"] else "no longer has a due date"
        was = f" (it was due {dates.day(before['due_on'])})" if before["due_on"] else ""
        changes.append(f"It is now {now}{was}." if task["due_on"] else f"It {now}{was}.")
    if task["title"] != before["title"]:
        changes.append(f"It was called \u201c{before['title']}\u201d.")
    people = [uid for uid in user_ids if uid != actor.user_id]
    if not changes or not people or not outbox.enabled(conn):
        return []
    letter = about.item_letter(
        conn, subject=f"An action for you has changed: {task['title'][:80]}",
        why="you are one of the people to do it", headline="An action for you has changed",
        title=task["title"], path=path(task_id), note=" ".join(changes),
        when=f"Due {dates.day(task['due_on'])}" if task["due_on"] else "",
        ref=("task", task_id))
    return outbox.notify(conn, actor, people, letter, kind=KIND)


def removed_from_task(conn: Connection, actor: Identity, task_id: int,
                      user_ids: list[int]) -> list[int]:
    """Tell people taken off an action (never the person who acted) that it is no longer
    theirs, inside the caller's transaction; the outbox ids queued."""
    people = [uid for uid in user_ids if uid != actor.user_id]
    if not people or not outbox.enabled(conn):
        return []
    task = conn.execute("SELECT title FROM tasks WHERE id = ?", (task_id,)).fetchone()
    letter = about.item_letter(
        conn, subject=f"An action is no longer yours: {task['title'][:80]}",
        why="you were one of the people to do it", headline="An action is no longer yours",
        title=task["title"], path=path(task_id),
        note="You were taken off this action; nothing more is asked of you.",
        ref=("task", task_id))
    return outbox.notify(conn, actor, people, letter, kind=KIND)
