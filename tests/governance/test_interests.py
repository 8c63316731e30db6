"""The register of interests: who may change what (acceptance 3), history kept, the yearly
reconfirmation's red/amber/green around the school year's start, the newsletter's reminders,
and every write audited (acceptance 5)."""

from datetime import date

import pytest

from gvo.core.errors import InvalidInput, NotPermitted
from gvo.core.identity import Identity
from gvo.governance import interests
from gvo.governance.interests import InterestInput
from gvo.newsletter import letters
from gvo.people import accounts

from .conftest import OP

BUSINESS = InterestInput("business", "Meadow Build Ltd", "Director and shareholder.")


def _audit(conn, action):
    return conn.execute("SELECT * FROM audit_log WHERE action = ? ORDER BY id",
                        (action,)).fetchall()


def _add_form(**over):
    return {"kind": "business", "organisation": "Meadow Build Ltd",
            "nature": "Director and shareholder.", "starts_on": ""} | over


# -- access (acceptance 3) ---------------------------------------------------------------


def test_a_governor_edits_only_their_own_interests(signed_in, office):
    client, me = signed_in("author")
    office.member(me.id)
    other = office.person("Olive Other")
    resp = client.post(f"/alpha/interests/people/{me.id}/add", _add_form(),
                       form_page="/alpha/interests")
    assert resp.status_code == 302
    assert [i["organisation"] for i in interests.current_interests(office.conn, me.id)] == [
        "Meadow Build Ltd"]
    page = client.get("/alpha/interests").get_data(as_text=True)
    assert "Meadow Build Ltd" in page and "Add an interest" in page
    # Another governor's register: read, never changed.
    page = client.get(f"/alpha/interests/people/{other}").get_data(as_text=True)
    assert "Add an interest" not in page
    resp = client.post(f"/alpha/interests/people/{other}/add", _add_form(),
                       form_page="/alpha/interests")
    assert resp.status_code == 403
    resp = client.post(f"/alpha/interests/people/{other}/return", {"kind": "nil"},
                       form_page="/alpha/interests")
    assert resp.status_code == 403
    theirs = interests.add(office.conn, OP, other, BUSINESS)
    for path, data in ((f"/alpha/interests/{theirs}/change", _add_form(nature="Gone.")),
                       (f"/alpha/interests/{theirs}/end", {})):
        assert client.post(path, data, form_page="/alpha/interests").status_code == 403
    assert client.get(f"/alpha/interests/{theirs}/change").status_code == 403
    assert client.get(f"/alpha/interests/people/{other}/history").status_code == 403
    assert [i["id"] for i in interests.current_interests(office.conn, other)] == [theirs]
    assert not interests.history(office.conn, OP, other)["returns"]


def test_a_reader_changes_nothing_not_even_their_own(signed_in, office):
    """Decision: the Reader role is view-only for content. A Reader who is a governor still
    has a register and a status; the clerk enters it for them."""
    client, reader = signed_in("reader")
    office.member(reader.id)
    page = client.get("/alpha/interests").get_data(as_text=True)
    assert "Your role is view-only" in page and "Add an interest" not in page
    # (Their page has no form: the token comes from their profile page's.)
    assert client.post(f"/alpha/interests/people/{reader.id}/add", _add_form(),
                       form_page="/alpha/profile").status_code == 403
    assert client.post(f"/alpha/interests/people/{reader.id}/return", {"kind": "nil"},
                       form_page="/alpha/profile").status_code == 403
    who = Identity.load(office.conn, reader.id)
    with pytest.raises(NotPermitted):
        interests.add(office.conn, who, reader.id, BUSINESS)
    assert not interests.current_interests(office.conn, reader.id)
    # Readers read the register.
    assert client.get("/alpha/interests/register").status_code == 200
    # The clerk enters it on their behalf.
    interests.add(office.conn, OP, reader.id, BUSINESS)
    assert interests.current_interests(office.conn, reader.id)


