"""The school's training courses: title, category, provider, mandatory or not, how many
months a completion counts (or for ever) and a booking link.

The courses marked mandatory are the school's mandatory list (safeguarding, induction,
Prevent if the school wants it). A mandatory course applies to every governor in office
(gvo.governance.records.governors: the governors and associate members `current` finds,
not the clerk, who is not a governor); there is no narrower "for whom".

Holders of "Manage training" (Managers hold it) add and change courses; every change is
audited with the values before and after. Everyone signed in reads the list.
"""

from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from gvo.core import audit, clock, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.storage import reads
from gvo.storage.sqlcipher import Connection

CAPABILITY = "manage_training"
MAX_VALIDITY_MONTHS = 120
MAX_URL = 500
CATEGORIES = ("Safeguarding", "Induction", "Prevent", "Finance", "Curriculum", "SEND",
              "Governance", "Other")


@dataclass
class CourseInput:
    """A course as typed: validity_months None means it never expires."""

    title: str
    category: str = ""
    provider: str = ""
    mandatory: bool = False
    validity_months: int | None = None
    booking_url: str = ""


def manages(who: Identity) -> bool:
    """Whether `who` manages courses and others' completions: holders of "Manage training"
    (and so Managers)."""
    return who.can(CAPABILITY)


def require_manage(who: Identity) -> None:
    """Raise NotPermitted unless `manages`."""
    if not manages(who):
        raise NotPermitted("Only a Manager or someone who may manage training does this.")


def check_url(url: str) -> str:
    """A booking link as stored: empty, or an http or https address of at most 500
    characters with a host, no spaces, no user name before the host ("@") and no backslash;
    InvalidInput (field "booking_url") otherwise (a
    javascript: or data: address is never shown as a link)."""
    url = text.strip_controls(url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if (parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or any(c.isspace() for c in url) or len(url) > MAX_URL
            # A user name before the host ("https://good@evil", "https://evil\\@good"):
            # browsers and urlsplit disagree on the host, so the link could go elsewhere.
            or "@" in parts.netloc or "\\" in url):
        raise InvalidInput("Give the booking link as a web address starting https:// (or "
                           f"http://), of at most {MAX_URL} characters, with no user name (@) or "
                           "backslash before the site's name.", field="booking_url")
    return url


def check_input(data: CourseInput) -> dict:
    """The course's values as stored, or InvalidInput naming the field."""
    title = text.one_line(data.title or "")
    if not title or len(title) > 200:
        raise InvalidInput("A title of 1-200 characters is required.", field="title")
    category, provider = text.one_line(data.category or ""), text.one_line(data.provider or "")
    if len(category) > 100:
        raise InvalidInput("A category of at most 100 characters.", field="category")
    if len(provider) > 200:
        raise InvalidInput("A provider of at most 200 characters.", field="provider")
    months = data.validity_months or None
    if months is not None and not 1 <= months <= MAX_VALIDITY_MONTHS:
        raise InvalidInput(f"Validity is 1 to {MAX_VALIDITY_MONTHS} months, or leave it empty "
                           "for a course that never expires.", field="validity_months")
    return {"title": title, "category": category, "provider": provider,
            "mandatory": int(bool(data.mandatory)), "validity_months": months,
            "booking_url": check_url(data.booking_url)}


def listing(conn: Connection) -> list:
    """Every course, mandatory ones first, then by title (any script)."""
    rows = conn.execute("SELECT * FROM training_courses").fetchall()
    return sorted(rows, key=lambda c: (not c["mandatory"], text.sort_key(c["title"])))


@reads.once
def mandatory(conn: Connection) -> list:
    """The school's mandatory list: the courses marked mandatory, by title."""
    return [c for c in listing(conn) if c["mandatory"]]


def get(conn: Connection, course_id: int):
    """One course; NotFound if there is none."""
    row = conn.execute("SELECT * FROM training_courses WHERE id = ?", (course_id,)).fetchone()
    if row is None:
        raise NotFound("no such course")
    return row


def input_of(course) -> CourseInput:
    """A stored course as the form's values."""
    return CourseInput(course["title"], course["category"], course["provider"],
                       bool(course["mandatory"]), course["validity_months"],
                       course["booking_url"])


def create(conn: Connection, who: Identity, data: CourseInput) -> int:
    """Add a course (Manage training); its id. InvalidInput or NotPermitted."""
    require_manage(who)
    values = check_input(data)
    now = clock.iso()
    with transaction(conn):
        course_id = conn.execute(
            "INSERT INTO training_courses(title, category, provider, mandatory,"
            " validity_months, booking_url, created_at, updated_at)"
            " VALUES (:title, :category, :provider, :mandatory, :validity_months,"
            " :booking_url, :now, :now)", values | {"now": now}).lastrowid
        audit.record(conn, who, "training.course.create", f"training_course:{course_id}",
                     **values)
    return course_id


def update(conn: Connection, who: Identity, course_id: int, data: CourseInput) -> None:
    """Change a course (Manage training), audited with what changed before and after."""
    require_manage(who)
    old = get(conn, course_id)
    values = check_input(data)
    before = {k: old[k] for k in values if old[k] != values[k]}
    after = {k: values[k] for k in before}
    with transaction(conn):
        conn.execute(
            "UPDATE training_courses SET title = :title, category = :category,"
            " provider = :provider, mandatory = :mandatory, validity_months = :validity_months,"
            " booking_url = :booking_url, updated_at = :now WHERE id = :id",
            values | {"now": clock.iso(), "id": course_id})
        audit.record(conn, who, "training.course.update", f"training_course:{course_id}",
                     before=before, after=after)


def delete(conn: Connection, who: Identity, course_id: int) -> None:
    """Remove a course no one has completed (Manage training); InvalidInput if someone
    has (their records stay: change the course instead)."""
    require_manage(who)
    course = get(conn, course_id)
    with transaction(conn):
        if conn.execute("SELECT 1 FROM training_completions WHERE course_id = ?",
                        (course_id,)).fetchone():
            raise InvalidInput("Completions of this course are recorded, so it stays; "
                               "change it instead.")
        conn.execute("DELETE FROM training_courses WHERE id = ?", (course_id,))
        audit.record(conn, who, "training.course.delete", f"training_course:{course_id}",
                     **asdict(input_of(course)))
