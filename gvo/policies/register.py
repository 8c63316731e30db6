"""The policy register: each policy's name, type, owners, approval level, status, dates,
review cycle, statutory duty and whether it is published; who may see and change it.

Who may: Managers and holders of "manage policies" (`MANAGE`) add and change policies.
Every signed-in member reads the register, but a policy whose text is in a library folder
they may not open (a room) is left out for them, as the library leaves it out (its rule:
`gvo.library.access`); policy managers see every row (not the text behind a room).
Dates are calendar dates in the school's time zone, stored 'YYYY-MM-DD'.
"""

from dataclasses import dataclass, field
from datetime import date

from gvo.core import audit, clock
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.core.text import one_line
from gvo.library import access, folders
from gvo.people import settings
from gvo.storage.sqlcipher import Connection

MANAGE = "manage_policies"
CYCLES = {12: "Every year", 24: "Every two years", 36: "Every three years"}
LEVELS = {"board": "Full board", "committee": "Committee", "headteacher": "Headteacher"}
STATUSES = {"development": "Under development", "live": "Live", "archived": "Archived"}
FOLDER_SETTING = "policies.folder"
FOLDER_TITLE = "Policies"


def manages(who: Identity) -> bool:
    """Whether `who` may add and change policies (Managers, holders of manage_policies)."""
    return who.can(MANAGE)


def require_manager(who: Identity) -> None:
    """NotPermitted unless `manages(who)`."""
    if not manages(who):
        raise NotPermitted("Only Managers and people who manage policies may do this.")


@dataclass
class PolicyInput:
    """A policy's details as a form gives them (dates as `date` or None)."""

    name: str
    approval_level: str = "board"
    cycle_months: int = 12
    type_id: int | None = None
    owner_body_id: int | None = None
    owner_ids: list[int] = field(default_factory=list)
    next_review_on: date | None = None
    statutory: bool = False
    statutory_source: str = ""
    publish_publicly: bool = False


def input_of(policy) -> PolicyInput:
    """A policy (as `get` gives it) as the details `update` takes, to change some of them."""
    return PolicyInput(
        name=policy["name"], approval_level=policy["approval_level"],
        cycle_months=policy["cycle_months"], type_id=policy["type_id"],
        owner_body_id=policy["owner_body_id"], owner_ids=list(policy["owner_ids"]),
        next_review_on=date.fromisoformat(policy["next_review_on"])
        if policy["next_review_on"] else None,
        statutory=bool(policy["statutory"]), statutory_source=policy["statutory_source"],
        publish_publicly=bool(policy["publish_publicly"]))


def _checked(conn: Connection, data: PolicyInput) -> PolicyInput:
    name = one_line(data.name or "")
    if not name or len(name) > 200:
        raise InvalidInput("A name of 1-200 characters is required.", field="name")
    if data.approval_level not in LEVELS:
        raise InvalidInput("Choose who approves it.", field="approval_level")
    if data.cycle_months not in CYCLES:
        raise InvalidInput("Choose a review cycle: every one, two or three years.",
                           field="cycle_months")
    if data.type_id is not None and conn.execute(
            "SELECT 1 FROM policy_types WHERE id = ?", (data.type_id,)).fetchone() is None:
        raise InvalidInput("Choose a type from the list.", field="type_id")
    if data.owner_body_id is not None and conn.execute(
            "SELECT 1 FROM bodies WHERE id = ?", (data.owner_body_id,)).fetchone() is None:
        raise InvalidInput("Choose the board or a committee from the list.",
                           field="owner_body_id")
    known = {r[0] for r in conn.execute("SELECT id FROM users WHERE role != 'inactive'")}
    if set(data.owner_ids) - known:
        raise InvalidInput("Choose owners from the list of members.", field="owner_ids")
    source = one_line(data.statutory_source or "")
    if len(source) > 500:
        raise InvalidInput("The statutory source may have at most 500 characters.",
                           field="statutory_source")
    data.name, data.statutory_source = name, source if data.statutory else ""
    return data


def _columns(data: PolicyInput) -> dict:
    return {"name": data.name, "type_id": data.type_id, "owner_body_id": data.owner_body_id,
            "approval_level": data.approval_level, "cycle_months": data.cycle_months,
            "next_review_on": data.next_review_on.isoformat() if data.next_review_on else None,
            "statutory": int(bool(data.statutory)), "statutory_source": data.statutory_source,
            "publish_publicly": int(bool(data.publish_publicly))}


