"""The office's home page after sign-in."""

from flask import render_template
from flask_login import current_user

from gvo.blueprints import library
from gvo.board import bodies
from gvo.meetings import meetings
from gvo.people import settings
from gvo.web.access import db, school_blueprint, signed_in

bp = school_blueprint("home", __name__)


@bp.get("/")
@signed_in
def index():
    """Home: the school, the person and their role, and where to go next."""
    conn = db()
    my_bodies = conn.execute(
        "SELECT b.id, b.name, b.kind, m.position FROM body_members m JOIN bodies b"
        " ON b.id = m.body_id WHERE m.user_id = ? ORDER BY b.kind = 'committee', b.name",
        (current_user.id,),
    ).fetchall()
    suggest_mfa = (not current_user.mfa_enrolled
                   and settings.get(conn, "mfa_policy") == "suggested")
    return render_template("home/index.html", upcoming_meetings=meetings.upcoming(conn),
                           my_bodies=my_bodies, suggest_mfa=suggest_mfa,
                           bodies=bodies.list_bodies(conn), whats_new=library.whats_new(conn))
