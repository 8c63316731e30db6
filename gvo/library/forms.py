"""Forms of the library pages (Flask-WTF, each with its CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from gvo.library import approvals, comments, pages
from gvo.web.forms import MultiCheckboxField, WholeNumberField, choices


class FolderForm(FlaskForm):
    """A folder's details and who it is open to."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    sort_order = WholeNumberField("Sort order", default=0,
                              validators=[Optional(), NumberRange(-9999, 9999)],
                              description="Lower numbers come first; equal ones by title.")
    restricted = BooleanField("Restrict this folder to the people and groups ticked below",
                              description="Everything inside it is restricted too. Leave "
                                          "the Manager out to make a private room.")
    users = MultiCheckboxField("People", coerce=int, choices=[])
    groups = MultiCheckboxField("Groups", coerce=int, choices=[])


class DocumentForm(FlaskForm):
    """A document's title and description."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])


class PageForm(FlaskForm):
    """A page: a title and a short note in Markdown."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    body = TextAreaField("Text", validators=[Optional(), Length(max=pages.MAX_BODY)],
                         description="Markdown: *italic*, **bold**, lists with -, links "
                                     "[text](https://...).")


class CommentForm(FlaskForm):
    """A comment, or a reply when parent_id is set."""

    body = TextAreaField("Comment", validators=[DataRequired(), Length(max=comments.MAX_BODY)])
    parent_id = HiddenField()


class ApprovalForm(FlaskForm):
    """Asking for approval."""

    mode = SelectField("Kind of approval", choices=choices(approvals.MODES.items()))
