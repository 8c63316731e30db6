"""Flask-WTF forms for policies (each carries a CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from gvo.core.numbers import whole_number_or_none
from gvo.policies import register, statutory
from gvo.web.forms import DayField, LineField, MultiCheckboxField, WholeNumberField, choices

NONE = 0  # "none chosen" in the optional selects


class PolicyForm(FlaskForm):
    """A policy's details in the register."""

    name = LineField("Name", validators=[DataRequired(), Length(max=200)])
    type_id = SelectField("Type", coerce=int, choices=[])
    owner_body_id = SelectField("Owned by (board or committee)", coerce=int, choices=[])
    owner_ids = MultiCheckboxField("Named owners", coerce=int, choices=[],
                                   description="They hear of its reviews in the newsletter.")
    approval_level = SelectField("Approved by", choices=choices(register.LEVELS.items()))
    cycle_months = SelectField("Review cycle", coerce=int,
                               choices=choices(register.CYCLES.items()))
    next_review_on = DayField("Next review by", validators=[Optional()],
                              description="Set again from the cycle each time it is approved.")
    statutory = BooleanField("Statutory (the school must have it by law)")
    statutory_source = LineField("Source of the duty", validators=[Optional(), Length(max=500)],
                                 description="The law or guidance, if statutory.")
    publish_publicly = BooleanField(
        "Publish publicly", description="Its live version shows on the public policy page "
        "(when that page is switched on), unless its text is in a restricted folder.")


class TextForm(FlaskForm):
    """Choosing a library document or page as the draft's text."""

    text = SelectField("Document or page in the library", choices=[])


class WriteForm(FlaskForm):
    """Writing the draft as a new library page."""

    body = TextAreaField("Text (Markdown)", validators=[DataRequired(), Length(max=50_000)])


def _item_id(value) -> int | None:
    """An agenda item's id as chosen (an int already, or the posted text; None for text
    that is not an id)."""
    return value if isinstance(value, int) else whole_number_or_none(value)


class ApproveForm(FlaskForm):
    """Recording the approval of the draft at a meeting."""

    # Any posted value reaches the service, whose refusal says why (cancelled, not yet held,
    # not quorate, ...) rather than "Not a valid choice".
    item_id = SelectField("Approved at (agenda item with this policy as a paper)",
                          coerce=_item_id, choices=[], validate_choice=False)


class SettingsForm(FlaskForm):
    """The school's policy settings."""

    school_type = SelectField("School type", choices=choices(statutory.SCHOOL_TYPES.items()),
                              description="Which statutory list applies.")
    warning_days = WholeNumberField(
        "Warn of reviews due within (days)", validators=[DataRequired(), NumberRange(
            min=1, max=366, message="From 1 to 366 days.")])
    public = BooleanField("Public policy page on",
                          description="Anyone may read the policies marked publish publicly.")


class TypeForm(FlaskForm):
    """A new policy type."""

    name = LineField("New type", validators=[DataRequired(), Length(max=100)])


class RangeForm(FlaskForm):
    """A date range for the reviews report (read from the query string)."""

    class Meta:
        csrf = False

    start = DayField("From", validators=[DataRequired()])
    end = DayField("To", validators=[DataRequired()])
