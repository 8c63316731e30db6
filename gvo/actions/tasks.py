"""Tasks: actions agreed in minutes or made by hand; where they live, who sees and changes
them, their assignees, status and attachments, and the lists the pages show.

Where a task lives: a library folder. A hand-made task lives in the folder chosen when it is
made; a task from minutes (an action on an agenda item) in its meeting's papers folder (read
live from the meeting, so it follows the meeting's folder), and a task from a Part 2
(confidential) item only for those who may read that body's confidential items
(`gvo.meetings.rules.sees_confidential`: members of the body, Editors, meeting managers).

Who sees a task: whoever may open its folder (`gvo.library.access`: restricted folders and
rooms apply, Managers included) and, for a Part 2 item's task, sees confidential items. A
task whose meeting has no folder yet is seen by everyone who sees the meeting's items.

Who may make and change tasks (`may_manage`): Managers, the clerk (holders of "manage
meetings", who write the minutes) and Editors, each only in folders they may open: in the
library's rules Editors change anyone's items, Managers everything, and the clerk keeps the
meetings' folders. An assignee may change the status of their own task. Assignees are kept
only if they may see the task; the others are left out and named (`Saved.left_out`).

Every write is audited (gvo.core.audit, target "task:<id>") in its transaction.
Dates: `due_on` is 'YYYY-MM-DD' (the school's calendar, gvo.core.dates.today), '' for none;
`completed_at` UTC ISO 8601.
"""

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

from gvo.actions import notices
from gvo.core import audit, clock, dates, paging, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.library.access import can_see_folder, folder_audience, visible_cte
from gvo.mail import refs
from gvo.meetings.rules import manages, sees_confidential
from gvo.people import groups
from gvo.storage.sqlcipher import Connection

STATUSES = {"not_started": "Not started", "in_progress": "In progress", "done": "Done"}
VIEWS = {"mine_open": "My open actions", "mine": "All my actions", "open": "Open",
         "done": "Done", "all": "All"}
SOON_DAYS = 7        # amber: due within this many days
MAX_TITLE = 500
MAX_DESCRIPTION = 10_000
MAX_ASSIGNEES = 200
NO_DATE = "9999-12-31~"  # sorts after every date: tasks without a due date come last

_PLACE = "COALESCE(t.folder_id, m.folder_id)"
_DUE_KEY = f"CASE WHEN t.due_on = '' THEN '{NO_DATE}' ELSE t.due_on END"
_COLUMNS = (_DUE_KEY, "t.id")
_SELECT = (
    "SELECT t.*, " + _PLACE + " AS place_id, COALESCE(i.confidential, 0) AS confidential,"
    " " + _DUE_KEY + " AS due_key,"
    " m.title AS meeting_title, m.starts_at AS meeting_starts_at, i.title AS item_title,"
    " b.name AS body_name, cu.name AS completed_by_name,"
    " (SELECT json_group_array(json_array(u.id, u.name)) FROM task_assignees a"
    "   JOIN users u ON u.id = a.user_id WHERE a.task_id = t.id) AS assignees_json"
    " FROM tasks t LEFT JOIN meetings m ON m.id = t.meeting_id"
    " LEFT JOIN agenda_items i ON i.id = t.item_id"
    " LEFT JOIN bodies b ON b.id = t.body_id LEFT JOIN users cu ON cu.id = t.completed_by"
)
_VISIBLE = (
    "(" + _PLACE + " IS NULL OR " + _PLACE + " IN (SELECT id FROM visible_folders))"
    " AND (COALESCE(i.confidential, 0) = 0 OR :all_confidential"
    " OR m.body_id IN (SELECT body_id FROM body_members WHERE user_id = :viewer_id))"
    " AND :active"
)


