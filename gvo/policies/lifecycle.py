"""A policy's life: its text (a library document or page), a draft beside the live version,
approval at a meeting, the archive, and the history of every version.

The rule (issue 15): a review starts a new draft beside the live version; approving the
draft at a meeting (an agenda item that has the policy as a paper of kind "policy", the
approval written into that item's minutes) makes it live, archives the version that was
live, and sets the next review date to the meeting's date plus the review cycle. A draft
nobody approves stays a draft, and the live version stays live.

A document's approved version number is pinned (`doc_version`), so uploading the next draft
as a new version of the same document never changes what was approved or what the public
sees. A page has no versions in the library: a review copies it into a new page.
"""

import calendar
from datetime import date

from gvo.core import audit, clock, dates
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound
from gvo.core.identity import Identity
from gvo.library import documents, pages
from gvo.meetings import agenda, meetings, minutes
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


def _new_version(conn: Connection, who: Identity, policy_id: int, kind: str, item_id: int) -> int:
    number = conn.execute("SELECT coalesce(max(number), 0) + 1 FROM policy_versions"
                          " WHERE policy_id = ?", (policy_id,)).fetchone()[0]
    conn.execute("INSERT INTO policy_versions(policy_id, number, state, item_kind, item_id,"
                 " created_by, created_at) VALUES (?, ?, 'draft', ?, ?, ?, ?)",
                 (policy_id, number, kind, item_id, who.user_id, clock.iso()))
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
            conn.execute("UPDATE policy_versions SET item_kind = ?, item_id = ? WHERE id = ?",
                         (kind, item_id, draft["id"]))
        audit.record(conn, who, "policy.draft_text", f"policy:{policy_id}", version=number,
                     kind=kind, item=item_id)
    return number


def write_page(conn: Connection, who: Identity, policy_id: int, body: str) -> int:
    """Write the policy's draft as a new library page in the Policies folder (titled as the
    policy); the draft's number. InvalidInput for a page too long (`pages.MAX_BODY`)."""
    require_manager(who)
    policy = register.get(conn, who, policy_id)
    with transaction(conn):
        folder_id = register.ensure_folder(conn, who)
        page_id = pages.create_page(conn, who, folder_id, title=f"{policy['name']} (draft)",
                                    body=body)
        return set_draft_text(conn, who, policy_id, "page", page_id)


def start_review(conn: Connection, who: Identity, policy_id: int) -> int:
    """Start a review: a new draft beside the live version (a page is copied into a new page
    in the same folder; a document's draft is its next upload); the draft's number.
    InvalidInput when there is no live version or a draft exists already. Audited as
    "policy.review_start"."""
    require_manager(who)
    policy = register.get(conn, who, policy_id)
    live = _live(conn, policy_id)
    if live is None:
        raise InvalidInput("Only a live policy is reviewed: this one has no live version.")
    if _draft(conn, policy_id) is not None:
        raise InvalidInput("A review is under way already: approve or change its draft.")
    item = _open_item(conn, who, live["item_kind"], live["item_id"])
    with transaction(conn):
        item_id = live["item_id"]
        if live["item_kind"] == "page":
            item_id = pages.create_page(conn, who, item["folder_id"],
                                        title=f"{policy['name']} (draft for review)",
                                        body=item["body"])
        number = _new_version(conn, who, policy_id, live["item_kind"], item_id)
        audit.record(conn, who, "policy.review_start", f"policy:{policy_id}", version=number)
    return number


def approvable_items(conn: Connection, who: Identity, policy_id: int) -> list[dict]:
    """Agenda items `who` may see that have this policy as a paper, in meetings that have
    started, were not cancelled and whose minutes are still open: where its draft can be
    approved. Each: item id, title, meeting id, title and start."""
    rows = conn.execute(
        "SELECT i.id AS item_id FROM agenda_papers p JOIN agenda_items i ON i.id = p.item_id"
        " JOIN meetings m ON m.id = i.meeting_id WHERE p.kind = 'policy' AND p.ref_id = ?"
        " AND m.status = 'scheduled' ORDER BY m.starts_at DESC", (policy_id,)).fetchall()
    found = []
    for row in rows:
        try:
            item = agenda.get_item(conn, row["item_id"], who)
        except NotFound:
            continue
        meeting = meetings.get(conn, item["meeting_id"])
        if meetings.has_started(meeting) and meeting["minutes_status"] in minutes.EDITABLE:
            found.append({"item_id": item["id"], "item_title": item["title"],
                          "meeting_id": meeting["id"], "meeting_title": meeting["title"],
                          "starts_at": meeting["starts_at"]})
    return found


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


