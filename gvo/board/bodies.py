"""The board structure: the governing board, its committees and their members, and each
governor's category (on their place on the board, table `governor_records`)."""

from datetime import date

from gvo.core import audit, clock, dates, events, numbers, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.governance import places
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection, IntegrityError

POSITIONS = ("chair", "vice-chair", "member")


@reads.once
def list_bodies(conn: Connection) -> list:
    """The board first, then committees by sort order and name, with member counts."""
    return conn.execute(
        "SELECT b.*, (SELECT count(*) FROM body_members m JOIN users u ON u.id = m.user_id"
        " WHERE m.body_id = b.id AND u.role != 'inactive') AS members"
        " FROM bodies b ORDER BY b.kind = 'committee', b.sort_order, b.name"
    ).fetchall()


@reads.once
def get_body(conn: Connection, body_id: int):
    """One board or committee; NotFound if none."""
    row = conn.execute("SELECT * FROM bodies WHERE id = ?", (body_id,)).fetchone()
    if row is None:
        raise NotFound("no such board or committee")
    return row


@reads.once
def members(conn: Connection, body_id: int, on: date | None = None) -> list:
    """A body's members with their position, their category as a governor (`category`, the
    key; "" if none is recorded), its label as the school names it (`category_label`, ""
    if none) and whether it votes (`votes`, 1 when no record), chair first.

    With `on` (a local date) only those who are members on that day: a person whose board
    record (gvo.governance.places.in_office) is not in office on `on` (not yet appointed,
    or stepped down) is left out, and for the governing board the governors in office on
    `on` who have since left its seats are added (a past meeting's register lists them).
    Without `on`, every seat as set on the board page (to change them), the category only
    from a record not stepped down."""
    day = on.isoformat() if on else None
    rows = conn.execute(
        "SELECT u.id, u.name, u.email, u.role, m.position, coalesce(g.category, '') AS category,"
        " coalesce(c.label, g.category, '') AS category_label, coalesce(c.votes, 1) AS votes"
        " FROM body_members m JOIN users u ON u.id = m.user_id"
        " LEFT JOIN governor_records g ON g.user_id = m.user_id"
        " AND g.body_id = (SELECT id FROM bodies WHERE kind = 'board')"
        " AND (? IS NOT NULL OR g.stepped_down_on IS NULL)"
        " LEFT JOIN governor_categories c ON c.key = g.category WHERE m.body_id = ?"
        " AND (? IS NULL OR g.id IS NULL OR ((g.appointed_on IS NULL OR g.appointed_on <= ?)"
        " AND (g.stepped_down_on IS NULL OR g.stepped_down_on > ?)))"
        " ORDER BY CASE m.position WHEN 'chair' THEN 0 WHEN 'vice-chair' THEN 1 ELSE 2 END,"
        " u.name COLLATE NOCASE",
        (day, body_id, day, day, day),
    ).fetchall()
    if on is None or get_body(conn, body_id)["kind"] != "board":
        return rows
    seated = {r["id"] for r in rows}
    held = places.in_office(conn, body_id, on)
    if not set(held) - seated:
        return rows
    former = conn.execute(
        "SELECT u.id, u.name, u.email, u.role, 'member' AS position, g.category,"
        " coalesce(c.label, g.category, '') AS category_label, coalesce(c.votes, 1) AS votes"
        " FROM governor_records g JOIN users u ON u.id = g.user_id"
        " LEFT JOIN governor_categories c ON c.key = g.category"
        " WHERE g.body_id = ? AND g.user_id IN (" + ", ".join("?" * len(set(held) - seated))
        + ")", (body_id, *sorted(set(held) - seated))).fetchall()
    return [*rows, *sorted(former, key=lambda r: r["name"].casefold())]


def memberships(conn: Connection, user_id: int) -> list:
    """The board and committees a person sits on (id, name, kind, position), board first."""
    return conn.execute(
        "SELECT b.id, b.name, b.kind, m.position FROM body_members m JOIN bodies b"
        " ON b.id = m.body_id WHERE m.user_id = ? ORDER BY b.kind = 'committee', b.name",
        (user_id,),
    ).fetchall()


