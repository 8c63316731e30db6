"""ATTACK13 F6: a booking link with a user name before the host is refused (browsers and
urlsplit disagree on where "https://evil\\@good" goes)."""

import pytest

from gvo.core.errors import InvalidInput
from gvo.training import courses


@pytest.mark.parametrize("url", ["https://evil.example\\@good.example",
                                 "https://good.example@evil.example/",
                                 "https://user:pass@evil.example", "https://evil\\good.example"])
def test_a_booking_link_with_a_user_name_is_refused(url):
    with pytest.raises(InvalidInput) as caught:
        courses.check_url(url)
    assert caught.value.field == "booking_url"
    assert "user name" in str(caught.value)


def test_an_ordinary_booking_link_is_kept():
    url = "https://www.nga.org.uk/courses?id=12&a=b#x"
    assert courses.check_url(url) == url
