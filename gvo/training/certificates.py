"""Where training certificates live: library documents in restricted folders that only
their person and the school's Managers may open.

The library's access model restricts folders, not documents, so each person with a
certificate has their own restricted folder, "<name>", open to them and to every active
Manager, inside one top-level restricted folder, "Training certificates", open to the
Managers and to each person who has a folder there (a room opens only to those listed on
every room of its path: gvo.library.access). Everyone else never sees either folder, nor
what they hold: not in the library's listings, search, What's new, the newsletter, nor a
share (each reads through gvo.library.access). Holders of "Manage training" who are not
Managers record completions but do not see certificates.

The access lists are copies, re-derived whenever a person's folder is made and at once when
a role, a capability or an account changes (`follow_access_change`, subscribed to
gvo.core.events.ACCESS_CHANGED): a Manager who stops being one stops seeing certificates.
That upkeep is the office's own work, done as `Identity.system` holding GRANT only (the
library's `grant`: the folders a feature keeps). The folders are found by the ids stored
when they were made (setting TOP_SETTING, table training_certificate_folders), never by
title; one sent to the wastebin is made again on next use.
"""

from gvo.core import events
from gvo.core.atomic import transaction
from gvo.core.identity import Identity
from gvo.library import folders
from gvo.people import settings
from gvo.storage.sqlcipher import Connection

GRANT = "manage_training"
TOP_SETTING = "training.certificates_folder"
TOP_FOLDER = "Training certificates"
KEEPER = "training"  # the folders' `managed_by`: the library will not edit or re-open them
SYSTEM = Identity.system("training certificates", {GRANT})


def may_attach(who: Identity, user_id: int) -> bool:
    """Whether `who` may attach a certificate to `user_id`'s completion: the person
    themselves or a Manager (the only people the certificate's folder is open to)."""
    return who.user_id is not None and (who.user_id == user_id or who.role == "manager")


def _managers(conn: Connection) -> set[int]:
    return {r[0] for r in conn.execute("SELECT id FROM users WHERE role = 'manager'")}


def _holders(conn: Connection) -> dict[int, int]:
    """Person -> their certificate folder's id, for active accounts."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT t.user_id, t.folder_id FROM training_certificate_folders t"
        " JOIN users u ON u.id = t.user_id WHERE u.role != 'inactive'")}


def _live(conn: Connection, folder_id: int | None) -> bool:
    return folder_id is not None and conn.execute(
        "SELECT 1 FROM folders WHERE id = ? AND deleted_at IS NULL", (folder_id,)
    ).fetchone() is not None


def _keep_open_to(conn: Connection, folder_id: int, audience: set[int]) -> None:
    """Make the folder's access list exactly `audience` (restricted), if it differs."""
    row = conn.execute("SELECT * FROM folders WHERE id = ?", (folder_id,)).fetchone()
    users, groups = folders.access_list(conn, folder_id)
    if set(users) != audience or groups or not row["restricted"]:
        folders.update_folder(conn, SYSTEM, folder_id, title=row["title"],
                              description=row["description"], sort_order=row["sort_order"],
                              restricted=True, users=sorted(audience), grant=GRANT)


def _top(conn: Connection, audience: set[int]) -> int:
    stored = settings.get(conn, TOP_SETTING)
    if stored.isdigit() and _live(conn, int(stored)):
        _keep_open_to(conn, int(stored), audience)
        return int(stored)
    folder_id = folders.create_folder(
        conn, SYSTEM, parent_id=None, title=TOP_FOLDER, restricted=True,
        users=sorted(audience), grant=GRANT, managed_by=KEEPER,
        description="Training certificates: each person sees only their own; the Managers "
                    "see them all.")
    settings.put(conn, TOP_SETTING, str(folder_id))
    return folder_id


def folder_for(conn: Connection, user_id: int) -> int:
    """The id of `user_id`'s certificate folder, made (with the top-level folder) on first
    use, its access list and the top folder's brought up to date. Runs in a transaction
    (the caller's, when it has one)."""
    with transaction(conn):
        managers = _managers(conn)
        holders = _holders(conn)
        top = _top(conn, managers | set(holders) | {user_id})
        mine = holders.get(user_id)
        if mine is not None and _live(conn, mine):
            parent = conn.execute("SELECT parent_id FROM folders WHERE id = ?",
                                  (mine,)).fetchone()[0]
            if parent == top:
                _keep_open_to(conn, mine, managers | {user_id})
                return mine
        name = conn.execute("SELECT name FROM users WHERE id = ?", (user_id,)).fetchone()[0]
        mine = folders.create_folder(
            conn, SYSTEM, parent_id=top, title=name[:200] or f"Person {user_id}",
            restricted=True, users=sorted(managers | {user_id}), grant=GRANT, managed_by=KEEPER,
            description="Training certificates: open to this person and the Managers.")
        conn.execute("INSERT INTO training_certificate_folders(user_id, folder_id) VALUES"
                     " (?, ?) ON CONFLICT(user_id) DO UPDATE SET folder_id = excluded.folder_id",
                     (user_id, mine))
        return mine


def sync(conn: Connection) -> None:
    """Re-open every certificate folder to exactly its person and today's Managers, and the
    top folder to the Managers and the people with a folder (nothing to do before the
    first certificate)."""
    stored = settings.get(conn, TOP_SETTING)
    if not (stored.isdigit() and _live(conn, int(stored))):
        return
    with transaction(conn):
        managers = _managers(conn)
        holders = _holders(conn)
        _keep_open_to(conn, int(stored), managers | set(holders))
        for user_id, folder_id in holders.items():
            if _live(conn, folder_id):
                _keep_open_to(conn, folder_id, managers | {user_id})


def follow_access_change(conn: Connection, **_details) -> None:
    """After a role, capability, membership or account change: `sync`."""
    sync(conn)


events.subscribe(events.ACCESS_CHANGED, follow_access_change)