def approve_at_meeting(conn: Connection, who: Identity, policy_id: int, item_id: int) -> date:
    """Record that the meeting of agenda item `item_id` approved the policy's draft: the
    draft becomes live (a document's current version pinned), the live version is archived,
    the policy's effective date is the meeting's date and its next review that date plus
    the cycle; the approval is written into the item's minutes (decisions). Returns the next
    review date. Audited as "policy.approve".

    InvalidInput (nothing changes) when: there is no draft; the item does not have this
    policy as a paper; the meeting was cancelled, has not started, or its minutes are
    approved; the meeting's body may not approve it (`_check_level`).
    """
    require_manager(who)
    policy = register.get(conn, who, policy_id)
    draft = _draft(conn, policy_id)
    if draft is None:
        raise InvalidInput("There is no draft to approve: start a review first.")
    item = agenda.get_item(conn, item_id, who)
    linked = conn.execute("SELECT 1 FROM agenda_papers WHERE item_id = ? AND kind = 'policy'"
                          " AND ref_id = ?", (item_id, policy_id)).fetchone()
    if linked is None:
        raise InvalidInput("That agenda item does not have this policy as a paper.",
                           field="item_id")
    meeting = meetings.get(conn, item["meeting_id"])
    if meeting["status"] != "scheduled":
        raise InvalidInput("That meeting was cancelled.", field="item_id")
    if not meetings.has_started(meeting):
        raise InvalidInput("That meeting has not happened yet.", field="item_id")
    if meeting["minutes_status"] not in minutes.EDITABLE:
        raise InvalidInput("That meeting's minutes are approved and cannot change.",
                           field="item_id")
    _check_level(policy, meeting)
    on = meetings.read_stamp(meeting["starts_at"]).date()
    next_review = add_months(on, policy["cycle_months"])
    pinned = None
    if draft["item_kind"] == "document":
        pinned = conn.execute("SELECT max(number) FROM document_versions WHERE document_id = ?",
                              (draft["item_id"],)).fetchone()[0]
        if pinned is None:
            raise InvalidInput("The draft's document is not in the library any more.")
    now = clock.iso()
    decision = (f"Approved the policy “{policy['name']}” (version {draft['number']}); "
                f"next review by {dates.day(next_review)}.")
    with transaction(conn):
        conn.execute("UPDATE policy_versions SET state = 'archived', archived_at = ?"
                     " WHERE policy_id = ? AND state = 'live'", (now, policy_id))
        conn.execute(
            "UPDATE policy_versions SET state = 'live', doc_version = ?, approved_on = ?,"
            " approved_meeting_id = ?, approved_item_id = ?, approved_by = ?, approved_at = ?"
            " WHERE id = ?", (pinned, on.isoformat(), meeting["id"], item_id, who.user_id, now,
                              draft["id"]))
        conn.execute("UPDATE policies SET status = 'live', effective_on = ?, next_review_on = ?,"
                     " updated_at = ? WHERE id = ?",
                     (on.isoformat(), next_review.isoformat(), now, policy_id))
        conn.execute(
            "INSERT INTO minute_items(item_id, decisions) VALUES (?, ?) ON CONFLICT(item_id)"
            " DO UPDATE SET decisions = CASE WHEN decisions = '' THEN excluded.decisions"
            " ELSE decisions || char(10) || excluded.decisions END", (item_id, decision))
        audit.record(conn, who, "policy.approve", f"policy:{policy_id}",
                     version=draft["number"], meeting=meeting["id"], item=item_id,
                     doc_version=pinned, next_review=next_review.isoformat())
    return next_review


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
