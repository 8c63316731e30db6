"""Pages: short notes in Markdown for things that are not files, shown sanitised.

Markdown is rendered by markdown-it-py (CommonMark plus tables), whose parser runs in time
linear in the text: a page of 25,000 '[' costs five times a page of 5,000, not 25.
"""

import nh3
from markdown_it import MarkdownIt

from gvo.core import audit, clock, paging
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.discussion import subjects
from gvo.library import search, wastebin
from gvo.library._util import (
    clean_title,
    folder_subject,
    require_visible,
    visible_items,
)
from gvo.library.access import (
    require_add_in,
    require_change,
    visible_cte,
)
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection

MAX_BODY = 50_000
TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "h2", "h3", "h4", "blockquote",
        "code", "pre", "hr", "table", "thead", "tbody", "tr", "th", "td"}


# Raw HTML in a page is shown as text, never passed through.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def render(body: str) -> str:
    """Markdown to HTML, then cleaned: only harmless tags, links to http(s) and mail."""
    html = _MARKDOWN.render(body)
    return nh3.clean(html, tags=TAGS, attributes={"a": {"href", "title"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")


def render_web(body: str) -> str:
    """`render`, for a web page: each table sits in a labelled, focusable region that scrolls
    sideways on a narrow screen ("Table 1 of the page", ...), so its cells keep their words
    whole (WCAG 2.2 1.4.10 Reflow and 2.1.1 Keyboard). PDFs draw `render`'s HTML."""
    parts = render(body).split("<table>")
    out = [parts[0]]
    for n, rest in enumerate(parts[1:], start=1):
        out.append(f'<div class="table-wrap" role="region" tabindex="0" '
                   f'aria-label="Table {n} of the page"><table>'
                   + rest.replace("</table>", "</table></div>", 1))
    return "".join(out)


def _check(title: str, body: str) -> tuple[str, str]:
    if len(body) > MAX_BODY:
        raise InvalidInput(f"A page holds at most {MAX_BODY:,} characters; upload a file instead.")
    return clean_title(title), body


def create_page(conn: Connection, viewer: Identity, folder_id: int, *, title: str,
                body: str) -> int:
    """Add a page to a folder (Authors and up)."""
    require_add_in(conn, viewer, folder_id)
    title, body = _check(title, body)
    now = clock.iso()
    with transaction(conn):
        page_id = conn.execute(
            "INSERT INTO pages(folder_id, title, body, owner_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)", (folder_id, title, body, viewer.user_id, now, now)
        ).lastrowid
        search.index(conn, "page", page_id, folder_id, title, body)
        audit.record(conn, viewer, "library.page.create", f"page:{page_id}", folder=folder_id,
                     title=title)
    return page_id


@reads.once
def get_page(conn: Connection, viewer: Identity, page_id: int, *, include_deleted: bool = False):
    """A page the viewer may open; NotFound otherwise."""
    row = conn.execute("SELECT p.*, u.name AS owner_name FROM pages p LEFT JOIN users u"
                       " ON u.id = p.owner_id WHERE p.id = ?", (page_id,)).fetchone()
    return require_visible(conn, viewer, row, "page", include_deleted=include_deleted)


_PAGE = "SELECT p.*, u.name AS owner_name FROM pages p LEFT JOIN users u ON u.id = p.owner_id"


def get_many(conn: Connection, viewer: Identity, page_ids: list[int]) -> list:
    """The pages among `page_ids` the viewer may open, in one statement whatever
    their number; missing, deleted and hidden ones are left out."""
    return visible_items(conn, viewer, _PAGE, "p", page_ids)


def all_visible(conn: Connection, viewer: Identity) -> list:
    """Every page the viewer may open, by title (for pickers), in one statement."""
    return visible_items(conn, viewer, _PAGE, "p")


_IN_FOLDER = ("SELECT p.*, u.name AS owner_name FROM pages p LEFT JOIN users u"
              " ON u.id = p.owner_id WHERE p.folder_id = :folder AND p.deleted_at IS NULL"
              " AND p.folder_id IN (SELECT id FROM visible_folders)")
_BY_TITLE = ("p.title COLLATE NOCASE", "p.id")


def in_folder(conn: Connection, viewer: Identity, folder_id: int) -> list:
    """All the pages in a folder the viewer may open, by title."""
    cte, params = visible_cte(viewer)
    params["folder"] = folder_id
    return conn.execute(cte + _IN_FOLDER + f" ORDER BY {', '.join(_BY_TITLE)}",
                        params).fetchall()


def folder_page(conn: Connection, viewer: Identity, folder_id: int, after: str | None = None,
                size: int = paging.SIZE) -> paging.Page:
    """A page of the pages in a folder the viewer may open, by title, after the position
    `after` (`Page.after` of the page before; InvalidInput for a bad one)."""
    cte, params = visible_cte(viewer)
    params["folder"] = folder_id
    return paging.keyset(conn, cte + _IN_FOLDER + " AND {after}", params, columns=_BY_TITLE,
                         key_of=lambda r: (r["title"], r["id"]), after=after, size=size)


def update_page(conn: Connection, viewer: Identity, page_id: int, *, title: str,
                body: str) -> None:
    """Edit a page (its owner or an Editor). InvalidInput (its `locked_reason`) for a locked
    page, whoever asks: see `lock`."""
    page = get_page(conn, viewer, page_id)
    require_change(viewer, page["owner_id"])
    title, body = _check(title, body)
    with transaction(conn):
        # Read inside the write transaction: a lock taken a moment ago holds.
        locked = conn.execute("SELECT locked_reason FROM pages WHERE id = ?",
                              (page_id,)).fetchone()[0]
        if locked:
            raise InvalidInput(locked)
        conn.execute("UPDATE pages SET title = ?, body = ?, updated_at = ? WHERE id = ?",
                     (title, body, clock.iso(), page_id))
        search.index(conn, "page", page_id, page["folder_id"], title, body)
        audit.record(conn, viewer, "library.page.update", f"page:{page_id}", title=title)


def lock(conn: Connection, page_id: int, reason: str, *, title: str | None = None) -> None:
    """Lock a page against edits (title and text) for good, `reason` saying why in words the
    page and its edit form show (a policy's approved text: gvo.policies.lifecycle), giving
    it `title` first if one is given. For a service that has checked its own permission, in
    its caller's transaction; the caller audits. A locked page can still be read, commented
    on, shared, moved to the wastebin and restored: none of those changes its text."""
    page = conn.execute("SELECT * FROM pages WHERE id = ?", (page_id,)).fetchone()
    title = clean_title(title) if title else page["title"]
    conn.execute("UPDATE pages SET title = ?, locked_reason = ? WHERE id = ?",
                 (title, reason, page_id))
    if title != page["title"]:
        search.index(conn, "page", page_id, page["folder_id"], title, page["body"])


def delete_page(conn: Connection, viewer: Identity, page_id: int) -> None:
    """Move a page to the wastebin (its owner or an Editor)."""
    page = get_page(conn, viewer, page_id)
    require_change(viewer, page["owner_id"])
    wastebin.discard(conn, viewer, "page", page)


def subject_of(conn: Connection, page) -> subjects.Subject:
    """The page `get_page` returned, as the subject of its comments and approval (for a
    view that has it already: no second read)."""
    return folder_subject(conn, "page", page, "library.show_page", "page_id")


def _subject(conn: Connection, viewer: Identity, page_id: int) -> subjects.Subject:
    return subject_of(conn, get_page(conn, viewer, page_id))


subjects.register("page", _subject)