def create(conn: Connection, who: Identity, data: PolicyInput, *,
           statutory_key: str | None = None) -> int:
    """Add a policy to the register (status "under development", no text yet); its id.
    Audited as "policy.create". NotPermitted, or InvalidInput naming the field."""
    require_manager(who)
    data = _checked(conn, data)
    now = clock.iso()
    cols = _columns(data) | {"statutory_key": statutory_key, "created_by": who.user_id,
                             "created_at": now, "updated_at": now}
    with transaction(conn):
        policy_id = conn.execute(
            f"INSERT INTO policies({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            tuple(cols.values())).lastrowid
        _set_owners(conn, policy_id, data.owner_ids)
        audit.record(conn, who, "policy.create", f"policy:{policy_id}", name=data.name,
                     statutory=bool(data.statutory), key=statutory_key)
    return policy_id


def update(conn: Connection, who: Identity, policy_id: int, data: PolicyInput) -> None:
    """Change a policy's details. Audited as "policy.update"."""
    require_manager(who)
    _row(conn, policy_id)
    data = _checked(conn, data)
    cols = _columns(data) | {"updated_at": clock.iso()}
    with transaction(conn):
        conn.execute(f"UPDATE policies SET {', '.join(f'{c} = ?' for c in cols)} WHERE id = ?",
                     (*cols.values(), policy_id))
        _set_owners(conn, policy_id, data.owner_ids)
        audit.record(conn, who, "policy.update", f"policy:{policy_id}", name=data.name,
                     owners=sorted(data.owner_ids), publish=bool(data.publish_publicly))


def _set_owners(conn: Connection, policy_id: int, owner_ids: list[int]) -> None:
    conn.execute("DELETE FROM policy_owners WHERE policy_id = ?", (policy_id,))
    conn.executemany("INSERT INTO policy_owners(policy_id, user_id) VALUES (?, ?)",
                     [(policy_id, uid) for uid in sorted(set(owner_ids))])


def _row(conn: Connection, policy_id: int):
    row = conn.execute("SELECT * FROM policies WHERE id = ?", (policy_id,)).fetchone()
    if row is None:
        raise NotFound("no such policy")
    return row


def folder_of(alias: str) -> str:
    """SQL for the library folder of a policy version's text (alias: the policy_versions
    row), NULL when the text is deleted or gone."""
    return (f"(CASE {alias}.item_kind WHEN 'document' THEN (SELECT folder_id FROM documents"
            f" WHERE id = {alias}.item_id AND deleted_at IS NULL) ELSE (SELECT folder_id FROM"
            f" pages WHERE id = {alias}.item_id AND deleted_at IS NULL) END)")


LISTING = (
    "SELECT p.*, t.name AS type_name, b.name AS body_name,"
    " lv.id AS live_version_id, lv.number AS live_number, lv.item_kind AS live_kind,"
    " lv.item_id AS live_item, lv.doc_version AS live_doc_version,"
    f" {folder_of('lv')} AS live_folder,"
    " dv.id AS draft_version_id, dv.number AS draft_number, dv.item_kind AS draft_kind,"
    f" dv.item_id AS draft_item, {folder_of('dv')} AS draft_folder,"
    " (SELECT group_concat(u.name, ', ') FROM policy_owners o JOIN users u ON u.id = o.user_id"
    "  WHERE o.policy_id = p.id) AS owner_names"
    " FROM policies p LEFT JOIN policy_types t ON t.id = p.type_id"
    " LEFT JOIN bodies b ON b.id = p.owner_body_id"
    " LEFT JOIN policy_versions lv ON lv.policy_id = p.id AND lv.state = 'live'"
    " LEFT JOIN policy_versions dv ON dv.policy_id = p.id AND dv.state = 'draft'"
)


def _shown(row, who: Identity, visible: set[int]) -> dict | None:
    """A listing row as `who` may see it: None when its text is all behind a room they may
    not open (and they do not manage policies); `live_open` / `draft_open` say which text
    they may open."""
    entry = dict(row)
    entry["live_open"] = entry["live_folder"] in visible
    entry["draft_open"] = entry["draft_folder"] in visible
    has_text = entry["live_folder"] is not None or entry["draft_folder"] is not None
    if has_text and not (entry["live_open"] or entry["draft_open"]) and not manages(who):
        return None
    return entry


def listing(conn: Connection, who: Identity, *, include_archived: bool = False) -> list[dict]:
    """Every policy `who` may see, by name, with its type, owners, live and draft versions
    (`live_open`, `draft_open`: whether `who` may open their text)."""
    visible = access.visible_folder_ids(conn, who)
    where = "" if include_archived else " WHERE p.status != 'archived'"
    rows = conn.execute(LISTING + where + " ORDER BY p.name COLLATE NOCASE, p.id").fetchall()
    return [e for r in rows if (e := _shown(r, who, visible)) is not None]


def in_rooms(conn: Connection) -> set[int]:
    """The ids of the policies whose text is all in rooms (restricted library folders): the
    ones a page read by people outside the room (the compliance dashboard, the minutes)
    must not name."""
    nobody = Identity.anonymous()
    visible = access.visible_folder_ids(conn, nobody)
    return {r["id"] for r in conn.execute(LISTING).fetchall()
            if _shown(r, nobody, visible) is None}


def get(conn: Connection, who: Identity, policy_id: int) -> dict:
    """One policy as `listing` gives it, with `owner_ids`; NotFound if there is none or it
    is hidden from `who` (its text is in a room they may not open)."""
    row = conn.execute(LISTING + " WHERE p.id = ?", (policy_id,)).fetchone()
    if row is None:
        raise NotFound("no such policy")
    entry = _shown(row, who, access.visible_folder_ids(conn, who))
    if entry is None:
        raise NotFound("no such policy")
    entry["owner_ids"] = [r[0] for r in conn.execute(
        "SELECT user_id FROM policy_owners WHERE policy_id = ?", (policy_id,))]
    return entry


def types(conn: Connection) -> list:
    """The school's policy types, in order."""
    return conn.execute("SELECT * FROM policy_types ORDER BY sort_order, name COLLATE NOCASE"
                        ).fetchall()


def add_type(conn: Connection, who: Identity, name: str) -> int:
    """Add a type to the school's list; its id. Audited as "policy.type_add"."""
    require_manager(who)
    name = one_line(name or "")
    if not name or len(name) > 100:
        raise InvalidInput("A type of 1-100 characters is required.", field="name")
    if conn.execute("SELECT 1 FROM policy_types WHERE name = ?", (name,)).fetchone():
        raise InvalidInput("That type is on the list already.", field="name")
    with transaction(conn):
        last = conn.execute("SELECT coalesce(max(sort_order), 0) FROM policy_types").fetchone()[0]
        type_id = conn.execute("INSERT INTO policy_types(name, sort_order) VALUES (?, ?)",
                               (name, last + 1)).lastrowid
        audit.record(conn, who, "policy.type_add", f"policy_type:{type_id}", name=name)
    return type_id


def owners_of(conn: Connection, policy_id: int) -> list[int]:
    """The ids of a policy's named owners."""
    return [r[0] for r in conn.execute("SELECT user_id FROM policy_owners WHERE policy_id = ?",
                                       (policy_id,))]


def ensure_folder(conn: Connection, who: Identity) -> int:
    """The library's "Policies" folder, where new policy pages go, found by the id stored
    when it was chosen: on first use the school's own top-level "Policies" folder if it has
    one `who` may open (so the library does not show two), else a new one (made by policy
    managers: the library's `grant`)."""
    stored = settings.get(conn, FOLDER_SETTING)
    if stored.isdigit() and conn.execute("SELECT 1 FROM folders WHERE id = ? AND deleted_at"
                                         " IS NULL", (int(stored),)).fetchone():
        return int(stored)
    visible = access.visible_folder_ids(conn, who)
    existing = [r[0] for r in conn.execute(
        "SELECT id FROM folders WHERE parent_id IS NULL AND deleted_at IS NULL AND title = ?"
        " COLLATE NOCASE ORDER BY sort_order, id", (FOLDER_TITLE,)) if r[0] in visible]
    with transaction(conn):
        if existing:
            settings.put(conn, FOLDER_SETTING, str(existing[0]))
            return existing[0]
        folder_id = folders.create_folder(
            conn, who, parent_id=None, title=FOLDER_TITLE, grant=MANAGE,
            description="The school's policies: each one's text, its drafts and its past "
                        "versions.")
        settings.put(conn, FOLDER_SETTING, str(folder_id))
    return folder_id
