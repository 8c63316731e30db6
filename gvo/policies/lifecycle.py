"""A policy's life: its text (a library document or page), a draft beside the live version,
approval at a meeting, the archive, and the history of every version.

The rule (issue 15): a review starts a new draft beside the live version; approving the
draft at a meeting (an agenda item that has the policy as a paper of kind "policy", the
approval written into that item's minutes) makes it live, archives the version that was
live, and sets the next review date to the meeting's date plus the review cycle. A draft
nobody approves stays a draft, and the live version stays live.

What a meeting approves holds (attack 9):
- The meeting must have been held after the draft's text was chosen (its start after the
  draft's `text_set_at`), and never before the live version's meeting (the effective date
  does not go backwards).
- The text that goes live is the text as it stood when the meeting began. A document has
  versions: the version uploaded last before the meeting's start is pinned (`doc_version`),
  whatever was uploaded since. A page has no versions in the library, so a page changed
  after the meeting began is refused (the meeting did not see that text): the clerk
  approves it at a later meeting.
- On approval a page's title and text are copied into the version (`approved_title`,
  `approved_body`: what the public viewer shows) and the library page is locked
  (`pages.lock`): nobody, Editor or owner, can change it. A change goes through a new draft
  (a review copies the page into a new, unlocked page).
- The meeting must be quorate on the item: its register locked (so who attended is on
  record) and enough governors present, less those who declared an interest in the item and
  withdrew (gvo.meetings.attendance.quorum, gvo.meetings.declarations).
- Every check is made again inside the write transaction (BEGIN IMMEDIATE) that records the
  approval, so two approvals at once record one: the other finds no draft.
- The minutes never name a policy whose text is in a room (a restricted library folder):
  its decision line says "a policy whose text is in a restricted folder" with its register
  number, since the minutes reach people the room does not.
"""

import calendar
from datetime import date

from gvo.core import audit, clock, dates
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound
from gvo.core.identity import Identity
from gvo.library import access, documents, pages
from gvo.meetings import agenda, attendance, declarations, meetings, minutes
from gvo.policies import register
from gvo.policies.register import require_manager
from gvo.storage.sqlcipher import Connection

KINDS = ("document", "page")


def add_months(day: date, months: int) -> date:
    """`day` plus whole months, on the same day of the month or the month's last day
    (29 Feb 2028 + 12 months = 28 Feb 2029)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


def _open_item(conn: Connection, who: Identity, kind: str, item_id: int):
    """The library item `who` may open, or InvalidInput."""
    try:
        if kind == "document":
            return documents.get_document(conn, who, item_id)
        if kind == "page":
            return pages.get_page(conn, who, item_id)
    except NotFound:
        pass
    raise InvalidInput("Choose a document or page you can open in the library.", field="text")


def _draft(conn: Connection, policy_id: int):
    return conn.execute("SELECT * FROM policy_versions WHERE policy_id = ? AND state = 'draft'",
                        (policy_id,)).fetchone()


def _live(conn: Connection, policy_id: int):
    return conn.execute("SELECT * FROM policy_versions WHERE policy_id = ? AND state = 'live'",
                        (policy_id,)).fetchone()


LOCKED = ("This page is the approved text of a policy: it cannot be changed. To change the "
          "policy, start a review on its page in Policies (the review copies this text into "
          "a new draft).")


def _new_version(conn: Connection, who: Identity, policy_id: int, kind: str, item_id: int) -> int:
    number = conn.execute("SELECT coalesce(max(number), 0) + 1 FROM policy_versions"
                          " WHERE policy_id = ?", (policy_id,)).fetchone()[0]
    now = clock.iso()
    conn.execute("INSERT INTO policy_versions(policy_id, number, state, item_kind, item_id,"
                 " created_by, created_at, text_set_at) VALUES (?, ?, 'draft', ?, ?, ?, ?, ?)",
                 (policy_id, number, kind, item_id, who.user_id, now, now))
    return number


def set_draft_text(conn: Connection, who: Identity, policy_id: int, kind: str,
                   item_id: int) -> int:
    """Make a library document or page (one `who` may open) the text of the policy's draft,
    starting a draft if there is none; the draft's number. Audited as "policy.draft_text"."""
    require_manager(who)
    register.get(conn, who, policy_id)
    if kind not in KINDS:
        raise InvalidInput("A policy's text is a library document or page.", field="text")
    _open_item(conn, who, kind, item_id)
    with transaction(conn):
        draft = _draft(conn, policy_id)
        if draft is None:
            number = _new_version(conn, who, policy_id, kind, item_id)
        else:
            number = draft["number"]
            conn.execute("UPDATE policy_versions SET item_kind = ?, item_id = ?, text_set_at = ?"
                         " WHERE id = ?", (kind, item_id, clock.iso(), draft["id"]))
        audit.record(conn, who, "policy.draft_text", f"policy:{policy_id}", version=number,
                     kind=kind, item=item_id)
    return number


