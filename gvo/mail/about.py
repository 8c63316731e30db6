"""Mail about one item of the school (a document, a page, a meeting, minutes): its title
and a link into the office, never its content.

`item_letter` is the one Letter such messages use (templates gvo/templates/mail/item.*):
what happened (`headline`), the item's title and its link (the school's address in the
office and the item's path: the office asks the person to sign in), optional words (a
share's message, a line about what to do). Who may hear of the item is the caller's rule:
an item in a room, or a confidential (Part 2) one, is named only to people who may open it.
"""

from gvo.mail.compose import Letter
from gvo.mail.outbox import school_url
from gvo.storage.sqlcipher import Connection


def link(conn: Connection, path: str) -> str:
    """The full address of `path` ("/meetings/4#minutes") in this school's office."""
    return school_url(conn) + path


def item_letter(conn: Connection, *, subject: str, why: str, headline: str, title: str,
                path: str, ref: tuple[str, int], when: str = "", note: str = "",
                message: str = "", message_from: str = "", change: str = "",
                gathered: str = "") -> Letter:
    """The Letter telling of an item: `subject` (the message's Subject), `why` (the footer's
    "You received this because ..."), `headline` ("Ann Jones commented on"), the item's
    `title` and `path`, and optionally `when` (a line under the title, e.g. the meeting's
    date), `note` (a sentence after it), a person's `message` and who wrote it. `ref`: the
    item as gvo.mail.refs knows it (access is checked again when the mail is made);
    `gathered`: the Subject for several such notices in one message (Letter.gathered)."""
    return Letter("item", subject, why, {
        "headline": headline, "title": title, "link": link(conn, path), "when": when,
        "note": note, "message": message, "message_from": message_from}, change=change,
        ref=ref, gathered=gathered)
