"""Discussion topics: conversations between meetings, kept in the library's folders.

A topic has a title, an opening text (Markdown, rendered and cleaned as the library's pages
are: `gvo.library.pages.render_web`), a folder, its author and its times. It lives in a
library folder, so who may see it is the library's one rule (`gvo.library.access`: rooms
and restricted folders hide it, 404, from everyone outside them, Managers included); it is
the discussion subject ('topic', id) (`gvo.discussion.subjects`), so its threaded comments,
approvals and followers are the shared layer's, and it can be shared like a document or a
page (`gvo.sharing.items`, the same folder rule and the same reasons for leaving people out).

Who may do what is the library's: Authors and up start topics in folders they can open
and comment; the author (Author and up) or any Editor or Manager edits it and moves it to
the library's wastebin, from which a Manager restores it. Every write is audited in its
own transaction.

No formal business is conducted in a discussion: a governing board decides at its meetings,
each question by a majority of the governors present and voting at a quorate meeting (The
School Governance (Roles, Procedures and Allowances) (England) Regulations 2013, reg. 14
"Proceedings of the governing body"), and its committees at theirs within the functions it
delegated to them (reg. 18). `NO_FORMAL_BUSINESS` is what the pages say.

Mail: a new topic is announced (kind "topic") to everyone who may open its folder, but its
author; comments and replies go to its followers (its author from the start, and whoever
follows it) through the discussion layer. Each recipient's access is checked when the
mail is made and again when it is sent (`gvo.mail.refs`, registered by `subjects.register`).
"""

import dataclasses

from gvo.core import audit, clock, paging, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotPermitted
from gvo.core.identity import Identity
from gvo.discussion import followers, subjects
from gvo.library import folders, wastebin
from gvo.library._util import clean_title, folder_subject, require_visible
from gvo.library.access import (
    may_change,
    may_write,
    require_change,
    require_folder,
    visible_cte,
)
from gvo.library.pages import MAX_BODY
from gvo.mail import volume
from gvo.sharing import items
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection

KIND = "topic"
PAGE_SIZE = 25
ORDERS = {"activity": "Newest activity first", "title": "By title"}
NO_FORMAL_BUSINESS = (
    "No formal business is conducted in discussions. A discussion is for talking things "
    "over between meetings: it cannot make a decision. The governing board decides at its "
    "meetings, each question by a majority of the governors present and voting at a quorate "
    "meeting (The School Governance (Roles, Procedures and Allowances) (England) Regulations "
    "2013, regulation 14), and committees at theirs within the powers the board gave them. "
    "Marking a topic “Approved” records who read or agreed with it; it is not a decision. "
    "To decide something, ask the clerk to put it on a meeting's agenda.")
NEW_TOPIC_MAIL = "topic"
volume.describe_kind(NEW_TOPIC_MAIL, "e-mails about new discussion topics")

_SELECT = ("SELECT t.*, u.name AS owner_name, f.title AS folder_title,"
           " (SELECT count(*) FROM comments c WHERE c.subject_type = 'topic'"
           " AND c.subject_id = t.id AND c.deleted_at IS NULL) AS comment_count"
           " FROM topics t LEFT JOIN users u ON u.id = t.owner_id"
           " JOIN folders f ON f.id = t.folder_id")
# The lists' orders, each with a unique key (gvo.core.paging).
_KEYS = {"activity": (("t.active_at", "t.id"), lambda r: (r["active_at"], r["id"]), True),
         "title": (("t.title_key", "t.id"), lambda r: (r["title_key"], r["id"]), False)}


def title_key(title: str) -> str:
    """The sort key of a topic's title (`gvo.core.text.sort_key`), stored beside it."""
    return text.sort_key(title)


def _check(title: str, body: str) -> tuple[str, str]:
    """The title as it shows (1-200 characters, one line) and the text (at most MAX_BODY
    characters, line ends as typed); InvalidInput naming the field otherwise."""
    body = (body or "").replace("\r\n", "\n").strip()
    if len(body) > MAX_BODY:
        raise InvalidInput(f"The opening text holds at most {MAX_BODY:,} characters.",
                           field="body")
    try:
        return clean_title(title), body
    except InvalidInput as exc:
        raise InvalidInput(str(exc), field="title") from None


