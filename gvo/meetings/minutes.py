"""Minutes: drafted per agenda item, then circulated, approved at a later meeting, locked.

Confidential items' minutes form a separate part 2 that only those who may see
confidential items read (`rules.sees_confidential`).
"""

from datetime import date

from gvo import clock
from gvo.errors import InvalidInput, NotFound
from gvo.meetings import agenda
from gvo.meetings.meetings import _audit, get
from gvo.meetings.rules import Viewer
from gvo.people import Actor
from gvo.storage.sqlcipher import Connection, transaction

STATUS_LABELS = {
    "draft": "Draft",
    "circulated": "Circulated for comment",
    "approved": "Approved",
    "locked": "Approved and locked",
}
EDITABLE = ("draft", "circulated")


def for_meeting(conn: Connection, meeting_id: int, viewer: Viewer | None) -> dict:
    """The minutes as {'part1': [...], 'part2': [...]}, each item with discussion, decisions
    and actions; part 2 (confidential) is empty for someone who may not see it."""
    parts: dict[str, list] = {"part1": [], "part2": []}
    for item in agenda.items(conn, meeting_id, viewer):
        row = conn.execute("SELECT * FROM minute_items WHERE item_id = ?",
                           (item["id"],)).fetchone()
        actions = conn.execute(
            "SELECT a.*, u.name AS owner_name FROM minute_actions a LEFT JOIN users u"
            " ON u.id = a.owner_id WHERE a.item_id = ? ORDER BY a.id", (item["id"],)).fetchall()
        entry = item | {
            "discussion": row["discussion"] if row else "",
            "decisions": row["decisions"] if row else "",
            "actions": [dict(a) for a in actions],
        }
        parts["part2" if item["confidential"] else "part1"].append(entry)
    return parts


def _editable(conn: Connection, item_id: int):
    item = agenda.get_item(conn, item_id)
    meeting = get(conn, item["meeting_id"])
    if meeting["minutes_status"] not in EDITABLE:
        raise InvalidInput("Approved minutes cannot change.")
    return item, meeting


def save_item(conn: Connection, actor: Actor, item_id: int, discussion: str,
              decisions: str) -> None:
    """Write the minutes of one agenda item (while draft or circulated)."""
    item, _meeting = _editable(conn, item_id)
    if len(discussion) > 20000 or len(decisions) > 10000:
        raise InvalidInput("The minutes of one item are too long.")
    with transaction(conn):
        conn.execute(
            "INSERT INTO minute_items(item_id, discussion, decisions) VALUES (?, ?, ?)"
            " ON CONFLICT(item_id) DO UPDATE SET discussion = excluded.discussion,"
            " decisions = excluded.decisions", (item_id, discussion.strip(), decisions.strip()))
        _audit(conn, actor, "minutes.save", f"meeting:{item['meeting_id']}", item=item_id)


def add_action(conn: Connection, actor: Actor, item_id: int, text: str, owner_id: int | None,
               due_on: date | None) -> int:
    """Record an action: what, who owns it, when it is due."""
    item, _meeting = _editable(conn, item_id)
    text = text.strip()
    if not text or len(text) > 500:
        raise InvalidInput("An action needs a description of 1-500 characters.")
    if owner_id is not None and conn.execute("SELECT 1 FROM users WHERE id = ?",
                                             (owner_id,)).fetchone() is None:
        raise InvalidInput("Unknown owner.")
    with transaction(conn):
        action_id = conn.execute(
            "INSERT INTO minute_actions(item_id, text, owner_id, due_on) VALUES (?, ?, ?, ?)",
            (item_id, text, owner_id, due_on.isoformat() if due_on else ""),
        ).lastrowid
        _audit(conn, actor, "minutes.action_add", f"meeting:{item['meeting_id']}", item=item_id,
               owner=owner_id, due=due_on.isoformat() if due_on else "")
    return action_id


def get_action(conn: Connection, action_id: int):
    """One action with its item's meeting id; NotFound if none."""
    row = conn.execute("SELECT a.*, i.meeting_id FROM minute_actions a JOIN agenda_items i"
                       " ON i.id = a.item_id WHERE a.id = ?", (action_id,)).fetchone()
    if row is None:
        raise NotFound("no such action")
    return row


def owners(conn: Connection) -> list:
    """People who may own an action: active accounts, by name."""
    return conn.execute("SELECT id, name FROM users WHERE role != 'inactive'"
                        " ORDER BY name COLLATE NOCASE").fetchall()


