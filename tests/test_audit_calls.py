"""Every audited change can be audited: no call gives a detail the name of a field
`audit.record` fills itself.

Found by tests/fuzz: removing an action from the minutes was a 500 on every try, because
its audit call passed a detail called `action`, which Python bound to the helper's own
`action` parameter (TypeError: got multiple values). Such a call fails only when it runs.
`audit.record` (the one entry point; the helpers it replaced are gone) takes its own
fields positionally only, so a detail may be called `action`, `conn` or `who`; `target`
may be given by name, and the actor's fields come from `who`, never from a detail. This
test reads the source so no call passing them as details can ship.
"""

import ast
from pathlib import Path

import pytest

import gvo
from gvo.core import audit
from gvo.core.atomic import transaction
from gvo.core.identity import Identity

# The entry's own fields that come from `who`: given by name they would be mere details.
OWN_FIELDS = {"actor_id", "actor_email", "ip", "who"}


def _calls():
    root = Path(gvo.__file__).parent
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "record"
                    and getattr(func.value, "id", "") == "audit"):
                yield f"{path.relative_to(root)}:{node.lineno}", node


def test_no_call_passes_a_field_the_entry_fills_itself():
    calls = list(_calls())
    assert len(calls) > 40  # the calls are found at all
    wrong = [where for where, node in calls
             if any(k.arg in OWN_FIELDS for k in node.keywords) or len(node.args) < 3]
    assert wrong == []


@pytest.mark.parametrize("helper", [
    lambda conn, a: audit.record(conn, a, "test.entry", "x:1", action=7),
    lambda conn, a: audit.record(conn, a, "test.entry", action=7, conn=8, who=9),
])
def test_a_detail_may_be_called_like_the_helpers_own_parameters(instance, school, helper):
    conn = instance.db(school)
    with transaction(conn):
        helper(conn, Identity(None, "", email="someone@example.org"))
    detail = audit.recent(conn)[0]["detail"]
    assert '"action": 7' in detail
