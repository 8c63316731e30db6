"""Folders: nested, ordered, optionally restricted to named people and groups."""

from gvo.core import audit, clock, paging
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotPermitted
from gvo.core.identity import Identity
from gvo.library import search, wastebin
from gvo.library._util import clean_title
from gvo.library.access import managed_by as access_managed_by
from gvo.library.access import (
    may_change,
    may_write,
    require_add_in,
    require_folder,
    require_not_managed,
    visible_cte,
)
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection


@reads.once
def get_folder(conn: Connection, viewer: Identity, folder_id: int):
    """A folder the viewer may open; NotFound otherwise (a room's existence stays hidden)."""
    require_folder(conn, viewer, folder_id)
    return conn.execute("SELECT * FROM folders WHERE id = ?", (folder_id,)).fetchone()


def children(conn: Connection, viewer: Identity, parent_id: int | None,
             after: str | None = None, size: int = paging.SIZE) -> paging.Page:
    """A page of the visible sub-folders of a folder (or the top level), in their order
    (sort order, then title), with visible document counts; after the position `after`
    (`Page.after` of the page before; InvalidInput for a bad one)."""
    cte, params = visible_cte(viewer)
    params["parent"] = parent_id
    return paging.keyset(
        conn, cte + "SELECT f.*, (SELECT count(*) FROM documents d WHERE d.folder_id = f.id"
        " AND d.deleted_at IS NULL) AS documents"
        " FROM folders f WHERE f.id IN (SELECT id FROM visible_folders)"
        " AND f.parent_id IS :parent AND {after}", params,
        columns=("f.sort_order", "f.title COLLATE NOCASE", "f.id"),
        key_of=lambda r: (r["sort_order"], r["title"], r["id"]), after=after, size=size)


def all_visible(conn: Connection, viewer: Identity) -> list:
    """Every folder the viewer may open, for pickers."""
    cte, params = visible_cte(viewer)
    return conn.execute(cte + "SELECT f.* FROM folders f WHERE f.id IN"
                        " (SELECT id FROM visible_folders) ORDER BY f.title COLLATE NOCASE",
                        params).fetchall()


def path(conn: Connection, folder_id: int) -> list:
    """The folder and its ancestors, top first (for breadcrumbs)."""
    trail, current = [], folder_id
    while current is not None:
        row = conn.execute("SELECT id, parent_id, title, restricted FROM folders WHERE id = ?",
                           (current,)).fetchone()
        if row is None:
            break
        trail.append(row)
        current = row["parent_id"]
    return list(reversed(trail))


def access_list(conn: Connection, folder_id: int) -> tuple[list[int], list[int]]:
    """The user ids and group ids a restricted folder is open to."""
    rows = conn.execute("SELECT user_id, group_id FROM folder_access WHERE folder_id = ?",
                        (folder_id,)).fetchall()
    return ([r["user_id"] for r in rows if r["user_id"] is not None],
            [r["group_id"] for r in rows if r["group_id"] is not None])


def access_names(conn: Connection, folder_id: int) -> list[str]:
    """The people and groups a restricted folder is open to, by name."""
    rows = conn.execute(
        "SELECT u.name AS name FROM folder_access a JOIN users u ON u.id = a.user_id"
        " WHERE a.folder_id = ? UNION ALL SELECT 'Group: ' || g.name FROM folder_access a"
        " JOIN groups g ON g.id = a.group_id WHERE a.folder_id = ?", (folder_id, folder_id))
    return sorted(r["name"] for r in rows)


def may_edit(viewer: Identity, folder, grant: str | None = None) -> bool:
    """Top-level folders are the Managers'; others their owner's and the Editors'.

    `grant` is a capability that a feature keeping its own folders names (the meetings'
    papers: manage_meetings): its holders may change the folders that feature keeps.
    """
    if grant is not None and viewer.can(grant):
        return True
    if folder["parent_id"] is None:
        return viewer.at_least("manager")
    return may_change(viewer, folder["owner_id"])


def may_add_here(viewer: Identity, parent_id: int | None, grant: str | None = None) -> bool:
    """Whether the viewer may make a folder here (top level: Managers only; holders of
    `grant` where a feature makes its own folders, as in `may_edit`)."""
    if grant is not None and viewer.can(grant):
        return True
    if parent_id is None:
        return viewer.at_least("manager")
    return may_write(viewer)


