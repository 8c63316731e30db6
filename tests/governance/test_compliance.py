"""The compliance rules (gvo.governance.compliance), case by case, and the dashboard, the home
page's summary and the newsletter's Managers' section (issue 14, acceptance 1)."""

import json
from datetime import date, datetime, timedelta

import pytest
from conftest import sign_in
from flask import url_for

from gvo.board import bodies
from gvo.core import dates
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.governance import compliance, interests
from gvo.governance.compliance import FAIL, NA, PASS, WARN
from gvo.meetings import attendance, meetings, notices
from gvo.newsletter import letters
from gvo.people import accounts

OP = Identity.operator()


def _utc_seconds(local: str, fold: int = 0) -> float:
    """The epoch seconds of a local time in the school's zone ('YYYY-MM-DDTHH:MM')."""
    return dates.to_utc(local, fold).timestamp()


class Board:
    """A school's board, committees and governors, made through the real services (records'
    dates written as the records service will)."""

    def __init__(self, conn, clock):
        self.conn, self.clock = conn, clock
        self.id = bodies.save_body(conn, OP, body_id=None, kind="board",
                                   name="Full Governing Board")

    def at(self, local: str) -> None:
        """Set the clock to a local time."""
        self.clock.t = _utc_seconds(local)

    def person(self, name: str, role: str = "author") -> int:
        return accounts.add_user(self.conn, OP, email=f"{name.lower().replace(' ', '.')}@ex.org",
                                 name=name, role=role)

    def governor(self, name: str, category: str = "parent", *, appointed_on: str | None = None,
                 term_years: int | None = 4, term_ends_on: str | None = None,
                 dbs_checked_on: str | None = None) -> int:
        uid = self.person(name)
        bodies.add_member(self.conn, OP, self.id, uid, "member", category)
        self.conn.execute(
            "UPDATE governor_records SET appointed_on = ?, term_years = ?, term_ends_on = ?,"
            " dbs_checked_on = ? WHERE user_id = ? AND body_id = ?",
            (appointed_on, None if category == "headteacher" else term_years, term_ends_on,
             dbs_checked_on, uid, self.id))
        return uid

    def record_id(self, uid: int) -> int:
        return self.conn.execute("SELECT id FROM governor_records WHERE user_id = ?",
                                 (uid,)).fetchone()[0]

    def committee(self, name: str, members: list[int]) -> int:
        body_id = bodies.save_body(self.conn, OP, body_id=None, kind="committee", name=name)
        for uid in members:
            bodies.add_member(self.conn, OP, body_id, uid, "member")
        return body_id

    def places(self, **counts: int) -> None:
        for category, n in counts.items():
            self.conn.execute("INSERT INTO board_places(body_id, category, places)"
                              " VALUES (?, ?, ?)", (self.id, category.replace("_", "-"), n))

    def meeting(self, local: str, title: str = "Full board meeting", body_id: int | None = None,
                fold: int | None = None) -> int:
        start = meetings.parse_stamp(local)
        return meetings.create(self.conn, OP, meetings.MeetingInput(
            body_id=body_id or self.id, title=title, starts_at=start,
            ends_at=start + timedelta(hours=1), location="School library", starts_fold=fold,
            ends_fold=fold))

    def register(self, meeting_id: int, statuses: dict[int, str]) -> None:
        """Save and lock the attendance register (the clock past the meeting's start)."""
        attendance.save_attendance_register(self.conn, OP, meeting_id, statuses)
        attendance.lock_attendance_register(self.conn, OP, meeting_id)


@pytest.fixture
def board(instance, school, clock):
    b = Board(instance.db(school), clock)
    b.at("2026-12-01T09:00")
    return b


def _finding(result, title: str) -> compliance.Finding:
    (found,) = [f for f in result.findings if title in f.text]
    return found


# -- papers at least 7 clear days before (acceptance 1's edges) --------------------------


def test_clear_days_count_whole_local_days_between_sending_and_the_meeting():
    # Sent Monday 2 November at 18:00, meeting Tuesday 10 November: 3rd-9th, 7 clear days.
    assert compliance.clear_days("2026-11-02T18:00:00Z", "2026-11-10T18:00") == 7
    # The latest papers can go for 7 clear days: 23:59 on the 2nd, a meeting early on the
    # 10th, 7 days and 31 minutes later.
    assert compliance.clear_days("2026-11-02T23:59:00Z", "2026-11-10T00:30") == 7
    # 6 days 23 hours before: 6 clear days.
    assert compliance.clear_days("2026-11-02T18:00:00Z", "2026-11-09T17:00") == 6
    # 7 days 23 hours before, but the day of sending and the meeting's day do not count.
    assert compliance.clear_days("2026-11-02T00:05:00Z", "2026-11-09T23:00") == 6


