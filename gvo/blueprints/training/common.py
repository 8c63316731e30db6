"""What the training blueprint's modules share: the blueprint itself (routes under
/<school>/, like every school page) and the completion form with its choices."""

from gvo.blueprints.training import forms as tf
from gvo.core import text
from gvo.people import accounts
from gvo.training import courses
from gvo.web.access import current_identity, db, school_blueprint
from gvo.web.forms import choices

bp = school_blueprint("training", "gvo.blueprints.training")


def completion_form(formdata=None, user_id: int | None = None) -> tf.CompletionForm:
    """The completion form: the courses, and (for those who manage training) the people with
    an active account, by name in any script, `user_id` (default: the person acting)
    chosen."""
    who = current_identity()
    form = tf.CompletionForm(formdata=formdata, meta={"csrf": formdata is None},
                             data={"user_id": user_id or who.user_id})
    form.course_id.choices = choices(
        [(0, "Choose a course")] + [(c["id"], c["title"]) for c in courses.listing(db())])
    people = [u for u in accounts.list_users(db()) if u["role"] != "inactive"]
    if not courses.manages(who):
        people = [u for u in people if u["id"] == who.user_id]
    form.user_id.choices = choices(
        (u["id"], u["name"]) for u in sorted(people, key=lambda u: text.sort_key(u["name"])))
    return form
