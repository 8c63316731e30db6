"""Governance fixtures: the meetings' office (a board and a committee) and a clock set to a
calendar day."""

from datetime import UTC, datetime

import pytest
from meetings.conftest import OP, Office, office  # noqa: F401 (fixtures shared with meetings)

__all__ = ["OP", "Office", "office", "on_day"]


def on_day(clock, day: str) -> None:
    """Set the application's clock to noon UTC of `day` ('YYYY-MM-DD'): that calendar day
    in the school's zone (Europe/London) all year round."""
    clock.t = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC).timestamp()


@pytest.fixture
def day(clock):
    """day('YYYY-MM-DD'): move the clock to that day (see `on_day`)."""
    return lambda text: on_day(clock, text)
