"""The course list (everyone signed in reads it) and its changes (Manage training)."""

from dataclasses import asdict

from flask import flash, redirect, render_template, request, url_for

from gvo.blueprints.training import forms as tf
from gvo.blueprints.training.common import bp
from gvo.core.errors import InvalidInput
from gvo.training import courses
from gvo.web.access import current_identity, db, requires, signed_in
from gvo.web.confirm import ask_first, confirmed
from gvo.web.forms import ConfirmForm, error_beside


@bp.get("/training/courses")
@signed_in
def course_list():
    """Every course: the mandatory list first, with booking links."""
    return render_template("training/courses.html", courses=courses.listing(db()),
                           manages=courses.manages(current_identity()), confirm=ConfirmForm())


def _input(form: tf.CourseForm) -> courses.CourseInput:
    return courses.CourseInput(
        title=form.title.data or "", category=form.category.data or "",
        provider=form.provider.data or "", mandatory=form.mandatory.data,
        validity_months=form.validity_months.data, booking_url=form.booking_url.data or "")


def _save(form, course, save, done: str):
    """The add or edit page: on a valid POST `save()`, then the course list."""
    if request.method == "POST" and form.validate():
        try:
            save()
        except InvalidInput as exc:
            error_beside(form, exc, "title")
        else:
            flash(done, "success")
            return redirect(url_for("training.course_list"))
    return render_template("training/course_edit.html", form=form, course=course), (
        422 if form.errors else 200)


def _posted():
    return request.form if request.method == "POST" else None


@bp.route("/training/courses/new", methods=["GET", "POST"])
@requires("manage_training")
def new_course():
    """Add a course."""
    form = tf.CourseForm(formdata=_posted())
    return _save(form, None, lambda: courses.create(db(), current_identity(), _input(form)),
                 "The course is added.")


@bp.route("/training/courses/<int:course_id>/edit", methods=["GET", "POST"])
@requires("manage_training")
def edit_course(course_id: int):
    """Change a course (marking it mandatory puts it on the mandatory list)."""
    course = courses.get(db(), course_id)
    form = tf.CourseForm(formdata=_posted(), data=asdict(courses.input_of(course)))
    return _save(form, course,
                 lambda: courses.update(db(), current_identity(), course_id, _input(form)),
                 "The course is saved.")


@bp.post("/training/courses/<int:course_id>/delete")
@requires("manage_training")
def delete_course(course_id: int):
    """Remove a course no one has completed, asking first."""
    course = courses.get(db(), course_id)
    back = url_for("training.course_list")
    if not confirmed():
        return ask_first(f"Remove the course “{course['title']}”?",
                         ["It leaves the course list (a course someone completed stays)."],
                         back, yes="Yes, remove it", no="No, keep it")
    try:
        courses.delete(db(), current_identity(), course_id)
    except InvalidInput as exc:
        flash(str(exc), "error")
    else:
        flash("The course is removed.", "success")
    return redirect(back)
