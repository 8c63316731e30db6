"""The governance blueprint (`governance`): one blueprint, one module per sub-feature.

`common` makes the blueprint; each sub-feature module (governor records, interests, the
public page, the compliance dashboard) adds its routes to it when imported here.
"""

from gvo.blueprints.governance import (  # noqa: F401
    compliance,
    interests,
    places,
    public,
    records,
)
from gvo.blueprints.governance.common import bp  # noqa: F401