@dataclass
class TaskInput:
    """What a person enters for a task: `assignee_ids` people and `group_ids` groups (each
    expanded to its members when saved), `doc_ids` library documents attached. `folder_id`
    is where a hand-made task lives (ignored for a task from minutes)."""

    title: str
    description: str = ""
    due_on: date | None = None
    body_id: int | None = None
    folder_id: int | None = None
    assignee_ids: list[int] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)
    doc_ids: list[int] = field(default_factory=list)
    base: str | None = None   # the task's `version` when the form was opened (None: unknown)

    def check(self) -> None:
        """Tidy the text; InvalidInput (with `field`) if a rule is broken."""
        self.title = text.one_line(self.title or "")
        self.description = text.paragraphs(self.description or "").strip()
        if not self.title or len(self.title) > MAX_TITLE:
            raise InvalidInput(f"An action needs a title of 1-{MAX_TITLE} characters.",
                               field="title")
        if len(self.description) > MAX_DESCRIPTION:
            raise InvalidInput(f"The description may have at most {MAX_DESCRIPTION:,} "
                               "characters.", field="description")
        clock.check_year(self.due_on, "The due date")


@dataclass(frozen=True)
class Saved:
    """A saved task's id and the names of people chosen as assignees but left out because
    they may not see it (by name, sorted)."""

    task_id: int
    left_out: list[str]


# -- who sees what ------------------------------------------------------------------------

def _params(who: Identity) -> tuple[str, dict]:
    cte, params = visible_cte(who)
    params["all_confidential"] = int(who.is_system or who.at_least("editor") or manages(who))
    params["active"] = int(who.is_system or who.is_active)
    return cte, params


def _row(row) -> dict:
    task = dict(row)
    task["assignees"] = sorted(({"id": i, "name": n} for i, n in
                                json.loads(row["assignees_json"] or "[]")),
                               key=lambda a: text.fold(a["name"]))
    task["assignee_names"] = ", ".join(a["name"] for a in task["assignees"])
    task["status_label"] = STATUSES[row["status"]]
    task["urgency"], task["urgency_label"] = urgency(row["status"], row["due_on"])
    return task


def urgency(status: str, due_on: str, today: date | None = None) -> tuple[str, str]:
    """How pressing a task is, as (colour, words): ('red', 'Overdue') past its due date,
    ('amber', 'Due soon') due within SOON_DAYS days (today included), ('green', 'On track')
    later or with no date, ('done', 'Done') once done. Pages show the words with the colour
    (never colour alone). `today`: the school's today by default."""
    if status == "done":
        return "done", "Done"
    if not due_on:
        return "green", "No due date"
    today = today or dates.today()
    if due_on < today.isoformat():
        return "red", "Overdue"
    if due_on <= (today + timedelta(days=SOON_DAYS)).isoformat():
        return "amber", "Due soon"
    return "green", "On track"


def get(conn: Connection, who: Identity, task_id: int) -> dict:
    """One task `who` may see (with `assignees` [{id, name}], `assignee_names`,
    `status_label`, `urgency`, `urgency_label`, `place_id` its folder, `confidential`,
    meeting and body names); NotFound otherwise (hidden tasks are never confirmed)."""
    cte, params = _params(who)
    row = conn.execute(cte + _SELECT + " WHERE t.id = :task_id AND " + _VISIBLE,
                       params | {"task_id": task_id}).fetchone()
    if row is None:
        raise NotFound("no such action")
    return _row(row)


def may_see(conn: Connection, who: Identity, task_id: int) -> bool:
    """Whether `who` may open the task now (the mail reference rule, 'task')."""
    try:
        get(conn, who, task_id)
    except NotFound:
        return False
    return True


def may_manage(who: Identity) -> bool:
    """Whether the role lets a person make and change tasks (in folders they may open):
    Managers and Editors (the library's rule for changing anyone's items) and the clerk
    (holders of "manage meetings")."""
    return who.is_active and (who.at_least("editor") or manages(who))


def may_edit(who: Identity, task: dict) -> bool:
    """Whether `who` may change this task (one they see, from `get`)."""
    return may_manage(who)


