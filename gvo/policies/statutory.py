"""The statutory policies a school must have, shipped as data (statutory.json: the DfE's
"Statutory policies for schools and academy trusts", with its address, edition and the date
it was taken), separately for maintained schools and academies; the school's type; adding
every statutory policy the school lacks in one step; and `status` (missing, overdue, due)
for reports and the compliance dashboard.

The list must be checked against the current DfE guidance (the data file says so, and the
DfE withdrew the page in March 2024 for its governance guides): it holds only entries its
maintainers were confident of. A school records any other duty as its own statutory policy.
"""

import functools
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources

from gvo.core import audit
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.people import settings
from gvo.policies import register
from gvo.storage.sqlcipher import Connection

SCHOOL_TYPES = {"maintained": "Local-authority-maintained school", "academy": "Academy"}
TYPE_SETTING = "policies.school_type"
WINDOW_SETTING = "policies.warning_days"
DEFAULT_WINDOW_DAYS = 60


@functools.cache
def shipped() -> dict:
    """The data file as shipped: {"source": {title, publisher, url, edition, taken_on, check},
    "policies": [{key, name, applies_to, condition, source, cycle_months, approval}, ...]}."""
    return json.loads(resources.files("gvo.policies").joinpath("statutory.json").read_text(
        encoding="utf-8"))


def source() -> dict:
    """Where the list comes from and when it was taken (the data file's "source")."""
    return shipped()["source"]


def entries(school_type: str) -> list[dict]:
    """The list's entries that apply to a school of this type ("maintained" or "academy")."""
    return [e for e in shipped()["policies"] if school_type in e["applies_to"]]


def school_type(conn: Connection) -> str:
    """The school's type as its settings say ("maintained" unless set to "academy")."""
    value = settings.get(conn, TYPE_SETTING)
    return value if value in SCHOOL_TYPES else "maintained"


def warning_days(conn: Connection) -> int:
    """How many days ahead reviews count as due (setting; default 60)."""
    value = settings.get(conn, WINDOW_SETTING)
    return int(value) if value.isdigit() and 1 <= int(value) <= 366 else DEFAULT_WINDOW_DAYS


def set_options(conn: Connection, who: Identity, *, kind: str, days: int) -> list[str]:
    """Set the school's type and the warning period (1-366 days); the names of the policies
    the school holds from the other type's list that the new type's list lacks (they stay in
    the register, statutory, and `status` reports them, marked with their list: nothing is
    dropped silently). Audited as "policy.settings". InvalidInput naming the field."""
    register.require_manager(who)
    if kind not in SCHOOL_TYPES:
        raise InvalidInput("Choose maintained school or academy.", field="school_type")
    if not isinstance(days, int) or not 1 <= days <= 366:
        raise InvalidInput("Give a number of days from 1 to 366.", field="warning_days")
    with transaction(conn):
        before = school_type(conn)
        settings.put(conn, TYPE_SETTING, kind)
        settings.put(conn, WINDOW_SETTING, str(days))
        off_list = [] if kind == before else [
            p["name"] for key, p in sorted(_held(conn).items(), key=lambda kv: kv[1]["name"])
            if key not in {e["key"] for e in entries(kind)}]
        audit.record(conn, who, "policy.settings", "school", school_type=kind, days=days,
                     off_list=len(off_list))
    return off_list


def _held(conn: Connection) -> dict[str, dict]:
    """Policies answering a list entry (not archived), by the entry's key."""
    rows = conn.execute(
        "SELECT p.id, p.name, p.statutory_key, p.status, p.next_review_on FROM policies p"
        " WHERE p.statutory_key IS NOT NULL AND p.status != 'archived'").fetchall()
    return {r["statutory_key"]: dict(r) for r in rows}


def add_missing(conn: Connection, who: Identity) -> list[int]:
    """Add to the register, in one transaction, every statutory policy on the list for the
    school's type that it does not hold yet (under development, statutory, with the entry's
    source, cycle and approval level, owned by the board); the new policies' ids. Audited
    as "policy.create" for each and "policy.statutory_added"."""
    register.require_manager(who)
    added = []
    # Read what is held inside the write transaction: a form sent twice at once adds each
    # policy once and the second finds nothing to add (never a duplicate-key error).
    with transaction(conn):
        held = _held(conn)
        board = conn.execute("SELECT id FROM bodies WHERE kind = 'board'").fetchone()
        for entry in entries(school_type(conn)):
            if entry["key"] in held:
                continue
            data = register.PolicyInput(
                name=entry["name"], approval_level=entry["approval"],
                cycle_months=entry["cycle_months"], statutory=True,
                statutory_source=f"{entry['source']} (DfE list: {source()['title']})",
                owner_body_id=board["id"] if board else None)
            added.append(register.create(conn, who, data, statutory_key=entry["key"]))
        audit.record(conn, who, "policy.statutory_added", "school", added=len(added),
                     school_type=school_type(conn))
    return added


def _other_list_name(policy, other: dict) -> str:
    """A held statutory policy's name, marked with the other type's list it came from."""
    entry = other.get(policy["statutory_key"])
    if entry is None:
        return policy["name"]
    lists = " and ".join(SCHOOL_TYPES[t].lower() for t in entry["applies_to"])
    return f"{policy['name']} (statutory on the {lists} list)"


@dataclass
class Status:
    """The statutory policies' state on a day: each a list of {key, name, policy_id,
    next_review_on} (policy_id None for one missing)."""

    present: list[dict] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)   # not held, or held with no live version
    overdue: list[dict] = field(default_factory=list)   # live, next review before `today`
    due: list[dict] = field(default_factory=list)       # live, next review within the window

    @property
    def problems(self) -> int:
        """How many are missing or overdue."""
        return len(self.missing) + len(self.overdue)


def status(conn: Connection, today: date) -> Status:
    """The statutory policies for the school's type on `today` (a date in the school's zone):
    which are present (held with a live version), missing (not held, or not yet approved),
    overdue (review date before today) and due (review within the warning period). Policies
    the school marked statutory itself (no list entry) count too, and so do those it holds
    from the other type's list (after the school's type changed), named with their list
    ("… (maintained-school list)"). Reads only; no access check (the caller decides who
    sees it: the compliance dashboard, the reports)."""
    result = Status()
    held = _held(conn)
    horizon = (today + timedelta(days=warning_days(conn))).isoformat()
    kind = school_type(conn)
    listed = {e["key"]: e for e in entries(kind)}
    other = {e["key"]: e for e in shipped()["policies"] if kind not in e["applies_to"]}
    own = conn.execute("SELECT id, name, status, next_review_on, statutory_key FROM policies"
                       " WHERE statutory = 1 AND status != 'archived'").fetchall()
    rows = [(key, e["name"], held.get(key)) for key, e in listed.items()]
    rows += [(None, _other_list_name(r, other), dict(r)) for r in own
             if r["statutory_key"] not in listed]
    for key, name, policy in rows:
        line = {"key": key, "name": name if key is None else policy["name"] if policy else name,
                "policy_id": policy["id"] if policy else None,
                "next_review_on": policy["next_review_on"] if policy else None}
        if policy is None or policy["status"] != "live":
            result.missing.append(line)
            continue
        result.present.append(line)
        review = policy["next_review_on"]
        if review and review < today.isoformat():
            result.overdue.append(line)
        elif review and review <= horizon:
            result.due.append(line)
    return result
