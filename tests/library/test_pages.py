"""Pages render Markdown in linear time (issue 9, "Quadratic Markdown"), still sanitised."""

import sys

import pytest

from gvo.library import pages


def _calls(body: str) -> int:
    """How many Python function calls rendering `body` makes (an operation count, not time)."""
    count = 0

    def profile(_frame, event, _arg):
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profile)
    try:
        pages.render(body)
    finally:
        sys.setprofile(None)
    return count


@pytest.mark.parametrize("unit", ["[", "[a](", "![", "<"])
def test_rendering_grows_linearly_with_the_page(unit):
    # Python-Markdown's link parsing made 25,000 '[' cost 25 times 5,000 (80 s a view).
    small, large = _calls(unit * 5_000), _calls(unit * 25_000)
    assert large <= 6 * small, (small, large)


def test_tables_lists_and_links_render_and_nothing_else_gets_through():
    html = pages.render(
        "## Budget\n\n| Line | £ |\n|---|--:|\n| Staff | 1,200 |\n\n"
        "1. first\n2. second\n\n- a\n- b\n\n"
        "[site](https://example.org) [bad](javascript:alert(1)) <img src=x onerror=alert(1)>"
        "\n\n<script>alert(1)</script>")
    assert "<h2>Budget</h2>" in html
    assert "<table>" in html and "<th>Line</th>" in html and "<td>Staff</td>" in html
    assert "<ol>" in html and "<ul>" in html and "<li>second</li>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer">site</a>' in html
    assert 'href="javascript' not in html
    assert "<script" not in html and "<img" not in html and "onerror=alert(1)>" not in html
