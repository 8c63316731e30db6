"""The discussions pages: the list of topics, a topic with its thread, starting, editing and
deleting a topic (thin views over `gvo.discussion.topics`).

A topic's comments, approval and followers go through the library's comment and approval
routes (`library.add_comment`, ... with subject type 'topic') and the follow route, as a
library page's do: the same templates (library/_comments.html, _thread.html,
_approval.html, _follow.html) and the same rules.
"""

from flask import flash, redirect, render_template, request, url_for
from markupsafe import Markup

from gvo.blueprints.discussions.common import bp
from gvo.blueprints.discussions.forms import NONE, TopicForm
from gvo.core import numbers
from gvo.core.errors import InvalidInput, NotPermitted
from gvo.discussion import topics
from gvo.library import folders, pages, wastebin
from gvo.library.access import require_add_in
from gvo.web import paging
from gvo.web.access import current_identity, db, requires_role, signed_in
from gvo.web.confirm import ask_first, confirmed
from gvo.web.discussing import subject_context
from gvo.web.forms import ConfirmForm, error_beside


def _folder_arg() -> int | None:
    """The folder asked for in `?folder=` (None: none, or no whole number)."""
    return numbers.whole_number_or_none(request.args.get("folder"))


def _order() -> str:
    order = request.args.get("order") or "activity"
    return order if order in topics.ORDERS else "activity"


@bp.get("/discussions")
@signed_in
def index():
    """The topics the person may open, newest activity first (or by title), a page at a
    time; `?folder=<id>` shows one folder's (404 for a folder they may not open)."""
    conn, v = db(), current_identity()
    folder_id = _folder_arg()
    folder = folders.get_folder(conn, v, folder_id) if folder_id is not None else None
    order = _order()
    found = topics.page(conn, v, folder_id=folder_id, order=order, after=paging.after())
    return paging.render("discussions/index.html", topics=found, folder=folder, order=order,
                         orders=topics.ORDERS, folder_choices=topics.folder_choices(conn, v),
                         may_start=topics.may_start(v), statement=topics.NO_FORMAL_BUSINESS)


def _folder_field(form: TopicForm) -> TopicForm:
    form.folder_id.choices = [(NONE, "Choose a folder")] + topics.folder_choices(
        db(), current_identity())
    return form


def _form_page(form: TopicForm, topic=None):
    return render_template("discussions/topic_form.html", form=form, topic=topic,
                           statement=topics.NO_FORMAL_BUSINESS), 422 if form.errors else 200


@bp.route("/discussions/new", methods=["GET", "POST"])
@requires_role("author")
def new_topic():
    """Start a topic in a folder the person may open (`?folder=<id>` chooses it first: 404
    for a folder they may not open)."""
    v = current_identity()
    form = _folder_field(TopicForm())
    if request.method == "GET" and (chosen := _folder_arg()) is not None:
        form.folder_id.data = folders.get_folder(db(), v, chosen)["id"]  # 404 if hidden
    if form.validate_on_submit():
        if form.folder_id.data == NONE:
            form.folder_id.errors.append("Choose the folder the topic goes in.")
        else:
            try:
                require_add_in(db(), v, form.folder_id.data)  # not in a system-managed folder
                topic_id = topics.create(db(), v, form.folder_id.data, title=form.title.data,
                                         body=form.body.data or "")
            except InvalidInput as exc:
                error_beside(form, exc, "title")
            else:
                flash("Topic started.", "success")
                return redirect(url_for("discussions.show_topic", topic_id=topic_id), 303)
    return _form_page(form)


@bp.get("/discussions/<int:topic_id>")
@signed_in
def show_topic(topic_id: int):
    """A topic: its opening text, its thread, approval, following and sharing."""
    conn, v = db(), current_identity()
    topic = topics.get(conn, v, topic_id)  # read once: the topic is also the subject
    html = Markup(pages.render_web(topic["body"]))  # noqa: S704 - nh3-sanitised
    return render_template("discussions/topic.html", topic=topic, html=html,
                           trail=folders.path(conn, topic["folder_id"]),
                           may_edit=topics.may_edit(v, topic),
                           statement=topics.NO_FORMAL_BUSINESS,
                           **subject_context(topics.subject_of(conn, topic), v))


@bp.route("/discussions/<int:topic_id>/edit", methods=["GET", "POST"])
@requires_role("author")
def edit_topic(topic_id: int):
    """Change a topic's title and opening text (its author, an Editor or a Manager)."""
    v = current_identity()
    topic = topics.get(db(), v, topic_id)
    if not topics.may_edit(v, topic):
        raise NotPermitted("only its author or an Editor may change it")
    form = TopicForm(data={"title": topic["title"], "body": topic["body"]})
    del form.folder_id
    if form.validate_on_submit():
        try:
            topics.update(db(), v, topic_id, title=form.title.data, body=form.body.data or "")
        except InvalidInput as exc:
            error_beside(form, exc, "title")
        else:
            flash("Topic saved.", "success")
            return redirect(url_for("discussions.show_topic", topic_id=topic_id), 303)
    return _form_page(form, topic)


@bp.get("/discussions/<int:topic_id>/delete")
@requires_role("author")
def confirm_delete_topic(topic_id: int):
    """Ask before a topic (and its comments) goes to the library's wastebin."""
    topic = topics.get(db(), current_identity(), topic_id)
    return ask_first(f"Delete “{topic['title']}”?",
                     ["The topic and its comments go to the library's wastebin.",
                      wastebin.restore_note(db(), topic["folder_id"])],
                     url_for("discussions.show_topic", topic_id=topic_id),
                     action=url_for("discussions.delete_topic", topic_id=topic_id))


@bp.post("/discussions/<int:topic_id>/delete")
@requires_role("author")
def delete_topic(topic_id: int):
    """Move a topic to the wastebin (asking first, on a page, unless this is the answer)."""
    if not confirmed():
        return confirm_delete_topic(topic_id)
    v = current_identity()
    topic = topics.get(db(), v, topic_id)
    if ConfirmForm().validate_on_submit():
        topics.delete(db(), v, topic_id)
        flash(f"“{topic['title']}” is in the wastebin. "
              f"{wastebin.restore_note(db(), topic['folder_id'])}", "success")
    return redirect(url_for("discussions.index", folder=topic["folder_id"]), 303)