def may_set_status(who: Identity, task: dict) -> bool:
    """Whether `who` may change the task's status: those who may edit it, and its
    assignees."""
    return may_edit(who, task) or any(a["id"] == who.user_id for a in task["assignees"])


def _require_edit(who: Identity, task: dict) -> None:
    if not may_edit(who, task):
        raise NotPermitted("only Managers, the clerk and Editors change actions")


# -- assignees and attachments ------------------------------------------------------------

def _audience(conn: Connection, place_id: int | None, confidential: bool,
              body_id: int | None) -> dict[int, str]:
    """Active people who may see a task living in `place_id` (id -> name)."""
    if place_id is None:
        rows = conn.execute("SELECT id, name FROM users WHERE role != 'inactive'").fetchall()
    else:
        rows = folder_audience(conn, place_id)
    people = {r["id"]: r["name"] for r in rows}
    if confidential and body_id is not None:
        people = {uid: name for uid, name in people.items()
                  if sees_confidential(conn, Identity.load(conn, uid), body_id)}
    return people


def _chosen(conn: Connection, data: TaskInput) -> list[int]:
    """The people chosen: named ones and the members of the groups, now."""
    ids = set(data.assignee_ids)
    for group_id in data.group_ids:
        groups.get_group(conn, group_id)  # NotFound for a group that is gone
        ids.update(groups.member_ids(conn, group_id))
    if len(ids) > MAX_ASSIGNEES:
        raise InvalidInput(f"At most {MAX_ASSIGNEES} people on one action.", field="assignees")
    return sorted(ids)


def _split(conn: Connection, chosen: list[int], audience: dict[int, str]
           ) -> tuple[list[int], list[str]]:
    """(ids kept, names left out): only people who may see the task are kept."""
    kept = [uid for uid in chosen if uid in audience]
    gone = [uid for uid in chosen if uid not in audience]
    names = []
    if gone:
        marks = ",".join("?" * len(gone))
        names = sorted((r[0] for r in conn.execute(
            f"SELECT name FROM users WHERE id IN ({marks})", gone)), key=text.fold)
    return kept, names


def _documents(conn: Connection, who: Identity, doc_ids: list[int]) -> list[int]:
    """The documents as attachments: each one `who` may open, else InvalidInput."""
    if not doc_ids:
        return []
    cte, params = visible_cte(who)
    found = {r[0] for r in conn.execute(
        cte + "SELECT d.id FROM documents d WHERE d.deleted_at IS NULL AND d.folder_id IN"
        " (SELECT id FROM visible_folders) AND d.id IN (SELECT value FROM json_each(:ids))",
        params | {"ids": json.dumps(sorted(set(doc_ids)))})}
    if found != set(doc_ids):
        raise InvalidInput("Attach documents from the library that you may open.",
                           field="doc_ids")
    return sorted(found)


def attachments(conn: Connection, who: Identity, task_id: int) -> list:
    """The task's documents `who` may open (id, title), by title."""
    cte, params = visible_cte(who)
    rows = conn.execute(
        cte + "SELECT d.id, d.title FROM task_documents td JOIN documents d ON d.id = td.doc_id"
        " WHERE td.task_id = :task AND d.deleted_at IS NULL"
        " AND d.folder_id IN (SELECT id FROM visible_folders)", params | {"task": task_id})
    return sorted(rows, key=lambda r: text.fold(r["title"]))


def _check_body(conn: Connection, body_id: int | None) -> None:
    if body_id is not None and conn.execute("SELECT 1 FROM bodies WHERE id = ?",
                                            (body_id,)).fetchone() is None:
        raise InvalidInput("Choose a board or committee from the list.", field="body_id")


def _write_links(conn: Connection, task_id: int, assignees: list[int], docs: list[int]) -> None:
    conn.execute("DELETE FROM task_assignees WHERE task_id = ?", (task_id,))
    conn.executemany("INSERT INTO task_assignees(task_id, user_id) VALUES (?, ?)",
                     [(task_id, uid) for uid in assignees])
    conn.execute("DELETE FROM task_documents WHERE task_id = ?", (task_id,))
    conn.executemany("INSERT INTO task_documents(task_id, doc_id) VALUES (?, ?)",
                     [(task_id, d) for d in docs])


