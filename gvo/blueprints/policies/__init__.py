"""The policies blueprint (`policies`): one blueprint, one module per sub-feature.

`common` makes the blueprint; `register` (the register, a policy's page, adding and changing
policies, the statutory list, settings), `lifecycle` (text, review, approval at a meeting,
withdrawal), `reports` (page and CSV) and `public` (the public policy viewer, no sign-in)
add their routes to it.
"""

from gvo.blueprints.policies import lifecycle, public, register, reports  # noqa: F401
from gvo.blueprints.policies.common import bp  # noqa: F401
from gvo.policies import compliance_rule  # noqa: F401 (its rule joins the dashboard)
