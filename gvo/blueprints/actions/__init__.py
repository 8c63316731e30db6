"""The actions blueprint (`actions`): one blueprint, one module per sub-feature.

`common` makes the blueprint; each sub-feature module adds its routes to it when imported
here. Actions agreed at meetings and made by hand: who does what by when.
"""

from gvo.actions import newsletter  # noqa: F401,E402  (the newsletter's "Your actions")
from gvo.blueprints.actions import pages  # noqa: F401
from gvo.blueprints.actions.common import bp  # noqa: F401