def write_page(conn: Connection, who: Identity, policy_id: int, body: str) -> int:
    """Write the policy's draft as a library page titled as the policy; the draft's number.
    When the draft's text is already a page of `who`'s own, not locked (one they wrote here
    or a review's copy they made), that page is rewritten; otherwise a new page is made in
    the Policies folder. Decided inside the write transaction, so a form sent twice makes
    one page, not two. InvalidInput for a page too long (`pages.MAX_BODY`)."""
    require_manager(who)
    policy = register.get(conn, who, policy_id)
    with transaction(conn):
        draft = _draft(conn, policy_id)
        if draft is not None and draft["item_kind"] == "page" and _may_rewrite(
                conn, who, draft["item_id"]):
            pages.update_page(conn, who, draft["item_id"], title=policy["name"], body=body)
            conn.execute("UPDATE policy_versions SET text_set_at = ? WHERE id = ?",
                         (clock.iso(), draft["id"]))
            return draft["number"]
        folder_id = register.ensure_folder(conn, who)
        page_id = pages.create_page(conn, who, folder_id, title=policy["name"], body=body)
        return set_draft_text(conn, who, policy_id, "page", page_id)


def _may_rewrite(conn: Connection, who: Identity, page_id: int) -> bool:
    """Whether the draft page is `who`'s own to rewrite (open, not deleted, not locked,
    theirs: never another person's page they linked)."""
    try:
        page = pages.get_page(conn, who, page_id)
    except NotFound:
        return False
    return not page["locked_reason"] and page["owner_id"] == who.user_id


def start_review(conn: Connection, who: Identity, policy_id: int) -> int:
    """Start a review: a new draft beside the live version (a page is copied, as approved,
    into a new page in the same folder; a document's draft is its next upload); the draft's
    number. InvalidInput when there is no live version or a draft exists already (checked in
    the write transaction: a form sent twice starts one review). Audited as
    "policy.review_start"."""
    require_manager(who)
    policy = register.get(conn, who, policy_id)
    with transaction(conn):
        live = _live(conn, policy_id)
        if live is None:
            raise InvalidInput("Only a live policy is reviewed: this one has no live version.")
        if _draft(conn, policy_id) is not None:
            raise InvalidInput("A review is under way already: approve or change its draft.")
        item = _open_item(conn, who, live["item_kind"], live["item_id"])
        item_id = live["item_id"]
        if live["item_kind"] == "page":
            item_id = pages.create_page(conn, who, item["folder_id"], title=policy["name"],
                                        body=live["approved_body"] or item["body"])
        number = _new_version(conn, who, policy_id, live["item_kind"], item_id)
        audit.record(conn, who, "policy.review_start", f"policy:{policy_id}", version=number)
    return number


def _check_level(policy, meeting) -> None:
    """The meeting must be of a body that may approve the policy: the full board for
    "board"; the board or the owning committee for "committee"."""
    if policy["approval_level"] == "board" and meeting["body_kind"] != "board":
        raise InvalidInput("This policy is approved by the full board: record its approval "
                           "at a meeting of the board.")
    if (policy["approval_level"] == "committee" and meeting["body_kind"] != "board"
            and policy["owner_body_id"] not in (None, meeting["body_id"])):
        raise InvalidInput("This policy is approved by its committee: record its approval at "
                           "a meeting of that committee or of the board.")


