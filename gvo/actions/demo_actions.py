"""The demo school's actions: the demo minutes' actions (made by gvo.meetings.demo, some
done), and a few made by hand in the library's folders: one overdue, one due this week, one
done, one in the pay panel's private room (seen only by those in it)."""

from datetime import timedelta

from gvo.actions import tasks
from gvo.core import dates
from gvo.core.identity import Identity
from gvo.storage.sqlcipher import Connection


def _folder(conn: Connection, title: str) -> int:
    return conn.execute("SELECT id FROM folders WHERE title = ? AND deleted_at IS NULL"
                        " ORDER BY id LIMIT 1", (title,)).fetchone()[0]


def _body(conn: Connection, name: str) -> int:
    return conn.execute("SELECT id FROM bodies WHERE name = ?", (name,)).fetchone()[0]


def sample(conn: Connection, ids: dict[str, int]) -> None:
    """Make the demo's actions (`ids`: the demo people's ids by e-mail address), after the
    library's and the meetings' demo content."""
    clerk = Identity.load(conn, ids["clerk@riverside.example"])
    chair = Identity.load(conn, ids["chair@riverside.example"])
    today = dates.today()
    made = {}
    for key, title, description, folder, body, people, days in (
        ("visit", "Visit Year 2 to see the new phonics scheme",
         "Agree a date with the English lead and write a visit note in the library.",
         "Governor visits", "Teaching and Learning", ["governor@riverside.example"], -5),
        ("sfvs", "Complete the Schools Financial Value Standard return",
         "The local authority needs it before the end of March.", "Finance", "Resources",
         ["parent@riverside.example", "head@riverside.example"], 4),
        ("skills", "Fill in this year's skills audit", "", "Governance", "Full Governing Board",
         ["governor@riverside.example", "staff@riverside.example",
          "parent@riverside.example"], 30),
        ("website", "Check the governance page of the school website", "",
         "Governance", "Full Governing Board", ["chair@riverside.example"], -20),
        ("pay", "Gather the pay recommendations for the panel", "",
         "Pay panel (confidential)", "Resources",
         ["chair@riverside.example", "parent@riverside.example"], 12),
    ):
        # The pay panel's room leaves the clerk out: its chair, an Editor in it, makes that one.
        maker = chair if key == "pay" else clerk
        made[key] = tasks.create(conn, maker, tasks.TaskInput(
            title=title, description=description, due_on=today + timedelta(days=days),
            folder_id=_folder(conn, folder), body_id=_body(conn, body),
            assignee_ids=[ids[p] for p in people])).task_id
    tasks.set_status(conn, chair, made["website"], "done")
    parent = Identity.load(conn, ids["parent@riverside.example"])
    tasks.set_status(conn, parent, made["sfvs"], "in_progress")
    # The autumn meeting's action from its minutes is done; the spring one stays open.
    first = conn.execute("SELECT min(id) FROM tasks WHERE item_id IS NOT NULL").fetchone()[0]
    if first is not None:
        tasks.set_status(conn, clerk, first, "done")
