"""What people take away: the board pack PDF, a meeting's .ics file and the private
calendar feed."""

from urllib.parse import urlsplit

from flask import abort, current_app, g, url_for

from gvo.blueprints.meetings.common import bp, converting_school, dated_slug, generated, get_meeting
from gvo.meetings import calendar_feed, packs
from gvo.web.access import current_identity, db, public, signed_in
from gvo.web.downloads import file_response


@bp.get("/meetings/<int:meeting_id>/pack.pdf")
@signed_in
def pack(meeting_id: int):
    """The board pack: only what this person may open; built in memory and streamed."""
    meeting = get_meeting(meeting_id)
    who = current_identity()
    items = packs.items_for(db(), who, meeting_id, converting_school(),
                            converter=current_app.config["GVO_LIBREOFFICE"])
    data = packs.build(g.school_name, meeting, items, f"{generated()} for {who.name}")
    return file_response(packs.stream(data), f"board-pack-{dated_slug(meeting)}.pdf",
                         "application/pdf", length=len(data))


def _uid_host() -> str:
    """This school's part of calendar UIDs (`calendar_feed.uid_domain`)."""
    host = urlsplit(current_app.config.get("GVO_BASE_URL", "")).hostname or "gvo"
    return calendar_feed.uid_domain(g.school, host)


def _meeting_url(meeting_id: int) -> str:
    return current_app.config["GVO_BASE_URL"].rstrip("/") + url_for(
        "meetings.show", meeting_id=meeting_id)


def _task_url(task_id: int) -> str:
    return current_app.config["GVO_BASE_URL"].rstrip("/") + url_for(
        "actions.show", task_id=task_id)


@bp.get("/meetings/<int:meeting_id>/calendar.ics")
@signed_in
def meeting_ics(meeting_id: int):
    """One meeting as an .ics file for a calendar app."""
    meeting = get_meeting(meeting_id)
    data = calendar_feed.meeting_ics(meeting, g.school_name, _uid_host(),
                                     _meeting_url(meeting_id))
    return file_response(data, f"meeting-{dated_slug(meeting)}.ics", "text/calendar")


@bp.get("/calendar/<token>.ics")
@public
def feed(token: str):
    """A person's private calendar feed; the token in the URL is the credential."""
    conn = db()
    viewer = calendar_feed.viewer_for_token(conn, token)
    if viewer is None:
        abort(404)
    data = calendar_feed.feed_ics(conn, viewer, g.school_name, _uid_host(), _meeting_url,
                                  _task_url)
    return file_response(data, "calendar.ics", "text/calendar", inline=True)