# -- writing ------------------------------------------------------------------------------

def create(conn: Connection, actor: Identity, data: TaskInput) -> Saved:
    """Make a task by hand in the folder `data.folder_id` (one `actor` may open; Managers,
    the clerk and Editors only). Assignees who may not see that folder are left out and
    named in the result; those kept hear of it by e-mail (gvo.actions.notices).
    InvalidInput (with `field`) for bad input; NotPermitted for anyone else."""
    if not may_manage(actor):
        raise NotPermitted("only Managers, the clerk and Editors make actions")
    data.check()
    if data.folder_id is None or not can_see_folder(conn, actor, data.folder_id):
        raise InvalidInput("Choose the library folder the action belongs to.",
                           field="folder_id")
    _check_body(conn, data.body_id)
    docs = _documents(conn, actor, data.doc_ids)
    with transaction(conn):
        kept, left_out = _split(conn, _chosen(conn, data),
                                _audience(conn, data.folder_id, False, None))
        now = clock.iso()
        task_id = conn.execute(
            "INSERT INTO tasks(title, description, due_on, body_id, folder_id, created_by,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (data.title, data.description, data.due_on.isoformat() if data.due_on else "",
             data.body_id, data.folder_id, actor.user_id, now, now)).lastrowid
        _write_links(conn, task_id, kept, docs)
        audit.record(conn, actor, "task.create", f"task:{task_id}", title=data.title,
                     folder=data.folder_id, body=data.body_id, assignees=kept,
                     left_out=left_out, due=data.due_on.isoformat() if data.due_on else "",
                     documents=docs)
        notices.new_task(conn, actor, task_id, kept)
    return Saved(task_id, left_out)


def _state(conn: Connection, task_id: int) -> dict:
    """What the audit log records of a task before and after a change: its fields, but of
    its description only the length (the log keeps no one's text: it outlives the task and
    is hash-chained, so it could never be taken back)."""
    row = conn.execute("SELECT title, length(description) AS description_length, due_on,"
                       " body_id, folder_id, status, completed_by, completed_at FROM tasks"
                       " WHERE id = ?", (task_id,)).fetchone()
    return dict(row) | {
        "assignees": [r[0] for r in conn.execute(
            "SELECT user_id FROM task_assignees WHERE task_id = ? ORDER BY user_id",
            (task_id,))],
        "documents": [r[0] for r in conn.execute(
            "SELECT doc_id FROM task_documents WHERE task_id = ? ORDER BY doc_id",
            (task_id,))]}


class Conflict(InvalidInput):
    """Someone else saved the task after the editor was opened (`version` differs from the
    form's base): nothing was saved. `version` is the task's version now."""

    def __init__(self, version_now: str):
        super().__init__("Nothing was saved: someone else changed this action after you opened "
                         "this page. What you typed is kept: open the action in another tab to "
                         "see their change, or save again to replace it with yours.",
                         field="title")
        self.version = version_now


def version(conn: Connection, task_id: int) -> str:
    """A fingerprint of the task as saved (its fields, assignees and attachments), sent with
    the edit form, as the minutes editor does (`gvo.core.text.fingerprint`)."""
    return text.fingerprint(json.dumps(_state(conn, task_id), sort_keys=True))


def _hidden_documents(conn: Connection, who: Identity, task_id: int) -> list[int]:
    """The task's attachments `who` may not open: an edit by them keeps these (they are
    not theirs to drop)."""
    seen = {r["id"] for r in attachments(conn, who, task_id)}
    return [r[0] for r in conn.execute("SELECT doc_id FROM task_documents WHERE task_id = ?",
                                       (task_id,)) if r[0] not in seen]


