"""What the discussions blueprint's modules share: the blueprint itself (routes under
/<school>/, like every school page), and the topics a library folder's page lists."""

from gvo.discussion import topics
from gvo.web.access import current_identity, db, school_blueprint

bp = school_blueprint("discussions", "gvo.blueprints.discussions")

FOLDER_TOPICS = 10  # topics a folder's page lists; the rest are on the discussions page


@bp.app_context_processor
def folder_topics():
    """`folder_topics(folder_id)` for a library folder's page: the newest topics in it that
    the signed-in person may open (a first page, read only when the template calls it)."""
    return {"folder_topics": lambda folder_id: topics.page(
        db(), current_identity(), folder_id=folder_id, size=FOLDER_TOPICS)}