def _check_quorum(conn: Connection, meeting, item_id: int) -> None:
    """The meeting's register must be locked (attendance on record) and the item quorate:
    governors present, less those who declared an interest in it and withdrew, at least the
    quorum (School Governance (Roles, Procedures and Allowances) (England) Regulations 2013,
    reg. 14; gvo.meetings.attendance.quorum)."""
    if not meeting["attendance_register_locked_at"]:
        raise InvalidInput("That meeting's attendance register is not locked: record who "
                           "attended and lock the register (the meeting's Register page) "
                           "before recording a decision of the meeting.", field="item_id")
    withdrew = {d["user_id"] for d in declarations.for_item(conn, item_id) if d["withdrew"]}
    quorum = attendance.quorum(conn, meeting["id"], excluding=withdrew)
    if not quorum.quorate:
        raise InvalidInput(f"That meeting was not quorate for this item ({quorum.present} "
                           f"governors counted, {quorum.needed} needed: {quorum.rule}), so it "
                           "could not approve the policy.", field="item_id")


def _started_utc(meeting) -> str:
    """The meeting's start as a UTC time stored like `clock.iso` ('' if unreadable)."""
    start = dates.to_utc(meeting["starts_at"], meeting["starts_fold"] or 0)
    return start.strftime("%Y-%m-%dT%H:%M:%SZ") if start else ""


def _text_at_meeting(conn: Connection, policy, draft, meeting) -> dict:
    """The draft's text as it stood when the meeting began, to pin: for a document the
    version uploaded last before the start (`doc_version`), for a page its title and text.
    InvalidInput when the meeting began before the draft's text was chosen, before the live
    version's meeting, or (a page, which keeps no versions) before the page last changed."""
    began = _started_utc(meeting)
    when = dates.when(meeting["starts_at"], meeting["starts_fold"] or 0)
    live = _live(conn, policy["id"])
    if live is not None and live["approved_on"] and (
            meetings.read_stamp(meeting["starts_at"]).date().isoformat() < live["approved_on"]):
        raise InvalidInput(f"The live version was approved on {dates.day(live['approved_on'])}, "
                           f"after this meeting ({when}): choose a later meeting.",
                           field="item_id")
    if not began or (draft["text_set_at"] or draft["created_at"]) > began:
        raise InvalidInput(f"The draft's text was chosen on {dates.moment(draft['text_set_at'])}, "
                           f"after this meeting began ({when}): the meeting cannot have "
                           "approved it. Record the approval at a meeting held since.",
                           field="item_id")
    if draft["item_kind"] == "document":
        pinned = conn.execute(
            "SELECT max(number) FROM document_versions WHERE document_id = ? AND uploaded_at"
            " <= ?", (draft["item_id"], began)).fetchone()[0]
        if pinned is None:
            raise InvalidInput("The draft's document had no version before the meeting began: "
                               "the meeting cannot have approved it.", field="item_id")
        return {"doc_version": pinned}
    page = conn.execute("SELECT title, body, updated_at, deleted_at FROM pages WHERE id = ?",
                        (draft["item_id"],)).fetchone()
    if page is None or page["deleted_at"]:
        raise InvalidInput("The draft's page is not in the library any more.", field="item_id")
    if page["updated_at"] > began:
        raise InvalidInput(f"The draft's page was changed on {dates.moment(page['updated_at'])}, "
                           f"after this meeting began ({when}): the meeting did not see that "
                           "text. Record its approval at a meeting held since the change.",
                           field="item_id")
    return {"approved_title": policy["name"], "approved_body": page["body"]}


def _refusal(conn: Connection, policy, draft, item_id: int, meeting) -> str | None:
    """Why the meeting of agenda item `item_id` cannot approve the draft, or None (it can);
    the text pinned comes from `_text_at_meeting`."""
    try:
        _check_approval(conn, policy, draft, item_id, meeting)
    except InvalidInput as exc:
        return str(exc)
    return None


