"""Declarations of interest against agenda items, and each item's quorum net of those who
declared an interest and withdrew.

A member with an interest in an item declares it and, where the interest is one that stops
them taking part, withdraws from the meeting for that item. The School Governance (Roles,
Procedures and Allowances) (England) Regulations 2013, reg. 16 (as substituted by the School
Governance (Constitution and Federations) (England) (Amendment) Regulations 2014, reg.
4(4)), with Schedule 1 (pecuniary interests and other conflicts): a "relevant person" (a
governor, associate member, the head teacher or a clerk) with a possible conflict of
interest, a pecuniary interest, or where a fair hearing is needed and their impartiality is
in reasonable doubt, "if present at a meeting" at which the matter is considered, must
disclose the interest, withdraw from the meeting and not vote on it. Hence:

- Only those who WITHDREW leave the item's quorum (the quorum itself: reg. 14). A declared
  interest that did not require withdrawal (withdrew not ticked) leaves the person present
  and counted, as they were.
- Only a person present can withdraw: a member the register records as absent (with or
  without apologies, or who sent apologies) cannot be recorded as having withdrawn; the
  declaration is refused beside the "withdrew" box. A member not yet recorded either way
  (a declaration noted before the meeting) can be.
- Those who may declare are the members of the body on the meeting's register, less the
  clerk (who takes the minutes and is no member; `declarers`). Associate members may declare
  (they are relevant persons) and are offered, but never counted towards a quorum, so their
  withdrawing changes no item's quorum (`item_quorum`).

The clerk records the declaration (those who manage meetings, `rules.manages`), before or
during the meeting; it appears in the item's minutes (page, snapshot and PDF). Once the
minutes are approved they hold: declarations are refused. DfE Governance Handbook,
"Declaring and managing interests".
"""

import json

from gvo.core import audit, clock, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.meetings import agenda, attendance
from gvo.meetings.meetings import get
from gvo.meetings.rules import manages
from gvo.storage.sqlcipher import Connection

MAX_INTEREST = 500


def for_item(conn: Connection, item_id: int) -> list[dict]:
    """An item's declarations, by name: user_id, name, interest, withdrew (bool)."""
    return for_items(conn, [item_id]).get(item_id, [])


def for_items(conn: Connection, item_ids: list[int]) -> dict[int, list[dict]]:
    """Several items' declarations in one statement, whatever their number: {item id: its
    declarations as `for_item` gives them} (an item with none is absent)."""
    found: dict[int, list[dict]] = {}
    for r in conn.execute(
            "SELECT d.item_id, d.user_id, u.name, d.interest, d.withdrew FROM item_declarations d"
            " JOIN users u ON u.id = d.user_id"
            " WHERE d.item_id IN (SELECT value FROM json_each(?))"
            " ORDER BY u.name COLLATE NOCASE", (json.dumps(list(item_ids)),)):
        found.setdefault(r["item_id"], []).append(
            {"user_id": r["user_id"], "name": r["name"], "interest": r["interest"],
             "withdrew": bool(r["withdrew"])})
    return found


ABSENT_MESSAGE = ("{name} was not present ({status}), so cannot have withdrawn: untick "
                  "\"withdrew\", or record them present on the register first.")


def declarers(conn: Connection, meeting_id: int) -> list[dict]:
    """Those who may declare an interest at the meeting: the rows of its register
    (gvo.meetings.attendance.attendance_register: user_id, name, status, ...) less the clerk
    to the board (a record of the clerk's category, or whoever holds the clerk position on
    the meeting's day). Associate members stay (they declare, but never count). Raises
    NotFound for an unknown meeting."""
    from gvo.governance import categories, records  # governance reads meetings

    meeting = get(conn, meeting_id)
    day = attendance.meeting_day(meeting)
    clerks = {r["user_id"] for r in conn.execute(
        "SELECT user_id FROM governor_records WHERE category = ?", (categories.CLERK,))}
    clerks |= {r["user_id"] for r in records.holders(conn, "clerk", day)}
    return [r for r in attendance.attendance_register(conn, meeting_id)
            if r["user_id"] not in clerks]


def _open_item(conn: Connection, actor: Identity, item_id: int):
    from gvo.meetings.minutes import EDITABLE  # minutes reads this module's declarations

    if not manages(actor):
        raise NotPermitted("Those who manage meetings record declarations of interest.")
    item = agenda.get_item(conn, item_id)
    meeting = get(conn, item["meeting_id"])
    if meeting["minutes_status"] not in EDITABLE:
        raise InvalidInput("The minutes are approved: their declarations of interest cannot "
                           "change.")
    return item, meeting


