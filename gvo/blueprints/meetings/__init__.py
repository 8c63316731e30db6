"""The meetings blueprint (`meetings`): one blueprint, one module per sub-feature.

`common` makes the blueprint; `meetings` (list, calendar, create/edit, the meeting page),
`agenda` (items, papers), `attendance` (replies, the attendance register, the report),
`minutes`, `declarations` (declarations of interest against items) and `packs` (board
pack, .ics, the calendar feed) add their routes to it.
"""

from gvo.blueprints.meetings import (  # noqa: F401
    agenda,
    attendance,
    declarations,
    meetings,
    minutes,
    packs,
)
from gvo.blueprints.meetings.common import bp  # noqa: F401
