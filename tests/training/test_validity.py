"""Acceptance 4, the arithmetic: expiry in calendar months (the 31 January case, 29 February,
the 31st into a shorter month), and the four statuses at their boundaries, on the school's
date from the injectable clock."""

from datetime import date, timedelta

import pytest

from gvo.training import reports, validity
from gvo.training.completions import record

from .conftest import OP, set_today


@pytest.mark.parametrize(("completed", "months", "expires"), [
    (date(2024, 1, 31), 36, date(2027, 1, 31)),   # the case
    (date(2025, 1, 31), 1, date(2025, 2, 28)),    # the 31st into February
    (date(2023, 8, 31), 6, date(2024, 2, 29)),    # ... of a leap year
    (date(2025, 3, 31), 1, date(2025, 4, 30)),    # the 31st into a 30-day month
    (date(2024, 2, 29), 12, date(2025, 2, 28)),   # 29 February, a year with none
    (date(2024, 2, 29), 48, date(2028, 2, 29)),   # ... and one with it
    (date(2024, 12, 15), 3, date(2025, 3, 15)),   # across the new year
])
def test_expiry_is_calendar_months(completed, months, expires):
    assert validity.expires_on(completed, months) == expires


def test_a_course_without_validity_never_expires():
    assert validity.expires_on(date(2000, 1, 1), None) is None
    assert validity.standing(date(2000, 1, 1), None, date(2099, 1, 1)).status == validity.VALID
    assert validity.standing(None, 12, date(2026, 1, 1)).status == validity.NEVER


@pytest.mark.parametrize(("today", "status"), [
    (date(2026, 12, 1), validity.VALID),      # 61 days before the expiry day
    (date(2026, 12, 2), validity.EXPIRING),   # 60 days before
    (date(2027, 1, 31), validity.EXPIRING),   # the expiry day itself still counts
    (date(2027, 2, 1), validity.EXPIRED),     # the day after
])
def test_statuses_at_their_boundaries(board, clock, today, status):
    """A 36-month course done on 31 January 2024, as the school's date moves (the `clock`
    fixture): the status the reports, the dashboard and the newsletter read."""
    course = board.course(months=36)
    set_today(clock, date(2024, 1, 31))
    # Ann's completion recorded on the day; the governors are in office from Sept 2025.
    record(board.conn, OP, board.ann.id, course, date(2024, 1, 31))
    set_today(clock, today)
    assert (date(2027, 1, 31) - today).days in (61, 60, 0, -1)
    rows = {r.user_id: r.standing for r in reports.mandatory_rows(board.conn, today)}
    assert rows[board.ann.id].status == status
    assert rows[board.ann.id].expires == date(2027, 1, 31)
    assert rows[board.ben.id].status == validity.NEVER


def test_the_latest_completion_counts(board, clock):
    course = board.course(months=12)
    set_today(clock, date(2026, 6, 1))
    record(board.conn, OP, board.ann.id, course, date(2026, 5, 1))
    record(board.conn, OP, board.ann.id, course, date(2024, 1, 1))  # an older one, entered late
    [ann] = [r for r in reports.mandatory_rows(board.conn, date(2026, 6, 1))
             if r.user_id == board.ann.id]
    assert ann.standing.completed_on == date(2026, 5, 1)
    assert ann.standing.expires == date(2027, 5, 1)
    assert ann.standing.status == validity.VALID


def test_a_date_in_the_future_is_refused(board, clock):
    from gvo.core.errors import InvalidInput

    course = board.course()
    set_today(clock, date(2026, 6, 1))
    with pytest.raises(InvalidInput) as refused:
        record(board.conn, OP, board.ann.id, course, date(2026, 6, 1) + timedelta(days=1))
    assert refused.value.field == "completed_on"
    record(board.conn, OP, board.ann.id, course, date(2026, 6, 1))  # today is fine
