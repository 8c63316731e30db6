"""The skills audit's starting page, each person's answers, and the screens that answer
one category at a time (a person's own, or a Manager's on their behalf)."""

from flask import flash, redirect, render_template, request, url_for

from gvo.blueprints.skills import forms as sf
from gvo.blueprints.skills.common import bp
from gvo.core import numbers, text
from gvo.core.errors import InvalidInput
from gvo.people import accounts
from gvo.skills import answers, questions, reports
from gvo.web.access import current_identity, db, requires_role, signed_in
from gvo.web.forms import error_beside


@bp.get("/skills")
@signed_in
def index():
    """Skills: your own audit by category, and the links to reports and to the questions
    for those who may use them."""
    conn, who = db(), current_identity()
    return render_template(
        "skills/index.html", groups=questions.grouped(questions.asked(conn)),
        progress=answers.progress(conn, who.user_id),
        may_answer=answers.may_answer_for(conn, who, who.user_id),
        may_report=reports.may_report(conn, who), manages=questions.may_manage(who),
        people=sorted((u for u in accounts.list_users(conn) if u["role"] != "inactive"),
                      key=lambda u: text.sort_key(u["name"])) if who.acts_as_manager else [])


@bp.get("/skills/people")
@requires_role("manager")
def pick_person():
    """The person a Manager chose to answer for (?user=<id>): their answers page."""
    user_id = numbers.whole_number_or_none(request.args.get("user"))
    if user_id is None:
        flash("Choose a person from the list.", "error")
        return redirect(url_for("skills.index"))
    return redirect(url_for("skills.person", user_id=user_id))


@bp.get("/skills/people/<int:user_id>")
@signed_in
def person(user_id: int):
    """A person's answers (their own, or anyone's for a Manager): the latest answer to each
    question with its date and who entered it; retired questions' answers too."""
    conn, who = db(), current_identity()
    someone = answers.person(conn, who, user_id)
    given = answers.latest_for(conn, user_id)
    return render_template(
        "skills/person.html", someone=someone, given=given,
        groups=questions.grouped(questions.asked(conn)),
        retired=[q for q in questions.every(conn) if q["retired_on"] and q["id"] in given],
        progress=answers.progress(conn, user_id),
        may_answer=answers.may_answer_for(conn, who, user_id), shown=answers.shown)


def _given(form, asked: list) -> list[answers.Given]:
    """The answers the form holds (blank ones left out: they stay as they were)."""
    out = []
    for q in asked:
        value = form[f"q{q['id']}"].data
        if q["kind"] == "score" and value:
            out.append(answers.Given(q["id"], not_applicable=value == answers.NA,
                                     score=None if value == answers.NA else int(value)))
        elif q["kind"] == "text" and value is not None:
            out.append(answers.Given(q["id"], text=value))
    return out


@bp.route("/skills/people/<int:user_id>/<int:category_id>", methods=["GET", "POST"])
@signed_in
def answer(user_id: int, category_id: int):
    """One category's questions on one screen (phone-friendly): saving records the answers
    given and goes on to the next category; questions left blank stay as they were."""
    conn, who = db(), current_identity()
    someone = answers.person(conn, who, user_id)
    if not answers.may_answer_for(conn, who, user_id):
        return redirect(url_for("skills.person", user_id=user_id))
    category = questions.category(conn, category_id)
    groups = questions.grouped(questions.asked(conn))
    asked = next((qs for c, qs in groups if c["id"] == category_id), [])
    form = sf.answer_form(asked, answers.latest_for(conn, user_id),
                          request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        try:
            saved = answers.save(conn, who, user_id, _given(form, asked))
        except InvalidInput as exc:
            error_beside(form, exc, f"q{asked[0]['id']}" if asked else "csrf_token")
        else:
            flash(f"Saved {saved} answer{'' if saved == 1 else 's'}." if saved else
                  "Nothing changed.", "success")
            ids = [c["id"] for c, _ in groups]
            later = ids[ids.index(category_id) + 1:] if category_id in ids else []
            if later:
                return redirect(url_for("skills.answer", user_id=user_id,
                                        category_id=later[0]))
            return redirect(url_for("skills.person", user_id=user_id))
    return render_template(
        "skills/answer.html", someone=someone, category=category, asked=asked, form=form,
        given=answers.latest_for(conn, user_id), groups=groups,
        on_behalf=who.user_id != user_id), 422 if form.errors else 200
