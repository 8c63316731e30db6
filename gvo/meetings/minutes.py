"""Minutes: drafted per agenda item, then circulated, approved at a later meeting, locked.

Confidential items' minutes form a separate part 2 that only those who may see
confidential items read (`rules.sees_confidential`).
"""

import json
from datetime import date

from gvo.actions import tasks
from gvo.core import audit, clock, dates
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound
from gvo.core.identity import Identity
from gvo.core.paging import Page
from gvo.core.text import fingerprint, one_line
from gvo.discussion import comments as discussion
from gvo.discussion import subjects
from gvo.meetings import agenda, attendance, declarations, notices, pdf, records
from gvo.meetings.meetings import get, has_started
from gvo.meetings.rules import sees_confidential
from gvo.storage.sqlcipher import Connection

STATUS_LABELS = {
    "draft": "Draft",
    "circulated": "Circulated for comment",
    "approved": "Approved",
    "locked": "Approved and locked",
}
EDITABLE = ("draft", "circulated")
APPROVED = ("approved", "locked")


def for_meeting(conn: Connection, meeting_id: int, viewer: Identity | None) -> dict:
    """The minutes as {'part1': [...], 'part2': [...]}, each item with number, title,
    discussion, decisions, actions (text, owner_name, due_on), declarations of interest
    (user_id, name, interest, withdrew; gvo.meetings.declarations) and `quorum`, the item's
    own quorum where someone who declared an interest withdrew (else None); part 2
    (confidential) is empty for someone who may not see it (viewer=None: everything, for
    internal use).
    Approved minutes come from their snapshot (`record`), never from live data."""
    meeting = get(conn, meeting_id)
    if meeting["minutes_status"] in APPROVED:
        snapshot = record(conn, meeting)
        allowed = viewer is None or sees_confidential(conn, viewer, meeting["body_id"])
        parts = {"part1": snapshot["part1"], "part2": snapshot["part2"] if allowed else []}
    else:
        parts = _live_parts(conn, meeting_id, viewer)
    return declarations.add_quorum(conn, meeting_id, parts)


def _live_parts(conn: Connection, meeting_id: int, viewer: Identity | None) -> dict:
    parts: dict[str, list] = {"part1": [], "part2": []}
    items = agenda.items(conn, meeting_id, viewer)
    # One statement each for the items' minutes, actions and declarations, whatever the
    # number of items.
    ids = json.dumps([item["id"] for item in items])
    minuted = {r["item_id"]: r for r in conn.execute(
        "SELECT * FROM minute_items WHERE item_id IN (SELECT value FROM json_each(?))", (ids,))}
    actions = tasks.for_items(conn, [item["id"] for item in items])
    declared = declarations.for_items(conn, [item["id"] for item in items])
    for item in items:
        row = minuted.get(item["id"])
        entry = item | {
            "discussion": row["discussion"] if row else "",
            "decisions": row["decisions"] if row else "",
            "actions": actions.get(item["id"], []),
            "declarations": declared.get(item["id"], []),
        }
        parts["part2" if item["confidential"] else "part1"].append(entry)
    return parts


def record(conn: Connection, meeting) -> dict:
    """The snapshot of approved minutes (gvo.meetings.records), taken now for minutes approved
    before snapshots existed. Raises InvalidInput if the minutes are not approved."""
    if meeting["minutes_status"] not in APPROVED:
        raise InvalidInput("The minutes are not approved.")
    snapshot = records.load(conn, meeting["id"], "minutes")
    if snapshot is None:
        with records.writing(conn):
            records.store(conn, meeting["id"], "minutes", _take(conn, meeting, late=True))
            audit.record(conn, records.LATE, "minutes.snapshot", f"meeting:{meeting['id']}",
                         late=True)
        snapshot = records.load(conn, meeting["id"], "minutes")
    return snapshot


def _take(conn: Connection, meeting, *, late: bool = False) -> dict:
    """What approved minutes say, as a snapshot (see gvo.meetings.records)."""
    def frozen(item: dict) -> dict:
        return {k: item[k] for k in ("id", "number", "title", "purpose", "discussion",
                                     "decisions")} | {
            "confidential": bool(item["confidential"]),
            "actions": [{k: a[k] for k in ("id", "text", "owner_name", "due_on")}
                        for a in item["actions"]],
            "declarations": item["declarations"]}

    parts = _live_parts(conn, meeting["id"], None)
    by = conn.execute("SELECT name FROM users WHERE id = ?",
                      (meeting["minutes_approved_by"],)).fetchone()
    at = get(conn, meeting["minutes_approved_meeting_id"])
    return {
        "version": records.VERSION, "taken_at": clock.iso(), "late": late,
        "meeting": {k: meeting[k] for k in ("title", "body_name", "starts_at", "ends_at",
                                            "location")},
        "part1": [frozen(item) for item in parts["part1"]],
        "part2": [frozen(item) for item in parts["part2"]],
        "approval": {"when": meeting["minutes_approved_at"], "by": by["name"] if by else "",
                     "meeting": {"id": at["id"], "title": at["title"],
                                 "starts_at": at["starts_at"]}},
    }


