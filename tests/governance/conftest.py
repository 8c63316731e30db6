"""Governance fixtures: Alpha's board, a committee, and the people on them."""

import pytest

from gvo.board import bodies
from gvo.core.identity import Identity

OP = Identity.operator()


@pytest.fixture
def board(instance, school):
    """Alpha's full governing board and a Finance committee: (conn, board_id, committee_id)."""
    conn = instance.db(school)
    board_id = bodies.save_body(conn, OP, body_id=None, kind="board", name="Full Governing Board")
    committee_id = bodies.save_body(conn, OP, body_id=None, kind="committee", name="Finance")
    return conn, board_id, committee_id
