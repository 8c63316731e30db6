"""Training warnings in the weekly newsletter (gvo.newsletter.letters.register_section):

- "Mandatory training missing or expired/expiring", for Managers: each governor in office
  whose mandatory course was never done, has expired, or expires within 60 days
  (gvo.training.validity), linking to the training report;
- "Your training", for each person: their own mandatory courses in that state, linking to
  their training page.

Lines name people and course titles only, never a certificate.
"""

from gvo.core import dates
from gvo.core.identity import Identity
from gvo.newsletter import letters
from gvo.training import reports, validity

REPORT_PATH = "/training/reports"
MINE_PATH = "/training"


def _note(standing: validity.Standing) -> str:
    if standing.status == validity.NEVER:
        return "never done"
    verb = "expired" if standing.status == validity.EXPIRED else "expires"
    return f"{verb} {dates.day(standing.expires)}"


def _due(rows: list[reports.Row]) -> list[reports.Row]:
    return [r for r in rows if r.standing.status != validity.VALID]


def managers_lines(conn, who: Identity, period) -> list[letters.Line]:
    """The Managers' section: one line per governor and mandatory course not valid."""
    if not who.acts_as_manager:
        return []
    return [letters.Line(f"{r.person}: {r.course}", REPORT_PATH, _note(r.standing))
            for r in _due(reports.mandatory_rows(conn, dates.today()))]


def own_lines(conn, who: Identity, period) -> list[letters.Line]:
    """A person's own section: their mandatory courses never done, expired or expiring."""
    if who.user_id is None:
        return []
    rows = [r for r in reports.mine(conn, who, dates.today()) if r.mandatory]
    return [letters.Line(r.course, MINE_PATH, _note(r.standing)) for r in _due(rows)]


letters.register_section("training_managers", "Mandatory training missing or expired/expiring",
                         managers_lines, managers_only=True)
letters.register_section("training_own", "Your training", own_lines, managers_only=False)
