"""No input gives a 500, and a refused request leaves nothing half written (issue 9).

For every route in `app.url_map` and each of its methods, Hypothesis sends requests as
the people the route's access declaration (`gvo.web.access`) lets in: the real ids the
office's pages link to (and wrong ones: 0, negative, huge, another school's), the forms
those pages serve with their CSRF token (or without, or forged), every field sent as
served or as hostile text (any script, control characters, NUL, bidi overrides, very
long, empty, malformed numbers and dates, bytes that are not UTF-8), random values in
every query parameter, and file uploads with odd names, odd contents and broken bodies.

Every answer must be one GVO gives on purpose: 2xx, 3xx, 400, 403, 404, 405 (a method
the address does not take), 410 (a used set-up link), 413, 415 (a refused file type) or
422. A view that raises is a failure with its traceback (TESTING lets exceptions
through), never a hidden 500.

A refused request (a 4xx, a page showing field errors or an error message, or an error
message left for the next page) must leave every table of every school as it was, but
for the records of the refusal itself: sign-in failures (throttling), sessions, and in
the audit log only failed or throttled sign-in steps. A GET changes nothing at all.
Nothing is written outside the database either.

Each route is tried on its own copy of the office (tests/fuzz/office.py), first with
each visitor's plain requests (its form as served, then filled in), then with
FUZZ_EXAMPLES random ones; at least one request must reach the view's own work (past
access, ids and CSRF), or the fixtures are missing something.

The run is bounded and repeatable: a fixed seed (derandomize) and 12 random examples per
route in `make test`. A developer's longer run (README, Development):
    GVO_FUZZ_EXAMPLES=500 .venv/bin/python -m pytest -p no:cacheprovider tests/fuzz
and GVO_FUZZ_SEED=<n> explores other examples than the fixed ones.
"""

import inspect
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import pyotp
import pytest
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from fuzz import inputs, office
from gvo import create_app
from gvo.core import clock, identity
from gvo.meetings import meetings
from gvo.storage.instance import Instance
from gvo.web import paging

FUZZ_EXAMPLES = int(os.environ.get("GVO_FUZZ_EXAMPLES") or 12)
FUZZ_SEED = os.environ.get("GVO_FUZZ_SEED")
# Refusals GVO gives on purpose, each with its page: 405 is a method an address does not
# take (a POST to /static/...), 410 a set-up link already used, 415 a refused file type.
ANSWERS = {400, 403, 404, 405, 410, 413, 415, 422}
SIGNED_IN = ("clerk", "chair", "staff", "governor", "inspector")
# Names a view reads from the query string itself (request.args.get("...")).
_ARG = re.compile(r"""request\.args\.get\(\s*["'](\w+)["']""")
# ... and the position of a paged list (gvo.web.paging.after: "after" unless named; a
# module's dicts named *_LISTS name lists read through a variable).
_PAGED = re.compile(r"""paging\.(?:after|wants_rows)\(\s*(?:["'](\w+)["'])?\s*\)""")
_PART = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
SCHOOLS = st.sampled_from([office.SCHOOL] * 8 + [office.OTHER, "nowhere", "static",
                                                   "Riverside"])
# Text for a part of a path (bytes that are not UTF-8 are sent as Latin-1 text).
NASTY_PART = inputs.NASTY_QUERY.map(lambda v: v if isinstance(v, str) else v.decode("latin-1"))
WRONG_IDS = ["0", "-1", "01", str(2**63 - 1), str(2**63), "9" * 40, "٣", "１", "1.0", "abc",
             "999999"]


@dataclass(frozen=True)
class Route:
    """One rule of the URL map with one of its methods."""

    rule: str
    endpoint: str
    method: str

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


def _routes() -> list[Route]:
    with tempfile.TemporaryDirectory() as tmp:
        inst = Instance.init(Path(tmp) / "i", environ={})
        try:
            app = create_app({"TESTING": True}, instance=inst)
            return sorted(
                (Route(r.rule, r.endpoint, m) for r in app.url_map.iter_rules()
                 for m in sorted(r.methods - {"HEAD", "OPTIONS"})),
                key=lambda r: (r.rule, r.method))
        finally:
            inst.close()


ROUTES = _routes()


def eligible(app, route: Route, actors: dict[str, office.Visitor]) -> list[str]:
    """Who the route's declaration lets in (for a public route: people at each sign-in
    step, and someone signed in)."""
    rule = getattr(app.view_functions.get(route.endpoint), "gvo_access", None)
    if rule is None or rule.kind == "public":
        return ["anonymous", "verifying", "enrolling", "governor"]
    signed = [actors[n] for n in SIGNED_IN]
    if rule.kind == "role":
        signed = [a for a in signed if identity.RANK[a.role] >= identity.RANK[rule.value]]
    elif rule.kind == "capability":  # Managers, and anyone granted it
        signed = [a for a in signed if a.role == "manager" or rule.value in a.caps]
    return [a.name for a in signed]