def _set_access(conn, folder_id, users, groups) -> None:
    conn.execute("DELETE FROM folder_access WHERE folder_id = ?", (folder_id,))
    valid_users = {r[0] for r in conn.execute("SELECT id FROM users")}
    valid_groups = {r[0] for r in conn.execute("SELECT id FROM groups")}
    conn.executemany("INSERT INTO folder_access(folder_id, user_id) VALUES (?, ?)",
                     [(folder_id, u) for u in sorted(set(users) & valid_users)])
    conn.executemany("INSERT INTO folder_access(folder_id, group_id) VALUES (?, ?)",
                     [(folder_id, g) for g in sorted(set(groups) & valid_groups)])


def create_folder(conn: Connection, viewer: Identity, *, parent_id: int | None, title: str,
                  description: str = "", sort_order: int = 0, restricted: bool = False,
                  users: list[int] = (), groups: list[int] = (), grant: str | None = None,
                  managed_by: str | None = None) -> int:
    """Make a folder: Managers at the top level, Authors and up inside folders they can see
    (holders of `grant` anywhere they can see, for a feature's own folders: `may_add_here`);
    inside a system-managed folder only the Managers and the office (`access.may_add_in`).
    `managed_by` names the feature that keeps the new folder (only the office, as
    `Identity.system`, makes one): the library will not edit, delete or re-open it.
    """
    title = clean_title(title)
    if managed_by is not None and not viewer.is_system:
        raise NotPermitted("only the office itself makes a system-managed folder")
    if parent_id is not None:
        # Who may add in an ordinary folder is `may_add_here` below (a feature's `grant`
        # holders too, whatever their role); a system-managed one has its own rule.
        if access_managed_by(conn, parent_id) is None:
            require_folder(conn, viewer, parent_id)
        else:
            require_add_in(conn, viewer, parent_id)
    if not may_add_here(viewer, parent_id, grant):
        raise NotPermitted("only a Manager may add a top-level folder")
    if restricted and not (users or groups):
        raise InvalidInput("A restricted folder needs at least one person or group.")
    now = clock.iso()
    with transaction(conn):
        folder_id = conn.execute(
            "INSERT INTO folders(parent_id, title, description, sort_order, restricted,"
            " owner_id, created_at, updated_at, managed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (parent_id, title, description.strip(), int(sort_order), int(bool(restricted)),
             viewer.user_id, now, now, managed_by)).lastrowid
        if restricted:
            _set_access(conn, folder_id, users, groups)
        search.index(conn, "folder", folder_id, folder_id, title, description)
        audit.record(conn, viewer, "library.folder.create", f"folder:{folder_id}", title=title,
                     parent=parent_id, restricted=bool(restricted), users=sorted(users),
                     groups=sorted(groups))
    return folder_id


def update_folder(conn: Connection, viewer: Identity, folder_id: int, *, title: str,
                  description: str, sort_order: int, restricted: bool,
                  users: list[int] = (), groups: list[int] = (),
                  grant: str | None = None) -> None:
    """Change a folder's details and who it is open to (`grant`: as in `may_edit`).
    NotPermitted for a system-managed folder unless the office does it
    (`access.require_not_managed`)."""
    folder = get_folder(conn, viewer, folder_id)
    require_not_managed(conn, viewer, folder_id)
    if not may_edit(viewer, folder, grant):
        raise NotPermitted("you may not change this folder")
    title = clean_title(title)
    if restricted and not (users or groups):
        raise InvalidInput("A restricted folder needs at least one person or group.")
    with transaction(conn):
        conn.execute(
            "UPDATE folders SET title = ?, description = ?, sort_order = ?, restricted = ?,"
            " updated_at = ? WHERE id = ?",
            (title, description.strip(), int(sort_order), int(bool(restricted)), clock.iso(),
             folder_id))
        _set_access(conn, folder_id, users if restricted else (), groups if restricted else ())
        search.index(conn, "folder", folder_id, folder_id, title, description)
        audit.record(conn, viewer, "library.folder.update", f"folder:{folder_id}", title=title,
                     restricted=bool(restricted), users=sorted(users) if restricted else [],
                     groups=sorted(groups) if restricted else [])


def delete_folder(conn: Connection, viewer: Identity, folder_id: int) -> None:
    """Move a folder (and so all it holds) to the wastebin."""
    folder = get_folder(conn, viewer, folder_id)
    require_not_managed(conn, viewer, folder_id)
    if not may_edit(viewer, folder):
        raise NotPermitted("you may not delete this folder")
    wastebin.discard(conn, viewer, "folder", folder)


def exists(conn: Connection, folder_id: int) -> bool:
    """Whether any folder has this id (for tests of hiding)."""
    return conn.execute("SELECT 1 FROM folders WHERE id = ?", (folder_id,)).fetchone() is not None