def _editable(conn: Connection, item_id: int):
    item = agenda.get_item(conn, item_id)
    meeting = get(conn, item["meeting_id"])
    if meeting["minutes_status"] not in EDITABLE:
        raise InvalidInput("Approved minutes cannot change.")
    return item, meeting


def save_item(conn: Connection, actor: Identity, item_id: int, discussion: str,
              decisions: str) -> None:
    """Write the minutes of one agenda item (while draft or circulated)."""
    item, _meeting = _editable(conn, item_id)
    for field, value, most in (("discussion", discussion, 20_000),
                               ("decisions", decisions, 10_000)):
        if len(value) > most:
            raise InvalidInput(f"“{item['title']}”: the {field} may have at most {most:,} "
                               "characters.", field=field)
    with transaction(conn):
        conn.execute(
            "INSERT INTO minute_items(item_id, discussion, decisions) VALUES (?, ?, ?)"
            " ON CONFLICT(item_id) DO UPDATE SET discussion = excluded.discussion,"
            " decisions = excluded.decisions", (item_id, discussion.strip(), decisions.strip()))
        audit.record(conn, actor, "minutes.save", f"meeting:{item['meeting_id']}", item=item_id)


class Conflict(InvalidInput):
    """Someone else saved items' minutes after the editor was opened: `theirs` maps each such
    item id to what is saved now (discussion, decisions). Nothing was saved."""

    def __init__(self, theirs: dict[int, tuple[str, str]]):
        super().__init__("someone else saved the minutes of "
                         f"{'an item' if len(theirs) == 1 else 'some items'} meanwhile.")
        self.theirs = theirs


def version(discussion: str, decisions: str) -> str:
    """A short fingerprint (16 hex digits of SHA-256) of one item's minutes as saved, sent
    with the editor so that a save can tell whether they changed since it was opened."""
    return fingerprint(discussion, decisions)


def _saved_text(conn: Connection, item_id: int) -> tuple[str, str]:
    row = conn.execute("SELECT discussion, decisions FROM minute_items WHERE item_id = ?",
                       (item_id,)).fetchone()
    return (row["discussion"], row["decisions"]) if row else ("", "")


def save_all(conn: Connection, actor: Identity, meeting_id: int,
             texts: dict[int, tuple[str, str, str | None]],
             actions: list[tuple[int, str, int | None, date | None]]) -> int:
    """Write the minutes of several items of one meeting at once (`texts`: item id ->
    (discussion, decisions, base), where base is the `version` of that item when the editor
    was opened, or None) and record new `actions` ((item id, text, owner id or None, due date
    or None)), in one transaction: all of it is saved, or none of it (InvalidInput, as
    `save_item` and `add_action` raise; NotFound for an item of another meeting).

    Only items whose text differs from their base are written, so a save never puts back an
    older text of an item its sender did not touch; an item changed by both (its saved
    version is no longer the base) raises Conflict, naming what is saved now. Returns how
    many actions were added."""
    with transaction(conn):
        for item_id in [*texts, *(a[0] for a in actions)]:
            if agenda.get_item(conn, item_id)["meeting_id"] != meeting_id:
                raise NotFound("no such agenda item")
        changed, theirs = {}, {}
        for item_id, (discussion, decisions, base) in texts.items():
            typed = (discussion.strip(), decisions.strip())
            saved = _saved_text(conn, item_id)
            if typed == saved or (base is not None and version(*typed) == base):
                continue  # nothing new from this editor
            if base is not None and version(*saved) != base:
                theirs[item_id] = saved
            changed[item_id] = typed
        if theirs:
            raise Conflict(theirs)
        for item_id, (discussion, decisions) in changed.items():
            save_item(conn, actor, item_id, discussion, decisions)
        for item_id, text, owner_id, due_on in actions:
            add_action(conn, actor, item_id, text, owner_id, due_on)
    return len(actions)


