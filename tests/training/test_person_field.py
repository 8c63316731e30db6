"""ATTACK13 F5: a completion for a person id that names no active account (stale, made up,
or too large for SQLite) is a 422: the form again, the typed values kept, and "Choose a
person with an active account." beside Person; never a 404 or a 400."""

from datetime import timedelta

import pytest
from conftest import page_text

from gvo.core import dates

from .conftest import record_via_form, signed_in_as

DONE = (dates.today() - timedelta(days=10)).isoformat()


@pytest.mark.parametrize("who", ["trainer", "manager", "ann"])
@pytest.mark.parametrize("user_id", [99999, 10**23, 0])
def test_an_unknown_person_gets_the_form_back(board, new_client, who, user_id):
    course = board.course(title="Induction")
    client = signed_in_as(new_client, getattr(board, who))
    resp = record_via_form(client, "alpha", course, DONE, user_id=user_id)
    assert resp.status_code == 422, page_text(resp)[:1500]
    page = page_text(resp)
    # The Person field is shown to those who record for others (a governor's is hidden,
    # their own id: a tampered one just gets the form back).
    assert ("Choose a person with an active account." in page) == (who != "ann")
    assert f'value="{DONE}"' in page
    assert f'<option selected value="{course}">' in page or \
        f'<option value="{course}" selected>' in page
    assert board.conn.execute("SELECT count(*) FROM training_completions").fetchone()[0] == 0