def quorum(conn: Connection, body_id: int, on: date | None = None) -> int:
    """Governors needed for a quorate meeting of the body on `on` (a local date; default
    today): for the board, half the voting governors in office, rounded up (vacancies and
    associate members left out); for a committee, its set number, at least three
    (gvo.governance.places.quorum_rule has the law and the rule in words). NotFound for an
    unknown body."""
    return quorum_rule(conn, body_id, on).needed


def quorum_rule(conn: Connection, body_id: int, on: date | None = None) -> places.QuorumRule:
    """The quorum of the body on `on` (default today) with its rule in words
    (gvo.governance.places.quorum_rule)."""
    return places.quorum_rule(conn, body_id, on or dates.today())


def _parse_quorum(text: str | None, kind: str) -> int | None:
    """The quorum typed (digits of any script or width), None if left empty. A committee's
    is at least three (governors who are members of it, reg. 22(2) of the Roles, Procedures
    and Allowances Regulations 2013); the board's is fixed by law (reg. 14(1): half the
    governors in office, rounded up), so none may be typed for it. InvalidInput
    (starting "Quorum") otherwise."""
    if text is None or not text.strip():
        return None
    if kind == "board":
        raise InvalidInput("Quorum: the law sets the governing board's quorum (half the "
                           "governors in office, rounded up); leave it empty.")
    return numbers.whole_number(text, what="Quorum", low=places.COMMITTEE_MINIMUM, high=100)


def save_body(
    conn: Connection, actor: Identity, *, body_id: int | None, kind: str, name: str,
    description: str = "", quorum_text: str | None = None,
) -> int:
    """Create or update the board or a committee."""
    name = text.one_line(name)
    if not name:
        raise InvalidInput("A name is required.")
    if kind not in ("board", "committee"):
        raise InvalidInput("kind must be board or committee")
    q = _parse_quorum(quorum_text, kind)
    with transaction(conn):
        try:
            if body_id is None:
                body_id = conn.execute(
                    "INSERT INTO bodies(name, kind, quorum, description) VALUES (?, ?, ?, ?)",
                    (name, kind, q, description),
                ).lastrowid
                action = "body.create"
            else:
                get_body(conn, body_id)
                conn.execute(
                    "UPDATE bodies SET name = ?, quorum = ?, description = ? WHERE id = ?",
                    (name, q, description, body_id),
                )
                action = "body.update"
        except IntegrityError:
            if kind == "board" and body_id is None:
                raise InvalidInput("This school already has a governing board.") from None
            raise InvalidInput(f"There is already a board or committee called {name!r}.") from None
        audit.record(conn, actor, action, f"body:{body_id}", name=name, quorum=q)
    return body_id


