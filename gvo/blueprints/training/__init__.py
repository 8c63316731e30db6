"""The training blueprint (`training`): one blueprint, one module per sub-feature.

`common` makes the blueprint; `pages` (a person's training: status, completions, recording
one with its certificate), `courses` (the course list and its changes) and `reports` (by
person and by course, CSV and XLSX) add their routes to it. Importing it registers the
compliance rule and the newsletter's training sections.
"""

from gvo.blueprints.training import courses, pages, reports  # noqa: F401
from gvo.blueprints.training.common import bp  # noqa: F401
from gvo.training import compliance_rule, warnings  # noqa: F401 (the dashboard, the newsletter)
