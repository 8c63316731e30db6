"""The compliance dashboard's rule "mandatory training missing or expired" and the
newsletter's training sections (Managers hear of every governor, each governor of their
own), on the school's date from the injectable clock."""

from datetime import date

from gvo.core import clock as gvo_clock
from gvo.core.identity import Identity
from gvo.governance import compliance
from gvo.newsletter import letters
from gvo.training import compliance_rule, warnings  # noqa: F401 (registers them)
from gvo.training.completions import record

from .conftest import OP, set_today

TODAY = date(2026, 6, 1)


def _check(board):
    [rule] = [r for r in compliance.RULES if r.key == "mandatory_training"]
    assert "Keeping children safe in education" in rule.source
    assert rule.link.endpoint == "training.report"
    return rule.check(board.conn, TODAY)


def test_the_rule_fails_on_missing_or_expired_and_warns_on_expiring(board, clock):
    set_today(clock, TODAY)
    safeguarding = board.course("Safeguarding", months=36)
    induction = board.course("Induction", months=None)
    board.course("Finance", mandatory=False)  # not on the mandatory list: never judged
    record(board.conn, OP, board.ann.id, safeguarding, date(2023, 7, 1))  # expires 1 Jul 2026
    record(board.conn, OP, board.ann.id, induction, date(2025, 9, 1))
    record(board.conn, OP, board.ben.id, induction, date(2025, 9, 1))
    result = _check(board)
    assert result.status == compliance.FAIL
    texts = [(f.status, f.text) for f in result.findings]
    assert texts[0] == (compliance.FAIL, "Ben Governor: Safeguarding, never done.")
    assert (compliance.WARN, "Ann Governor: Safeguarding, expires Wed 1 Jul 2026.") in texts
    # Ben does it: only Ann's expiring course is left, a warning.
    record(board.conn, OP, board.ben.id, safeguarding, date(2026, 5, 1))
    assert _check(board).status == compliance.WARN
    record(board.conn, OP, board.ann.id, safeguarding, date(2026, 5, 30))
    assert _check(board).status == compliance.PASS
    # Expired: Ann's safeguarding of 2023 is what counts if the later ones are gone.
    board.conn.execute("DELETE FROM training_completions WHERE completed_on >= '2026-05-30'")
    set_today(clock, date(2026, 7, 2))
    result = [r for r in compliance.RULES if r.key == "mandatory_training"][0].check(
        board.conn, date(2026, 7, 2))
    assert result.status == compliance.FAIL
    assert "Ann Governor: Safeguarding, expired Wed 1 Jul 2026." in [
        f.text for f in result.findings]


def test_the_rule_wants_a_mandatory_list(board, clock):
    set_today(clock, TODAY)
    assert _check(board).status == compliance.WARN
    board.course("Finance", mandatory=False)
    assert "No course is marked mandatory" in _check(board).facts


def _section(board, user_id: int, title: str) -> list[str]:
    who = Identity.load(board.conn, user_id)
    period = letters.Period(gvo_clock.now(), gvo_clock.now() - 7 * 86400)
    return [f"{line.text} | {line.path} | {line.note}"
            for t, lines, _ in letters.build(board.conn, who, period).sections if t == title
            for line in lines]


def test_the_newsletter_warns_managers_of_all_and_each_governor_of_their_own(board, clock):
    set_today(clock, TODAY)
    safeguarding = board.course("Safeguarding", months=36)
    record(board.conn, OP, board.ann.id, safeguarding, date(2023, 7, 1))  # expires 1 Jul 2026
    managers = "Mandatory training missing or expired/expiring"
    assert _section(board, board.manager.id, managers) == [
        "Ann Governor: Safeguarding | /training/reports | expires Wed 1 Jul 2026",
        "Ben Governor: Safeguarding | /training/reports | never done"]
    assert _section(board, board.ann.id, managers) == []  # not a Manager
    assert _section(board, board.trainer.id, managers) == []
    assert _section(board, board.ann.id, "Your training") == [
        "Safeguarding | /training | expires Wed 1 Jul 2026"]
    assert _section(board, board.ben.id, "Your training") == [
        "Safeguarding | /training | never done"]
    record(board.conn, OP, board.ben.id, safeguarding, date(2026, 5, 1))
    assert _section(board, board.ben.id, "Your training") == []  # valid: nothing to say