def add_action(conn: Connection, actor: Identity, item_id: int, text: str, owner_id: int | None,
               due_on: date | None) -> int:
    """Record an action agreed in draft minutes: what, who owns it, when it is due. It is a
    task (gvo.actions.tasks.from_minutes: it lives in the meeting's folder, a Part 2 item's
    only for those who see confidential items; the owner must be one who may see it, and
    hears of it by e-mail). Returns the task's id. InvalidInput for bad input or approved
    minutes."""
    item, meeting = _editable(conn, item_id)
    text = one_line(text)
    clock.check_year(due_on, "The due date")
    if not text or len(text) > 500:
        raise InvalidInput("An action needs a description of 1-500 characters.")
    if owner_id is not None and conn.execute("SELECT 1 FROM users WHERE id = ?",
                                             (owner_id,)).fetchone() is None:
        raise InvalidInput("Unknown owner.")
    with transaction(conn):
        action_id = tasks.from_minutes(conn, actor, item, meeting, text, owner_id, due_on)
        audit.record(conn, actor, "minutes.action_add", f"meeting:{item['meeting_id']}",
                     item=item_id, task=action_id, owner=owner_id,
                     due=due_on.isoformat() if due_on else "")
    return action_id


def get_action(conn: Connection, action_id: int):
    """One action of the minutes (its task: id, item_id, text) with its item's meeting id;
    NotFound if none."""
    row = tasks.of_item(conn, action_id)
    return dict(row) | {"meeting_id": agenda.get_item(conn, row["item_id"])["meeting_id"]}


def owners(conn: Connection) -> list:
    """People who may own an action: active accounts, by name."""
    return tasks.people(conn)


def delete_action(conn: Connection, actor: Identity, action_id: int) -> None:
    """Remove an action (its task) from draft minutes."""
    row = get_action(conn, action_id)
    item, _meeting = _editable(conn, row["item_id"])
    with transaction(conn):
        tasks.delete_from_minutes(conn, actor, action_id)
        audit.record(conn, actor, "minutes.action_delete", f"meeting:{item['meeting_id']}",
                     action=action_id)


def circulate(conn: Connection, actor: Identity, meeting_id: int) -> None:
    """Send draft minutes round for comment; the body's members are told by e-mail
    (gvo.meetings.notices). InvalidInput unless the minutes are draft, checked in the write
    transaction (two requests at once circulate, and mail, once)."""
    with transaction(conn):
        meeting = get(conn, meeting_id)
        if meeting["minutes_status"] != "draft":
            raise InvalidInput("Only draft minutes can be circulated.")
        _set_status(conn, actor, meeting_id, "circulated", "minutes.circulate")
        notices.minutes_circulated(conn, actor, meeting)


def _approvable(conn: Connection, meeting_id: int, at_meeting_id: int):
    """The meeting and the meeting approving its minutes, or InvalidInput saying why not."""
    meeting = get(conn, meeting_id)
    if meeting["minutes_status"] in APPROVED:
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
    if not has_started(at):
        raise InvalidInput("Minutes are recorded as approved at a meeting that has started: "
                           f"this one starts {dates.when(at['starts_at'], at['starts_fold'])}.")
    if not meeting["attendance_register_locked_at"]:
        raise InvalidInput(f"Lock the register of “{meeting['title']}” first: its approved "
                           "minutes record who attended.")
    return meeting, at


def approve(conn: Connection, actor: Identity, meeting_id: int, at_meeting_id: int,
            school: str) -> str:
    """Record that the minutes were approved at a later meeting of the same body, one that
    has started, once their register is locked. What they say is frozen (`record`) and the
    approved PDF (part 1; `school` names the school on it) stored; its sha256, returned, goes
    into the audit entry so anyone can later show that a copy is the approved one.

    The PDF is drawn before the write transaction (drawing long text takes seconds, and a
    write transaction holds the school's only write lock); the short transaction then checks
    again that the minutes are still circulated and say what was drawn, and stores both.
    InvalidInput if they cannot be approved, or changed while the PDF was drawn."""
    meeting, _at = _approvable(conn, meeting_id, at_meeting_id)
    when = clock.iso()
    approved = dict(meeting) | {
        "minutes_status": "approved", "minutes_approved_at": when,
        "minutes_approved_by": actor.user_id, "minutes_approved_meeting_id": at_meeting_id}
    snapshot = _take(conn, approved)
    data = pdf.minutes_pdf(school, snapshot,
                           attendance.attendance_register_record(conn, meeting), when)
    with transaction(conn):
        _approvable(conn, meeting_id, at_meeting_id)
        if _content(_take(conn, approved)) != _content(snapshot):
            raise InvalidInput("The minutes changed while they were being approved: look at "
                               "them again, then record the approval again.")
        conn.execute(
            "UPDATE meetings SET minutes_status = 'approved', minutes_approved_at = ?,"
            " minutes_approved_by = ?, minutes_approved_meeting_id = ?, updated_at = ?"
            " WHERE id = ? AND minutes_status = 'circulated'",
            (when, actor.user_id, at_meeting_id, when, meeting_id))
        records.store(conn, meeting_id, "minutes", snapshot)
        digest = records.store_pdf(conn, meeting_id, data)
        audit.record(conn, actor, "minutes.approve", f"meeting:{meeting_id}",
                     at_meeting=at_meeting_id, pdf_sha256=digest)
        notices.minutes_approved(conn, actor, meeting)
    return digest


