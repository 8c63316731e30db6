"""The training blueprint (`training`): one blueprint, one module per sub-feature.

`common` makes the blueprint; each sub-feature module adds its routes to it when imported
here. Training records: courses, completions and the mandatory list.
"""

from gvo.blueprints.training import pages  # noqa: F401
from gvo.blueprints.training.common import bp  # noqa: F401