def update(conn: Connection, actor: Identity, task_id: int, data: TaskInput) -> Saved:
    """Change a task `actor` may see and edit: its text, due date, board or committee,
    folder (hand-made tasks only; a task from minutes stays with its meeting), assignees
    (replaced; those who may not see it left out and named; new ones hear of it) and
    attachments (those `actor` may not open are kept). With `data.base` (the `version` the
    form was opened at), a task changed meanwhile raises Conflict and nothing is saved.
    Audited with before and after. NotFound/NotPermitted/InvalidInput."""
    task = get(conn, actor, task_id)
    _require_edit(actor, task)
    data.check()
    from_minutes = task["item_id"] is not None
    folder_id = task["folder_id"] if from_minutes else data.folder_id
    if not from_minutes and (folder_id is None or not can_see_folder(conn, actor, folder_id)):
        raise InvalidInput("Choose the library folder the action belongs to.",
                           field="folder_id")
    body_id = task["body_id"] if from_minutes else data.body_id
    _check_body(conn, body_id)
    docs = _documents(conn, actor, data.doc_ids)
    with transaction(conn):
        if data.base is not None and data.base != (now := version(conn, task_id)):
            raise Conflict(now)
        docs = sorted(set(docs) | set(_hidden_documents(conn, actor, task_id)))
        before = _state(conn, task_id)
        place = folder_id if not from_minutes else task["place_id"]
        kept, left_out = _split(conn, _chosen(conn, data),
                                _audience(conn, place, bool(task["confidential"]), body_id))
        conn.execute(
            "UPDATE tasks SET title = ?, description = ?, due_on = ?, body_id = ?,"
            " folder_id = ?, updated_at = ? WHERE id = ?",
            (data.title, data.description, data.due_on.isoformat() if data.due_on else "",
             body_id, folder_id, clock.iso(), task_id))
        _write_links(conn, task_id, kept, docs)
        after = _state(conn, task_id)
        audit.record(conn, actor, "task.update", f"task:{task_id}", before=before, after=after,
                     left_out=left_out)
        notices.new_task(conn, actor, task_id,
                         [uid for uid in kept if uid not in before["assignees"]])
        notices.changed_task(conn, actor, task_id, before,
                             [uid for uid in kept if uid in before["assignees"]])
        notices.removed_from_task(conn, actor, task_id,
                                  [uid for uid in before["assignees"] if uid not in kept])
    return Saved(task_id, left_out)


def set_status(conn: Connection, actor: Identity, task_id: int, status: str) -> dict:
    """Set a task's status (STATUSES): its assignees, Managers, the clerk and Editors.
    'done' records who completed it and when (UTC); another status clears that. Setting
    the status it has changes nothing (a second click). Returns the task as `get` now
    gives it. Audited with before and after. NotFound/NotPermitted/InvalidInput."""
    if status not in STATUSES:
        raise InvalidInput("The status is not started, in progress or done.", field="status")
    task = get(conn, actor, task_id)
    if not may_set_status(actor, task):
        raise NotPermitted("only its assignees, Managers, the clerk and Editors change an "
                           "action's status")
    with transaction(conn):
        current = conn.execute("SELECT status, completed_by, completed_at FROM tasks"
                               " WHERE id = ?", (task_id,)).fetchone()
        if current["status"] != status:
            done = status == "done"
            now = clock.iso()
            conn.execute("UPDATE tasks SET status = ?, completed_by = ?, completed_at = ?,"
                         " updated_at = ? WHERE id = ?",
                         (status, actor.user_id if done else None, now if done else None,
                          now, task_id))
            audit.record(conn, actor, "task.status", f"task:{task_id}",
                         before=dict(current), after={
                             "status": status, "completed_by": actor.user_id if done else None,
                             "completed_at": now if done else None})
    return get(conn, actor, task_id)


# -- tasks from minutes -------------------------------------------------------------------

