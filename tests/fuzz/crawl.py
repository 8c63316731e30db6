"""Walking the office's pages as a person would: every link and every form they can reach.

What the fuzzer learns here is what a real person's browser holds: the addresses with
real ids (a meeting and one of its own agenda items, a document and its comments), and
each form's fields with their kinds, choices and current values, parsed from the HTML
(html.parser) exactly as served.
"""

from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Addresses a crawl does not open: files (recorded, never parsed) and sign-out buttons'
# targets are POST-only anyway.
_FILES = (".pdf", ".ics", ".csv", "/download")


@dataclass
class FormField:
    """One named control of a form."""

    name: str
    kind: str                         # text, hidden, select, checkbox, radio, file, textarea...
    values: list[str] = field(default_factory=list)   # its value(s) as served, or the choices


@dataclass
class Form:
    """A form as served: where it goes and what it holds."""

    action: str                       # path and query
    method: str
    enctype: str
    fields: dict[str, FormField] = field(default_factory=dict)

    def add(self, name: str, kind: str, value: str | None) -> None:
        """Record a control (several controls of one name pool their values)."""
        entry = self.fields.setdefault(name, FormField(name, kind))
        if value is not None and value not in entry.values:
            entry.values.append(value)


class _PageParser(HTMLParser):
    """Links and forms of one page."""

    def __init__(self, url: str):
        super().__init__(convert_charrefs=True)
        self.url = url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self.ids: list[str] = []

    def _resolve(self, href: str) -> str:
        parts = urlsplit(urljoin(self.url, href))
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id") is not None:
            self.ids.append(a["id"])
        if tag == "a" and a.get("href") and not a["href"].startswith(("#", "mailto:")):
            self.links.append(self._resolve(a["href"]))
        elif tag == "button" and a.get("formaction"):
            # A button that sends a form (its own, or the one its form attribute names) to
            # another address: that address is a form of its own.
            self.forms.append(Form(self._resolve(a["formaction"]), "POST",
                                   "application/x-www-form-urlencoded",
                                   {"csrf_token": FormField("csrf_token", "hidden")}))
        elif tag == "form":
            self._form = Form(self._resolve(a.get("action") or self.url),
                              (a.get("method") or "get").upper(),
                              a.get("enctype") or "application/x-www-form-urlencoded")
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            if tag == "option" and self._form is not None and self._select:
                self._form.add(self._select, "select", a.get("value", ""))
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            value = a.get("value")
            if kind in ("checkbox", "radio") and value is None:
                value = "on"
            self._form.add(a["name"], kind, value)
        elif tag == "button" and a.get("value") is not None:
            self._form.add(a["name"], "button", a["value"])
        elif tag == "select":
            self._select = a["name"]
            self._form.add(a["name"], "select", None)
        elif tag == "textarea":
            self._textarea = a["name"]
            self._text = []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.add(self._textarea, "textarea", "".join(self._text))
            self._textarea = None


@dataclass
class Crawl:
    """Everything reached: addresses (with queries) and forms, from every page opened."""

    urls: set[str] = field(default_factory=set)
    forms: list[Form] = field(default_factory=list)
    pages: int = 0
    # Pages on which two elements share an id (HTML: an id is unique in its document), with
    # those ids: a label, a skip link or aria-describedby would point at the wrong one.
    duplicate_ids: dict[str, list[str]] = field(default_factory=dict)


def crawl(client, base: str, start: list[str], prefix: str | tuple[str, ...], into: Crawl,
          kind, per_kind: int = 8) -> Crawl:
    """Open pages from `start` breadth first (GET only, within `prefix`), into `into`.

    `kind(path)` names the route a path goes to; at most `per_kind` pages of one route are
    opened (the calendar's "next month" alone would go on for ever).
    """
    queue = deque(start)
    seen: set[str] = set()
    opened: dict[str, int] = {}
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        into.urls.add(url)
        path = urlsplit(url).path
        if path.endswith(_FILES) or not url.startswith(prefix):
            continue
        route = kind(path)
        if opened.get(route, 0) >= per_kind:
            continue
        opened[route] = opened.get(route, 0) + 1
        resp = client.get(url, base_url=base)
        into.pages += 1
        if resp.status_code != 200 or resp.mimetype != "text/html":
            continue
        parser = _PageParser(url)
        parser.feed(resp.get_data(as_text=True))
        twice = sorted({i for i in parser.ids if parser.ids.count(i) > 1})
        if twice:
            into.duplicate_ids[url] = twice
        for form in parser.forms:
            into.forms.append(form)
            into.urls.add(form.action)
            if form.method == "GET":
                queue.append(form.action)
        queue.extend(link for link in parser.links if link.startswith(prefix))
    return into
