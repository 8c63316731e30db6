"""The statutory list is data with its source and date (issue 15, acceptance 2); the school
adds what it lacks in one step; the reports say what is missing, overdue or due; their CSV
opens with Python's csv module and never lets a spreadsheet run a formula (acceptance 4)."""

import csv
import io
from datetime import date, timedelta

import pytest

from gvo.core import dates
from gvo.core.errors import InvalidInput
from gvo.core.text import spreadsheet_cell
from gvo.policies import register, reports, statutory

from .conftest import OP


def test_the_statutory_list_is_data_with_its_source_and_date():
    data = statutory.shipped()
    source = data["source"]
    assert source["title"] == "Statutory policies for schools and academy trusts"
    assert source["url"].startswith("https://www.gov.uk/")
    assert date.fromisoformat(source["taken_on"])
    assert "checked against the current DfE" in source["check"]
    keys = [e["key"] for e in data["policies"]]
    assert len(keys) == len(set(keys)) and len(keys) >= 10
    for entry in data["policies"]:
        assert entry["name"].strip() and entry["source"].strip(), entry
        assert entry["applies_to"] and set(entry["applies_to"]) <= set(statutory.SCHOOL_TYPES)
        assert entry["cycle_months"] in register.CYCLES and entry["approval"] in register.LEVELS


def test_maintained_schools_and_academies_have_their_own_lists():
    maintained = {e["key"] for e in statutory.entries("maintained")}
    academy = {e["key"] for e in statutory.entries("academy")}
    assert "teachers_pay" in maintained - academy
    assert "behaviour_principles" in maintained - academy
    assert {"child_protection", "complaints", "send_report"} <= maintained & academy


def test_every_missing_statutory_policy_is_added_in_one_step(office):
    conn = office.conn
    assert statutory.school_type(conn) == "maintained"
    statutory.set_options(conn, OP, kind="academy", days=60)
    added = statutory.add_missing(conn, OP)
    assert len(added) == len(statutory.entries("academy"))
    assert statutory.add_missing(conn, OP) == []  # nothing twice
    policy = register.get(conn, OP, added[0])
    assert policy["statutory"] and "DfE list" in policy["statutory_source"]
    assert policy["body_name"] == "Full Governing Board"
    statutory.set_options(conn, OP, kind="maintained", days=60)
    more = statutory.add_missing(conn, OP)
    assert len(more) == len(statutory.entries("maintained")) - len(
        {e["key"] for e in statutory.entries("maintained")} & {
            e["key"] for e in statutory.entries("academy")})


def test_bad_settings_are_refused_beside_their_field(office):
    with pytest.raises(InvalidInput) as kind:
        statutory.set_options(office.conn, OP, kind="free school", days=60)
    assert kind.value.field == "school_type"
    with pytest.raises(InvalidInput) as days:
        statutory.set_options(office.conn, OP, kind="academy", days=0)
    assert days.value.field == "warning_days"


def test_status_says_missing_overdue_and_due(office):
    conn = office.conn
    statutory.add_missing(conn, OP)
    ids = {p["statutory_key"]: p["id"] for p in register.listing(conn, OP)}
    for key in ("complaints", "child_protection", "health_safety"):
        office.live(ids[key])
    today = dates.today()
    _set_review(conn, ids["child_protection"], today - timedelta(days=1))
    _set_review(conn, ids["health_safety"], today + timedelta(days=59))
    found = statutory.status(conn, today)
    assert [x["key"] for x in found.overdue] == ["child_protection"]
    assert [x["key"] for x in found.due] == ["health_safety"]
    assert {x["key"] for x in found.present} == {"complaints", "child_protection",
                                                 "health_safety"}
    assert "teachers_pay" in {x["key"] for x in found.missing}
    assert found.problems == len(found.missing) + 1
    rows = {r["name"]: r["state"] for r in reports.statutory_rows(conn, OP, today)[0]}
    assert rows["Child protection policy and procedures"] == "overdue"
    assert rows["Health and safety policy"] == "due for review"
    assert rows["Complaints procedure"] == "present"
    assert rows["Teachers' pay policy"] == "missing"


def _set_review(conn, policy_id, day):
    data = register.input_of(register.get(conn, OP, policy_id))
    data.next_review_on = day
    register.update(conn, OP, policy_id, data)


def test_reviews_due_in_a_range_and_by_owner(office):
    conn = office.conn
    today = dates.today()
    a = office.policy("Anti-bullying", owner_body_id=office.committee_id,
                      next_review_on=today + timedelta(days=5))
    office.policy("Uniform", next_review_on=today + timedelta(days=400))
    assert [p["id"] for p in reports.due_between(conn, OP, today, today + timedelta(days=30))
            ] == [a]
    with pytest.raises(InvalidInput) as backwards:
        reports.due_between(conn, OP, today, today - timedelta(days=1))
    assert backwards.value.field == "end"
    owners = dict(reports.by_owner(conn, OP))
    assert [p["name"] for p in owners["Finance"]] == ["Anti-bullying"]
    assert [p["name"] for p in owners["No owner"]] == ["Uniform"]


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)"])
def test_a_formula_like_cell_is_escaped_and_the_csv_parses(office, name):
    conn = office.conn
    office.policy(name)
    rows = list(csv.reader(io.StringIO(reports.policies_csv(
        register.listing(conn, OP)).decode("utf-8-sig"))))
    assert rows[0][0] == "Policy"
    cell = rows[1][0]
    assert cell.startswith("'") and cell[1:] == register.listing(conn, OP)[0]["name"]


@pytest.mark.parametrize("value", ["\tTab", "\rReturn", "  =spaced", " @x"])
def test_cells_a_spreadsheet_reads_as_formulas_after_white_space_are_escaped(value):
    assert spreadsheet_cell(value) == "'" + value


def test_ordinary_cells_are_left_alone():
    assert spreadsheet_cell("Complaints procedure") == "Complaints procedure"
    assert spreadsheet_cell(12) == 12 and spreadsheet_cell("") == ""
    out = reports.statutory_csv([{"name": "A", "state": "missing", "next_review_on": None}])
    assert list(csv.reader(io.StringIO(out.decode("utf-8-sig")))) == [
        ["Policy", "State", "Next review"], ["A", "missing", ""]]


def test_the_compliance_dashboard_reports_statutory_policies(office, signed_in):
    """Issue 15: the compliance dashboard gains "statutory policies missing or overdue"."""
    from gvo.governance import compliance
    from gvo.policies import compliance_rule

    conn, today = office.conn, dates.today()
    assert "statutory_policies" in [r.key for r in compliance.RULES]
    before = compliance_rule.statutory_policies(conn, today)
    assert before.status == compliance.FAIL and "missing" in before.facts
    statutory.add_missing(conn, OP)
    ids = {p["statutory_key"]: p["id"] for p in register.listing(conn, OP)}
    for policy_id in ids.values():
        office.live(policy_id)
    assert compliance_rule.statutory_policies(conn, today).status == compliance.PASS
    _set_review(conn, ids["child_protection"], today - timedelta(days=1))
    overdue = compliance_rule.statutory_policies(conn, today)
    assert overdue.status == compliance.FAIL and "overdue for review" in overdue.facts
    assert "Child protection" in overdue.facts
    client, _ = signed_in("manager")
    page = client.get("/alpha/governance/compliance").get_data(as_text=True)
    assert "Statutory policies in place and reviewed on time" in page
    assert 'href="/alpha/policies/reports"' in page
