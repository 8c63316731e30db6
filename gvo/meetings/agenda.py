"""The agenda: numbered items, their order, and the papers attached to them."""

import json
from dataclasses import dataclass

from gvo.core import audit, clock, events, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound
from gvo.core.identity import Identity
from gvo.meetings.meetings import get
from gvo.meetings.rules import sees_confidential
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection, IntegrityError

PURPOSES = ("information", "discussion", "decision")
PAPER_KINDS = ("document", "page", "policy")
MATTERS_ARISING = "matters_arising"   # the kind of the item listing open actions
KINDS = ("", MATTERS_ARISING)
PART2_PREFIX = "C"  # confidential items are numbered C1, C2... apart from the open ones


@dataclass
class ItemInput:
    """What a person enters for an agenda item."""

    title: str
    purpose: str = "information"
    presenter: str = ""
    minutes: int = 0
    confidential: bool = False
    kind: str = ""   # '' or 'matters_arising' (KINDS): set when added, never changed

    def check(self) -> None:
        """Raise InvalidInput if any rule is broken."""
        self.title = text.one_line(self.title)
        self.presenter = text.one_line(self.presenter)
        if self.kind not in KINDS:
            raise InvalidInput("Unknown kind of agenda item.")
        if not self.title or len(self.title) > 200:
            raise InvalidInput("An item needs a title of 1-200 characters.", field="title")
        if self.purpose not in PURPOSES:
            raise InvalidInput("The purpose is information, discussion or decision.",
                               field="purpose")
        if not 0 <= int(self.minutes or 0) <= 600:
            raise InvalidInput("Minutes allotted must be between 0 and 600.", field="minutes")
        if len(self.presenter) > 120:
            raise InvalidInput("The presenter's name is at most 120 characters.",
                               field="presenter")


@reads.once
def items(conn: Connection, meeting_id: int, viewer: Identity | None = None) -> list:
    """The agenda in order; confidential items only for those who may see them.

    Part 1 (open) items are numbered 1, 2, 3... among themselves and confidential (part 2)
    items C1, C2... among themselves, so everyone refers to an item by the same number and the
    numbers someone sees never give away that an item is hidden from them. `number` is that
    label (a string). With viewer=None the whole agenda is returned (internal use only).
    """
    meeting = get(conn, meeting_id)
    rows = conn.execute(
        "SELECT * FROM agenda_items WHERE meeting_id = ? ORDER BY position, id", (meeting_id,)
    ).fetchall()
    allowed = viewer is None or sees_confidential(conn, viewer, meeting["body_id"])
    result = []
    counts = {False: 0, True: 0}
    for row in rows:
        confidential = bool(row["confidential"])
        counts[confidential] += 1
        if confidential and not allowed:
            continue
        label = f"{PART2_PREFIX}{counts[True]}" if confidential else str(counts[False])
        result.append(dict(row) | {"number": label})
    return result