def test_managers_and_board_editors_enter_on_a_governors_behalf(signed_in, office):
    client, clerk = signed_in("manager")
    governor = office.person("Grace Governor")
    client.post(f"/alpha/interests/people/{governor}/add", _add_form(),
                form_page=f"/alpha/interests/people/{governor}")
    row = interests.listed(office.conn, governor)[0]
    assert row["entered_by"] == clerk.id
    page = client.get(f"/alpha/interests/people/{governor}").get_data(as_text=True)
    assert "entered by Test Manager on their behalf" in page
    assert client.get(f"/alpha/interests/people/{governor}/history").status_code == 200
    # An Author who edits board members may too; without it, not.
    editor = accounts.add_user(office.conn, OP, email="b@ex.org", name="Bo Board",
                               role="author")
    accounts.set_capabilities(office.conn, OP, editor, {"manage_board"})
    interests.make_return(office.conn, Identity.load(office.conn, editor), governor,
                          "declared")
    plain = Identity(office.person("Pat Plain"), "author")
    with pytest.raises(NotPermitted):
        interests.make_return(office.conn, plain, governor, "declared")


def test_only_governors_keep_a_register(signed_in, office):
    client, me = signed_in("author")
    assert "not on the board's record" in client.get("/alpha/interests").get_data(
        as_text=True)
    assert client.get(f"/alpha/interests/people/{me.id}").status_code == 404


# -- history ---------------------------------------------------------------------------


def test_changing_and_ending_keep_the_history(office, day):
    day("2026-03-02")
    gov = office.person("Grace Governor")
    first = interests.add(office.conn, OP, gov, BUSINESS)
    day("2026-04-01")
    second = interests.change(office.conn, OP, first, InterestInput(
        "business", "Meadow Build Ltd", "Director (no longer a shareholder)."))
    old = interests.get(office.conn, first)
    assert old["replaced_by"] == second and old["nature"] == "Director and shareholder."
    assert interests.get(office.conn, second)["declared_on"] == "2026-04-01"
    with pytest.raises(InvalidInput, match="changed or ended already"):
        interests.change(office.conn, OP, first, BUSINESS)
    with pytest.raises(InvalidInput, match="Nothing was changed"):
        interests.change(office.conn, OP, second, InterestInput(
            "business", "Meadow Build Ltd", "Director (no longer a shareholder)."))
    with pytest.raises(InvalidInput, match="future"):
        interests.end(office.conn, OP, second, date(2026, 4, 2))
    interests.end(office.conn, OP, second, date(2026, 3, 31))
    assert interests.current_interests(office.conn, gov) == []
    kept = interests.history(office.conn, OP, gov)["interests"]
    assert [r["id"] for r in kept] == [second, first]
    assert kept[0]["ends_on"] == "2026-03-31"
    # The change is audited with before and after.
    change = _audit(office.conn, "interest.change")[-1]
    assert '"before": {"ends_on": null, "kind": "business"' in change["detail"]
    assert "no longer a shareholder" in change["detail"]
    assert len(_audit(office.conn, "interest.end")) == 1


def test_the_history_page_shows_changed_and_ended_entries(signed_in, office):
    client, _clerk = signed_in("manager")
    gov = office.person("Grace Governor")
    first = interests.add(office.conn, OP, gov, BUSINESS)
    interests.change(office.conn, OP, first, InterestInput("business", "Meadow Build Ltd",
                                                           "Director only."))
    page = client.get(f"/alpha/interests/people/{gov}/history").get_data(as_text=True)
    assert "Director and shareholder." in page and "Changed" in page
    assert "Director only." in page and "Current" in page