def from_minutes(conn: Connection, actor: Identity, item, meeting, title: str,
                 owner_id: int | None, due_on: date | None) -> int:
    """The task for an action agreed in the minutes of agenda item `item` of `meeting`: it
    lives in the meeting's folder, belongs to its board or committee and, for a Part 2 item,
    only those who see confidential items see it. InvalidInput naming the owner if they may
    not see it (the minutes keep what was typed). The owner hears of it by e-mail. Call
    inside the minutes' transaction; audited as 'task.create'."""
    data = TaskInput(title=title, due_on=due_on)
    data.check()
    owners = [owner_id] if owner_id is not None else []
    with transaction(conn):
        kept, left_out = _split(conn, owners, _audience(
            conn, meeting["folder_id"], bool(item["confidential"]), meeting["body_id"]))
        if left_out:
            raise InvalidInput(f"{left_out[0]} may not see this item of the minutes, so "
                               "cannot own its action: choose someone who may.",
                               field="owner_id")
        now = clock.iso()
        task_id = conn.execute(
            "INSERT INTO tasks(title, due_on, body_id, meeting_id, item_id, created_by,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (data.title, due_on.isoformat() if due_on else "", meeting["body_id"],
             meeting["id"], item["id"], actor.user_id, now, now)).lastrowid
        _write_links(conn, task_id, kept, [])
        audit.record(conn, actor, "task.create", f"task:{task_id}", title=data.title,
                     meeting=meeting["id"], item=item["id"], assignees=kept,
                     due=due_on.isoformat() if due_on else "")
        notices.new_task(conn, actor, task_id, kept)
    return task_id


def for_items(conn: Connection, item_ids: list[int]) -> dict[int, list[dict]]:
    """The tasks of agenda items (item id -> [{id, text, owner_name, due_on, status}], in
    the order made), for the live minutes (one statement, whatever the number of items).
    The minutes show them to those who may read the item."""
    found: dict[int, list[dict]] = {}
    for row in conn.execute(
            "SELECT t.id, t.item_id, t.title, t.due_on, t.status, (SELECT group_concat(name,"
            " ', ') FROM (SELECT u.name FROM task_assignees a JOIN users u ON u.id = a.user_id"
            " WHERE a.task_id = t.id ORDER BY u.name)) AS owner_name FROM tasks t"
            " WHERE t.item_id IN (SELECT value FROM json_each(?)) ORDER BY t.id",
            (json.dumps(item_ids),)):
        found.setdefault(row["item_id"], []).append(
            {"id": row["id"], "text": row["title"], "owner_name": row["owner_name"] or "",
             "due_on": row["due_on"], "status": row["status"]})
    return found


def of_item(conn: Connection, task_id: int):
    """A task from minutes (id, item_id, title); NotFound for any other."""
    row = conn.execute("SELECT id, item_id, title AS text FROM tasks WHERE id = ?"
                       " AND item_id IS NOT NULL", (task_id,)).fetchone()
    if row is None:
        raise NotFound("no such action")
    return row


def delete_from_minutes(conn: Connection, actor: Identity, task_id: int) -> None:
    """Remove a task from draft minutes (the minutes check they may change); audited."""
    with transaction(conn):
        before = _state(conn, task_id)
        conn.execute("DELETE FROM tasks WHERE id = ?", (task_id,))
        audit.record(conn, actor, "task.delete", f"task:{task_id}", before=before)


# -- lists --------------------------------------------------------------------------------

def listing(conn: Connection, who: Identity, view: str = "mine_open",
            body_id: int | None = None, after: str | None = None,
            size: int = paging.SIZE) -> paging.Page:
    """A page of the tasks `who` may see, soonest due first (no date last): `view` one of
    VIEWS (mine_open: theirs not done; mine: theirs; open; done; all), `body_id` only that
    board or committee's. Rows as `get`. InvalidInput for an unknown view or a bad token."""
    if view not in VIEWS:
        raise InvalidInput("Choose one of the lists of actions.")
    cte, params = _params(who)
    where = [_VISIBLE, "{after}"]
    if view in ("mine_open", "mine"):
        where.append("t.id IN (SELECT task_id FROM task_assignees WHERE user_id = :viewer_id)")
    if view in ("mine_open", "open"):
        where.append("t.status != 'done'")
    elif view == "done":
        where.append("t.status = 'done'")
    if body_id is not None:
        where.append("t.body_id = :body_id")
        params["body_id"] = body_id
    page = paging.keyset(conn, cte + _SELECT + " WHERE " + " AND ".join(where), params,
                         columns=_COLUMNS, key_of=lambda r: (r["due_key"], r["id"]),
                         after=after, size=size)
    return paging.Page([_row(r) for r in page.items], page.after)


