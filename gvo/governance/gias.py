"""The GIAS change log (table `gias_changes`): each change to the board that the clerk must
report to Get Information about Schools, with the date it happened, a 14-day countdown and
the date it was reported.

The DfE Governance Handbook (section "Publishing and sharing information about governance")
asks boards to keep the governance details on GIAS up to date and to report changes within
14 days: appointments, resignations and stepping down, and changes of chair. The services
that make such a change (gvo.governance.records) call `log` inside their own transaction,
so the change and its row are kept or lost together.
"""

from datetime import date, timedelta

from gvo.core import audit, clock, dates
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.storage.sqlcipher import Connection

DAYS_TO_REPORT = 14
IMPORT_DAYS = 90  # an import logs changes of the last 90 days only (`log_recent`)
KINDS = {"appointed": "Appointment", "stepped-down": "Stepped down", "chair": "New chair",
         "vice-chair": "New vice-chair", "details": "Details changed"}


def log(conn: Connection, record_id: int | None, kind: str, summary: str,
        happened_on: str) -> int:
    """Add a change to report (inside the caller's transaction, which audits the change
    itself): `kind` one of KINDS, `summary` what to report in words, `happened_on` the ISO
    date it took effect. Returns its id. Raises RuntimeError outside a transaction,
    ValueError for an unknown kind."""
    if not conn.in_transaction:
        raise RuntimeError("a GIAS change is logged in the transaction of the change")
    if kind not in KINDS:
        raise ValueError(f"unknown GIAS change kind {kind!r}")
    return conn.execute(
        "INSERT INTO gias_changes(record_id, kind, summary, happened_on, created_at)"
        " VALUES (?, ?, ?, ?, ?)", (record_id, kind, summary, happened_on, clock.iso())
    ).lastrowid


def log_recent(conn: Connection, record_id: int | None, kind: str, summary: str,
               happened_on: str) -> int | None:
    """`log` for a change an import brings in: only one that happened within the last
    IMPORT_DAYS days (the school's zone) is logged; an older one is history the school
    reported (or should have) before it kept its records in GVO, and logging it would fill
    the log with long-overdue changes to tick by hand. Returns the id, or None."""
    if happened_on < (dates.today() - timedelta(days=IMPORT_DAYS)).isoformat():
        return None
    return log(conn, record_id, kind, summary, happened_on)


def due_on(happened_on: str) -> date:
    """The last day to report a change that happened on ISO date `happened_on`: 14 days on."""
    return date.fromordinal(date.fromisoformat(happened_on).toordinal() + DAYS_TO_REPORT)


def days_left(row, today: date | None = None) -> int | None:
    """Days left to report `row` (negative: overdue by that many), or None once reported."""
    if row["reported_on"]:
        return None
    return (due_on(row["happened_on"]) - (today or dates.today())).days


def changes(conn: Connection, *, open_only: bool = False) -> list:
    """The log, those still to report first (oldest first), then those reported (latest
    first): id, record_id, kind, summary, happened_on, reported_on, reported_by_name."""
    where = " WHERE g.reported_on IS NULL" if open_only else ""
    return conn.execute(
        "SELECT g.*, u.name AS reported_by_name FROM gias_changes g LEFT JOIN users u"
        " ON u.id = g.reported_by" + where + " ORDER BY g.reported_on IS NOT NULL,"
        " CASE WHEN g.reported_on IS NULL THEN g.happened_on END,"
        " g.reported_on DESC, g.happened_on DESC, g.id").fetchall()


def mark_reported(conn: Connection, actor: Identity, change_id: int,
                  on: date | None = None) -> None:
    """The clerk ticks a change as reported to GIAS on `on` (default today; `unmark`
    undoes it). Audited ("gias.reported", before and after).

    Raises NotPermitted unless the actor may edit board members, NotFound, InvalidInput for a
    date before the change happened or after today."""
    if not actor.can("manage_board"):
        raise NotPermitted("Only a Manager or someone who may edit board members ticks this.")
    row = conn.execute("SELECT * FROM gias_changes WHERE id = ?", (change_id,)).fetchone()
    if row is None:
        raise NotFound("no such change")
    on = on or dates.today()
    clock.check_year(on)
    if on.isoformat() < row["happened_on"] or on > dates.today():
        raise InvalidInput("The date reported is between the date of the change and today.",
                           field="reported_on")
    with transaction(conn):
        conn.execute("UPDATE gias_changes SET reported_on = ?, reported_by = ? WHERE id = ?",
                     (on.isoformat(), actor.user_id, change_id))
        audit.record(conn, actor, "gias.reported", f"gias:{change_id}",
                     before=row["reported_on"], after=on.isoformat())


def unmark(conn: Connection, actor: Identity, change_id: int) -> None:
    """Undo a tick (reported by mistake). Audited ("gias.reported", before and after)."""
    if not actor.can("manage_board"):
        raise NotPermitted("Only a Manager or someone who may edit board members ticks this.")
    row = conn.execute("SELECT * FROM gias_changes WHERE id = ?", (change_id,)).fetchone()
    if row is None:
        raise NotFound("no such change")
    with transaction(conn):
        conn.execute("UPDATE gias_changes SET reported_on = NULL, reported_by = NULL"
                     " WHERE id = ?", (change_id,))
        audit.record(conn, actor, "gias.reported", f"gias:{change_id}",
                     before=row["reported_on"], after=None)
