"""One signed CSRF token per session, not one signing per page (docs/decisions/0008).

Flask-WTF signs the session's CSRF value with a timestamp; GVO keeps the first signed
token of a session and hands it to every later page (`gvo.web.forms.SignedTokens`). The
signer's clock is moved forward between pages here, so a token signed again would differ.
"""

import itertools
import re

import pytest
from conftest import sign_in
from itsdangerous import timed

_TOKENS = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture
def moving_signer_clock(monkeypatch):
    """itsdangerous's timestamps advance by a minute at each signing."""
    ticks = itertools.count(1_800_000_000, 60)
    monkeypatch.setattr(timed.TimestampSigner, "get_timestamp", lambda self: next(ticks))


def test_every_page_of_a_session_carries_the_token_signed_first(signed_in,
                                                                moving_signer_clock):
    client, _person = signed_in("manager")
    seen = set()
    for path in ("/alpha/profile", "/alpha/", "/alpha/admin/users", "/alpha/profile"):
        page = client.get(path).get_data(as_text=True)
        seen.update(_TOKENS.findall(page))
    assert len(seen) == 1, seen
    # The kept token is a valid one: a form posted with it is accepted.
    resp = client.post("/alpha/profile", {"name": "Renamed Person", "phone": ""},
                       form_page="/alpha/profile")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    assert "Renamed Person" in client.get("/alpha/profile").get_data(as_text=True)


def test_another_session_gets_its_own_token(signed_in, new_client, make_user,
                                            moving_signer_clock):


    first, _ = signed_in("author")
    second = new_client()
    assert sign_in(second, make_user(role="author")).status_code == 302
    one = _TOKENS.findall(first.get("/alpha/profile").get_data(as_text=True))
    two = _TOKENS.findall(second.get("/alpha/profile").get_data(as_text=True))
    assert one and two and set(one).isdisjoint(two)
