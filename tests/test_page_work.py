"""Work done once instead of per request gives the same answers as doing it each time.

- A connection keeps every statement the app runs compiled (gvo.storage.sqlcipher).
- Days and times of day are formatted once (gvo.core.dates): every minute of a day and
  every day over several years reads as Babel formats it.
- Form fields are written by GVO's attribute writer (gvo.web.forms): the markup is
  WTForms' own, byte for byte, for every kind of value.
- Links are built once (gvo.web.urls): the same links as Flask builds, for every school
  and mount point.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlcipher3
from babel.dates import format_date, format_time
from conftest import BASE
from flask import Flask
from markupsafe import Markup
from werkzeug.routing import BuildError
from wtforms import (
    BooleanField,
    DateField,
    Form,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.widgets import core as wtforms_widgets

from gvo.core import dates
from gvo.storage import keys, sqlcipher
from gvo.web import forms
from gvo.web.urls import GvoFlask, check_url_defaults


def test_every_minute_of_a_day_reads_as_babel_formats_it():
    for minutes in range(24 * 60):
        moment = datetime(2026, 12, 9, minutes // 60, minutes % 60)
        pattern = "h:mm a" if moment.minute else "h a"
        assert dates.clock_time(moment) == format_time(moment, pattern, locale="en_GB")
        # and with seconds, and with a zone: only the hour and minute show
        aware = moment.replace(second=42, tzinfo=dates.ZONE)
        assert dates.clock_time(aware) == format_time(moment, pattern, locale="en_GB")


def test_every_day_of_several_years_reads_as_babel_formats_it():
    start = date(2024, 1, 1)
    for n in range(4 * 366):
        d = start + timedelta(days=n)
        want = format_date(d, "EEE d MMM y", locale="en_GB")
        assert dates.day(d) == want
        assert dates.day(d.isoformat()) == want
        assert dates.day(f"{d.isoformat()}T23:30") == want


def test_instants_show_the_local_day_and_time_across_the_clock_changes():
    # 00:30 UTC on a summer night is 1:30 am the same day in London; in winter 00:30.
    assert dates.moment("2026-07-01T00:30:00Z") == "Wed 1 Jul 2026, 1:30 am"
    assert dates.moment("2026-12-31T23:30:00Z") == "Thu 31 Dec 2026, 11:30 pm"
    assert dates.moment_day(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "Wed 1 Jul 2026"
    assert dates.when("2026-12-09T18:00") == "Wed 9 Dec 2026, 6 pm"
    assert dates.day("not a date") == "not a date"


ODD_VALUES = ["plain", "", "Spring <b>term</b> & \"quotes\" 'single'", Markup('a"b<i>'), 0, 12,
              3.5, None, "ünïcödé ✓", "line\nbreak", True, False]


def test_field_attributes_are_written_exactly_as_wtforms_writes_them():
    keys = ["name", "id", "class_", "for_", "data_hx_get", "aria_describedby", "value",
            "type", "required", "aria-invalid", "autocomplete", "a<b"]
    for i in range(len(ODD_VALUES)):
        for j in range(len(keys)):
            kwargs = {keys[(j + n) % len(keys)]: ODD_VALUES[(i + n) % len(ODD_VALUES)]
                      for n in range(1 + (i + j) % 6)}
            mine, theirs = forms.html_params(**kwargs), forms.WTFORMS_HTML_PARAMS(**kwargs)
            assert mine == theirs, kwargs
            assert type(mine) is type(theirs) is Markup


def test_every_kind_of_field_renders_as_with_wtforms_own_attributes(monkeypatch):
    class Everything(Form):
        text = StringField("Title", default='A "quoted" <title>', render_kw={"data_x": "1"})
        words = TextAreaField("Words", default="<p>body</p>")
        pick = SelectField("Pick", choices=forms.choices([("a", "A & B"), ("b", 'B "b"')]),
                           default="b")
        many = SelectMultipleField("Many", choices=forms.choices([("1", "One"), ("2", "Two")]),
                                   default=["2"])
        tick = BooleanField("Tick", default=True)
        hidden = HiddenField(default="h&x")
        word = PasswordField("Password")
        when = DateField("When")
        go = SubmitField("Go")

    def render(form):
        return "\n".join(f(aria_describedby="x-hint", autocomplete="off") + str(f.label)
                         for f in form)

    mine = render(Everything())
    # With WTForms' own writer in every place it is used, the markup is the same.
    monkeypatch.setattr(wtforms_widgets, "html_params", forms.WTFORMS_HTML_PARAMS)
    for widget in (wtforms_widgets.Input, wtforms_widgets.Button):
        monkeypatch.setattr(widget, "html_params", staticmethod(forms.WTFORMS_HTML_PARAMS))
    assert render(Everything()) == mine
    assert 'value="A &#34;quoted&#34; &lt;title&gt;"' in mine and "checked" in mine


def test_a_connection_keeps_its_statements_compiled_after_running_hundreds(tmp_path):
    # sqlcipher3's statement cache keeps the most used statements: once full, a statement
    # not in it is compiled at every use. GVO's connections keep enough for the whole app.
    conn = sqlcipher.connect(tmp_path / "s.db", keys.new_key(), create=True)
    conn.execute("CREATE TABLE t(a)")
    for _ in range(3):
        for i in range(300):
            conn.execute(f"SELECT a, {i} FROM t").fetchall()
    compiled = []
    conn.set_authorizer(lambda *what: compiled.append(what) or sqlcipher3.SQLITE_OK)
    for _ in range(2):  # the authorizer expired the compiled statements: compile them again
        for sql in ("SELECT a, 'first' FROM t", "SELECT a, 'second' FROM t",
                    "SELECT a, 7 FROM t"):
            conn.execute(sql).fetchall()
    compiled.clear()
    for sql in ("SELECT a, 'first' FROM t", "SELECT a, 'second' FROM t", "SELECT a, 7 FROM t"):
        conn.execute(sql).fetchall()
    conn.close()
    assert compiled == []


def test_links_from_memory_are_the_links_flask_builds(app, instance):
    instance.create_school("alpha", "Alpha Primary")
    instance.create_school("beta", "Beta Academy")
    calls = [("home.index", {}), ("library.show_document", {"doc_id": 3}),
             ("library.show_document", {"doc_id": 4}),
             ("library.show_document", {"doc_id": 3, "page": 1}),
             ("library.show_document", {"doc_id": 3, "page": True}),
             ("library.show_document", {"doc_id": 3, "q": "a b&c"}),
             ("library.show_document", {"doc_id": 3, "tag": ["x", "y"]}),  # not a key
             ("library.show_document", {"doc_id": 3, "_anchor": "comments"}),
             ("static", {"filename": "gvo.css"}), ("auth.login", {"school": "beta"})]

    def links(slug: str, script_root: str) -> list[str]:
        with app.test_request_context(f"/{slug}/", base_url=f"{BASE}{script_root}"):
            app.preprocess_request()  # the school's URL processing: g.school
            return [app.url_for(endpoint, **values) for endpoint, values in calls]

    def flask_links(slug: str, script_root: str) -> list[str]:
        with app.test_request_context(f"/{slug}/", base_url=f"{BASE}{script_root}"):
            app.preprocess_request()
            return [Flask.url_for(app, endpoint, **values) for endpoint, values in calls]

    for _ in range(2):  # built, then from memory
        for slug in ("alpha", "beta"):
            for root in ("", "/gvo"):
                assert links(slug, root) == flask_links(slug, root), (slug, root)
    assert app.url_memo
    assert links("alpha", "")[3] != links("alpha", "")[4]  # page=1 and page=True
    with app.test_request_context("/alpha/", base_url=BASE):
        app.preprocess_request()
        assert app.url_for("home.index", _external=True) == f"{BASE}/alpha/"
        with pytest.raises(BuildError):
            app.url_for("library.show_document")


def test_an_app_with_url_defaults_the_memory_does_not_know_does_not_start(instance):
    def add_language(endpoint, values):
        values.setdefault("lang", "en")

    app = GvoFlask(__name__)
    app.url_defaults(add_language)
    with pytest.raises(RuntimeError, match="add_language"):
        check_url_defaults(app)


def test_no_statement_binds_its_limit():
    # SQLite plans a bound LIMIT by its value, so a statement with `LIMIT ?` is compiled again
    # at every run (decision 0008); write the number in with paging.limit_clause. Three such
    # statements came back with the mail and newsletter work on the day this was found.
    import re
    from pathlib import Path

    bound = re.compile(r"LIMIT\s+[?:]", re.I)
    root = Path(__file__).resolve().parents[1] / "gvo"
    found = [f"{p.relative_to(root)}:{n}" for p in sorted(root.rglob("*.py"))
             for n, line in enumerate(p.read_text().splitlines(), 1) if bound.search(line)]
    assert found == []
