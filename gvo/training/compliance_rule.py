"""The compliance dashboard's rule for training (issue 16): mandatory training missing or
expired, registered with gvo.governance.compliance when imported (the training blueprint
imports it, so every app has it)."""

from datetime import date

from gvo.core import dates
from gvo.governance import compliance, records
from gvo.storage.sqlcipher import Connection
from gvo.training import courses, reports, validity

SOURCE = ("DfE, Keeping children safe in education (statutory guidance), Part two: governors "
          "and trustees receive appropriate safeguarding and child protection (including "
          "online) training at induction, regularly updated (paragraph 81 in the 2022 "
          "edition, which added it); DfE Governance Handbook (induction and training)")
_STATUS = {validity.NEVER: compliance.FAIL, validity.EXPIRED: compliance.FAIL,
           validity.EXPIRING: compliance.WARN, validity.VALID: compliance.PASS}


def _finding(row: reports.Row) -> compliance.Finding:
    s = row.standing
    if s.status == validity.NEVER:
        words = "never done"
    elif s.status == validity.EXPIRED:
        words = f"expired {dates.day(s.expires)}"
    elif s.expires is None:
        words = f"done {dates.day(s.completed_on)}"
    else:
        words = f"{'expires' if s.status == validity.EXPIRING else 'valid until'} " \
                f"{dates.day(s.expires)}"
    return compliance.Finding(_STATUS[s.status], f"{row.person}: {row.course}, {words}.")


def mandatory_training(conn: Connection, today: date) -> compliance.Result:
    """Every governor in office (records.governors: not the clerk) has completed each course
    on the school's mandatory list, and it has not expired (gvo.training.validity). Never
    done or expired: "Not met"; expiring within 60 days: "Needs attention". No mandatory
    course listed while governors are in office: "Needs attention" (safeguarding training
    is required of every governor). No governors in office: not applicable.

    Source: DfE, Keeping children safe in education, Part two (governors' and trustees'
    safeguarding and child protection training at induction, regularly updated: para 81 of
    the 2022 edition); DfE Governance Handbook (induction and training)."""
    if not records.governors(conn, today):
        return compliance.Result(compliance.NA, "No governors in office.")
    if not courses.mandatory(conn):
        return compliance.Result(
            compliance.WARN, "No course is marked mandatory.",
            "Mark the safeguarding and induction courses mandatory (Training → Courses).")
    rows = reports.mandatory_rows(conn, today)
    findings = tuple(sorted((_finding(r) for r in rows),
                            key=lambda f: {compliance.FAIL: 0, compliance.WARN: 1}.get(
                                f.status, 2)))
    bad = [r for r in rows if _STATUS[r.standing.status] == compliance.FAIL]
    soon = [r for r in rows if _STATUS[r.standing.status] == compliance.WARN]
    people = len({r.user_id for r in rows})
    if bad:
        return compliance.Result(
            compliance.FAIL, f"{len(bad)} mandatory course{'s' if len(bad) != 1 else ''} "
            f"missing or expired among {people} governor{'s' if people != 1 else ''}.",
            "Book the governors listed on the courses they lack, then record each "
            "completion.", findings)
    if soon:
        return compliance.Result(
            compliance.WARN, f"{len(soon)} mandatory course{'s' if len(soon) != 1 else ''} "
            "expiring within 60 days.", "Book refresher training before it expires.",
            findings)
    return compliance.Result(compliance.PASS, f"All {people} governors' mandatory training "
                             "is done and in date.", "", findings)


compliance.register(compliance.Rule(
    key="mandatory_training", title="Mandatory training done and in date",
    source=SOURCE, check=mandatory_training, link=compliance.Link("training.report")))