def test_clear_days_read_the_day_of_sending_in_british_summer_time():
    # 23:30 UTC on 30 September is 00:30 BST on 1 October: the day of sending is the 1st.
    assert compliance.clear_days("2026-09-30T23:30:00Z", "2026-10-08T18:00") == 6
    assert compliance.clear_days("2026-09-30T22:30:00Z", "2026-10-08T18:00") == 7


def test_clear_days_across_the_clocks_changing():
    # The clocks go back on 25 October 2026: 18:00 BST on the 21st to 17:00 GMT on the 28th
    # is exactly 7 x 24 hours, and only 6 clear days (22nd-27th).
    assert compliance.clear_days("2026-10-21T17:00:00Z", "2026-10-28T17:00") == 6
    assert compliance.clear_days("2026-10-21T17:00:00Z", "2026-10-29T17:00") == 7
    # Forward on 29 March 2026: 00:30 GMT on the 25th to 00:30 BST on 2 April is 7 days 23
    # hours, 7 clear days (26th-1st).
    assert compliance.clear_days("2026-03-25T00:30:00Z", "2026-04-02T00:30") == 7
    # The repeated hour: 01:30 GMT (the second reading) on 25 October.
    assert compliance.clear_days("2026-10-17T12:00:00Z", "2026-10-25T01:30", 1) == 7


def test_papers_rule_seven_clear_days_pass_six_days_23_hours_fail(board):
    board.at("2026-11-02T18:00")
    exact = board.meeting("2026-11-10T18:00", "Exactly seven clear days")
    short = board.meeting("2026-11-09T17:00", "Six days 23 hours")
    for m in (exact, short):
        notices.publish_papers(board.conn, OP, m)
    board.at("2026-11-02T23:59")
    latest = board.meeting("2026-11-10T00:30", "Sent at the last minute")
    notices.publish_papers(board.conn, OP, latest)
    board.at("2026-11-12T09:00")
    result = compliance.papers_notice(board.conn, date(2026, 11, 12))
    assert _finding(result, "Exactly seven clear days").status == PASS
    assert _finding(result, "Sent at the last minute").status == PASS
    assert _finding(result, "Six days 23 hours").status == FAIL
    assert result.status == FAIL and "7 clear days" in result.todo


def test_papers_rule_for_meetings_not_yet_sent(board):
    board.at("2026-11-02T09:00")
    board.meeting("2026-11-20T18:00", "Time enough")   # send by 12 November (13th-19th clear)
    board.meeting("2026-11-08T18:00", "Too late now")  # was due by 31 October
    board.meeting("2026-11-01T18:00", "Held unsent")
    result = compliance.papers_notice(board.conn, date(2026, 11, 2))
    assert _finding(result, "Time enough").status == WARN
    assert "Thu 12 Nov 2026" in _finding(result, "Time enough").text
    assert _finding(result, "Too late now").status == FAIL
    assert _finding(result, "Held unsent").status == FAIL


def test_papers_rule_not_applicable_without_meetings_and_skips_cancelled(board):
    assert compliance.papers_notice(board.conn, date(2026, 12, 1)).status == NA
    m = board.meeting("2026-12-03T18:00", "Cancelled one")
    meetings.cancel(board.conn, OP, m, "Snow")
    assert compliance.papers_notice(board.conn, date(2026, 12, 1)).status == NA


# -- three full board meetings a school year; the 1 September boundary -----------------


def test_school_year_runs_1_september_to_31_august():
    assert compliance.school_year(date(2026, 8, 31)) == (date(2025, 9, 1), date(2026, 8, 31))
    assert compliance.school_year(date(2026, 9, 1)) == (date(2026, 9, 1), date(2027, 8, 31))
    assert compliance.school_year(date(2027, 1, 1)) == (date(2026, 9, 1), date(2027, 8, 31))