def test_bad_input_is_shown_beside_its_field_and_nothing_is_written(signed_in, office, day):
    day("2026-05-05")
    client, me = signed_in("author")
    office.member(me.id)
    resp = client.post(f"/alpha/interests/people/{me.id}/add", _add_form(nature="  "),
                       form_page="/alpha/interests")
    assert resp.status_code == 422
    assert 'id="nature-error"' in client.last_text
    resp = client.post(f"/alpha/interests/people/{me.id}/add",
                       _add_form(starts_on="2026-06-01"), form_page="/alpha/interests")
    assert resp.status_code == 422
    assert 'id="starts_on-error"' in client.last_text and "in the future" in client.last_text
    resp = client.post(f"/alpha/interests/people/{me.id}/add",
                       _add_form(starts_on="31/02/2026"), form_page="/alpha/interests")
    assert resp.status_code == 422 and 'id="starts_on-error"' in client.last_text
    assert not interests.history(office.conn, OP, me.id)["interests"]
    assert not _audit(office.conn, "interest.add")


def test_an_interest_is_changed_and_ended_through_the_pages(signed_in, office, day):
    day("2026-05-05")
    client, me = signed_in("author")
    office.member(me.id)
    first = interests.add(office.conn, Identity.load(office.conn, me.id), me.id, BUSINESS)
    page = client.get(f"/alpha/interests/{first}/change").get_data(as_text=True)
    assert "Director and shareholder." in page
    resp = client.post(f"/alpha/interests/{first}/change", _add_form(nature="Director."))
    assert resp.status_code == 302
    new = interests.current_interests(office.conn, me.id)[0]
    assert new["nature"] == "Director." and new["id"] != first
    resp = client.post(f"/alpha/interests/{new['id']}/end",
                       {f"e{new['id']}-ends_on": "2026-05-06"}, form_page="/alpha/interests")
    assert resp.status_code == 422 and f'id="e{new["id"]}-ends_on-error"' in client.last_text
    resp = client.post(f"/alpha/interests/{new['id']}/end", {f"e{new['id']}-ends_on": ""},
                       form_page="/alpha/interests")
    assert resp.status_code == 302
    assert interests.current_interests(office.conn, me.id) == []
    assert interests.get(office.conn, new["id"])["ends_on"] == "2026-05-05"


# -- returns and the reconfirmation ----------------------------------------------------------


def test_a_nil_return_and_a_declared_one(office):
    gov = office.person("Grace Governor")
    with pytest.raises(InvalidInput, match="nil return instead"):
        interests.make_return(office.conn, OP, gov, "declared")
    interests.make_return(office.conn, OP, gov, "nil")
    interests.add(office.conn, OP, gov, BUSINESS)
    with pytest.raises(InvalidInput, match="end those that no longer apply"):
        interests.make_return(office.conn, OP, gov, "nil")
    interests.make_return(office.conn, OP, gov, "declared")
    assert [r["kind"] for r in interests.history(office.conn, OP, gov)["returns"]] == [
        "declared", "nil"]
    assert len(_audit(office.conn, "interest.return")) == 2


def test_status_around_the_school_years_start(office, day):
    """Green through 31 August for a return made in the school year; amber from 1 September
    for GRACE_DAYS (30) days; red the day after."""
    gov = office.person("Grace Governor")
    day("2025-09-01")
    interests.make_return(office.conn, OP, gov, "nil")
    for today, rag in (("2025-09-01", "green"), ("2026-08-31", "green"),
                       ("2026-09-01", "amber"), ("2026-10-01", "amber"),
                       ("2026-10-02", "red")):
        assert interests.status(office.conn, gov, date.fromisoformat(today)).rag == rag, today
    late = interests.status(office.conn, gov, date(2026, 10, 2))
    assert late.year_start == date(2026, 9, 1) and late.due_by == date(2026, 10, 1)
    day("2026-10-02")
    interests.make_return(office.conn, OP, gov, "nil")
    assert interests.status(office.conn, gov).rag == "green"
    # A return made on 31 August belongs to the year that ends that day.
    other = office.person("Olive Other")
    day("2026-08-31")
    interests.make_return(office.conn, OP, other, "nil")
    assert interests.status(office.conn, other, date(2026, 9, 1)).rag == "amber"


