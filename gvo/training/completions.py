"""Completions: who completed which course on which day, with an optional certificate.

Everyone (Authors and up, and governors in office whatever their role; other Readers
only read) records and removes their own completions;
holders of "Manage training" record and remove anyone's. The date may not be in the future
(the school's today, gvo.core.dates.today()). A certificate is a library document: the file
is read and checked by the library's intake (`gvo.library.intake.receive`: the school's size
limit, the type from its bytes) before the caller opens any transaction, then stored with
the completion in one transaction in the person's certificate folder
(gvo.training.certificates), which only they and the Managers may open; so only they may
attach one. Every write is audited in its transaction.
"""

from datetime import date

from gvo.core import audit, clock, dates
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.governance import records
from gvo.library import documents, intake
from gvo.storage.sqlcipher import Connection
from gvo.training import certificates, courses, validity


def may_record_for(conn: Connection, who: Identity, user_id: int) -> bool:
    """Whether `who` records or removes completions of `user_id`: their own (Author and
    up, or a governor in office whatever their role: records.is_governor), or anyone's
    with "Manage training"."""
    if courses.manages(who):
        return True
    return who.user_id == user_id and (who.at_least("author")
                                       or records.is_governor(conn, user_id))


def require_record_for(conn: Connection, who: Identity, user_id: int) -> None:
    """Raise NotPermitted unless `may_record_for`."""
    if not may_record_for(conn, who, user_id):
        raise NotPermitted("You record your own training; someone who may manage training "
                           "records anyone's.")


def may_see_person(who: Identity, user_id: int) -> bool:
    """Whether `who` reads `user_id`'s training record: their own, or anyone's with "Manage
    training"."""
    return who.user_id == user_id or courses.manages(who)


def _person(conn: Connection, user_id: int):
    row = conn.execute("SELECT id, name, role FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None or row["role"] == "inactive":
        raise InvalidInput("Choose a person with an active account.", field="user_id")
    return row


def record(conn: Connection, who: Identity, user_id: int, course_id: int, completed_on: date,
           certificate: intake.Checked | None = None) -> int:
    """Record that `user_id` completed `course_id` on `completed_on`, with `certificate` (a
    file `intake.receive` checked, or None); returns the completion's id. Raises
    NotPermitted, InvalidInput (a date in the future: field "completed_on"; an unknown
    course: "course_id"; a certificate from someone who may not see it: "certificate").
    The certificate's text is indexed for search after the transaction commits (the
    library's rule), where only those who may open its folder find it."""
    require_record_for(conn, who, user_id)
    person = _person(conn, user_id)
    try:
        course = courses.get(conn, course_id)
    except NotFound:
        raise InvalidInput("Choose a course.", field="course_id") from None
    if completed_on > dates.today():
        raise InvalidInput("The date of completion cannot be in the future.",
                           field="completed_on")
    if certificate is not None and not certificates.may_attach(who, user_id):
        raise InvalidInput(f"Only {person['name']} or a Manager may attach a certificate: "
                           "certificates are kept where only they can see them. Record the "
                           "completion without it.", field="certificate")
    stored = []
    with transaction(conn):
        document_id = None
        if certificate is not None:
            folder_id = certificates.folder_for(conn, user_id)
            stored = documents.store_files(conn, who, folder_id, [certificate],
                                           keeper=certificates.KEEPER)
            document_id = stored[0][0]
        completion_id = conn.execute(
            "INSERT INTO training_completions(course_id, user_id, completed_on, document_id,"
            " recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
            (course_id, user_id, completed_on.isoformat(), document_id, who.user_id,
             clock.iso())).lastrowid
        audit.record(conn, who, "training.completion.record",
                     f"training_completion:{completion_id}", user=user_id, course=course_id,
                     course_title=course["title"], completed_on=completed_on.isoformat(),
                     certificate=document_id)
    if stored:
        documents.index_text(conn, stored)
    return completion_id


def get(conn: Connection, who: Identity, completion_id: int):
    """A completion `who` may read (their own, or anyone's with Manage training), with its
    course's title and the person's name; NotFound otherwise (another's stays hidden)."""
    row = conn.execute(
        "SELECT c.*, t.title AS course_title, u.name AS person FROM training_completions c"
        " JOIN training_courses t ON t.id = c.course_id JOIN users u ON u.id = c.user_id"
        " WHERE c.id = ?", (completion_id,)).fetchone()
    if row is None or not may_see_person(who, row["user_id"]):
        raise NotFound("no such completion")
    return row


def remove(conn: Connection, who: Identity, completion_id: int) -> None:
    """Remove a completion recorded in error (its certificate stays in the person's
    certificate folder in the library). NotFound or NotPermitted."""
    row = get(conn, who, completion_id)
    require_record_for(conn, who, row["user_id"])
    with transaction(conn):
        conn.execute("DELETE FROM training_completions WHERE id = ?", (completion_id,))
        audit.record(conn, who, "training.completion.remove",
                     f"training_completion:{completion_id}", user=row["user_id"],
                     course=row["course_id"], course_title=row["course_title"],
                     completed_on=row["completed_on"], certificate=row["document_id"])


def of_person(conn: Connection, who: Identity, user_id: int) -> list[dict]:
    """`user_id`'s completions, newest first, each with its course's title and validity,
    its expiry date (`validity.expires_on`) and `certificate`: the document row when `who`
    may open it (the library's rule), else None. NotFound unless `may_see_person`."""
    if not may_see_person(who, user_id):
        raise NotFound("no such person")
    rows = conn.execute(
        "SELECT c.*, t.title AS course_title, t.validity_months, t.mandatory"
        " FROM training_completions c JOIN training_courses t ON t.id = c.course_id"
        " WHERE c.user_id = ? ORDER BY c.completed_on DESC, c.id DESC", (user_id,)).fetchall()
    docs = {d["id"]: d for d in documents.get_many(
        conn, who, [r["document_id"] for r in rows if r["document_id"]])}
    return [dict(r) | {"certificate": docs.get(r["document_id"]),
                       "expires": validity.expires_on(date.fromisoformat(r["completed_on"]),
                                                      r["validity_months"])}
            for r in rows]