def test_meetings_on_31_august_and_1_september_count_in_different_years(board):
    board.at("2026-08-01T09:00")
    board.meeting("2026-08-31T23:00", "Last of the year")
    # 00:30 BST on 1 September is 23:30 UTC on 31 August: the school's day counts.
    board.meeting("2026-09-01T00:30", "First of the next")
    board.at("2026-09-02T09:00")
    old = compliance.board_meetings(board.conn, date(2026, 8, 31))
    new = compliance.board_meetings(board.conn, date(2026, 9, 2))
    assert [f.text.split(",")[0] for f in old.findings] == ["Held: Last of the year"]
    assert [f.text.split(",")[0] for f in new.findings] == ["Held: First of the next"]
    assert "2025/26" in old.facts and "2026/27" in new.facts


def test_three_board_meetings_held_pass_planned_warn_too_few_fail(board):
    board.at("2026-09-01T09:00")
    for day in ("2026-09-10", "2026-10-10"):
        board.meeting(f"{day}T18:00", f"Held {day}")
    planned = board.meeting("2027-03-10T18:00", "Spring")
    cancelled = board.meeting("2026-11-10T18:00", "Cancelled")
    meetings.cancel(board.conn, OP, cancelled, "Snow")
    committee = board.committee("Finance", [])
    board.meeting("2026-11-11T18:00", "Finance", body_id=committee)
    board.at("2026-12-01T09:00")
    today = date(2026, 12, 1)
    result = compliance.board_meetings(board.conn, today)
    assert result.status == WARN and "2 full board meetings held" in result.facts
    assert "1 more planned" in result.facts
    meetings.cancel(board.conn, OP, planned, "Moved")
    result = compliance.board_meetings(board.conn, today)
    assert result.status == FAIL and "Schedule 1 more full board meeting" in result.todo
    board.at("2026-11-20T09:00")
    board.meeting("2026-11-25T18:00", "Third")
    board.at("2026-12-01T09:00")
    assert compliance.board_meetings(board.conn, today).status == PASS


# -- quorum at each meeting held ----------------------------------------------------------


def _quorum_board(board):
    """Ten places (three vacant), seven governors in office and an associate member."""
    board.places(parent=4, co_opted=4, headteacher=1, local_authority=1)
    govs = [board.governor(f"Parent {n}", "parent") for n in range(3)]
    govs += [board.governor(f"Coopted {n}", "co-opted") for n in range(3)]
    govs.append(board.governor("Head Teacher", "headteacher"))
    associate = board.governor("Associate Member", "associate")
    return govs, associate


def _held(board, title: str, present: list[int], absent: list[int]) -> int:
    """A board meeting on 5 November 2026 whose register is saved and locked."""
    board.at("2026-11-01T09:00")
    m = board.meeting("2026-11-05T18:00", title)
    board.at("2026-11-05T19:00")
    board.register(m, {**{g: "present" for g in present}, **{g: "absent" for g in absent}})
    return m


def test_quorum_rule_with_vacancies_and_associate_members(board):
    govs, associate = _quorum_board(board)
    assert "10 governor places, 7 filled, 3 vacant" in compliance.vacancies(
        board.conn, date(2026, 12, 1)).facts
    board.at("2026-11-01T09:00")
    board.meeting("2026-11-06T18:00", "Register open")
    # Half of the 7 governors in office, rounded up: 4. The associate does not count.
    _held(board, "Quorate", govs[:4] + [associate], govs[4:])
    board.at("2026-12-01T09:00")
    result = compliance.quorum_met(board.conn, date(2026, 12, 1))
    assert _finding(result, "Quorate").status == PASS
    assert _finding(result, "Register open").status == WARN
    assert "quorum not recorded" in _finding(result, "Register open").text
    assert result.status == WARN


def test_quorum_rule_fails_a_meeting_that_was_not_quorate(board):
    govs, _associate = _quorum_board(board)
    _held(board, "Thin", govs[:2], govs[2:])
    result = compliance.quorum_met(board.conn, date(2026, 12, 1))
    assert result.status == FAIL and "not quorate" in _finding(result, "Thin").text
    assert compliance.quorum_met(board.conn, date(2027, 9, 1)).status == NA  # a new year


def test_quorum_rule_does_not_count_an_associate_member_towards_the_quorum(board):
    govs, associate = _quorum_board(board)
    # 3 governors of 7 in office (4 needed) and the associate: not quorate.
    _held(board, "Three and an associate", govs[:3] + [associate], govs[3:])
    result = compliance.quorum_met(board.conn, date(2026, 12, 1))
    assert _finding(result, "Three and an associate").status == FAIL


# -- DBS within 21 days of appointment ----------------------------------------------------


