"""Issue 11: the comments on circulated minutes are served in pages on the meeting's page
and the minutes editor, with a "more" link (htmx, or a plain page without JavaScript)."""

import re

import pytest
from paging import follow

from gvo.core.identity import Identity
from gvo.discussion import comments as discussion
from gvo.meetings import minutes

from .conftest import OP

COMMENT = re.compile(r'class="minutes-comment" id="c(\d+)"')


@pytest.fixture
def discussed_minutes(signed_in, office):
    """(a board member's client, the meeting's id, the ids of 260 comments on its minutes)."""
    client, governor = signed_in("author")
    office.member(governor.id)
    meeting = office.meeting(days=-30, title="Autumn full board")
    office.item(meeting, "Budget")
    minutes.circulate(office.conn, OP, meeting)
    who = Identity(governor.id, "author", email=governor.email)
    ids = [minutes.add_comment(office.conn, who, meeting, f"Point {n}") for n in range(260)]
    return client, meeting, ids


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-javascript"])
def test_minutes_comments_come_in_pages_on_the_meeting_page(discussed_minutes, htmx):
    client, meeting, ids = discussed_minutes
    seen = follow(client, f"/alpha/meetings/{meeting}", htmx=htmx, ids=COMMENT,
                  max_bytes=200_000, max_rows=discussion.PAGE_SIZE)
    assert [int(i) for i in seen] == ids   # all, once each, oldest first


def test_minutes_comments_pages_are_for_those_who_may_read_them(discussed_minutes,
                                                                new_client, make_user):
    from conftest import sign_in

    _client, meeting, _ids = discussed_minutes
    other = new_client()
    sign_in(other, make_user("alpha", "reader"))
    assert other.get(f"/alpha/meetings/{meeting}/minutes/comments").status_code == 403