def _check_approval(conn: Connection, policy, draft, item_id: int, meeting) -> dict:
    """Every rule an approval keeps (see the module's docstring), the text to pin if all
    hold; InvalidInput naming the first that does not."""
    if draft is None:
        raise InvalidInput("There is no draft to approve: start a review first.")
    if conn.execute("SELECT 1 FROM agenda_papers WHERE item_id = ? AND kind = 'policy'"
                    " AND ref_id = ?", (item_id, policy["id"])).fetchone() is None:
        raise InvalidInput("That agenda item does not have this policy as a paper.",
                           field="item_id")
    if meeting["status"] != "scheduled":
        raise InvalidInput("That meeting was cancelled.", field="item_id")
    if not meetings.has_started(meeting):
        raise InvalidInput("That meeting has not happened yet.", field="item_id")
    if meeting["minutes_status"] not in minutes.EDITABLE:
        raise InvalidInput("That meeting's minutes are approved and cannot change.",
                           field="item_id")
    _check_level(policy, meeting)
    pinned = _text_at_meeting(conn, policy, draft, meeting)
    _check_quorum(conn, meeting, item_id)
    return pinned


def approvable_items(conn: Connection, who: Identity, policy_id: int
                     ) -> tuple[list[dict], list[dict]]:
    """Agenda items `who` may see that have this policy as a paper, newest meeting first,
    split in two: where its draft can be approved now, and where it cannot (each with
    `reason`, the message an approval there would get). Each: item id, title, meeting id,
    title and start."""
    policy = register.get(conn, who, policy_id)
    draft = _draft(conn, policy_id)
    rows = conn.execute(
        "SELECT i.id AS item_id FROM agenda_papers p JOIN agenda_items i ON i.id = p.item_id"
        " JOIN meetings m ON m.id = i.meeting_id WHERE p.kind = 'policy' AND p.ref_id = ?"
        " ORDER BY m.starts_at DESC, i.id", (policy_id,)).fetchall()
    can, cannot = [], []
    for row in rows:
        try:
            item = agenda.get_item(conn, row["item_id"], who)
        except NotFound:
            continue
        meeting = meetings.get(conn, item["meeting_id"])
        entry = {"item_id": item["id"], "item_title": item["title"],
                 "meeting_id": meeting["id"], "meeting_title": meeting["title"],
                 "starts_at": meeting["starts_at"]}
        reason = _refusal(conn, policy, draft, item["id"], meeting)
        if reason is None:
            can.append(entry)
        else:
            cannot.append(entry | {"reason": reason})
    return can, cannot


def _decision(conn: Connection, policy, draft, next_review: date) -> str:
    """The line written into the minutes: the policy by name, or (its text in a room, which
    the minutes' readers may not open) by its register number only."""
    folder = conn.execute(f"SELECT {register.folder_of('v')} FROM policy_versions v"
                          " WHERE v.id = ?", (draft["id"],)).fetchone()[0]
    if folder is not None and folder in access.visible_folder_ids(conn, Identity.anonymous()):
        named = f"the policy “{policy['name']}”"
    else:
        named = (f"policy no. {policy['id']} of the register (its text is in a restricted "
                 "library folder, so it is not named here)")
    return f"Approved {named} (version {draft['number']}); next review by {dates.day(next_review)}."


