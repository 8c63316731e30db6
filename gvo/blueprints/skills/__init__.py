"""The skills blueprint (`skills`): one blueprint, one module per sub-feature.

`common` makes the blueprint; each sub-feature module adds its routes to it when imported
here. The skills audit: the school's questions, answers and reports.
"""

from gvo.blueprints.skills import pages  # noqa: F401
from gvo.blueprints.skills.common import bp  # noqa: F401
