"""Every audited change can be audited: no call gives a detail the name of a field the helper
fills itself.

Found by tests/fuzz: removing an action from the minutes was a 500 on every try, because
its audit call passed a detail called `action`, which Python bound to the helper's own
`action` parameter (TypeError: got multiple values). Such a call fails only when it runs.
The helpers now take their own fields positionally only, so a detail may be called
`action` or `target`; what is left is the fields `audit.record` takes by keyword, which
the helpers pass on themselves. This test reads the source so no such call can ship.
"""

import ast
from pathlib import Path

import pytest

import gvo
from gvo.core import audit
from gvo.core.identity import Identity
from gvo.library import _util
from gvo.meetings import meetings
from gvo.people import accounts

# audit.record's own keyword fields: the helpers below fill them from the actor.
OWN_FIELDS = {"target", "actor_id", "actor_email", "ip"}
HELPERS = {"_audit", "record"}


def _calls():
    root = Path(gvo.__file__).parent
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            direct = isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "audit"
            if name in HELPERS and not direct:
                yield f"{path.relative_to(root)}:{node.lineno}", node


def test_no_helper_call_passes_a_field_the_helper_fills():
    calls = list(_calls())
    assert len(calls) > 40  # the helpers are found at all
    wrong = [where for where, node in calls
             if any(k.arg in OWN_FIELDS for k in node.keywords)]
    assert wrong == []


@pytest.mark.parametrize("helper", [
    lambda conn, a: meetings._audit(conn, a, "test.entry", "x:1", action=7),
    lambda conn, a: _util.record(conn, a, "test.entry", "x:1", action=7),
    lambda conn, a: accounts._audit(conn, a, "test.entry", "x:1", action=7),
    lambda conn, a: audit.record(conn, "test.entry", action=7, conn=8),
])
def test_a_detail_may_be_called_like_the_helpers_own_parameters(instance, school, helper):
    conn = instance.db(school)
    helper(conn, Identity(None, "", email="someone@example.org"))
    detail = audit.recent(conn)[0]["detail"]
    assert '"action": 7' in detail
