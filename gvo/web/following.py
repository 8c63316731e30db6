"""What the Follow button (templates/_follow.html) needs, for any page showing a
discussion subject (library documents and pages, meetings' minutes)."""

from gvo.core.identity import Identity
from gvo.discussion import followers
from gvo.discussion.subjects import Subject
from gvo.storage.sqlcipher import Connection
from gvo.web.forms import FollowForm


def follow_context(conn: Connection, viewer: Identity, subject: Subject) -> dict:
    """The viewer's state (following or not), the form, and for Managers the people
    following and the people they may subscribe (active accounts)."""
    manager = followers.may_subscribe_others(viewer)
    form = FollowForm(formdata=None)
    following = followers.followers(conn, subject) if manager else []
    if manager:
        form.user_id.choices = [(0, "Choose a person")] + [
            (r["id"], r["name"]) for r in conn.execute(
                "SELECT id, name FROM users WHERE role != 'inactive'"
                " ORDER BY name COLLATE NOCASE")]
    return {"follow_subject": subject, "follow_form": form, "follow_list": following,
            "following": followers.is_following(conn, subject, viewer.user_id),
            "may_subscribe_others": manager}