def anchor(conn: Connection, item_id: int, prefix: str = "item") -> str:
    """The item's place on a page, '#item-2' or '#item-C1': by its number on the agenda,
    never its database id (ids would show that hidden items exist between two visible
    ones). '' if the item is gone."""
    row = conn.execute("SELECT meeting_id FROM agenda_items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        return ""
    number = next((i["number"] for i in items(conn, row["meeting_id"]) if i["id"] == item_id), "")
    return f"#{prefix}-{number}"


def get_item(conn: Connection, item_id: int, viewer: Identity | None = None):
    """One agenda item; NotFound if none, or if it is confidential and the viewer may not see it."""
    row = conn.execute("SELECT * FROM agenda_items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        raise NotFound("no such agenda item")
    if viewer is not None and row["confidential"]:
        meeting = get(conn, row["meeting_id"])
        if not sees_confidential(conn, viewer, meeting["body_id"]):
            raise NotFound("no such agenda item")
    return row


def check_open(meeting) -> None:
    """Raise InvalidInput unless the agenda may still change."""
    if meeting["status"] == "cancelled":
        raise InvalidInput("The meeting is cancelled.")
    if meeting["minutes_status"] in ("approved", "locked"):
        raise InvalidInput("The minutes are approved: the agenda can no longer change.")


def add_item(conn: Connection, actor: Identity, meeting_id: int, data: ItemInput) -> int:
    """Add an item at the end of the agenda."""
    check_open(get(conn, meeting_id))
    data.check()
    with transaction(conn):
        last = conn.execute("SELECT coalesce(max(position), 0) FROM agenda_items"
                            " WHERE meeting_id = ?", (meeting_id,)).fetchone()[0]
        item_id = conn.execute(
            "INSERT INTO agenda_items(meeting_id, position, title, purpose, presenter, minutes,"
            " confidential, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (meeting_id, last + 1, data.title, data.purpose, data.presenter,
             int(data.minutes or 0), int(bool(data.confidential)), data.kind),
        ).lastrowid
        audit.record(conn, actor, "agenda.add", f"meeting:{meeting_id}", item=item_id,
                     confidential=bool(data.confidential))
    events.publish(events.MEETING_CHANGED, conn, meeting_id=meeting_id, who=actor)
    return item_id


def update_item(conn: Connection, actor: Identity, item_id: int, data: ItemInput) -> None:
    """Change an agenda item."""
    row = get_item(conn, item_id)
    check_open(get(conn, row["meeting_id"]))
    data.check()
    if data.confidential and not row["confidential"] and paper_links(conn, item_id):
        # Its papers were filed where everyone can read them: detach them first.
        raise InvalidInput("An item with papers cannot be made confidential: detach its papers "
                           "first, then add them again once the item is confidential.")
    with transaction(conn):
        conn.execute(
            "UPDATE agenda_items SET title = ?, purpose = ?, presenter = ?, minutes = ?,"
            " confidential = ? WHERE id = ?",
            (data.title, data.purpose, data.presenter, int(data.minutes or 0),
             int(bool(data.confidential)), item_id),
        )
        audit.record(conn, actor, "agenda.update", f"meeting:{row['meeting_id']}", item=item_id,
                     confidential=bool(data.confidential))
    events.publish(events.MEETING_CHANGED, conn, meeting_id=row["meeting_id"], who=actor)


def held_by(conn: Connection, item_id: int) -> dict:
    """What goes with an agenda item if it is removed: 'minutes' (its minutes in words:
    "none" or "N characters"), 'actions' and 'papers' (how many linked)."""
    row = conn.execute("SELECT length(discussion) + length(decisions) FROM minute_items"
                       " WHERE item_id = ?", (item_id,)).fetchone()
    chars = row[0] if row else 0
    actions = conn.execute("SELECT count(*) FROM tasks WHERE item_id = ?",
                           (item_id,)).fetchone()[0]
    papers = conn.execute("SELECT count(*) FROM agenda_papers WHERE item_id = ?",
                          (item_id,)).fetchone()[0]
    return {"minutes": f"{chars} characters" if chars else "none", "actions": actions,
            "papers": papers}


def delete_item(conn: Connection, actor: Identity, item_id: int) -> None:
    """Remove an agenda item with its minutes and actions (its papers stay in the library).
    Raises InvalidInput once the meeting's minutes have gone out for comment (members have
    read that item's minutes) or the meeting is not open to changes."""
    row = get_item(conn, item_id)
    meeting = get(conn, row["meeting_id"])
    check_open(meeting)
    if meeting["minutes_status"] != "draft":
        raise InvalidInput("The minutes have been circulated, so their items stay on the "
                           "agenda: change an item's title or minutes instead.")
    with transaction(conn):
        conn.execute("DELETE FROM agenda_items WHERE id = ?", (item_id,))
        _renumber(conn, row["meeting_id"])
        audit.record(conn, actor, "agenda.delete", f"meeting:{row['meeting_id']}", item=item_id)


def move_item(conn: Connection, actor: Identity, item_id: int, direction: str) -> None:
    """Move an item one place 'up' or 'down' the agenda."""
    if direction not in ("up", "down"):
        raise InvalidInput("direction must be up or down")
    row = get_item(conn, item_id)
    check_open(get(conn, row["meeting_id"]))
    with transaction(conn):
        ids = [r["id"] for r in conn.execute(
            "SELECT id FROM agenda_items WHERE meeting_id = ? ORDER BY position, id",
            (row["meeting_id"],))]
        i = ids.index(item_id)
        j = i - 1 if direction == "up" else i + 1
        if 0 <= j < len(ids):
            ids[i], ids[j] = ids[j], ids[i]
            for position, some_id in enumerate(ids, start=1):
                conn.execute("UPDATE agenda_items SET position = ? WHERE id = ?",
                             (position, some_id))
            audit.record(conn, actor, "agenda.move", f"meeting:{row['meeting_id']}", item=item_id,
                         direction=direction)


def _renumber(conn: Connection, meeting_id: int) -> None:
    ids = [r["id"] for r in conn.execute(
        "SELECT id FROM agenda_items WHERE meeting_id = ? ORDER BY position, id", (meeting_id,))]
    for position, some_id in enumerate(ids, start=1):
        conn.execute("UPDATE agenda_items SET position = ? WHERE id = ?", (position, some_id))


def paper_links(conn: Connection, item_id: int) -> list:
    """The papers attached to an item, in order (kind, ref_id)."""
    return conn.execute("SELECT * FROM agenda_papers WHERE item_id = ? ORDER BY position, id",
                        (item_id,)).fetchall()


def papers_of(conn: Connection, item_ids: list[int]) -> list:
    """The papers attached to several items, in one statement: by item, each item's in
    order (as `paper_links`)."""
    return conn.execute("SELECT * FROM agenda_papers WHERE item_id IN"
                        " (SELECT value FROM json_each(?)) ORDER BY item_id, position, id",
                        (json.dumps(list(item_ids)),)).fetchall()


def attach(conn: Connection, actor: Identity, item_id: int, kind: str, ref_id: int) -> int:
    """Attach a library document, page or policy to an item (the caller checked access)."""
    if kind not in PAPER_KINDS:
        raise InvalidInput("A paper is a document, a page or a policy.")
    row = get_item(conn, item_id)
    check_open(get(conn, row["meeting_id"]))
    with transaction(conn):
        last = conn.execute("SELECT coalesce(max(position), 0) FROM agenda_papers"
                            " WHERE item_id = ?", (item_id,)).fetchone()[0]
        try:
            paper_id = conn.execute(
                "INSERT INTO agenda_papers(item_id, kind, ref_id, position, added_by, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (item_id, kind, ref_id, last + 1, actor.user_id, clock.iso()),
            ).lastrowid
        except IntegrityError:
            raise InvalidInput("That paper is already attached to this item.") from None
        audit.record(conn, actor, "agenda.paper_attach", f"meeting:{row['meeting_id']}",
                     item=item_id, kind=kind, ref=ref_id)
    return paper_id


def get_paper(conn: Connection, paper_id: int):
    """One paper link with its item's meeting id; NotFound if none."""
    row = conn.execute("SELECT p.*, i.meeting_id FROM agenda_papers p JOIN agenda_items i"
                       " ON i.id = p.item_id WHERE p.id = ?", (paper_id,)).fetchone()
    if row is None:
        raise NotFound("no such paper")
    return row


def detach(conn: Connection, actor: Identity, paper_id: int) -> None:
    """Take a paper off an item (the document stays in the library)."""
    row = get_paper(conn, paper_id)
    check_open(get(conn, row["meeting_id"]))
    with transaction(conn):
        conn.execute("DELETE FROM agenda_papers WHERE id = ?", (paper_id,))
        audit.record(conn, actor, "agenda.paper_detach", f"meeting:{row['meeting_id']}",
                     item=row["item_id"], kind=row["kind"], ref=row["ref_id"])
