"""Actions fixtures: the meetings office (a board, a committee, people) shared with the
meetings tests."""

from meetings.conftest import OP, Office, office  # noqa: F401 (fixtures shared with meetings)