def test_dbs_rule_case_by_case(board):
    today = date(2026, 12, 1)
    board.governor("Checked", appointed_on="2026-01-01", dbs_checked_on="2026-01-10")
    board.governor("Due Today", appointed_on="2026-11-10")      # 21 days ago: due today
    board.governor("One Day Late", appointed_on="2026-11-09")   # due yesterday
    board.governor("Undated")
    board.governor("Associate", "associate", appointed_on="2024-01-01")
    result = compliance.dbs_checks(board.conn, today)
    assert _finding(result, "Checked").status == PASS
    assert _finding(result, "Due Today").status == WARN
    assert _finding(result, "One Day Late").status == FAIL
    assert _finding(result, "Undated").status == FAIL
    assert not [f for f in result.findings if "Associate" in f.text]
    assert result.status == FAIL and "1 governor of 4" in result.facts


# -- interests reconfirmed this year ------------------------------------------------------


def _returned(board, uid: int, on: str) -> None:
    board.conn.execute("INSERT INTO interest_returns(user_id, kind, returned_on, created_at)"
                       " VALUES (?, 'nil', ?, '2026-01-01T00:00:00Z')", (uid, on))


def test_interests_rule_case_by_case(board):
    today = date(2026, 12, 1)
    done = board.governor("Done", appointed_on="2024-01-01")
    _returned(board, done, "2026-09-05")
    stale = board.governor("Stale", appointed_on="2024-01-01")
    _returned(board, stale, "2026-08-20")
    board.governor("New", appointed_on="2026-11-20")
    associate = board.governor("Associate", "associate", appointed_on="2024-01-01")
    _returned(board, associate, "2026-09-02")
    result = compliance.interests_reconfirmed(board.conn, today)
    assert _finding(result, "Done").status == PASS
    assert _finding(result, "Stale").status == FAIL
    assert _finding(result, "New").status == WARN  # 28 days from appointment to return
    assert _finding(result, "Associate").status == PASS
    assert "2 of 4 reconfirmed" in result.facts and "Tue 1 Sept 2026" in result.facts


def test_interests_reconfirmation_date_is_the_schools_setting(board):
    # The register's setting and its grace period (interests.GRACE_DAYS, 30 days): the
    # dashboard reports the register's status, it has no date rule of its own.
    board.conn.execute("INSERT INTO settings(key, value) VALUES (?, '11-15')",
                       (interests.RECONFIRM_KEY,))
    assert interests.year_start(board.conn, date(2026, 12, 1)) == date(2026, 11, 15)
    assert interests.year_start(board.conn, date(2026, 11, 14)) == date(2025, 11, 15)
    board.governor("Early", appointed_on="2024-01-01")
    assert compliance.interests_reconfirmed(board.conn, date(2026, 12, 1)).status == WARN
    assert compliance.interests_reconfirmed(board.conn, date(2026, 12, 15)).status == WARN
    assert compliance.interests_reconfirmed(board.conn, date(2026, 12, 16)).status == FAIL
    board.conn.execute("UPDATE settings SET value = '02-29' WHERE key = ?",
                       (interests.RECONFIRM_KEY,))
    assert interests.year_start(board.conn, date(2027, 3, 1)) == date(2027, 2, 28)
    assert interests.year_start(board.conn, date(2028, 3, 1)) == date(2028, 2, 29)


# -- terms ending; 29 February ------------------------------------------------------------


@pytest.mark.parametrize("stored", [None, "2028-02-29"])
def test_a_term_ending_on_29_february_is_warned_of_on_the_right_days(board, stored):
    board.governor("Leap", appointed_on="2024-03-01", term_ends_on=stored)
    board.governor("Head", "headteacher", appointed_on="2020-01-01")  # ex officio: no term
    status = {day: compliance.terms_ending(board.conn, day).status for day in (
        date(2027, 12, 30), date(2027, 12, 31), date(2028, 2, 29), date(2028, 3, 1))}
    # 60 days before 29 February 2028 is 31 December 2027.
    assert status == {date(2027, 12, 30): PASS, date(2027, 12, 31): WARN,
                      date(2028, 2, 29): WARN, date(2028, 3, 1): FAIL}
    assert "Tue 29 Feb 2028" in compliance.terms_ending(board.conn, date(2028, 1, 5)
                                                        ).findings[0].text


