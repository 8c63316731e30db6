"""Every page anyone can reach gives each id to one element only (HTML Living Standard,
3.2.6.1: an id is unique in its element's tree), so labels, skip links, aria-describedby
and htmx targets each find the element they name."""


def test_no_page_has_two_elements_with_one_id(fuzz_office):
    _template, found = fuzz_office
    assert found.pages > 50  # the crawl reached the office's pages
    assert not found.duplicate_ids, "ids on more than one element:\n" + "\n".join(
        f"{url}: {', '.join(ids)}" for url, ids in sorted(found.duplicate_ids.items()))