def plausible(name: str, kind: str, template: office.Template) -> list[str]:
    """Values a person would type into an empty field of this kind, so that forms are also
    sent complete and right (and their success paths run), not only wrong."""
    soon = meetings.local_now() + timedelta(days=10)
    if name == "code":  # the codes of the two people at a sign-in step: the next step's
        # code (a phone's clock a little fast), as the chair signed in with this step's
        return [pyotp.TOTP(secret).at(clock.now() + 30) for secret in template.codes]
    if name == "next":
        return [f"/{office.SCHOOL}/meetings"]
    return {
        "email": ["new.governor@example.org", "governor@riverside.example"],
        "password": [office.PASSWORD, "a-long-new-passphrase-42"],
        "date": [soon.date().isoformat()],
        "datetime-local": [soon.strftime("%Y-%m-%dT18:00"), soon.strftime("%Y-%m-%dT20:00")],
        "number": ["5"],
        "text": ["Budget and premises"],
        "textarea": ["Agreed, with two changes.\n\n- first\n- *second*"],
    }.get(kind, [])


@dataclass
class Body:
    """The fields a route's form sends (see Run._body)."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    multi: set[str] = field(default_factory=set)
    csrf: set[str] = field(default_factory=set)
    pairs: st.SearchStrategy | None = None


@dataclass
class Shot:
    """One request."""

    visitor: str
    method: str
    url: str
    body: bytes = b""
    content_type: str | None = None
    headers: dict = field(default_factory=dict)
    cookie: str | None = None           # a session cookie sent instead of the visitor's own

    def __str__(self) -> str:
        body = self.body[:300] + (b"..." if len(self.body) > 300 else b"")
        return f"{self.method} {self.url[:300]} as {self.visitor} ({self.content_type}) {body!r}"


class Run:
    """One route fuzzed on its own copy of the office."""

    def __init__(self, route: Route, template: office.Template, found, tmp_path: Path):
        self.route, self.template = route, template
        self.inst = template.copy_to(tmp_path / "office")
        self.app = create_app(dict(office.CONFIG), instance=self.inst)
        self.adapter = self.app.url_map.bind("localhost", url_scheme="https")
        self.rule = next(r for r in self.app.url_map.iter_rules() if r.rule == route.rule
                         and r.endpoint == route.endpoint)
        self.visitors = eligible(self.app, route, template.actors)
        self.clients = {name: office.client_for(self.app, template.actors[name])
                        for name in self.visitors}
        self.urls = self._urls(found)
        self.forms = [f for f in found.forms if f.method == route.method
                      and self._matches(urlsplit(f.action).path)]
        # The fields of the forms sent to each address (a minutes form's fields carry its
        # item's prefix), and of all this route's forms for an address no page served.
        self.bodies = {path: self._body([f for f in self.forms
                                         if urlsplit(f.action).path == path])
                       for path in {urlsplit(f.action).path for f in self.forms}}
        self.any_body = self._body(self.forms)
        self.file_field = next((n for f in self.forms for n, s in f.fields.items()
                               if s.kind == "file"), None)
        self.args = self._args(found)
        # Each address's own values for the rule's parts, and wrong ones to put instead.
        self.values = {u: self.adapter.match(urlsplit(u).path, route.method)[1]
                       for u in self.urls}
        self.strings = {name: sorted({str(v[name]) for v in self.values.values()} | {"x"})
                        for name in self.rule.arguments}
        self.wrong_ids = st.one_of(st.sampled_from(WRONG_IDS),
                                   st.sampled_from([str(i) for i in template.other_ids]),
                                   st.integers(1, 10**6).map(str))
        self.before = office.digest(self.inst)
        self.audited = office.audit_mark(self.inst)
        self.files = self._files()
        self.answers: list[tuple[int, str]] = []

    def close(self) -> None:
        """Close the copy's databases."""
        self.inst.close()

    def _body(self, forms) -> "Body":
        """What the forms hold: their fields' values as served (or typed), checkbox lists,
        and the names of their CSRF fields (a prefixed form's is `<prefix>-csrf_token`),
        which always get the sending visitor's own token."""
        body = Body()
        for form in forms:
            for name, spec in form.fields.items():
                if name == "csrf_token" or name.endswith("-csrf_token"):
                    body.csrf.add(name)
                    continue
                served = body.fields.setdefault(name, [])
                served += [v for v in spec.values if v not in served]
                served += [v for v in plausible(name, spec.kind, self.template)
                           if v not in served]
                if spec.kind == "checkbox":
                    body.multi.add(name)
        body.csrf = body.csrf or {"csrf_token"}
        body.pairs = inputs.pairs(body.fields, body.multi)
        return body

    # -- what the office offers this route ---------------------------------

    def _matches(self, path: str) -> bool:
        try:
            rule, _ = self.adapter.match(path, self.route.method, return_rule=True)
        except (HTTPException, RequestRedirect):
            return False
        return rule is self.rule

    def _urls(self, found) -> list[str]:
        urls = sorted(u for u in found.urls if self._matches(urlsplit(u).path))
        if not urls and not self.rule.arguments - {"school"}:
            urls = [self.rule.rule.replace("<school>", office.SCHOOL)]
        return urls

    def _args(self, found) -> dict[str, list[str]]:
        """Query parameters: those of links and GET forms, and those the view reads."""
        args: dict[str, list[str]] = {}
        for url in self.urls:
            for name, val in parse_qsl(urlsplit(url).query, keep_blank_values=True):
                args.setdefault(name, []).append(val)
        view = self.app.view_functions[self.route.endpoint]
        source = inspect.getsource(sys.modules[view.__module__])
        for name in _ARG.findall(source):
            args.setdefault(name, [])
        for name in _PAGED.findall(source):
            args.setdefault(name or paging.PARAM, [])
        if "paging.after(" in source:
            for var, lists in vars(sys.modules[view.__module__]).items():
                if var.endswith("_LISTS") and isinstance(lists, dict):
                    for name in lists:
                        args.setdefault(name, [])
        if self.route.method == "GET":
            for form in self.forms:
                for name, spec in form.fields.items():
                    args.setdefault(name, []).extend(spec.values)
        return args

    def _files(self) -> set[str]:
        """Files of the instance (but SQLite's own journals): nothing may appear beside them."""
        return {str(p.relative_to(self.inst.path)) for p in self.inst.path.rglob("*")
                if not p.name.endswith(("-wal", "-shm", "-journal"))}

    # -- requests -----------------------------------------------------------

    def _path(self, draw, url: str) -> str:
        """The route's path with the URL's own values, some swapped for wrong ones."""
        values = self.values[url]

        def part(match):
            converter, name = match.group(1), match.group(2)
            if name == "school":
                return draw(SCHOOLS)
            if draw(st.integers(0, 5)) < 5:  # the simplest example keeps the real value
                return quote(str(values[name]), safe="/" if converter == "path" else "")
            if converter == "int":
                wrong = draw(self.wrong_ids)
            else:
                wrong = draw(st.one_of(st.sampled_from(self.strings[name]), NASTY_PART))
            return quote(wrong, safe="") or "x"

        return _PART.sub(part, self.rule.rule)

    def shots(self) -> st.SearchStrategy[Shot]:
        """Requests for this route."""

        @st.composite
        def shot(draw):
            visitor = draw(st.sampled_from(self.visitors))
            actor = self.template.actors[visitor]
            url = draw(st.sampled_from(self.urls))
            path = self._path(draw, url)
            query = inputs.encode_pairs(
                draw(inputs.pairs(self.args, ways=inputs.QUERY_WAYS, query=True)))
            query = "&".join(q for q in (query, draw(inputs.RAW_QUERY)) if q)
            target = path + (f"?{query}" if query else "")
            headers = {}
            cookie = draw(inputs.COOKIE)
            if draw(st.integers(0, 9)) < 9:
                headers["Referer"] = office.BASE + urlsplit(url).path
            if draw(st.booleans()):
                headers["HX-Request"] = "true"
                if draw(st.integers(0, 4)) == 0:
                    headers["HX-History-Restore-Request"] = "true"
            if self.route.method == "GET":
                return Shot(visitor, "GET", target, headers=headers, cookie=cookie)
            csrf = draw(st.sampled_from([actor.csrf] * 5 + [None, "forged", self._other_csrf(
                visitor)]))
            form = self.bodies.get(urlsplit(url).path, self.any_body)
            if self.file_field:
                ctype, body, extra = draw(inputs.multipart(form.fields, self.file_field, csrf))
                headers.update(extra)
                return Shot(visitor, "POST", target, body, ctype, headers, cookie)
            items = draw(form.pairs)
            if csrf:
                items[:0] = [(name, csrf) for name in sorted(form.csrf)]
            return Shot(visitor, "POST", target, inputs.encode_pairs(items).encode("ascii"),
                        draw(inputs.FORM_TYPE), headers, cookie)

        return shot()

    def plain_shots(self) -> list[Shot]:
        """Requests as a person sends them, one or two per visitor (the addresses in turn):
        a form sent as the page served it (often empty, so refused), then filled in (each
        field's first value the page served or a person would type, a paper for an upload),
        with their own CSRF token. Tried first, so each run reaches each view as each kind
        of person, whatever the random examples turn out to be. The addresses are spread
        over the list (so over different meetings, folders, documents)."""
        out = []
        for i, visitor in enumerate(self.visitors):
            actor = self.template.actors[visitor]
            url = self.urls[i * len(self.urls) // len(self.visitors)]
            headers = {"Referer": office.BASE + urlsplit(url).path}
            if self.route.method == "GET":
                out.append(Shot(visitor, "GET", url, headers=headers))
                continue
            form = self.bodies.get(urlsplit(url).path, self.any_body)
            token = [(name, actor.csrf) for name in sorted(form.csrf)]
            for filled in (False, True):
                items = token + [(name, next((v for v in values if v or not filled), ""))
                                 for name, values in sorted(form.fields.items())]
                if self.file_field:
                    paper = [(self.file_field, "paper.pdf", inputs.small_pdf(),
                              "application/pdf")] if filled else []
                    ctype, body = inputs.multipart_body(
                        [(n, None, v.encode(), None) for n, v in items] + paper)
                    out.append(Shot(visitor, "POST", url, body, ctype, headers))
                else:
                    out.append(Shot(visitor, "POST", url, inputs.encode_pairs(items).encode(),
                                    "application/x-www-form-urlencoded", headers))
        return out

    def _other_csrf(self, visitor: str) -> str | None:
        """Someone else's CSRF token (valid, but not for this session)."""
        others = [a.csrf for n, a in self.template.actors.items() if n != visitor and a.csrf]
        return others[0] if others else None

    # -- the property -------------------------------------------------------

    def check(self, shot: Shot) -> None:
        """Send the request and check the answer and what it left behind."""
        actor = self.template.actors[shot.visitor]
        office.restore_session(self.inst, actor)
        client = self.clients[shot.visitor]
        sent = actor.cookie or "" if shot.cookie is None else shot.cookie
        client.set_cookie(office.cookie_name(office.SCHOOL, True), sent, domain="localhost")
        kw = {"base_url": office.BASE, "headers": shot.headers}
        if shot.method == "POST":
            kw.update(data=shot.body, content_type=shot.content_type)
        before, mark, files = self.before, self.audited, self.files
        try:
            resp = client.open(shot.url, method=shot.method, **kw)
        finally:
            # The state after this request is the next one's starting point, whatever it
            # raised or is found below: a failure is not blamed on the requests Hypothesis
            # tries after it.
            self.before, self.audited = office.digest(self.inst), office.audit_mark(self.inst)
            self.files = self._files()
        status = resp.status_code
        text = resp.get_data(as_text=True) if resp.mimetype == "text/html" else ""
        resp.close()
        self.answers.append((status, text[:2000]))
        after, audited = self.before, set(office.audited_since(self.inst, mark))
        assert 200 <= status < 400 or status in ANSWERS, f"{status} for {shot}"
        messages = office.flashes(self.app, office.session_cookie(client))
        refused = (status >= 400 or "has-error" in text or "flash flash-error" in text
                   or any(category == "error" for category, _ in messages))
        if refused or shot.method == "GET":
            changed = sorted(t for t in after if after[t] != before.get(t))
            changed += sorted(t for t in before if t not in after)
            why = "a GET" if shot.method == "GET" else f"refused ({status}, {messages})"
            assert not changed, f"{why} but wrote to {changed}: {shot}"
            assert self.files == files, f"{why} but left files: {shot}"
            assert audited <= office.REFUSAL_ACTIONS, f"{why} but audited {audited}: {shot}"

    def reached(self) -> bool:
        """Whether some request got past access, ids and CSRF to the view's own work."""
        for status, text in self.answers:
            if status in (403, 404) or "This form has expired" in text:
                continue
            return True
        return False


def _title(html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    return match.group(1).strip() if match else ""


def _settings():
    return settings(max_examples=FUZZ_EXAMPLES, derandomize=FUZZ_SEED is None, database=None,
                    deadline=None, print_blob=False,
                    suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_no_input_gives_a_500(route, fuzz_office, tmp_path):
    template, found = fuzz_office
    run = Run(route, template, found, tmp_path)
    try:
        if not run.urls:
            pytest.fail(f"the office offers no address for {route}: add it to the fixtures")

        @_settings()
        @given(run.shots())
        def examine(shot):
            run.check(shot)

        for shot in reversed(run.plain_shots()):  # the last one added is tried first
            examine = example(shot)(examine)
        if FUZZ_SEED is not None:
            examine = seed(int(FUZZ_SEED))(examine)
        examine()
        assert run.reached(), f"no request reached the view of {route}: " + ", ".join(
            f"{s} {_title(t)}" for s, t in run.answers)
    finally:
        run.close()
