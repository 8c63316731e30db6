"""What the skills blueprint's modules share: the blueprint itself (routes under
/<school>/, like every school page)."""

from gvo.web.access import school_blueprint

bp = school_blueprint("skills", "gvo.blueprints.skills")
