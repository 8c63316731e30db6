"""What the actions blueprint's modules share: the blueprint itself (routes under
/<school>/, like every school page)."""

from gvo.web.access import school_blueprint

bp = school_blueprint("actions", "gvo.blueprints.actions")
