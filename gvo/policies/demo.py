"""The demo school's policies: the statutory list seeded, some policies live (approved at the
spring board meeting, written into its minutes), one under review with a draft beside its
live version and due within a fortnight, one overdue, two published on the public page."""

from datetime import timedelta

from gvo.core import clock, dates
from gvo.core.identity import Identity
from gvo.meetings import agenda, meetings
from gvo.policies import lifecycle, public, register, statutory
from gvo.storage.sqlcipher import Connection

COMPLAINTS = """## Our approach

We want to hear when something has gone wrong, and to put it right quickly. Most concerns
are settled informally by talking to the class teacher or the headteacher.

## Stage 1: the headteacher

Write to the headteacher, who will reply within **10 school days**.

## Stage 2: the governing board

If you are not satisfied, write to the clerk to the governors. A panel of governors will
hear the complaint and reply in writing within **20 school days**.
"""

VISITS = """## Why governors visit

Visits help governors see the school's priorities at work. They are not inspections.

## Before, during and after

- Agree the focus with the headteacher and the link member of staff.
- Keep to the agreed focus; do not judge teaching.
- Write a short note within two weeks and add it to the *Governor visits* folder.
"""

BEHAVIOUR = """## Principles

Every pupil has the right to learn, and every adult the right to teach, in a calm and safe
school. We praise good behaviour often and deal with poor behaviour fairly.

## Rewards and consequences

| Stage | What happens |
|---|---|
| Reminder | A quiet word |
| Warning | Name on the board |
| Time out | Five minutes in a partner class |
"""


ACCESSIBILITY = """## Our plan

Over the next three years we will widen access to the curriculum for disabled pupils,
improve the physical environment (a ramp to the hall, an accessible toilet by Year 1) and
give information to pupils, parents and carers in formats they can use.
"""


def _policy_id(conn: Connection, key: str) -> int:
    return conn.execute("SELECT id FROM policies WHERE statutory_key = ?", (key,)).fetchone()[0]


def _details(conn: Connection, who: Identity, policy_id: int, **changes) -> None:
    data = register.input_of(register.get(conn, who, policy_id))
    for name, value in changes.items():
        setattr(data, name, value)
    register.update(conn, who, policy_id, data)


def sample(conn: Connection, clerk_id: int, head_id: int) -> None:
    """Seed the demo school's policies (after its library and meetings: gvo.people.demo);
    their drafts are written a week before the latest past board meeting whose minutes are
    still open (its register locked, quorate) and approved at it, but for the accessibility
    plan, whose approval the clerk has yet to record; the safeguarding policy's document
    (uploaded today) waits as a draft for the next meeting."""
    clerk = Identity(clerk_id, "manager", email="clerk (demo)")
    meeting = conn.execute(
        "SELECT m.id, m.starts_at, m.starts_fold FROM meetings m JOIN bodies b"
        " ON b.id = m.body_id WHERE b.kind = 'board'"
        " AND m.minutes_status IN ('draft', 'circulated') AND m.starts_at < ?"
        " ORDER BY m.starts_at DESC LIMIT 1",
        (meetings.local_now().strftime("%Y-%m-%dT%H:%M"),)).fetchone()
    meeting_id = meeting["id"]
    week_before = dates.to_utc(meeting["starts_at"], meeting["starts_fold"] or 0).timestamp() \
        - 7 * 86400
    statutory.set_options(conn, clerk, kind="maintained", days=60)
    public.switch(conn, clerk, True)
    statutory.add_missing(conn, clerk)
    types = {t["name"]: t["id"] for t in register.types(conn)}
    visits = register.create(conn, clerk, register.PolicyInput(
        name="Governor visits policy", approval_level="board", cycle_months=24,
        type_id=types["Governance"], publish_publicly=True))
    item = agenda.add_item(conn, clerk, meeting_id, agenda.ItemInput(
        title="Policies for approval", purpose="decision", presenter="Clerk", minutes=15))

    safeguarding = conn.execute("SELECT id FROM documents WHERE title = ? AND deleted_at"
                                " IS NULL", ("Safeguarding and child protection policy",)
                                ).fetchone()
    live = [(_policy_id(conn, "complaints"), COMPLAINTS), (visits, VISITS),
            (_policy_id(conn, "behaviour_policy"), BEHAVIOUR),
            (_policy_id(conn, "health_safety"),
             "## Responsibilities\n\nThe headteacher is responsible for day-to-day health "
             "and safety; the Resources committee monitors it each term.")]
    plan = _policy_id(conn, "accessibility_plan")
    with clock.frozen_at(week_before):
        for policy_id, text in live + [(plan, ACCESSIBILITY)]:
            lifecycle.write_page(conn, clerk, policy_id, text)
    for policy_id, _ in live:
        agenda.attach(conn, clerk, item, "policy", policy_id)
        lifecycle.approve_at_meeting(conn, clerk, policy_id, item)
    # Approved at the meeting too, but the clerk has yet to record it (its policy page
    # offers the meeting).
    agenda.attach(conn, clerk, item, "policy", plan)
    if safeguarding is not None:
        lifecycle.set_draft_text(conn, clerk, _policy_id(conn, "child_protection"), "document",
                                 safeguarding["id"])

    today = dates.today()
    complaints, behaviour, health = (_policy_id(conn, k) for k in
                                     ("complaints", "behaviour_policy", "health_safety"))
    _details(conn, clerk, complaints, publish_publicly=True, owner_ids=[clerk_id])
    # Under review: a draft beside the live version, due within a fortnight.
    _details(conn, clerk, behaviour, next_review_on=today + timedelta(days=10),
             owner_ids=[head_id])
    lifecycle.start_review(conn, clerk, behaviour)
    # Overdue: its review date has passed.
    _details(conn, clerk, health, next_review_on=today - timedelta(days=12))
