"""Asking before a step that destroys something, cannot be undone or sends mail.

The button of such a step posts to its route as usual; the route answers a POST that does not
carry the answer of the confirmation page (`confirmed=1`) with that page (`ask_first`), which
says what will happen and posts again with the answer. It works without script, and a
forged or stray POST never destroys anything by itself. Every route of that kind calls
`confirmed()` first (tests/test_asks_first.py walks them).
"""

from flask import render_template, request

from gvo.web.forms import ConfirmForm


def confirmed() -> bool:
    """True when this POST is the answer of the confirmation page (its `confirmed=1`); the
    CSRF token was checked for every POST before the view ran."""
    return request.form.get("confirmed") == "1"


def ask_first(question: str, lines: list[str], cancel: str, *, action: str | None = None,
              yes: str = "Yes, delete it", no: str = "No, keep it"):
    """The confirmation page: `question` as its heading, `lines` saying what will happen,
    a `yes` button posting `confirmed=1` to `action` (default: the URL of this request) and
    a `no` link back to `cancel` (URLs within the school). Returns the rendered page (200)."""
    return render_template("confirm.html", question=question, lines=lines,
                           action=action or request.path, cancel=cancel, yes=yes, no=no,
                           confirm=ConfirmForm())
