"""Flask-WTF forms for discussions (each carries a CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from gvo.discussion import topics
from gvo.web.forms import LineField

NONE = 0  # "choose a folder"


class TopicForm(FlaskForm):
    """A topic: its folder (when it is started), title and opening text."""

    folder_id = SelectField("Folder", coerce=int, choices=[],
                            description="Only people who may open this folder see the topic "
                                        "and hear of it.")
    title = LineField("Title", validators=[DataRequired(), Length(max=200)])
    body = TextAreaField("Opening text", validators=[Optional(), Length(max=topics.MAX_BODY)],
                         description="Markdown: *italic*, **bold**, lists with -, links "
                                     "[text](https://...).")
