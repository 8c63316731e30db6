"""Groups of people: distribution and access lists (rooms use them too)."""

from gvo import audit
from gvo.errors import InvalidInput, NotFound
from gvo.people import Actor
from gvo.storage.sqlcipher import Connection, IntegrityError, transaction


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


def save_group(
    conn: Connection, actor: Actor, *, group_id: int | None, name: str, description: str,
    members: list[int],
) -> int:
    """Create or update a group and set its members."""
    name = name.strip()
    if not name:
        raise InvalidInput("A group needs a name.")
    with transaction(conn):
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
        valid = {r[0] for r in conn.execute("SELECT id FROM users")}
        conn.execute("DELETE FROM group_members WHERE group_id = ?", (group_id,))
        conn.executemany("INSERT INTO group_members(group_id, user_id) VALUES (?, ?)",
                         [(group_id, uid) for uid in sorted(set(members) & valid)])
        audit.record(conn, action, target=f"group:{group_id}", actor_id=actor.user_id,
                     actor_email=actor.email, ip=actor.ip, name=name,
                     members=sorted(set(members) & valid))
    return group_id


def delete_group(conn: Connection, actor: Actor, group_id: int) -> None:
    """Delete a group (its members keep their accounts)."""
    group = get_group(conn, group_id)
    with transaction(conn):
        conn.execute("DELETE FROM groups WHERE id = ?", (group_id,))
        audit.record(conn, "group.delete", target=f"group:{group_id}", actor_id=actor.user_id,
                     actor_email=actor.email, ip=actor.ip, name=group["name"])
