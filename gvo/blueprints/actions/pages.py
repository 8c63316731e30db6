"""The actions pages: the lists (my open actions, all mine, open, done, all; by board or
committee; paged), an action's page, making and changing actions, its status ("Mark done"
from the home page works with htmx and without JavaScript), and putting "Matters arising"
on a meeting's agenda."""

from datetime import date

from flask import flash, redirect, render_template, request, url_for

from gvo.actions import tasks
from gvo.blueprints.actions import forms as af
from gvo.blueprints.actions.common import bp
from gvo.board import bodies
from gvo.core.errors import InvalidInput, NotPermitted
from gvo.library import documents
from gvo.meetings import agenda, meetings
from gvo.people import groups
from gvo.web import paging
from gvo.web.access import current_identity, db, requires, signed_in
from gvo.web.forms import ConfirmForm, choices, error_beside
from gvo.web.htmx import is_htmx

MATTERS_ARISING = "Matters arising"


@bp.get("/actions")
@signed_in
def index():
    """The lists of actions the person may see, filtered by list and board or committee."""
    conn, who = db(), current_identity()
    form = af.FilterForm(formdata=request.args)
    form.body.choices = choices([(af.NONE, "All")] + [
        (b["id"], b["name"]) for b in bodies.list_bodies(conn)])
    view = form.view.data if form.view.data in tasks.VIEWS else "mine_open"
    body = form.body.data if form.validate() and form.body.data else None
    page = tasks.listing(conn, who, view, body, paging.after())
    return paging.render("actions/index.html", form=form, tasks=page, view=view,
                         views=tasks.VIEWS, may_manage=tasks.may_manage(who))


def _task_form(data=None, formdata=None, *, task=None) -> af.TaskForm:
    conn, who = db(), current_identity()
    form = af.TaskForm(data=data, formdata=formdata) if data else af.TaskForm(formdata=formdata)
    form.folder_id.choices = choices((f["id"], f["title"]) for f in tasks.places(conn, who))
    form.body_id.choices = choices([(af.NONE, "None")] + [
        (b["id"], b["name"]) for b in bodies.list_bodies(conn)])
    form.assignee_ids.choices = choices((u["id"], u["name"]) for u in tasks.people(conn))
    form.group_ids.choices = choices((g["id"], g["name"]) for g in groups.list_groups(conn))
    form.doc_ids.choices = choices((d["id"], d["title"])
                                   for d in documents.all_visible(conn, who))
    if task is not None and task["item_id"] is not None:
        del form.folder_id, form.body_id  # a task from minutes stays with its meeting
    return form


def _input(form) -> tasks.TaskInput:
    return tasks.TaskInput(
        title=form.title.data or "", description=form.description.data or "",
        due_on=form.due_on.data,
        body_id=(form.body_id.data or None) if form.body_id else None,
        folder_id=form.folder_id.data if form.folder_id else None,
        assignee_ids=form.assignee_ids.data or [], group_ids=form.group_ids.data or [],
        doc_ids=form.doc_ids.data or [], base=(form.base.data or None))


def _plain_choice_errors(form) -> None:
    """Say in plain words why a choice was refused (WTForms says "'8' is not a valid choice
    for this field." or "Invalid Choice: could not coerce."): a choice that went while the
    form was open (a person made inactive, a group removed, a folder or document gone) or a
    value that is no choice at all."""
    if form.folder_id and form.folder_id.errors:
        form.folder_id.errors = [
            "Choose a library folder from the list: the one chosen is no longer there, or you "
            "may no longer open it." if form.folder_id.choices else
            "There is no library folder yet: every action lives in one. Make a folder in "
            "the Library first."]
    if form.body_id and form.body_id.errors:
        form.body_id.errors = ["That board or committee is no longer there: choose another."]
    if form.assignee_ids.errors:
        names = tasks.inactive_names(db(), form.assignee_ids.raw_data or [])
        form.assignee_ids.errors = [
            f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} no longer active: "
            "untick them, or choose someone else." if names else
            "Someone chosen is no longer on the list: choose again."]
    if form.group_ids.errors:
        form.group_ids.errors = ["A group chosen has been removed: choose again."]
    if form.doc_ids.errors:
        form.doc_ids.errors = ["A document chosen is no longer in the library, or you may not "
                               "open it: choose again."]


def _left_out_reason(task) -> str:
    if task is not None and task["confidential"]:
        return ("Left out, because the action comes from a confidential (Part 2) item they "
                "may not see (or from a folder they may not open): ")
    return "Left out, because they may not open the action's folder: "


