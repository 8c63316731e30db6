"""What can be shared, and who may open it.

A kind registers a loader (`register`): `loader(conn, who, ref_id)` returns the `Shareable`
that `who` may open, or raises NotFound (an item someone may not open does not exist for
them). A Shareable carries the item's title, its path in the office (the link) and
`refusal(person)` (for an active account): None when the person may open it, else why
not, in words for the sharer, who may open it and so may read them ("not in the room
“Pay panel”", "Part 2 item: not a member of the Finance committee"). The
library's documents and pages and the meetings' meetings, minutes and agenda items are
registered here; a later module (policies, tasks) registers its own kind the same way.
"""

from collections.abc import Callable
from dataclasses import dataclass

from gvo.core import dates
from gvo.core.errors import InvalidInput, NotFound
from gvo.core.identity import Identity
from gvo.library import documents, folders, pages
from gvo.library.access import can_see_folder
from gvo.mail import refs
from gvo.meetings import agenda, meetings
from gvo.meetings.rules import sees_confidential
from gvo.storage.sqlcipher import Connection

NOT_ACTIVE = "their account is not active"


@dataclass(frozen=True)
class Shareable:
    """An item someone may share: its kind and id, what it is called in words (`label`,
    "document"), its title, its path under the school's address, an optional line under the
    title (a meeting's date), and `refusal(person)` (None: the person may open it)."""

    kind: str
    id: int
    label: str
    title: str
    path: str
    refusal: Callable[[Identity], str | None]
    when: str = ""


_LOADERS: dict[str, Callable[[Connection, Identity, int], Shareable]] = {}


def register(kind: str, loader: Callable[[Connection, Identity, int], Shareable]) -> None:
    """Make a kind of item shareable (see the module's docstring). A share's mail refers to
    the item as `ref(kind)` and is checked with the same loader and refusal when it is made
    (gvo.mail.refs)."""
    _LOADERS[kind] = loader
    refs.register(ref(kind), lambda conn, who, ref_id: loader(conn, who, ref_id).refusal(who)
                  is None)


def ref(kind: str) -> str:
    """The reference type of a shared item of `kind` in mail ("shared:document")."""
    return f"shared:{kind}"


def kinds() -> list[str]:
    """The kinds that can be shared."""
    return sorted(_LOADERS)


def load(conn: Connection, who: Identity, kind: str, ref_id: int) -> Shareable:
    """The item `who` may open and so share; NotFound for unknown kinds, ids, or hidden
    ones."""
    loader = _LOADERS.get(kind)
    if loader is None:
        raise NotFound("no such item")
    return loader(conn, who, ref_id)


def _folder_refusal(conn: Connection, folder_id: int) -> Callable[[Identity], str | None]:
    """The rule for an item in a library folder: the person may open the folder, else the
    restricted folder (room) on its path whose list leaves them out is named."""
    # A meeting's confidential folder: its body's members read it (README, "Share").
    confidential = {r[0]: r[1] for r in conn.execute(
        "SELECT m.confidential_folder_id, b.name FROM meetings m JOIN bodies b"
        " ON b.id = m.body_id WHERE m.confidential_folder_id IS NOT NULL")}

    def refusal(person: Identity) -> str | None:
        if can_see_folder(conn, person, folder_id):
            return None
        for folder in folders.path(conn, folder_id):
            if folder["restricted"] and not can_see_folder(conn, person, folder["id"]):
                if folder["id"] in confidential:
                    return ("Part 2 (confidential) paper: not a member of "
                            f"{confidential[folder['id']]}")
                return f"not in the room “{folder['title']}”"
        return "may not open the folder it is in"

    return refusal


def _document(conn: Connection, who: Identity, doc_id: int) -> Shareable:
    row = documents.get_document(conn, who, doc_id)
    return Shareable("document", row["id"], "document", row["title"],
                     f"/library/documents/{row['id']}", _folder_refusal(conn, row["folder_id"]))


def _page(conn: Connection, who: Identity, page_id: int) -> Shareable:
    row = pages.get_page(conn, who, page_id)
    return Shareable("page", row["id"], "page", row["title"], f"/library/pages/{row['id']}",
                     _folder_refusal(conn, row["folder_id"]))


def _anyone(_person: Identity) -> str | None:
    return None


def _meeting_when(meeting) -> str:
    return dates.when(meeting["starts_at"], meeting["starts_fold"] or 0)


def _meeting(conn: Connection, who: Identity, meeting_id: int) -> Shareable:
    """Every member of the school may open a meeting's page (its Part 2 stays hidden there
    from those who may not read it)."""
    meeting = meetings.get(conn, meeting_id)
    return Shareable("meeting", meeting_id, "meeting", meeting["title"],
                     f"/meetings/{meeting_id}", _anyone, _meeting_when(meeting))


def _minutes(conn: Connection, who: Identity, meeting_id: int) -> Shareable:
    """Minutes once circulated (Part 1 is open to every member; Part 2 shows on the page only
    to those who may read it); InvalidInput for draft minutes."""
    meeting = meetings.get(conn, meeting_id)
    if meeting["minutes_status"] == "draft":
        raise InvalidInput("Draft minutes cannot be shared: circulate them first.")
    return Shareable("minutes", meeting_id, "set of minutes", f"Minutes of {meeting['title']}",
                     f"/meetings/{meeting_id}#minutes", _anyone, _meeting_when(meeting))


def _item(conn: Connection, who: Identity, item_id: int) -> Shareable:
    """An agenda item; a confidential (Part 2) one only to those who may read the meeting's
    confidential items (`rules.sees_confidential`)."""
    item = agenda.get_item(conn, item_id, who)
    meeting = meetings.get(conn, item["meeting_id"])

    def refusal(person: Identity) -> str | None:
        if item["confidential"] and not sees_confidential(conn, person, meeting["body_id"]):
            return f"Part 2 item: not a member of {meeting['body_name']}"
        return None

    return Shareable("item", item_id, "agenda item", f"{item['title']} ({meeting['title']})",
                     f"/meetings/{meeting['id']}{agenda.anchor(conn, item_id)}", refusal,
                     _meeting_when(meeting))


register("document", _document)
register("page", _page)
register("meeting", _meeting)
register("minutes", _minutes)
register("item", _item)