# -- reading -------------------------------------------------------------------------------


@reads.once
def get(conn: Connection, viewer: Identity, topic_id: int):
    """A live topic the viewer may open, with `owner_name`, `folder_title` and
    `comment_count`; NotFound for a missing, deleted or hidden one (a room hides it)."""
    row = conn.execute(_SELECT + " WHERE t.id = ?", (topic_id,)).fetchone()
    return require_visible(conn, viewer, row, "topic")


def page(conn: Connection, viewer: Identity, *, folder_id: int | None = None,
         order: str = "activity", after: str | None = None,
         size: int = PAGE_SIZE) -> paging.Page:
    """A page of the live topics the viewer may open (in `folder_id` only, if given: NotFound
    for a folder they may not open), newest activity first or by title (`ORDERS`), after the
    position `after` (`Page.after` of the page before; InvalidInput for a bad one)."""
    if order not in _KEYS:
        raise InvalidInput("Choose an order: " + ", ".join(ORDERS.values()) + ".")
    cte, params = visible_cte(viewer)
    where = " WHERE t.deleted_at IS NULL AND t.folder_id IN (SELECT id FROM visible_folders)"
    if folder_id is not None:
        require_folder(conn, viewer, folder_id)
        where += " AND t.folder_id = :folder"
        params["folder"] = folder_id
    columns, key_of, descending = _KEYS[order]
    return paging.keyset(conn, cte + _SELECT + where + " AND {after}", params,
                         columns=columns, key_of=key_of, after=after, size=size,
                         descending=descending)


def folder_choices(conn: Connection, viewer: Identity) -> list[tuple[int, str]]:
    """The folders the viewer may open, each as (id, its path "Governance / Visits"), in the
    order of their paths in any script (`title_key`): for the list's filter and, for those
    who may write (`may_write`), the folder a new topic goes in."""
    rows = {r["id"]: r for r in folders.all_visible(conn, viewer)}

    def path(folder_id: int) -> list[str]:
        trail, seen = [], set()
        while folder_id in rows and folder_id not in seen:
            seen.add(folder_id)
            trail.append(rows[folder_id]["title"])
            folder_id = rows[folder_id]["parent_id"]
        return list(reversed(trail))

    labelled = [(fid, path(fid)) for fid in rows]
    labelled.sort(key=lambda pair: [title_key(part) for part in pair[1]])
    return [(fid, " / ".join(parts)) for fid, parts in labelled]


def may_start(viewer: Identity) -> bool:
    """Whether the viewer may start topics (Authors and up, in folders they may open)."""
    return may_write(viewer)


def may_edit(viewer: Identity, topic) -> bool:
    """Its author (an Author or more) or any Editor or Manager (`access.may_change`)."""
    return may_change(viewer, topic["owner_id"])


# -- writing -------------------------------------------------------------------------------


def create(conn: Connection, viewer: Identity, folder_id: int, *, title: str,
           body: str) -> int:
    """Start a topic in a folder the viewer may open (Authors and up); announce it by mail to
    everyone else who may open the folder. Audited "discussion.topic.create". Returns its
    id. NotFound for a folder the viewer may not open, NotPermitted for a Reader,
    InvalidInput for a bad title or text."""
    require_folder(conn, viewer, folder_id)
    if not may_start(viewer):
        raise NotPermitted("Readers cannot start discussions")
    title, body = _check(title, body)
    now = clock.iso()
    with transaction(conn):
        topic_id = conn.execute(
            "INSERT INTO topics(folder_id, title, title_key, body, owner_id, created_at,"
            " updated_at, active_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (folder_id, title, title_key(title), body, viewer.user_id, now, now, now)
        ).lastrowid
        audit.record(conn, viewer, "discussion.topic.create", f"topic:{topic_id}",
                     folder=folder_id, title=title)
        _announce(conn, viewer, subject_of(conn, get(conn, viewer, topic_id)))
    return topic_id