def add_member(conn: Connection, actor: Identity, body_id: int, user_id: int, position: str,
               category: str = "") -> None:
    """Add a person to a body, or change their position in it. On the full governing board,
    `category` (a key of gvo.governance.categories; "" for none) is their category as a governor,
    kept on their governor record (table `governor_records`); a committee takes none. Raises
    InvalidInput for an unknown position or a category given on a committee, NotFound for
    an unknown body or user, InvalidInput when adding to a committee someone whose governor
    record says they are out of office (gvo.governance.records.has_left), NotPermitted
    when someone who is not a Manager adds themselves
    or changes their own place: a seat on a committee opens its confidential (Part 2) items,
    so nobody gives themselves one (the same rule as for roles and permissions)."""
    if actor.user_id == user_id and not actor.acts_as_manager:
        raise NotPermitted("Nobody changes their own place on the board or a committee; "
                           "ask the clerk or another member who looks after the board.")
    if position not in POSITIONS:
        raise InvalidInput("Position must be chair, vice-chair or member.")
    body = get_body(conn, body_id)
    if category and body["kind"] != "board":
        raise InvalidInput("A governor's category is recorded with their place on the full "
                           "governing board, not on a committee.")
    if conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
        raise NotFound("no such user")
    from gvo.governance import categories, records

    if category and categories.get(conn, category) is None:
        raise InvalidInput("Choose a category this school uses.", field="category")
    if body["kind"] == "committee":
        record = records.record_for(conn, user_id)
        if record is not None and records.has_left(record):
            raise InvalidInput(f"{record['name']} is no longer a governor (stepped down, or "
                               "their term ended): record a new term on their governor "
                               "record before adding them to a committee.", field="user_id")
    with transaction(conn):
        if position in ("chair", "vice-chair"):
            conn.execute(
                "UPDATE body_members SET position = 'member' WHERE body_id = ? AND position = ?",
                (body_id, position),
            )
        conn.execute(
            "INSERT INTO body_members(body_id, user_id, position) VALUES (?, ?, ?)"
            " ON CONFLICT(body_id, user_id) DO UPDATE SET position = excluded.position",
            (body_id, user_id, position),
        )
        detail = {"position": position}
        if body["kind"] == "board":
            now = clock.iso()
            conn.execute(
                "INSERT INTO governor_records(body_id, user_id, category, term_years,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(body_id, user_id) DO UPDATE SET category = excluded.category,"
                " stepped_down_on = NULL, stepped_down_reason = '',"
                " updated_at = excluded.updated_at",
                (body_id, user_id, category,
                 None if categories.is_ex_officio(conn, category) else 4, now, now),
            )
            detail["category"] = category
            records.board_position_changed(conn, actor, body_id, user_id, position)
        audit.record(conn, actor, "body.member_add", f"body:{body_id}", user=user_id, **detail)
    events.publish(events.ACCESS_CHANGED, conn, body_id=body_id)


def remove_member(conn: Connection, actor: Identity, body_id: int, user_id: int) -> None:
    """Take a person off a body (off the full governing board: their place on it, with their
    category, goes too)."""
    with transaction(conn):
        conn.execute("DELETE FROM body_members WHERE body_id = ? AND user_id = ?",
                     (body_id, user_id))
        if conn.execute("SELECT 1 FROM bodies WHERE id = ? AND kind = 'board'",
                        (body_id,)).fetchone():
            # Their governor record stays (the public page lists those who left in the last
            # 12 months); leaving the board is stepping down.
            from gvo.governance import gias

            today = dates.today().isoformat()
            left = conn.execute(
                "SELECT r.id, u.name FROM governor_records r JOIN users u ON u.id = r.user_id"
                " WHERE r.body_id = ? AND r.user_id = ? AND r.stepped_down_on IS NULL",
                (body_id, user_id)).fetchone()
            conn.execute("UPDATE governor_records SET stepped_down_on = coalesce("
                         "stepped_down_on, ?), updated_at = ? WHERE body_id = ? AND user_id = ?",
                         (today, clock.iso(), body_id, user_id))
            if left is not None:
                gias.log(conn, left["id"], "stepped-down", f"{left['name']} stepped down", today)
                conn.execute("UPDATE governor_positions SET ends_on = ? WHERE record_id = ?"
                             " AND (ends_on IS NULL OR ends_on > ?)", (today, left["id"], today))
        audit.record(conn, actor, "body.member_remove", f"body:{body_id}", user=user_id)
    events.publish(events.ACCESS_CHANGED, conn, body_id=body_id)


def delete_body(conn: Connection, actor: Identity, body_id: int) -> None:
    """Delete a committee (the governing board itself cannot be deleted). A committee that has
    meetings is refused: their agendas, registers and minutes are records the school keeps."""
    body = get_body(conn, body_id)
    if body["kind"] == "board":
        raise InvalidInput("The governing board cannot be deleted.")
    held = conn.execute("SELECT count(*) FROM meetings WHERE body_id = ?", (body_id,)
                        ).fetchone()[0]
    if held:
        raise InvalidInput(
            f"{body['name']} cannot be deleted: it has {held} meeting{'s' if held != 1 else ''}"
            " on record, whose agendas, registers and minutes the school must keep. If it no "
            "longer meets, take its members off it and schedule no more meetings for it.")
    with transaction(conn):
        conn.execute("DELETE FROM bodies WHERE id = ?", (body_id,))
        audit.record(conn, actor, "body.delete", f"body:{body_id}", name=body["name"])