def delete_action(conn: Connection, actor: Actor, action_id: int) -> None:
    """Remove an action from draft minutes."""
    row = get_action(conn, action_id)
    item, _meeting = _editable(conn, row["item_id"])
    with transaction(conn):
        conn.execute("DELETE FROM minute_actions WHERE id = ?", (action_id,))
        _audit(conn, actor, "minutes.action_delete", f"meeting:{item['meeting_id']}",
               action=action_id)


def circulate(conn: Connection, actor: Actor, meeting_id: int) -> None:
    """Send draft minutes round for comment."""
    meeting = get(conn, meeting_id)
    if meeting["minutes_status"] != "draft":
        raise InvalidInput("Only draft minutes can be circulated.")
    _set_status(conn, actor, meeting_id, "circulated", "minutes.circulate")


def approve(conn: Connection, actor: Actor, meeting_id: int, at_meeting_id: int) -> None:
    """Record that the minutes were approved at a later meeting of the same body."""
    meeting = get(conn, meeting_id)
    if meeting["minutes_status"] in ("approved", "locked"):
        raise InvalidInput("These minutes are already approved.")
    if meeting["minutes_status"] != "circulated":
        raise InvalidInput("Circulate the minutes for comment before they are approved.")
    if at_meeting_id == meeting_id:
        raise InvalidInput("Minutes cannot be approved at their own meeting.")
    at = get(conn, at_meeting_id)
    if at["body_id"] != meeting["body_id"]:
        raise InvalidInput("Minutes are approved at a meeting of the same board or committee.")
    if at["starts_at"] <= meeting["starts_at"]:
        raise InvalidInput("Minutes are approved at a later meeting.")
    if at["status"] == "cancelled":
        raise InvalidInput("That meeting was cancelled.")
    with transaction(conn):
        cur = conn.execute(
            "UPDATE meetings SET minutes_status = 'approved', minutes_approved_at = ?,"
            " minutes_approved_by = ?, minutes_approved_meeting_id = ?, updated_at = ?"
            " WHERE id = ? AND minutes_status = 'circulated'",
            (clock.iso(), actor.user_id, at_meeting_id, clock.iso(), meeting_id))
        if cur.rowcount != 1:
            raise InvalidInput("These minutes are already approved.")
        _audit(conn, actor, "minutes.approve", f"meeting:{meeting_id}", at_meeting=at_meeting_id)


def lock(conn: Connection, actor: Actor, meeting_id: int) -> None:
    """Lock approved minutes for good."""
    if get(conn, meeting_id)["minutes_status"] != "approved":
        raise InvalidInput("Only approved minutes can be locked.")
    _set_status(conn, actor, meeting_id, "locked", "minutes.lock")


def _set_status(conn: Connection, actor: Actor, meeting_id: int, status: str,
                action: str) -> None:
    with transaction(conn):
        conn.execute("UPDATE meetings SET minutes_status = ?, updated_at = ? WHERE id = ?",
                     (status, clock.iso(), meeting_id))
        _audit(conn, actor, action, f"meeting:{meeting_id}")


def add_comment(conn: Connection, actor: Actor, meeting_id: int, text: str) -> int:
    """Comment on circulated minutes."""
    meeting = get(conn, meeting_id)
    if meeting["minutes_status"] != "circulated":
        raise InvalidInput("Comments are taken while the minutes are circulated.")
    text = text.strip()
    if not text or len(text) > 4000:
        raise InvalidInput("A comment of 1-4000 characters.")
    with transaction(conn):
        comment_id = conn.execute(
            "INSERT INTO minutes_comments(meeting_id, user_id, body, at) VALUES (?, ?, ?, ?)",
            (meeting_id, actor.user_id, text, clock.iso())).lastrowid
        _audit(conn, actor, "minutes.comment", f"meeting:{meeting_id}", comment=comment_id)
    return comment_id


def comments(conn: Connection, meeting_id: int) -> list:
    """Comments on the minutes, oldest first."""
    return conn.execute(
        "SELECT c.*, u.name FROM minutes_comments c LEFT JOIN users u ON u.id = c.user_id"
        " WHERE c.meeting_id = ? ORDER BY c.id", (meeting_id,)).fetchall()


def approval_record(conn: Connection, meeting) -> dict | None:
    """Who approved the minutes, when, and at which meeting; None if not approved."""
    if not meeting["minutes_approved_at"]:
        return None
    by = conn.execute("SELECT name FROM users WHERE id = ?",
                      (meeting["minutes_approved_by"],)).fetchone()
    at = get(conn, meeting["minutes_approved_meeting_id"])
    return {"when": meeting["minutes_approved_at"], "by": by["name"] if by else "",
            "meeting": at}
