"""Flask-WTF forms for meetings (each carries a CSRF token).

Numbers, dates and times are read by `gvo.web.forms`' fields (through `gvo.core.numbers`), so
digits typed in full width (２０３１, as Japanese and Chinese keyboards give them) or in
another script count as the digits they are; anything else that is not a number is
refused with a message, never an error page.
"""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from gvo.meetings import attendance
from gvo.meetings.agenda import PURPOSES
from gvo.meetings.attendance import STATUSES
from gvo.web.forms import DayField, LineField, LocalTimeField, WholeNumberField, choices

PURPOSE_CHOICES = choices((p, p.capitalize()) for p in PURPOSES)
STATUS_CHOICES = choices(STATUSES.items())


class MeetingForm(FlaskForm):
    """A meeting's details."""

    body_id = SelectField("Board or committee", coerce=int, choices=[])
    title = LineField("Title", validators=[DataRequired(), Length(max=200)])
    starts_at = LocalTimeField("Starts", format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    ends_at = LocalTimeField("Ends", format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    location = LineField("Location", validators=[Optional(), Length(max=300)],
                           description="Where people meet. Give this, an online link, or both.")
    online_link = LineField("Online link", validators=[Optional(), Length(max=500)],
                              description="An https:// link to join online.")
    description = TextAreaField("Description", validators=[Optional(), Length(max=4000)])


class CancelForm(FlaskForm):
    """Cancelling a meeting needs a reason."""

    reason = LineField("Reason for cancelling", validators=[DataRequired(), Length(max=500)])


class ItemForm(FlaskForm):
    """An agenda item."""

    title = LineField("Item title", validators=[DataRequired(), Length(max=200)])
    purpose = SelectField("Purpose", choices=PURPOSE_CHOICES, default="information")
    presenter = LineField("Presenter", validators=[Optional(), Length(max=120)])
    # Its own id: the meeting page that holds this form has a section called "minutes".
    minutes = WholeNumberField("Minutes allotted", default=10, id="item-minutes",
                               validators=[Optional(), NumberRange(
                                   min=0, max=600, message="From 0 to 600 minutes.")])
    confidential = BooleanField(
        "Confidential (part 2)",
        description="Only members of this board or committee, Editors and Managers see it, "
                    "its papers and its minutes.")


class MoveForm(FlaskForm):
    """Moving an agenda item up or down."""

    direction = HiddenField(validators=[DataRequired()])


class UploadPaperForm(FlaskForm):
    """Uploading a paper into the meeting's folder."""

    title = LineField("Paper title", validators=[Optional(), Length(max=200)],
                        description="Leave empty to use the file name.")
    file = FileField("File", validators=[FileRequired()])


class LinkPaperForm(FlaskForm):
    """Linking a document, page or policy that is already in the library."""

    ref = SelectField("Existing document, page or policy", choices=[])


class ReplyForm(FlaskForm):
    """A member's answer before the meeting."""

    reply = SelectField("Will you attend?", choices=choices(
        [("attending", "I am attending"), ("apologies", "I send my apologies")]))
    reason = LineField("Reason for apologies", validators=[Optional(), Length(max=500)])

    def validate_reason(self, field):
        """Apologies need a reason (gvo.meetings.attendance.reply's rule), shown beside the
        reason with the choice kept."""
        if self.reply.data == "apologies" and not (field.data or "").strip():
            raise ValidationError(attendance.REASON_NEEDED)


class LockAttendanceRegisterForm(FlaskForm):
    """Locking the register: the clerk first confirms that it is complete and correct."""

    confirm = BooleanField(
        "I have checked this register: it is complete and correct",
        validators=[DataRequired()],
        description="Once locked, the register and its guests cannot change, whoever joins or "
                    "leaves the board later.")


class GuestForm(FlaskForm):
    """A guest or observer at the meeting."""

    name = LineField("Name", validators=[DataRequired(), Length(max=120)])
    kind = SelectField("Attending as", choices=choices(
        [("guest", "Guest"), ("observer", "Observer")]))
    organisation = LineField("Organisation or role", validators=[Optional(), Length(max=120)])


class MinuteItemForm(FlaskForm):
    """The minutes of one agenda item."""

    discussion = TextAreaField("Discussion", validators=[Optional(), Length(max=20000)])
    decisions = TextAreaField("Decisions", validators=[Optional(), Length(max=10000)])
    # minutes.version of the item when the editor was opened: a save never overwrites
    # what someone else saved since (minutes.save_all).
    base = HiddenField()


class ActionForm(FlaskForm):
    """An action from the minutes."""

    text = LineField("Action", validators=[DataRequired(), Length(max=500)])
    owner_id = SelectField("Owner", coerce=int, choices=[])
    due_on = DayField("Due", validators=[Optional()])


class DeclarationForm(FlaskForm):
    """A declaration of interest against an agenda item (gvo.meetings.declarations)."""

    user_id = SelectField("Who declared an interest", coerce=int, choices=[])
    interest = LineField("The interest declared", validators=[DataRequired(), Length(max=500)])
    withdrew = BooleanField("They withdrew for this item (not counted in its quorum)",
                            default=True)


class ApproveForm(FlaskForm):
    """Recording the approval of an earlier meeting's minutes at this meeting."""

    meeting_id = HiddenField(validators=[DataRequired()])


class CommentForm(FlaskForm):
    """A comment on circulated minutes."""

    text = TextAreaField("Your comment", validators=[DataRequired(), Length(max=4000)])


class ReportForm(FlaskForm):
    """The attendance report's choices (a GET form: no CSRF needed)."""

    class Meta:
        csrf = False

    body_id = SelectField("Board or committee", coerce=int, choices=[])
    start = DayField("From", validators=[DataRequired()])
    end = DayField("To", validators=[DataRequired()])