def declare(conn: Connection, actor: Identity, item_id: int, user_id: int, interest: str,
            withdrew: bool) -> None:
    """Record that `user_id` declared `interest` (1-500 characters, one line) in the item and
    whether they withdrew for it. Recording again for the same person replaces what was
    recorded. The person is one of `declarers` (on the meeting's register, not the clerk);
    one who withdrew was not recorded absent (reg. 16: "if present at a meeting").
    Audited ('declaration.record', with before and after). InvalidInput once
    the minutes are approved, or naming the field; NotPermitted unless `rules.manages`."""
    item, meeting = _open_item(conn, actor, item_id)
    interest = text.one_line(interest or "")
    if not interest or len(interest) > MAX_INTEREST:
        raise InvalidInput(f"Say what the interest is, in 1-{MAX_INTEREST} characters.",
                           field="interest")
    person = {r["user_id"]: r for r in declarers(conn, meeting["id"])}.get(user_id)
    if person is None:
        raise InvalidInput("Choose a member of the board or committee (not the clerk).",
                           field="user_id")
    if withdrew and person["status"] and person["status"] != "present":
        raise InvalidInput(ABSENT_MESSAGE.format(
            name=person["name"], status=attendance.STATUSES[person["status"]].lower()),
            field="withdrew")
    with transaction(conn):
        old = conn.execute("SELECT interest, withdrew FROM item_declarations WHERE item_id = ?"
                           " AND user_id = ?", (item_id, user_id)).fetchone()
        conn.execute(
            "INSERT INTO item_declarations(item_id, user_id, interest, withdrew, recorded_by,"
            " recorded_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(item_id, user_id) DO UPDATE"
            " SET interest = excluded.interest, withdrew = excluded.withdrew,"
            " recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
            (item_id, user_id, interest, int(withdrew), actor.user_id, clock.iso()))
        audit.record(conn, actor, "declaration.record", f"meeting:{meeting['id']}",
                     item=item_id, user=user_id,
                     before=dict(old) if old else None,
                     after={"interest": interest, "withdrew": int(withdrew)})


def remove(conn: Connection, actor: Identity, item_id: int, user_id: int) -> None:
    """Take back a declaration recorded in error (before the minutes are approved); audited
    ('declaration.remove', with what it said). NotFound if there is none."""
    _item, meeting = _open_item(conn, actor, item_id)
    with transaction(conn):
        old = conn.execute("SELECT interest, withdrew FROM item_declarations WHERE item_id = ?"
                           " AND user_id = ?", (item_id, user_id)).fetchone()
        if old is None:
            raise NotFound("no such declaration")
        conn.execute("DELETE FROM item_declarations WHERE item_id = ? AND user_id = ?",
                     (item_id, user_id))
        audit.record(conn, actor, "declaration.remove", f"meeting:{meeting['id']}",
                     item=item_id, user=user_id, before=dict(old))


def item_quorum(quorum: dict, members: list[dict], declared: list[dict]) -> dict | None:
    """The quorum for one item: the meeting's `quorum` ({'present', 'needed', 'rule'} and,
    from registers that keep it, 'counted': the ids counted towards the quorum) less those
    who declared an interest in it (`declared`: the item's declarations), withdrew and were
    counted: a withdrawing associate member or observer was never counted, so changes
    nothing. Without 'counted' (a register locked before it was kept), everyone recorded
    present on `members` (rows with user_id and status) was counted. None when no such
    withdrawal changes it. Returns {'present', 'needed', 'rule', 'quorate', 'withdrew'}
    (withdrew: how many are left out)."""
    if "counted" in quorum:
        present = set(quorum["counted"])
    else:
        present = {m["user_id"] for m in members if m.get("status") == "present"}
    out = sum(1 for d in declared if d.get("withdrew") and d.get("user_id") in present)
    if not out:
        return None
    count = quorum["present"] - out
    return {"present": count, "needed": quorum["needed"], "withdrew": out,
            "quorate": count >= quorum["needed"],
            "rule": f"{quorum['rule']}; {out} who declared an interest and withdrew "
                    "not counted"}


def add_quorum(conn: Connection, meeting_id: int, parts: dict) -> dict:
    """Give each item of minutes `parts` ({'part1', 'part2'}: items with 'declarations')
    its `item_quorum` as 'quorum' (None when no withdrawal changes it), from the meeting's
    quorum (gvo.meetings.attendance.quorum) and its register as it stands (or as locked).
    Returns `parts`."""
    items = [i for part in parts.values() for i in part]
    if not any(d["withdrew"] for i in items for d in i.get("declarations", [])):
        for item in items:
            item["quorum"] = None
        return parts
    q = attendance.quorum(conn, meeting_id)
    meeting = {"present": q.present, "needed": q.needed, "rule": q.rule,
               "counted": sorted(q.counted)}
    members = attendance.attendance_register(conn, meeting_id)
    for item in items:
        item["quorum"] = item_quorum(meeting, members, item.get("declarations", []))
    return parts


def inquorate_items(conn: Connection, meeting_id: int) -> list[dict]:
    """The agenda items of a meeting that were not quorate once those who declared an
    interest and withdrew are left out (`item_quorum`), in agenda order: [{'number' (the
    item's place on the agenda), 'title', 'present', 'needed'}]. The compliance rule
    "quorum met at each meeting held" reads it: a decision on an inquorate item is not
    valid. Raises NotFound for an unknown meeting."""
    rows = conn.execute(
        "SELECT i.id, i.position, i.title FROM agenda_items i WHERE i.meeting_id = ? AND"
        " EXISTS (SELECT 1 FROM item_declarations d WHERE d.item_id = i.id AND d.withdrew = 1)"
        " ORDER BY i.position", (meeting_id,)).fetchall()
    if not rows:
        return []
    q = attendance.quorum(conn, meeting_id)
    meeting = {"present": q.present, "needed": q.needed, "rule": q.rule,
               "counted": sorted(q.counted)}
    members = attendance.attendance_register(conn, meeting_id)
    found = []
    for row in rows:
        item = item_quorum(meeting, members, for_item(conn, row["id"]))
        if item is not None and not item["quorate"]:
            found.append({"number": row["position"], "title": row["title"],
                          "present": item["present"], "needed": item["needed"]})
    return found
