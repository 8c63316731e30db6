"""Following a paged list the way a reader does: the first page, then each "more" link,
with htmx (the rows alone) or without JavaScript (whole pages)."""

import html
import re

MORE = re.compile(r'class="more" data-testid="more">\s*(?:<td[^>]*>)?\s*'
                  r'<a href="([^"]+)" hx-get="([^"]+)"')


def more_link(text: str, param: str = "after") -> str | None:
    """The address of the "more" control of the list whose position is in `param`, in a
    page or fragment, or None on the last page (its plain link and its htmx address must be
    the same)."""
    found = [(h, x) for h, x in MORE.findall(text)
             if re.search(rf"[?&](amp;)?{param}=", h)]
    assert len(found) <= 1, "one 'more' control per list"
    if not found:
        return None
    href, hx_get = found[0]
    assert href == hx_get
    return html.unescape(href)


def follow(client, first: str, *, htmx: bool, ids: re.Pattern, max_bytes: int,
           max_rows: int, param: str = "after") -> list[str]:
    """Every row id reached from `first` by following "more" links (as htmx requests when
    `htmx`, else as plain page loads), checking that each answer is at most `max_bytes`
    long and holds at most `max_rows` rows. `param`: the query parameter of the list's
    position (a page with several lists has one each). Returns the ids in the order met."""
    seen, url, n = [], first, 0
    while url:
        n += 1
        headers = {"HX-Request": "true"} if htmx and n > 1 else {}
        resp = client.get(url, headers=headers)
        assert resp.status_code == 200, (url, resp.status_code)
        text = resp.get_data(as_text=True)
        found = ids.findall(text)
        assert len(resp.get_data()) <= max_bytes, (url, len(resp.get_data()))
        assert len(found) <= max_rows, (url, len(found))
        if htmx and n > 1:
            assert "<html" not in text  # the rows alone
        else:
            assert "<h1" in text and "</html>" in text  # a whole page
        seen += found
        url = more_link(text, param)
        assert n < 10_000
    return seen
