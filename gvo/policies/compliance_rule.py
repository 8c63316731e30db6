"""The compliance dashboard's rule for policies (issue 15): statutory policies missing or
overdue for review, registered with gvo.governance.compliance when imported (the policies
blueprint imports it, so every app has it)."""

from datetime import date

from gvo.governance import compliance
from gvo.policies import register, statutory
from gvo.storage.sqlcipher import Connection

ROOM_NAME = "a policy kept in a restricted folder"


def _names(lines: list[dict]) -> str:
    return ", ".join(line["name"] for line in lines)


def statutory_policies(conn: Connection, today: date) -> compliance.Result:
    """Every statutory policy the school's type must have is held, live and reviewed on time.

    Source: the DfE's list of statutory policies ("Statutory policies for schools and academy
    trusts", now in the Maintained school governance guide and the Academy trust governance
    guide; gvo/policies/statutory.json names the edition used). Missing (not held, or held
    with no approved version) or overdue for review is "not met"; reviews due within the
    school's warning period are "needs attention"."""
    state = statutory.status(conn, today)
    hidden = register.in_rooms(conn)  # the dashboard's readers may be outside the room
    for line in state.missing + state.present:
        if line["policy_id"] in hidden:
            line["name"] = ROOM_NAME
    findings = tuple(
        [compliance.Finding(compliance.FAIL, f"{line['name']}: missing") for line in state.missing]
        + [compliance.Finding(compliance.FAIL, f"{line['name']}: review overdue")
           for line in state.overdue]
        + [compliance.Finding(compliance.WARN, f"{line['name']}: review due")
           for line in state.due])
    if state.problems:
        parts = []
        if state.missing:
            parts.append(f"{len(state.missing)} missing ({_names(state.missing)})")
        if state.overdue:
            parts.append(f"{len(state.overdue)} overdue for review ({_names(state.overdue)})")
        return compliance.Result(
            compliance.FAIL, "Statutory policies: " + "; ".join(parts) + ".",
            "Add the missing policies (Policies → Add every statutory policy we lack), then "
            "review and approve them at a meeting.", findings)
    if state.due:
        return compliance.Result(
            compliance.WARN, f"{len(state.due)} statutory polic"
            f"{'y is' if len(state.due) == 1 else 'ies are'} due for review soon: "
            f"{_names(state.due)}.", "Start their reviews.", findings)
    return compliance.Result(
        compliance.PASS, f"All {len(state.present)} statutory policies are held and reviewed "
        "on time.")


compliance.register(compliance.Rule(
    key="statutory_policies", title="Statutory policies in place and reviewed on time",
    source="DfE, Statutory policies for schools and academy trusts (the edition used is "
           "named on the statutory list in the policy register)",
    check=statutory_policies, link=compliance.Link("policies.report")))
