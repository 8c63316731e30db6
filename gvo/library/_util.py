"""Small helpers shared by the library's services."""

import json

from gvo.core import text
from gvo.core.errors import InvalidInput, NotFound
from gvo.core.identity import Identity
from gvo.discussion import subjects
from gvo.library import search
from gvo.library.access import (
    can_see_folder,
    folder_audience,
    may_change,
    may_write,
    visible_cte,
)
from gvo.storage.sqlcipher import Connection


def clean_title(title: str, what: str = "title") -> str:
    """A title of 1-200 characters on one line as it shows (`text.one_line`), or
    InvalidInput."""
    title = text.one_line(title)
    if not title or len(title) > 200:
        raise InvalidInput(f"A {what} of 1-200 characters is required.")
    return title


def require_visible(conn: Connection, viewer: Identity, row, what: str, *,
                    include_deleted: bool = False):
    """A document or page row the viewer may open; NotFound("no such <what>") otherwise."""
    if row is None or (row["deleted_at"] is not None and not include_deleted):
        raise NotFound(f"no such {what}")
    if not can_see_folder(conn, viewer, row["folder_id"], include_deleted=include_deleted):
        raise NotFound(f"no such {what}")
    return row


def folder_subject(conn: Connection, kind: str, row, endpoint: str,
                   id_arg: str) -> subjects.Subject:
    """A document or page as a subject of comments and approvals: its folder is its audience;
    Authors and up take part, its owner or an Editor moderates (`access.may_write`,
    `access.may_change`); its comments are found by the library's search."""
    def on_text(conn: Connection, comment_id: int, body: str | None) -> None:
        if body is None:
            search.unindex(conn, "comment", comment_id)
        else:
            search.index(conn, "comment", comment_id, row["folder_id"],
                         f"Comment on {row['title']}", body)

    return subjects.Subject(kind, row["id"], row["title"], row["owner_id"], endpoint,
                            {id_arg: row["id"]}, lambda: folder_audience(conn, row["folder_id"]),
                            may_take_part=may_write,
                            may_moderate=lambda who: may_change(who, row["owner_id"]),
                            on_text=on_text, path=f"/library/{kind}s/{row['id']}")


def visible_items(conn: Connection, viewer: Identity, select: str, alias: str,
                  ids: list[int] | None = None) -> list:
    """Live documents or pages (`select` reads them as `alias`) the viewer may open, in one
    statement whatever their number: those among `ids`, or (ids None) every one, by title."""
    cte, params = visible_cte(viewer)
    sql = (cte + select + f" WHERE {alias}.deleted_at IS NULL"
           f" AND {alias}.folder_id IN (SELECT id FROM visible_folders)")
    if ids is None:
        return conn.execute(sql + f" ORDER BY {alias}.title COLLATE NOCASE", params).fetchall()
    params["ids"] = json.dumps(list(ids))
    return conn.execute(sql + f" AND {alias}.id IN (SELECT value FROM json_each(:ids))",
                        params).fetchall()
