"""The office's home page after sign-in."""

from flask import render_template

from gvo.board import bodies
from gvo.governance import compliance
from gvo.library import news
from gvo.meetings import meetings
from gvo.newsletter import facts
from gvo.people import settings
from gvo.web import paging
from gvo.web.access import current_identity, db, school_blueprint, signed_in

bp = school_blueprint("home", __name__)


@bp.get("/")
@signed_in
def index():
    """Home: the school, the person and their role, and where to go next."""
    conn, who = db(), current_identity()
    whats_new = news.page(conn, who, paging.after("news"))
    if paging.wants_rows("news"):  # more of what's new, alone
        return paging.render("home/index.html", block="news_rows", param="news",
                             whats_new=whats_new)
    return render_template("home/index.html", upcoming_meetings=meetings.upcoming(conn),
                           my_bodies=bodies.memberships(conn, who.user_id),
                           suggest_mfa=settings.suggests_mfa(conn, who.user_id),
                           bodies=bodies.list_bodies(conn), whats_new=whats_new,
                           for_you=facts.for_you(conn, who),
                           attention=compliance.needs_attention(compliance.check_all(conn))
                           if who.can("manage_board") else None)
