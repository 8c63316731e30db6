"""What a page showing a discussion subject needs for its comments, approval and Follow
button (templates library/_comments.html, library/_approval.html, _follow.html): the
library's documents and pages and the discussions' topics."""

from gvo.core.identity import Identity
from gvo.discussion import approvals, comments, subjects
from gvo.web.access import db
from gvo.web.following import follow_context
from gvo.web.forms import ApprovalForm, CommentForm, ConfirmForm


def comments_context(subject: subjects.Subject, v: Identity, after: str | None = None
                     ) -> dict:
    """What the comments section needs: a page of the thread (the first by default)."""
    conn = db()
    return {
        "subject": subject,
        "thread": comments.thread(conn, subject, after),
        "comment_count": comments.count(conn, subject),
        "locked": comments.is_locked(conn, subject),
        "may_comment": comments.may_comment(conn, v, subject),
        "may_lock": comments.may_lock(v, subject),
        "me": v.user_id,
    }


def subject_context(subject: subjects.Subject, v: Identity) -> dict:
    """The comments section's context, the approval panel's (who approved, who has not,
    whether the viewer may: whoever the subject lets take part) and the Follow button's."""
    conn = db()
    approval = approvals.get(conn, subject)
    approved, pending = approvals.status(conn, subject) if approval else ([], [])
    return {
        **comments_context(subject, v),
        "comment_form": CommentForm(),
        "approval": approval,
        "approved": approved,
        "pending": pending,
        "has_approved": approvals.has_approved(conn, v, subject),
        "may_approve": subject.may_take_part(v),
        "approval_form": ApprovalForm(),
        "modes": approvals.MODES,
        "confirm": ConfirmForm(),
        **follow_context(conn, v, subject),
    }