def _announce(conn: Connection, viewer: Identity, subject: subjects.Subject) -> None:
    """Tell everyone who may open the topic's folder (each checked again by the subject's
    own loader in `followers.tell`) that it was started: its title and link only."""
    audience = [u["id"] for u in subject.audience()]
    followers.tell(conn, viewer, subject, kind=NEW_TOPIC_MAIL,
                   headline=f"{viewer.name or 'Someone'} started a discussion",
                   subject_line=f"New discussion: “{subject.title}”",
                   also=audience, also_why="you can open the folder it is in",
                   note="Discussions are for talking things over; decisions are made at "
                        "meetings.",
                   gathered="{n} new discussions")


def update(conn: Connection, viewer: Identity, topic_id: int, *, title: str,
           body: str) -> None:
    """Change a topic's title and opening text (its author or an Editor or Manager).
    Audited "discussion.topic.update" with which fields changed and the text's length
    before and after, never the words: the audit log is read by Managers a room may hide
    the topic from, and it is hash-chained, so nothing written into it can be taken out."""
    topic = get(conn, viewer, topic_id)
    require_change(viewer, topic["owner_id"])
    title, body = _check(title, body)
    if (title, body) == (topic["title"], topic["body"]):
        return
    now = clock.iso()
    with transaction(conn):
        conn.execute("UPDATE topics SET title = ?, title_key = ?, body = ?, updated_at = ?,"
                     " active_at = max(active_at, ?) WHERE id = ?",
                     (title, title_key(title), body, now, now, topic_id))
        audit.record(conn, viewer, "discussion.topic.update", f"topic:{topic_id}", title=title,
                     changed=[f for f, old, new in (("title", topic["title"], title),
                                                     ("text", topic["body"], body))
                              if old != new],
                     text_length={"before": len(topic["body"]), "after": len(body)})


def delete(conn: Connection, viewer: Identity, topic_id: int) -> None:
    """Move a topic (with its comments) to the library's wastebin (its author or an Editor or
    Manager); a Manager who may open its folder restores it there. Audited
    "library.topic.delete" by the wastebin."""
    topic = get(conn, viewer, topic_id)
    require_change(viewer, topic["owner_id"])
    wastebin.discard(conn, viewer, KIND, topic)


# -- as a discussion subject, and as something to share --------------------------------


def _on_text(topic_id: int):
    """Keep the topic's newest activity in step with its comments (inside the comment's
    transaction): the later of its last change and its newest live comment."""
    def on_text(conn: Connection, _comment_id: int, _body: str | None) -> None:
        conn.execute(
            "UPDATE topics SET active_at = max(updated_at, coalesce((SELECT max(c.created_at)"
            " FROM comments c WHERE c.subject_type = 'topic' AND c.subject_id = topics.id"
            " AND c.deleted_at IS NULL), '')) WHERE id = ?", (topic_id,))
    return on_text


def subject_of(conn: Connection, topic) -> subjects.Subject:
    """The topic `get` returned as the subject of its comments, approval and followers: the
    library's rules for an item in a folder (`_util.folder_subject`: its folder is its
    audience, Authors and up take part, its author or an Editor moderates), shown on its
    own page, its comments kept out of the library's search."""
    subject = folder_subject(conn, KIND, topic, "discussions.show_topic", "topic_id")
    return dataclasses.replace(subject, on_text=_on_text(topic["id"]),
                               path=f"/discussions/{topic['id']}")


def _subject(conn: Connection, viewer: Identity, topic_id: int) -> subjects.Subject:
    return subject_of(conn, get(conn, viewer, topic_id))


def _shareable(conn: Connection, viewer: Identity, topic_id: int) -> items.Shareable:
    topic = get(conn, viewer, topic_id)
    return items.Shareable(KIND, topic_id, "discussion topic", topic["title"],
                           f"/discussions/{topic_id}",
                           items._folder_refusal(conn, topic["folder_id"]))


def exists(conn: Connection, topic_id: int) -> bool:
    """Whether any topic has this id, deleted or not (for tests of hiding)."""
    return conn.execute("SELECT 1 FROM topics WHERE id = ?", (topic_id,)).fetchone() is not None


subjects.register(KIND, _subject)
items.register(KIND, _shareable)
