"""Demo content for the instrument of government: Riverside Primary's places per category,
with one vacancy (a local authority governor's place nobody holds)."""

from gvo.core import dates
from gvo.core.identity import Identity
from gvo.governance import places
from gvo.storage.sqlcipher import Connection

# The instrument of government of a small maintained primary school: 2 parent, 1 staff,
# the headteacher, 1 local authority and co-opted governors.
BASE = {"parent": 2, "staff": 1, "headteacher": 1, "local-authority": 1, "co-opted": 1}


def _demo_places(conn: Connection) -> None:
    """Set the demo board's places: each category has at least as many places as the demo
    has governors in office in it, and the local authority place is one more than are in
    office, so the board shows exactly one vacancy whatever governors the demo adds."""
    board = places.board_id(conn)
    if board is None:
        return
    vac = places.vacancies(conn, board, dates.today())
    filled = {c.key: c.filled for c in vac.categories}
    wanted = {key: max(n, filled.get(key, 0)) for key, n in BASE.items()}
    wanted |= {key: n for key, n in filled.items() if n and key not in wanted}
    wanted["local-authority"] = filled.get("local-authority", 0) + 1
    places.set_places(conn, Identity.operator(), board,
                      {key: str(n) for key, n in wanted.items()})
