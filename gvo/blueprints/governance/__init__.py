"""The governance blueprint (`governance`): one blueprint, one module per sub-feature.

`common` makes the blueprint; each sub-feature module (governor records, interests, the
public page, the compliance dashboard) adds its routes to it when imported here.
"""

from gvo.blueprints.governance import interests, places, public, records  # noqa: F401
from gvo.blueprints.governance.common import bp  # noqa: F401