def _content(snapshot: dict) -> dict:
    """What a minutes snapshot says, without when it was taken."""
    return {k: v for k, v in snapshot.items() if k != "taken_at"}


def approved_pdf(conn: Connection, meeting_id: int, school: str) -> bytes:
    """The approved minutes PDF, byte for byte as approved (for minutes approved before PDFs
    were kept, made now from their snapshot, stored and its sha256 audited).
    Raises InvalidInput if the minutes are not approved."""
    meeting = get(conn, meeting_id)
    stored = records.approved_pdf(conn, meeting_id)
    if stored is not None:
        return stored[0]
    data = _render(conn, meeting, school)
    with records.writing(conn):
        digest = records.store_pdf(conn, meeting_id, data)
        audit.record(conn, records.LATE, "minutes.pdf", f"meeting:{meeting_id}",
                     pdf_sha256=digest, late=True)
    return records.approved_pdf(conn, meeting_id)[0]


def _render(conn: Connection, meeting, school: str) -> bytes:
    """The approved minutes as PDF, from the minutes' and the register's snapshots."""
    return pdf.minutes_pdf(school, record(conn, meeting),
                           attendance.attendance_register_record(conn, meeting), clock.iso())


def lock(conn: Connection, actor: Identity, meeting_id: int) -> None:
    """Lock approved minutes for good."""
    if get(conn, meeting_id)["minutes_status"] != "approved":
        raise InvalidInput("Only approved minutes can be locked.")
    _set_status(conn, actor, meeting_id, "locked", "minutes.lock")


def _set_status(conn: Connection, actor: Identity, meeting_id: int, status: str,
                action: str) -> None:
    with transaction(conn):
        conn.execute("UPDATE meetings SET minutes_status = ?, updated_at = ? WHERE id = ?",
                     (status, clock.iso(), meeting_id))
        audit.record(conn, actor, action, f"meeting:{meeting_id}")


def _subject(conn: Connection, meeting) -> subjects.Subject:
    """A meeting's minutes as a subject of the discussion layer ('minutes', meeting id):
    while they are circulated, whoever may read the meeting's confidential items
    (`rules.sees_confidential`: its members, Editors, meeting managers) comments on them;
    nobody locks or asks for approval here (minutes are approved at a later meeting)."""
    def may_take_part(who: Identity) -> bool:
        return (get(conn, meeting["id"])["minutes_status"] == "circulated"
                and sees_confidential(conn, who, meeting["body_id"]))

    return subjects.Subject("minutes", meeting["id"], f"Minutes of {meeting['title']}", None,
                            "meetings.show", {"meeting_id": meeting["id"]},
                            may_take_part=may_take_part,
                            path=f"/meetings/{meeting['id']}#minutes")


def _load_subject(conn: Connection, who: Identity, meeting_id: int) -> subjects.Subject:
    """The minutes of a meeting as a subject, for someone who may read its confidential
    items; NotFound for anyone else."""
    meeting = get(conn, meeting_id)
    if not sees_confidential(conn, who, meeting["body_id"]):
        raise NotFound("no such meeting")
    return _subject(conn, meeting)


subjects.register("minutes", _load_subject)


def add_comment(conn: Connection, actor: Identity, meeting_id: int, text: str) -> int:
    """Comment on circulated minutes (those who may read the meeting's confidential items),
    through the discussion layer, audited there ('comment.add', subject 'minutes:<id>').
    Returns the comment's id. InvalidInput unless circulated or for 1-4000 characters;
    NotFound/NotPermitted for anyone else."""
    meeting = get(conn, meeting_id)
    if meeting["minutes_status"] != "circulated":
        raise InvalidInput("Comments are taken while the minutes are circulated.")
    text = text.strip()
    if not text or len(text) > 4000:
        raise InvalidInput("A comment of 1-4000 characters.")
    return discussion.add(conn, actor, _load_subject(conn, actor, meeting_id), text)


def comments(conn: Connection, meeting_id: int, after: str | None = None) -> Page:
    """A page of the comments on the minutes, oldest first (discussion-layer comments:
    `body`, `author_name`, `created_at` as a UTC ISO string), after the position `after`
    (`Page.after` of the page before; InvalidInput for a bad one)."""
    return discussion.thread(conn, _subject(conn, get(conn, meeting_id)), after)


def approval_record(conn: Connection, meeting) -> dict | None:
    """Who approved the minutes, when, and at which meeting ({'when', 'by', 'meeting': {'id',
    'title', 'starts_at'}}), as their snapshot has it; None if not approved."""
    if meeting["minutes_status"] not in APPROVED:
        return None
    return record(conn, meeting)["approval"]
