"""The skills blueprint (`skills`): one blueprint, one module per sub-feature.

`common` makes the blueprint; `pages` (the starting page, a person's answers, answering one
category per screen), `questions` (Managers' question set) and `reports` (the matrix page,
CSV and XLSX) add their routes to it. The services are in gvo.skills.
"""

from gvo.blueprints.skills import pages, questions, reports  # noqa: F401
from gvo.blueprints.skills.common import bp  # noqa: F401
