"""Flask-WTF forms for training records (each carries a CSRF token; the completion form is
sent as a streamed upload, whose token gvo.web.uploads checks)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from gvo.training import courses
from gvo.web.forms import DayField, LineField, WholeNumberField


class CourseForm(FlaskForm):
    """A course's details."""

    title = LineField("Title", validators=[DataRequired(), Length(max=200)])
    category = LineField("Category", validators=[Length(max=100)],
                         description="Safeguarding, Induction, Prevent, Finance...")
    provider = LineField("Provider", validators=[Length(max=200)],
                         description="Who runs it: the local authority, NGA, the school...")
    mandatory = BooleanField("Mandatory for every governor",
                             description="Mandatory courses apply to every governor in office "
                                         "(not the clerk); the compliance dashboard and the "
                                         "newsletter warn when one is missing or out of date.")
    validity_months = WholeNumberField(
        "Valid for (months)", validators=[Optional(), NumberRange(
            min=1, max=courses.MAX_VALIDITY_MONTHS,
            message=f"Give 1 to {courses.MAX_VALIDITY_MONTHS} months, or leave it empty.")],
        description="Leave empty for a course that never expires. A course completed on 31 "
                    "January and valid for 36 months expires on 31 January three years "
                    "later, and still counts on that day.")
    booking_url = LineField("Booking link", validators=[Length(max=courses.MAX_URL)],
                            description="A web address starting https://")


class CompletionForm(FlaskForm):
    """A completion: whose (for those who manage training), which course, when."""

    user_id = SelectField("Person", coerce=int, choices=[])
    course_id = SelectField("Course", coerce=int, choices=[],
                            validators=[DataRequired("Choose a course.")])
    completed_on = DayField("Date completed", validators=[DataRequired(
        "Give the date the course was completed.")], description="YYYY-MM-DD; not in the "
        "future.")