def approve_at_meeting(conn: Connection, who: Identity, policy_id: int,
                       item_id: int | None) -> date:
    """Record that the meeting of agenda item `item_id` approved the policy's draft: the
    draft becomes live with its text as it stood when the meeting began (a document's
    version pinned, a page's title and text copied and the page locked), the live version is
    archived, the policy's effective date is the meeting's date and its next review that
    date plus the cycle; the approval is written into the item's minutes (decisions).
    Returns the next review date. Audited as "policy.approve".

    InvalidInput (nothing changes) when any rule of the module's docstring fails: no draft
    (another approval came first: it says where); the item does not have this policy as a
    paper; the meeting was cancelled, has not started, or its minutes are approved; its body
    may not approve it (`_check_level`); it began before the draft's text was chosen or
    changed; its register is not locked or it was not quorate on the item. Every check is
    made inside the write transaction that records the approval.
    """
    require_manager(who)
    policy = register.get(conn, who, policy_id)
    if item_id is None:
        raise InvalidInput("Choose the agenda item at which the meeting approved it.",
                           field="item_id")
    try:
        item = agenda.get_item(conn, item_id, who)
    except NotFound:
        raise InvalidInput("That agenda item is not there.", field="item_id") from None
    now = clock.iso()
    with transaction(conn):
        draft = _draft(conn, policy_id)
        if draft is None:
            raise InvalidInput(_no_draft(conn, policy_id), field="item_id")
        meeting = meetings.get(conn, item["meeting_id"])
        pinned = _check_approval(conn, policy, draft, item_id, meeting)
        on = meetings.read_stamp(meeting["starts_at"]).date()
        next_review = add_months(on, policy["cycle_months"])
        conn.execute("UPDATE policy_versions SET state = 'archived', archived_at = ?"
                     " WHERE policy_id = ? AND state = 'live'", (now, policy_id))
        conn.execute(
            "UPDATE policy_versions SET state = 'live', doc_version = ?, approved_title = ?,"
            " approved_body = ?, approved_on = ?, approved_meeting_id = ?,"
            " approved_item_id = ?, approved_by = ?, approved_at = ? WHERE id = ?"
            " AND state = 'draft'",
            (pinned.get("doc_version"), pinned.get("approved_title"),
             pinned.get("approved_body"), on.isoformat(), meeting["id"], item_id,
             who.user_id, now, draft["id"]))
        if draft["item_kind"] == "page":
            pages.lock(conn, draft["item_id"], LOCKED, title=policy["name"])
        conn.execute("UPDATE policies SET status = 'live', effective_on = ?, next_review_on = ?,"
                     " updated_at = ? WHERE id = ?",
                     (on.isoformat(), next_review.isoformat(), now, policy_id))
        conn.execute(
            "INSERT INTO minute_items(item_id, decisions) VALUES (?, ?) ON CONFLICT(item_id)"
            " DO UPDATE SET decisions = CASE WHEN decisions = '' THEN excluded.decisions"
            " ELSE decisions || char(10) || excluded.decisions END",
            (item_id, _decision(conn, policy, draft, next_review)))
        audit.record(conn, who, "policy.approve", f"policy:{policy_id}",
                     version=draft["number"], meeting=meeting["id"], item=item_id,
                     doc_version=pinned.get("doc_version"), next_review=next_review.isoformat())
    return next_review


def _no_draft(conn: Connection, policy_id: int) -> str:
    """Why there is no draft to approve: approved already (at which meeting), or none yet."""
    live = conn.execute("SELECT v.number, v.approved_on, m.title FROM policy_versions v"
                        " LEFT JOIN meetings m ON m.id = v.approved_meeting_id"
                        " WHERE v.policy_id = ? AND v.state = 'live'", (policy_id,)).fetchone()
    if live is not None and live["approved_on"]:
        return (f"Version {live['number']} is approved already, at “{live['title']}” on "
                f"{dates.day(live['approved_on'])}; there is no draft to approve: start a "
                "review first.")
    return "There is no draft to approve: start a review first."


def withdraw(conn: Connection, who: Identity, policy_id: int) -> None:
    """Withdraw a policy the school no longer keeps: every version archived, the policy
    archived (it leaves the register's list and the public viewer; its history stays).
    Audited as "policy.withdraw"."""
    require_manager(who)
    register.get(conn, who, policy_id)
    now = clock.iso()
    with transaction(conn):
        conn.execute("UPDATE policy_versions SET state = 'archived', archived_at = ?"
                     " WHERE policy_id = ? AND state != 'archived'", (now, policy_id))
        conn.execute("UPDATE policies SET status = 'archived', updated_at = ? WHERE id = ?",
                     (now, policy_id))
        audit.record(conn, who, "policy.withdraw", f"policy:{policy_id}")


def history(conn: Connection, policy_id: int) -> list:
    """Every version of a policy, newest first: state, text (kind, item, pinned document
    version), when and at which meeting (id, title) it was approved and who recorded it."""
    return conn.execute(
        "SELECT v.*, m.title AS meeting_title, m.starts_at AS meeting_starts_at,"
        " u.name AS approved_by_name, c.name AS created_by_name FROM policy_versions v"
        " LEFT JOIN meetings m ON m.id = v.approved_meeting_id"
        " LEFT JOIN users u ON u.id = v.approved_by LEFT JOIN users c ON c.id = v.created_by"
        " WHERE v.policy_id = ? ORDER BY v.number DESC", (policy_id,)).fetchall()
