"""The discussions blueprint (`discussions`): one blueprint, one module per sub-feature.

`common` makes the blueprint; each sub-feature module adds its routes to it when imported
here. Discussion topics in the library's folders.
"""

from gvo.blueprints.discussions import pages  # noqa: F401
from gvo.blueprints.discussions.common import bp  # noqa: F401
