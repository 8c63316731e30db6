"""Managing the school's skills questions: the list by category, adding and changing a
question, moving it up or down, retiring and restoring it, adding a category."""

from flask import flash, redirect, render_template, request, url_for

from gvo.blueprints.skills import forms as sf
from gvo.blueprints.skills.common import bp
from gvo.core.errors import InvalidInput
from gvo.skills import questions
from gvo.web.access import current_identity, db, requires_role
from gvo.web.forms import ConfirmForm, choices, error_beside


@bp.get("/skills/questions")
@requires_role("manager")
def question_list():
    """Every question by category, retired ones marked, with the Managers' buttons."""
    conn = db()
    return render_template(
        "skills/questions.html", groups=questions.grouped(questions.every(conn)),
        kinds=questions.KINDS, confirm=ConfirmForm(),
        category_form=sf.CategoryForm(formdata=None))


def _form(data=None) -> sf.QuestionForm:
    form = sf.QuestionForm(formdata=request.form if request.method == "POST" else None,
                           data=data)
    form.category_id.choices = choices((c["id"], c["name"])
                                       for c in questions.categories(db()))
    return form


def _input(form) -> questions.QuestionInput:
    return questions.QuestionInput(
        category_id=form.category_id.data, kind=form.kind.data, wording=form.wording.data or "",
        low_means=form.low_means.data or "", high_means=form.high_means.data or "")


def _save(form, question, save, done: str):
    if request.method == "POST" and form.validate():
        try:
            save()
        except InvalidInput as exc:
            error_beside(form, exc, "wording")
        else:
            flash(done, "success")
            return redirect(url_for("skills.question_list"))
    return render_template("skills/question_edit.html", form=form, question=question), (
        422 if form.errors else 200)


@bp.route("/skills/questions/new", methods=["GET", "POST"])
@requires_role("manager")
def question_new():
    """Add a question at the end of a category."""
    form = _form({"category_id": request.args.get("category", type=int)})
    return _save(form, None, lambda: questions.add(db(), current_identity(), _input(form)),
                 "The question is added.")


@bp.route("/skills/questions/<int:question_id>/edit", methods=["GET", "POST"])
@requires_role("manager")
def question_edit(question_id: int):
    """Change a question's wording, meanings, category or (while unanswered) kind."""
    question = questions.get(db(), question_id)
    form = _form(dict(question))
    return _save(form, question, lambda: questions.update(
        db(), current_identity(), question_id, _input(form)), "The question is saved.")


@bp.post("/skills/questions/<int:question_id>/move")
@requires_role("manager")
def question_move(question_id: int):
    """Move a question up or down in its category (the button's `step`: up or down)."""
    questions.get(db(), question_id)
    if ConfirmForm().validate_on_submit():
        step = {"up": -1, "down": 1}.get(request.form.get("step", ""))
        if step is None:
            flash("Move a question up or down.", "error")
        else:
            questions.move(db(), current_identity(), question_id, step)
    return redirect(url_for("skills.question_list", _anchor=f"question-{question_id}"))


@bp.post("/skills/questions/<int:question_id>/retire")
@requires_role("manager")
def question_retire(question_id: int):
    """Retire a question (no longer asked nor reported; its answers kept), or ask it again
    (`restore` 1). Undone with the same page, so it asks nothing first."""
    questions.get(db(), question_id)
    if ConfirmForm().validate_on_submit():
        restore = request.form.get("restore") == "1"
        questions.retire(db(), current_identity(), question_id, retired=not restore)
        flash("The question is asked again." if restore else
              "The question is retired: no longer asked; its answers are kept.", "success")
    return redirect(url_for("skills.question_list", _anchor=f"question-{question_id}"))


@bp.post("/skills/categories")
@requires_role("manager")
def category_add():
    """Add a category at the end of the list."""
    form = sf.CategoryForm()
    if form.validate_on_submit():
        try:
            questions.add_category(db(), current_identity(), form.name.data)
        except InvalidInput as exc:
            flash(str(exc), "error")
        else:
            flash("The category is added.", "success")
    else:
        flash("Name the new category in at most 100 characters.", "error")
    return redirect(url_for("skills.question_list"))
