"""Flask-WTF forms of the skills audit (each carries a CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from gvo.skills import answers, questions
from gvo.web.forms import LineField, choices

SCORE_HINT = "Choose a score from 1 to 5, or N/A."
SCALE = choices([*((str(n), str(n)) for n in range(1, 6)), (answers.NA, "N/A")])


def answer_form(asked: list, given: dict[int, dict], formdata=None) -> FlaskForm:
    """A form for one category's questions (`asked`, rows of questions.every): a radio
    group 1-5 or N/A per score question, a text box per free-text question (fields named
    "q<id>"), filled in with the person's latest answers (`given`: question id -> row)."""

    class AnswerForm(FlaskForm):
        pass

    data = {}
    for q in asked:
        name = f"q{q['id']}"
        if q["kind"] == "score":
            setattr(AnswerForm, name, RadioField(
                q["wording"], choices=SCALE, validate_choice=False,
                validators=[Optional(), AnyOf([c.value for c in SCALE], message=SCORE_HINT)]))
        else:
            setattr(AnswerForm, name, TextAreaField(
                q["wording"], validators=[Optional(), Length(max=answers.MAX_TEXT)]))
        if given.get(q["id"]) and answers.is_answered(given[q["id"]]):
            row = given[q["id"]]
            data[name] = (answers.NA if row["not_applicable"] else str(row["score"])
                          if row["score"] is not None else row["answer_text"])
    return AnswerForm(formdata=formdata, data=data)


class QuestionForm(FlaskForm):
    """A question: its category, kind, wording, and what 1 and 5 mean."""

    category_id = SelectField("Category", coerce=int, choices=[])
    kind = SelectField("Answer", choices=choices(questions.KINDS.items()))
    wording = LineField("Question", validators=[DataRequired(),
                                                Length(max=questions.MAX_WORDING)])
    low_means = LineField("What a 1 means", validators=[Optional(),
                                                        Length(max=questions.MAX_MEANS)],
                          description="Score questions only, for example “New to this”.")
    high_means = LineField("What a 5 means", validators=[Optional(),
                                                         Length(max=questions.MAX_MEANS)],
                           description="Score questions only, for example “I could lead "
                           "the board on this”.")


class CategoryForm(FlaskForm):
    """A new category."""

    name = LineField("New category", validators=[DataRequired(),
                                                 Length(max=questions.MAX_CATEGORY)])