def _save(form, task, save):
    """The make or change page: on a valid POST `save()` (a tasks.Saved), then the action's
    page, saying by name who was left out (and why)."""
    if request.method == "POST" and not form.validate():
        _plain_choice_errors(form)
    elif request.method == "POST":
        try:
            saved = save()
        except tasks.Conflict as exc:
            form.base.data = exc.version   # saving again replaces their change, knowingly
            error_beside(form, exc, "title")
        except InvalidInput as exc:
            error_beside(form, exc, "title")
        else:
            flash("The action is saved.", "success")
            if saved.left_out:
                flash(_left_out_reason(task) + ", ".join(saved.left_out) + ".", "warning")
            return redirect(url_for("actions.show", task_id=saved.task_id))
    return render_template("actions/edit.html", form=form, task=task), (
        422 if form.errors else 200)


def _posted():
    return request.form if request.method == "POST" else None


@bp.route("/actions/new", methods=["GET", "POST"])
@signed_in
def new():
    """Make an action by hand (Managers, the clerk and Editors)."""
    if not tasks.may_manage(current_identity()):
        raise NotPermitted("only Managers, the clerk and Editors make actions")
    form = _task_form(formdata=_posted())
    return _save(form, None, lambda: tasks.create(db(), current_identity(), _input(form)))


@bp.get("/actions/<int:task_id>")
@signed_in
def show(task_id: int):
    """An action: what, who, by when, where it came from, its status and attachments."""
    conn, who = db(), current_identity()
    task = tasks.get(conn, who, task_id)
    return render_template(
        "actions/show.html", task=task, attachments=tasks.attachments(conn, who, task_id),
        may_edit=tasks.may_edit(who, task), may_set_status=tasks.may_set_status(who, task),
        status_form=af.StatusForm(data={"status": task["status"]}))


@bp.route("/actions/<int:task_id>/edit", methods=["GET", "POST"])
@signed_in
def edit(task_id: int):
    """Change an action (Managers, the clerk and Editors who may see it)."""
    conn, who = db(), current_identity()
    task = tasks.get(conn, who, task_id)
    if not tasks.may_edit(who, task):
        raise NotPermitted("only Managers, the clerk and Editors change actions")
    data = {"title": task["title"], "description": task["description"],
            "due_on": date.fromisoformat(task["due_on"]) if task["due_on"] else None,
            "folder_id": task["folder_id"],
            "body_id": task["body_id"] or af.NONE,
            "assignee_ids": [a["id"] for a in task["assignees"]],
            "doc_ids": [d["id"] for d in tasks.attachments(conn, who, task_id)],
            "base": tasks.version(conn, task_id)}
    form = _task_form(data=data, formdata=_posted(), task=task)
    return _save(form, task,
                 lambda: tasks.update(db(), current_identity(), task_id, _input(form)))


@bp.post("/actions/<int:task_id>/status")
@signed_in
def set_status(task_id: int):
    """Change an action's status (its assignees too). From the home page's "Mark done":
    htmx gets the row back, done; without JavaScript the page it came from again."""
    form = af.StatusForm()
    back = form.back.data if form.back.data in af.BACK else "show"
    if not form.validate_on_submit():
        raise InvalidInput("Choose not started, in progress or done.")
    task = tasks.set_status(db(), current_identity(), task_id, form.status.data)
    if is_htmx():
        return render_template("actions/_for_you_row.html", t=task, back=back)
    flash(f"“{task['title']}”: {task['status_label'].lower()}.", "success")
    target = {"home": url_for("home.index"), "list": url_for("actions.index"),
              "show": url_for("actions.show", task_id=task_id)}[back]
    return redirect(target, code=303)


@bp.post("/actions/matters-arising/<int:meeting_id>")
@requires("manage_meetings")
def add_matters_arising(meeting_id: int):
    """Put a "Matters arising" item on the agenda (the open actions from the body's earlier
    meetings are listed with it)."""
    conn = db()
    meetings.get(conn, meeting_id)
    if not ConfirmForm().validate_on_submit():
        raise InvalidInput("The form expired: open the meeting again.")
    if any(i["kind"] == agenda.MATTERS_ARISING for i in agenda.items(conn, meeting_id)):
        flash("“Matters arising” is on the agenda already.", "success")
    else:
        agenda.add_item(conn, current_identity(), meeting_id,
                        agenda.ItemInput(MATTERS_ARISING, "discussion",
                                         kind=agenda.MATTERS_ARISING))
        flash("“Matters arising” is on the agenda, with the open actions listed.", "success")
    return redirect(url_for("meetings.show", meeting_id=meeting_id) + "#agenda", code=303)


@bp.app_context_processor
def matters_arising_context():
    """`matters_arising(meeting)` for the meeting page: open actions from the body's earlier
    meetings the person may see (read only when the template calls it)."""
    return {"matters_arising": lambda meeting: tasks.matters_arising(
        db(), current_identity(), meeting), "MATTERS_ARISING": agenda.MATTERS_ARISING}
