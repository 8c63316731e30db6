"""Groups of people: distribution and access lists (rooms use them too).

A group named on a room's access list lets its members into the room, so adding someone
to such a group is joining them to the room. Only people in the room may do that: a
Manager (or a holder of manage_users) outside it may remove people from the group, but
not add anyone, themselves included (README, "Who sees what").
"""

from gvo.core import audit, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.library.access import can_see_folder
from gvo.storage.sqlcipher import Connection, IntegrityError


def list_groups(conn: Connection) -> list:
    """Every group with its member count."""
    return conn.execute(
        "SELECT g.*, (SELECT count(*) FROM group_members m WHERE m.group_id = g.id) AS members"
        " FROM groups g ORDER BY g.name"
    ).fetchall()


def get_group(conn: Connection, group_id: int):
    """One group; NotFound if none."""
    row = conn.execute("SELECT * FROM groups WHERE id = ?", (group_id,)).fetchone()
    if row is None:
        raise NotFound("no such group")
    return row


def member_ids(conn: Connection, group_id: int) -> list[int]:
    """The ids of a group's members."""
    rows = conn.execute("SELECT user_id FROM group_members WHERE group_id = ?", (group_id,))
    return [r["user_id"] for r in rows]


def rooms_opened(conn: Connection, group_id: int) -> list[int]:
    """The ids of the restricted folders (rooms) whose access list names this group, the
    wastebin's included."""
    rows = conn.execute(
        "SELECT DISTINCT f.id FROM folder_access a JOIN folders f ON f.id = a.folder_id"
        " WHERE a.group_id = ? AND f.restricted = 1 ORDER BY f.id", (group_id,))
    return [r[0] for r in rows]


def closed_rooms(conn: Connection, actor: Identity, group_id: int) -> int:
    """How many rooms this group opens that `actor` cannot open (0 for the operator).

    Only a count: the rooms themselves stay hidden from people outside them.
    """
    if actor.user_id is None:
        return 0
    return sum(1 for folder_id in rooms_opened(conn, group_id)
               if not can_see_folder(conn, actor, folder_id, include_deleted=True))


def save_group(
    conn: Connection, actor: Identity, *, group_id: int | None, name: str, description: str,
    members: list[int],
) -> int:
    """Create or update a group and set its members; returns the group's id.

    Raises InvalidInput for a missing or taken name, NotPermitted when people would be
    added to a group that opens a room the actor is not in.
    """
    name = text.one_line(name)
    if not name:
        raise InvalidInput("A group needs a name.")
    with transaction(conn):
        valid = {r[0] for r in conn.execute("SELECT id FROM users")}
        wanted = set(members) & valid
        adding = wanted - set(member_ids(conn, group_id)) if group_id is not None else set()
        if adding and closed_rooms(conn, actor, group_id):
            raise NotPermitted(
                "This group opens a private room you are not in, so you cannot add people "
                "to it (yourself included). You can remove people; ask someone in the room "
                "to add them.")
        try:
            if group_id is None:
                group_id = conn.execute(
                    "INSERT INTO groups(name, description) VALUES (?, ?)", (name, description)
                ).lastrowid
                action = "group.create"
            else:
                get_group(conn, group_id)
                conn.execute("UPDATE groups SET name = ?, description = ? WHERE id = ?",
                             (name, description, group_id))
                action = "group.update"
        except IntegrityError:
            raise InvalidInput(f"There is already a group called {name!r}.") from None
        conn.execute("DELETE FROM group_members WHERE group_id = ?", (group_id,))
        conn.executemany("INSERT INTO group_members(group_id, user_id) VALUES (?, ?)",
                         [(group_id, uid) for uid in sorted(wanted)])
        audit.record(conn, actor, action, f"group:{group_id}", name=name,
                     members=sorted(wanted))
    return group_id


def delete_group(conn: Connection, actor: Identity, group_id: int) -> None:
    """Delete a group (its members keep their accounts)."""
    group = get_group(conn, group_id)
    with transaction(conn):
        conn.execute("DELETE FROM groups WHERE id = ?", (group_id,))
        audit.record(conn, actor, "group.delete", f"group:{group_id}", name=group["name"])