def open_for(conn: Connection, who: Identity, limit: int = 10) -> list[dict]:
    """The person's own open tasks, soonest due first (at most `limit`): the home page's
    "For you"."""
    return list(listing(conn, who, "mine_open", size=limit))


def due_for(conn: Connection, who: Identity, until: date) -> list[dict]:
    """The person's own open tasks due on or before `until` (overdue ones too), soonest
    first, at most 50: the newsletter's "Your actions"."""
    cte, params = _params(who)
    rows = conn.execute(
        cte + _SELECT + " WHERE " + _VISIBLE + " AND t.status != 'done' AND t.due_on != ''"
        " AND t.due_on <= :until AND t.id IN (SELECT task_id FROM task_assignees"
        " WHERE user_id = :viewer_id) ORDER BY t.due_on, t.id LIMIT 50",
        params | {"until": until.isoformat()}).fetchall()
    return [_row(r) for r in rows]


def dated_for(conn: Connection, who: Identity, since: date, limit: int = 500) -> list[dict]:
    """The person's own tasks with a due date on or after `since` (done ones too), soonest
    first: the private calendar feed."""
    cte, params = _params(who)
    rows = conn.execute(
        cte + _SELECT + " WHERE " + _VISIBLE + " AND t.due_on != '' AND t.due_on >= :since"
        " AND t.id IN (SELECT task_id FROM task_assignees WHERE user_id = :viewer_id)"
        " ORDER BY t.due_on, t.id " + paging.limit_clause(limit),
        params | {"since": since.isoformat()}).fetchall()
    return [_row(r) for r in rows]


def matters_arising(conn: Connection, who: Identity, meeting) -> list[dict]:
    """Open tasks from earlier meetings of the meeting's board or committee that `who` may
    see, soonest due first (at most 100): the "Matters arising" the clerk may put on the
    agenda."""
    cte, params = _params(who)
    rows = conn.execute(
        cte + _SELECT + " WHERE " + _VISIBLE + " AND t.status != 'done'"
        " AND m.body_id = :body AND m.starts_at < :starts AND m.id != :meeting"
        " ORDER BY " + _DUE_KEY + ", t.id LIMIT 100",
        params | {"body": meeting["body_id"], "starts": meeting["starts_at"],
                  "meeting": meeting["id"]}).fetchall()
    return [_row(r) for r in rows]


def places(conn: Connection, who: Identity) -> list:
    """Folders `who` may file a task in (id, title), by title."""
    from gvo.library import folders
    return sorted(folders.all_visible(conn, who), key=lambda f: text.fold(f["title"]))


def inactive_names(conn: Connection, raw_ids) -> list[str]:
    """The names of the people among `raw_ids` (form values; those not whole numbers are
    passed over) whose accounts are no longer active, by name."""
    ids = [int(v) for v in raw_ids if str(v).isdigit() and len(str(v)) < 19]
    if not ids:
        return []
    return sorted((r[0] for r in conn.execute(
        "SELECT name FROM users WHERE role = 'inactive' AND id IN"
        " (SELECT value FROM json_each(?))", (json.dumps(ids),))), key=text.fold)


def people(conn: Connection) -> list:
    """Active people who may be chosen as assignees (id, name), by name."""
    rows = conn.execute("SELECT id, name FROM users WHERE role != 'inactive'").fetchall()
    return sorted(rows, key=lambda r: text.fold(r["name"]))


refs.register("task", may_see)