def test_a_newly_appointed_governor_has_the_grace_period_from_their_appointment(office):
    gov = office.person("Nina New")
    office.conn.execute("UPDATE governor_records SET appointed_on = '2026-11-10'"
                        " WHERE user_id = ?", (gov,))
    row = interests.governor(office.conn, gov)
    status = interests.status(office.conn, gov, date(2026, 12, 1), row["appointed_on"])
    assert status.rag == "amber" and status.due_by == date(2026, 12, 10)
    assert interests.status(office.conn, gov, date(2026, 12, 11),
                            row["appointed_on"]).rag == "red"


def test_the_school_sets_the_reconfirmation_date(signed_in, office, day):
    client, _clerk = signed_in("manager")
    gov = office.person("Grace Governor")
    day("2026-02-10")
    interests.make_return(office.conn, OP, gov, "nil")
    assert interests.status(office.conn, gov, date(2026, 4, 10)).rag == "green"
    resp = client.post("/alpha/interests/reconfirmation", {"month": "2", "day": "29"},
                       form_page="/alpha/interests/register")
    assert resp.status_code == 422 and 'id="day-error"' in client.last_text
    assert "not 29 February" in client.last_text
    resp = client.post("/alpha/interests/reconfirmation", {"month": "4", "day": "1"},
                       form_page="/alpha/interests/register")
    assert resp.status_code == 302
    assert interests.reconfirm_from(office.conn) == (4, 1)
    assert interests.year_start(office.conn, date(2026, 4, 10)) == date(2026, 4, 1)
    assert interests.status(office.conn, gov, date(2026, 4, 10)).rag == "amber"
    entry = _audit(office.conn, "interest.reconfirm_from")[-1]
    assert '"after": "04-01"' in entry["detail"] and '"before": "09-01"' in entry["detail"]


def test_only_managers_set_the_reconfirmation_date(signed_in, office):
    client, _me = signed_in("editor")
    resp = client.post("/alpha/interests/reconfirmation", {"month": "4", "day": "1"},
                       form_page="/alpha/profile")
    assert resp.status_code == 403
    assert interests.reconfirm_from(office.conn) == (9, 1)


def test_the_register_lists_each_governors_interests_and_status(signed_in, office, day):
    day("2026-11-20")
    client, _me = signed_in("author")
    done, nil, late = (office.person(n) for n in ("Dora Done", "Nell Nil", "Lola Late"))
    interests.add(office.conn, OP, done, BUSINESS)
    interests.make_return(office.conn, OP, done, "declared")
    interests.make_return(office.conn, OP, nil, "nil")
    page = client.get("/alpha/interests/register").get_data(as_text=True)

    def card(uid):
        return page.split(f'data-testid="governor-{uid}"')[1].split("</section>")[0]

    assert "Up to date" in card(done) and "Meadow Build Ltd" in card(done)
    assert "Up to date" in card(nil) and "Nothing to declare" in card(nil)
    assert "Overdue" in card(late) and "No return yet" in card(late)
    assert "When the yearly reconfirmation starts" not in page  # Managers only


# -- the newsletter ---------------------------------------------------------------------


def test_the_newsletter_reminds_the_governor_and_tells_managers_who_is_overdue(office, day):
    day("2026-11-20")
    late = office.person("Lola Late")
    done = office.person("Dora Done")
    interests.make_return(office.conn, OP, done, "nil")
    manager = Identity(accounts.add_user(office.conn, OP, email="m@ex.org", name="Mo Manager",
                                         role="manager"), "manager")
    period = letters.Period(0, 0)

    def section(who):
        found = [lines for title, lines, _more in letters.build(office.conn, who,
                                                                 period).sections
                 if title == "Register of interests"]
        return [line.text for line in found[0]] if found else []

    assert section(Identity(late, "author")) == [
        "Confirm your register of interests for this year"]
    assert section(Identity(done, "author")) == []
    assert section(manager) == ["Lola Late's register of interests is overdue"]