def test_the_warning_period_is_a_managers_audited_setting(board):
    board.governor("Leap", appointed_on="2024-03-01")
    compliance.set_warning_days(board.conn, OP, 30)
    assert compliance.terms_ending(board.conn, date(2027, 12, 31)).status == PASS
    assert compliance.terms_ending(board.conn, date(2028, 1, 30)).status == WARN
    row = board.conn.execute("SELECT detail FROM audit_log WHERE action ="
                             " 'governance.warning_days'").fetchone()
    assert json.loads(row["detail"]) == {"old": 60, "new": 30}
    with pytest.raises(InvalidInput):
        compliance.set_warning_days(board.conn, OP, 0)
    assert compliance.warning_days(board.conn) == 30


def test_a_governor_who_stepped_down_is_not_warned_of(board):
    uid = board.governor("Gone", appointed_on="2024-03-01")
    bodies.remove_member(board.conn, OP, board.id, uid)
    assert compliance.terms_ending(board.conn, date(2028, 2, 1)).status == PASS
    assert compliance.warnings(board.conn, date(2028, 2, 1)) == []


# -- vacancies, clerk, committees ---------------------------------------------------------


def test_vacancies_rule_case_by_case(board):
    today = date(2026, 12, 1)
    assert compliance.vacancies(board.conn, today).status == WARN  # no places recorded
    board.places(parent=2, co_opted=2)
    board.governor("P1", "parent")
    board.governor("C1", "co-opted")
    board.governor("C2", "co-opted")
    result = compliance.vacancies(board.conn, today)
    assert result.status == WARN and "4 governor places, 3 filled, 1 vacant" in result.facts
    p2 = board.governor("P2", "parent")
    assert compliance.vacancies(board.conn, today).status == PASS
    board.governor("C3", "co-opted")
    assert compliance.vacancies(board.conn, today).status == FAIL
    bodies.remove_member(board.conn, OP, board.id, p2)  # stepping down leaves a vacancy
    assert "1 vacancy" in _finding(compliance.vacancies(board.conn, today), "Parent").text


def test_clerk_rule(board):
    today = date(2026, 12, 1)
    assert compliance.clerk_in_post(board.conn, today).status == FAIL
    uid = board.governor("Clara Clerk", "")
    board.conn.execute("INSERT INTO governor_positions(record_id, position, starts_on, ends_on)"
                       " VALUES (?, 'clerk', '2025-09-01', '2026-08-31')",
                       (board.record_id(uid),))
    assert compliance.clerk_in_post(board.conn, today).status == FAIL  # ended
    board.conn.execute("INSERT INTO governor_positions(record_id, position, starts_on)"
                       " VALUES (?, 'clerk', '2026-12-02')", (board.record_id(uid),))
    assert compliance.clerk_in_post(board.conn, today).status == FAIL  # not yet
    result = compliance.clerk_in_post(board.conn, date(2026, 12, 2))
    assert result.status == PASS and "Clara Clerk" in result.facts


def test_committees_need_three_governors_associates_not_counted(board):
    today = date(2026, 12, 1)
    assert compliance.committee_governors(board.conn, today).status == NA
    a, b, c = (board.governor(n) for n in ("A", "B", "C"))
    associate = board.governor("Assoc", "associate")
    outsider = board.person("Not A Governor")
    board.committee("Finance", [a, b, associate, outsider])
    board.committee("Pay", [a, b, c])
    result = compliance.committee_governors(board.conn, today)
    assert _finding(result, "Finance").status == FAIL
    assert "2 governors" in _finding(result, "Finance").text
    assert _finding(result, "Pay").status == PASS
    assert result.status == FAIL


# -- the registry -------------------------------------------------------------------------


def test_every_rule_names_its_source_and_returns_a_result(board):
    assert [r.key for r in compliance.RULES][:9] == [
        "board_meetings", "papers_notice", "quorum_met", "dbs_checks",
        "interests_reconfirmed", "terms_ending", "vacancies", "clerk_in_post",
        "committee_governors"]
    for rule in compliance.RULES:
        assert "Source:" in rule.check.__doc__ and rule.source, rule.key
        result = rule.check(board.conn, date(2026, 12, 1))
        assert result.status in compliance.STATUS_LABELS and result.facts, rule.key


def test_a_rule_registered_later_comes_last(board, monkeypatch):
    monkeypatch.setattr(compliance, "RULES", list(compliance.RULES))

    def policies(conn, today):
        """Source: DfE, Statutory policies for schools and academy trusts."""
        return compliance.Result(FAIL, "2 statutory policies are overdue.", "Review them.")

    rule = compliance.Rule("policies", "Statutory policies", "DfE", policies,
                           compliance.Link("library.index"))
    compliance.register(rule)
    compliance.register(rule)  # again: replaced, not added twice
    checked = compliance.check_all(board.conn, date(2026, 12, 1))
    assert [c.rule.key for c in checked][-1] == "policies"
    assert sum(1 for c in checked if c.rule.key == "policies") == 1
    assert compliance.needs_attention(checked)[0].result.status == FAIL


