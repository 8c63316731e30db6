"""Flask-WTF forms for actions (each carries a CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from gvo.actions import tasks
from gvo.web.forms import DayField, LineField, MultiCheckboxField, choices

NONE = 0  # "none chosen" in the optional selects
BACK = ("show", "home", "list")  # where "Mark done" returns to without JavaScript


class TaskForm(FlaskForm):
    """An action made or changed by hand."""

    title = LineField("What is to be done", validators=[DataRequired(), Length(
        max=tasks.MAX_TITLE)])
    description = TextAreaField("Details", validators=[Optional(), Length(
        max=tasks.MAX_DESCRIPTION)])
    due_on = DayField("Due by", validators=[Optional()])
    folder_id = SelectField(
        "Library folder", coerce=int, choices=[],
        description="Only people who may open this folder see the action; people chosen "
                    "below who may not are left out, and you are told who.")
    body_id = SelectField("Board or committee", coerce=int, choices=[])
    assignee_ids = MultiCheckboxField("People to do it", coerce=int, choices=[])
    group_ids = MultiCheckboxField(
        "Groups", coerce=int, choices=[],
        description="Each member of a group is added when you save (joining the group later "
                    "does not add them).")
    doc_ids = SelectMultipleField("Attached library documents", coerce=int, choices=[],
                                  validators=[Optional()])
    base = HiddenField()   # the action's version when the form was opened (tasks.version)


class StatusForm(FlaskForm):
    """An action's status (its assignees, Managers, the clerk and Editors)."""

    status = SelectField("Status", choices=choices(tasks.STATUSES.items()))
    back = HiddenField(default="show")


class FilterForm(FlaskForm):
    """Which list of actions, and of which board or committee (a GET form: no token)."""

    class Meta:
        csrf = False

    view = SelectField("Show", choices=choices(tasks.VIEWS.items()), default="mine_open")
    body = SelectField("Board or committee", coerce=int, choices=[], default=NONE)