# -- the dashboard, the home page, the newsletter -----------------------------------------


def test_the_dashboard_is_for_managers_and_board_editors(app, client, new_client, make_user,
                                                         instance, school):
    conn = instance.db(school)
    bodies.save_body(conn, OP, body_id=None, kind="board", name="Full Governing Board")
    assert client.get("/alpha/governance/compliance").status_code == 302  # sign in first
    for role in ("reader", "author"):
        c = new_client()
        sign_in(c, make_user("alpha", role))
        assert c.get("/alpha/governance/compliance").status_code == 403, role
        assert c.get("/alpha/").get_data(as_text=True).count('data-testid="needs-attention"') \
            == 0
    holder = make_user("alpha", "author")
    accounts.set_capabilities(conn, OP, holder.id, {"manage_board"})
    c = new_client()
    sign_in(c, holder)
    resp = c.get("/alpha/governance/compliance")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    for rule in compliance.RULES:
        assert f'data-testid="rule-{rule.key}"' in page
        assert rule.source in page
    assert "Status: <strong>Not met</strong>" in page  # a clerk, meetings: none yet
    assert 'name="days"' not in page  # the warning period is a Manager's
    assert c.post("/alpha/governance/compliance/warning-period", {"days": "30"},
                  form_page="/alpha/profile").status_code == 403
    home = c.get("/alpha/").get_data(as_text=True)
    assert 'data-testid="needs-attention"' in home and "A clerk in post" in home


def test_a_manager_sets_the_warning_period_on_the_dashboard(signed_in, instance, school):
    client, _manager = signed_in("manager")
    page = "/alpha/governance/compliance"
    resp = client.post(f"{page}/warning-period", {"days": "0"}, form_page=page)
    assert resp.status_code == 422
    assert 'id="days-error"' in resp.get_data(as_text=True)
    assert client.post(f"{page}/warning-period", {"days": "soon"}, form_page=page
                       ).status_code == 422
    resp = client.post(f"{page}/warning-period", {"days": "45"}, form_page=page)
    assert resp.status_code == 302
    assert compliance.warning_days(instance.db(school)) == 45
    assert "next 45 days" in client.get(page).get_data(as_text=True)


def test_the_newsletter_warns_managers_of_terms_and_dbs_and_nobody_else(board):
    manager = board.person("Mary Manager", "manager")
    governor = board.governor("Ann Smith", appointed_on="2024-03-01")  # no DBS, ends 2028
    board.at("2028-01-10T09:00")
    period = letters.Period(now=board.clock.t, since=board.clock.t - 7 * 86400)
    title = "Governors' terms and DBS checks"

    def section(uid):
        letter = letters.build(board.conn, Identity.load(board.conn, uid), period)
        return [lines for t, lines, _more in letter.sections if t == title]

    (lines,) = section(manager)
    texts = [line.text for line in lines]
    assert "Ann Smith's DBS check was due by Fri 22 Mar 2024" in texts
    assert "Ann Smith's term ends on Tue 29 Feb 2028" in texts
    assert all(line.path == "/governance/compliance" for line in lines)
    assert section(governor) == []
    assert compliance.newsletter_lines(board.conn, Identity.load(board.conn, governor),
                                       period) == []
    board.at("2027-12-01T09:00")  # before the 60 days: the term is not named
    (lines,) = section(manager)
    assert [line.text for line in lines] == ["Ann Smith's DBS check was due by Fri 22 Mar 2024"]


def test_now_is_the_end_of_a_day_other_than_today(board):
    # A rule asked about another day judges "held" at that day's end.
    assert compliance._now(date(2026, 7, 1)) == datetime.fromisoformat(
        "2026-07-01T23:00:00+00:00")


def test_every_rules_link_is_a_page_of_this_installation(app):
    """Each rule says where to act: a real page (no fallback to somewhere vaguer)."""
    with app.test_request_context():
        for rule in compliance.RULES:
            values = {"school": "alpha"} | rule.link.values
            assert url_for(rule.link.endpoint, **values).startswith("/alpha/"), rule.key
