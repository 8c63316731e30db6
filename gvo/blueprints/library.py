"""The library: folders, documents, pages, comments, approvals, search, wastebin (thin views).

Uploads are streamed and CSRF-checked by `gvo.web.uploads`.
"""

from flask import (
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup, escape
from werkzeug.exceptions import RequestEntityTooLarge

from gvo.core import identity, numbers
from gvo.core.errors import InvalidInput, NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.discussion import approvals, comments, subjects
from gvo.library import (
    blobs,
    documents,
    extract,
    folders,
    intake,
    pages,
    search,
    sniff,
    wastebin,
)
from gvo.library.access import (
    can_see_folder,
    managed_by,
    may_add_in,
    may_change,
    require_add_in,
    require_not_managed,
)
from gvo.people import accounts, groups
from gvo.web import paging
from gvo.web.access import current_identity, db, requires_role, school_blueprint, signed_in
from gvo.web.confirm import ask_first, confirmed
from gvo.web.discussing import comments_context, subject_context
from gvo.web.downloads import file_response
from gvo.web.errors import error_page
from gvo.web.forms import (
    ApprovalForm,
    CommentForm,
    ConfirmForm,
    DocumentForm,
    FolderForm,
    PageForm,
    choices,
)
from gvo.web.htmx import full_page_redirect, is_htmx
from gvo.web.uploads import file_parts, prepare_upload, quoted, streamed_upload, upload_limit

bp = school_blueprint("library", __name__)


REFUSED = ("That file was refused", "The library accepts only some kinds of file.")


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    limit = upload_limit()
    return _upload_failed(f"That upload is too large. The most this school accepts is "
                          f"{limit // (1024 * 1024)} MB per file, and "
                          f"{documents.MAX_FILES} files at a time. Nothing was uploaded.", 413)


def _back(default: str):
    return redirect(default, code=303)


def _require_change(v: Identity, item, what: str = "change it") -> None:
    if not may_change(v, item["owner_id"]):
        raise NotPermitted(f"only its owner or an Editor may {what}")


def _to_wastebin(v: Identity, item, delete, folder_id: int) -> None:
    """On a confirmed POST, move `item` (in `folder_id`) to the wastebin with `delete` and
    say so, and who can restore it."""
    if ConfirmForm().validate_on_submit():
        delete(db(), v, item["id"])
        flash(f"“{item['title']}” is in the wastebin. {wastebin.restore_note(db(), folder_id)}",
              "success")


# -- folders -----------------------------------------------------------------


@bp.get("/library")
@signed_in
def index():
    """The top of the library: top-level folders, search, the wastebin for Managers."""
    v = current_identity()
    return paging.render("library/index.html", rows_from=FOLDER_LISTS["folders"],
                         block="folder_rows", param="folders",
                         children=folders.children(db(), v, None, paging.after("folders")),
                         may_add=folders.may_add_here(v, None))


@bp.get("/library/folders/<int:folder_id>")
@signed_in
def show_folder(folder_id: int):
    """A folder: its sub-folders, documents and pages; upload into it."""
    v = current_identity()
    folder = folders.get_folder(db(), v, folder_id)
    for name, template in FOLDER_LISTS.items():  # htmx asking for more of one list
        if paging.wants_rows(name):
            return paging.render("library/folder.html", rows_from=template,
                                 block=f"{name[:-1]}_rows", param=name,
                                 **_folder_lists(folder, v, name))
    return render_template("library/folder.html", **_folder_context(folder, v))


# A folder's lists, each shown a page at a time: the query parameter of each list's position
# is its name; the template holding its rows (block "<name without s>_rows").
FOLDER_LISTS = {"folders": "library/_folders.html", "documents": "library/_contents.html",
                "pages": "library/_contents.html"}


def _folder_lists(folder, v: Identity, *names: str) -> dict:
    """The pages asked for of a folder's lists `names` (all by default), with what their
    rows need."""
    conn = db()
    load = {"folders": lambda a: ("children", folders.children(conn, v, folder["id"], a)),
            "documents": lambda a: ("documents", documents.folder_page(conn, v, folder["id"], a)),
            "pages": lambda a: ("pages", pages.folder_page(conn, v, folder["id"], a))}
    lists = dict(load[name](paging.after(name)) for name in names or FOLDER_LISTS)
    return {"folder": folder, "sniff": sniff, **lists}


def _shown_access(conn, folder, v: Identity) -> list[str]:
    """Who a restricted folder is open to, as its heading says; in a system-managed folder
    (training certificates) only the Managers see the list: a holder is not told who
    else holds one."""
    if not folder["restricted"]:
        return []
    if managed_by(conn, folder["id"]) is not None and not v.acts_as_manager:
        return ["you and the Managers"]
    return folders.access_names(conn, folder["id"])


def _folder_context(folder, v: Identity) -> dict:
    conn = db()
    return {
        **_folder_lists(folder, v),
        "trail": folders.path(conn, folder["id"]),
        "access": _shown_access(conn, folder, v),
        "may_write": may_add_in(conn, v, folder["id"]),
        "may_edit": folders.may_edit(v, folder) and managed_by(conn, folder["id"]) is None,
        "limit_mb": upload_limit() // (1024 * 1024),
        "confirm": ConfirmForm(),
    }


def _folder_form(form: FolderForm) -> FolderForm:
    conn = db()
    form.users.choices = choices((u["id"], f"{u['name']} ({identity.ROLE_LABELS[u['role']]})")
                                 for u in accounts.list_users(conn) if u["role"] != "inactive")
    form.groups.choices = choices((gr["id"], gr["name"]) for gr in groups.list_groups(conn))
    return form


def _folder_values(form: FolderForm) -> dict:
    return {"title": form.title.data, "description": form.description.data or "",
            "sort_order": form.sort_order.data or 0, "restricted": form.restricted.data,
            "users": form.users.data or [], "groups": form.groups.data or []}


@bp.route("/library/folders/new", methods=["GET", "POST"])
@requires_role("author")
def new_folder():
    """Make a folder (top level: Managers; inside a folder: Authors and up)."""
    v = current_identity()
    parent_id = request.args.get("parent", type=int)
    parent = folders.get_folder(db(), v, parent_id) if parent_id is not None else None
    if not folders.may_add_here(v, parent_id):
        raise NotPermitted("only a Manager may add a top-level folder")
    form = _folder_form(FolderForm())
    if form.validate_on_submit():
        try:
            folder_id = folders.create_folder(db(), v, parent_id=parent_id,
                                              **_folder_values(form))
        except InvalidInput as exc:
            form.users.errors.append(str(exc))
        else:
            flash(f"Folder “{form.title.data}” made.", "success")
            return _back(url_for("library.show_folder", folder_id=folder_id))
    return render_template("library/folder_form.html", form=form, parent=parent,
                           folder=None), 422 if form.errors else 200


@bp.route("/library/folders/<int:folder_id>/edit", methods=["GET", "POST"])
@requires_role("author")
def edit_folder(folder_id: int):
    """Change a folder's details and restriction."""
    v = current_identity()
    folder = folders.get_folder(db(), v, folder_id)
    require_not_managed(db(), v, folder_id)
    if not folders.may_edit(v, folder):
        raise NotPermitted("only its owner, an Editor or (top level) a Manager may change it")
    users, group_ids = folders.access_list(db(), folder_id)
    form = _folder_form(FolderForm(data={
        "title": folder["title"], "description": folder["description"],
        "sort_order": folder["sort_order"], "restricted": bool(folder["restricted"]),
        "users": users, "groups": group_ids}))
    if form.validate_on_submit():
        try:
            folders.update_folder(db(), v, folder_id, **_folder_values(form))
        except InvalidInput as exc:
            form.users.errors.append(str(exc))
        else:
            flash("Folder saved.", "success")
            if can_see_folder(db(), v, folder_id):
                return _back(url_for("library.show_folder", folder_id=folder_id))
            flash("You are not on its list, so you no longer see it.", "warning")
            return _back(url_for("library.index"))
    return render_template("library/folder_form.html", form=form, folder=folder,
                           parent=None), 422 if form.errors else 200


def _confirm_delete(title: str, lines: list[str], action: str, cancel: str):
    """The step that asks before something is deleted (a page: it works without script)."""
    return ask_first(f"Delete “{title}”?", lines, cancel, action=action)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@bp.get("/library/folders/<int:folder_id>/delete")
@requires_role("author")
def confirm_delete_folder(folder_id: int):
    """Ask before a folder and everything in it goes to the wastebin."""
    v = current_identity()
    conn = db()
    folder = folders.get_folder(conn, v, folder_id)
    require_not_managed(conn, v, folder_id)
    held = [_plural(len(folders.children(conn, v, folder_id)), "folder"),
            _plural(len(documents.in_folder(conn, v, folder_id)), "document"),
            _plural(len(pages.in_folder(conn, v, folder_id)), "page")]
    return _confirm_delete(
        folder["title"],
        [f"The folder and everything in it ({', '.join(held)} directly inside it, and all "
         f"they hold) go to the wastebin.", wastebin.restore_note(conn, folder_id, "them")],
        url_for("library.delete_folder", folder_id=folder_id),
        url_for("library.show_folder", folder_id=folder_id))


@bp.post("/library/folders/<int:folder_id>/delete")
@requires_role("author")
def delete_folder(folder_id: int):
    """Move a folder to the wastebin (asking first, on a page, unless this is the answer)."""
    if not confirmed():
        return confirm_delete_folder(folder_id)
    v = current_identity()
    folder = folders.get_folder(db(), v, folder_id)
    _to_wastebin(v, folder, folders.delete_folder, folder_id)
    if folder["parent_id"]:
        return _back(url_for("library.show_folder", folder_id=folder["parent_id"]))
    return _back(url_for("library.index"))


# -- uploads -----------------------------------------------------------------


def _upload_failed(message: str, code: int):
    if is_htmx():
        return render_template("library/_upload_status.html", error=message), code
    return error_page(code, message, text=REFUSED)


def _refused(exc: Exception):
    """The answer to an upload refused by `intake` or a service: 413, 415 or 422."""
    if isinstance(exc, intake.TooLarge):
        return _upload_failed(str(exc), 413)
    if isinstance(exc, intake.RefusedType):
        return _upload_failed(str(exc), 415)
    return _upload_failed(str(exc), 422)


@bp.post("/library/folders/<int:folder_id>/upload")
@requires_role("author")
@streamed_upload
def upload(folder_id: int):
    """Upload one or many files into a folder (checked, then stored in the database)."""
    v = current_identity()
    folder = folders.get_folder(db(), v, folder_id)
    limit = prepare_upload()
    try:
        ids = documents.add_files(db(), v, folder_id, file_parts(), limit=limit)
    except (intake.TooLarge, InvalidInput) as exc:
        return _refused(exc)
    names = documents.stored_names(db(), v, ids)
    message = f"Uploaded {len(ids)} file{'s' if len(ids) != 1 else ''}: {quoted(names)}."
    if is_htmx():
        ctx = _folder_context(folder, v)
        return render_template("library/_upload_status.html", message=message, **ctx)
    flash(message, "success")
    return _back(url_for("library.show_folder", folder_id=folder_id))


@bp.post("/library/documents/<int:doc_id>/versions")
@requires_role("author")
@streamed_upload
def upload_version(doc_id: int):
    """Upload a new version of a document."""
    v = current_identity()
    doc = documents.get_document(db(), v, doc_id)
    _require_change(v, doc, "add a version")
    limit = prepare_upload()
    try:
        number = documents.add_version(db(), v, doc_id, file_parts(), limit=limit)
    except (intake.TooLarge, InvalidInput) as exc:
        return _refused(exc)
    flash(f"Version {number} uploaded: {quoted(documents.stored_names(db(), v, [doc_id]))}.",
          "success")
    return full_page_redirect(url_for("library.show_document", doc_id=doc_id))


# -- documents ---------------------------------------------------------------


@bp.get("/library/documents/<int:doc_id>")
@signed_in
def show_document(doc_id: int):
    """A document: download or view, versions, comments, approval."""
    v = current_identity()
    doc = documents.get_document(db(), v, doc_id)  # read once: the document is the subject
    subject = documents.subject_of(db(), doc)
    return render_template(
        "library/document.html", doc=doc, versions=documents.versions(db(), doc_id),
        trail=folders.path(db(), doc["folder_id"]), may_edit=may_change(v, doc["owner_id"]),
        inline_types=sniff.INLINE, label=sniff.label, limit_mb=upload_limit() // (1024 * 1024),
        text_reasons=extract.REASONS,
        **subject_context(subject, v))


@bp.get("/library/documents/<int:doc_id>/download")
@signed_in
def download(doc_id: int):
    """A version's bytes, streamed from the database (PDF and images may open inline)."""
    version = documents.get_version(db(), current_identity(), doc_id,
                                    request.args.get("version", type=int))
    inline = request.args.get("inline") == "1" and version["mime"] in sniff.INLINE
    # A name stored before its extension had to match its type gets one now.
    name = sniff.fit_extension(version["filename"], version["mime"])
    return file_response(blobs.stream(db(), version["blob_id"]), name, version["mime"],
                         inline=inline, length=version["size"])


@bp.route("/library/documents/<int:doc_id>/edit", methods=["GET", "POST"])
@requires_role("author")
def edit_document(doc_id: int):
    """Rename a document or change its description."""
    v = current_identity()
    doc = documents.get_document(db(), v, doc_id)
    _require_change(v, doc)
    form = DocumentForm(data={"title": doc["title"], "description": doc["description"]})
    if form.validate_on_submit():
        documents.update_document(db(), v, doc_id, title=form.title.data,
                                  description=form.description.data or "")
        flash("Saved.", "success")
        return _back(url_for("library.show_document", doc_id=doc_id))
    return render_template("library/document_form.html", form=form, doc=doc), (
        422 if form.errors else 200)


@bp.get("/library/documents/<int:doc_id>/delete")
@requires_role("author")
def confirm_delete_document(doc_id: int):
    """Ask before a document (all its versions) goes to the wastebin."""
    doc = documents.get_document(db(), current_identity(), doc_id)
    return _confirm_delete(
        doc["title"], ["The document and all its versions go to the wastebin.",
                       wastebin.restore_note(db(), doc["folder_id"])],
        url_for("library.delete_document", doc_id=doc_id),
        url_for("library.show_document", doc_id=doc_id))


@bp.post("/library/documents/<int:doc_id>/delete")
@requires_role("author")
def delete_document(doc_id: int):
    """Move a document to the wastebin (asking first, on a page, unless this is the answer)."""
    if not confirmed():
        return confirm_delete_document(doc_id)
    v = current_identity()
    doc = documents.get_document(db(), v, doc_id)
    _to_wastebin(v, doc, documents.delete_document, doc["folder_id"])
    return _back(url_for("library.show_folder", folder_id=doc["folder_id"]))


# -- pages -------------------------------------------------------------------


@bp.route("/library/folders/<int:folder_id>/pages/new", methods=["GET", "POST"])
@requires_role("author")
def new_page(folder_id: int):
    """Write a page in a folder."""
    v = current_identity()
    folder = folders.get_folder(db(), v, folder_id)
    require_add_in(db(), v, folder_id)

    def create(title: str, body: str) -> int:
        return pages.create_page(db(), v, folder_id, title=title, body=body)

    return _save_page(PageForm(), create, folder=folder, page=None)


def _save_page(form: PageForm, save, **context):
    """Save a posted page form with `save(title, body) -> page id`, or show it again."""
    if form.validate_on_submit():
        try:
            page_id = save(form.title.data, form.body.data or "")
        except InvalidInput as exc:
            form.body.errors.append(str(exc))
        else:
            flash("Page saved.", "success")
            return _back(url_for("library.show_page", page_id=page_id))
    return render_template("library/page_form.html", form=form, **context), (
        422 if form.errors else 200)


@bp.get("/library/pages/<int:page_id>")
@signed_in
def show_page(page_id: int):
    """A page, with its comments and approval."""
    v = current_identity()
    page = pages.get_page(db(), v, page_id)  # read once: the page is also the subject
    subject = pages.subject_of(db(), page)
    html = Markup(pages.render_web(page["body"]))  # noqa: S704 - nh3-sanitised
    return render_template("library/page.html", page=page, html=html,
                           trail=folders.path(db(), page["folder_id"]),
                           may_edit=may_change(v, page["owner_id"]),
                           page_locked=page["locked_reason"],
                           **subject_context(subject, v))


@bp.route("/library/pages/<int:page_id>/edit", methods=["GET", "POST"])
@requires_role("author")
def edit_page(page_id: int):
    """Edit a page."""
    v = current_identity()
    page = pages.get_page(db(), v, page_id)
    _require_change(v, page)
    if page["locked_reason"]:
        return render_template("library/page_form.html", form=None, page=page,
                               folder=None), 409

    def update(title: str, body: str) -> int:
        pages.update_page(db(), v, page_id, title=title, body=body)
        return page_id

    return _save_page(PageForm(data={"title": page["title"], "body": page["body"]}), update,
                      page=page, folder=None)


@bp.get("/library/pages/<int:page_id>/delete")
@requires_role("author")
def confirm_delete_page(page_id: int):
    """Ask before a page goes to the wastebin."""
    page = pages.get_page(db(), current_identity(), page_id)
    return _confirm_delete(page["title"], ["The page goes to the wastebin.",
                                           wastebin.restore_note(db(), page["folder_id"])],
                           url_for("library.delete_page", page_id=page_id),
                           url_for("library.show_page", page_id=page_id))


@bp.post("/library/pages/<int:page_id>/delete")
@requires_role("author")
def delete_page(page_id: int):
    """Move a page to the wastebin (asking first, on a page, unless this is the answer)."""
    if not confirmed():
        return confirm_delete_page(page_id)
    v = current_identity()
    page = pages.get_page(db(), v, page_id)
    _to_wastebin(v, page, pages.delete_page, page["folder_id"])
    return _back(url_for("library.show_folder", folder_id=page["folder_id"]))


# -- comments and approvals (any registered subject) ------------------------


# The subjects kept in the library's folders: documents, pages and discussion topics
# (gvo.discussion.topics, shown on the discussions' pages with these comment and approval
# routes and templates).
LIBRARY_SUBJECTS = ("document", "page", "topic")


def _subject(subject_type: str, subject_id: int) -> tuple[Identity, subjects.Subject]:
    """The viewer, and the library subject (document, page or topic) they may see (404
    otherwise: other features' subjects are discussed on their own pages)."""
    v = current_identity()
    if subject_type not in LIBRARY_SUBJECTS:
        raise NotFound("no such item")
    return v, subjects.load(db(), v, subject_type, subject_id)


def _attempt(service, v: Identity, *args) -> None:
    """Call a library service as `v`, flashing its refusal."""
    try:
        service(db(), v, *args)
    except InvalidInput as exc:
        flash(str(exc), "error")


def _subject_done(subject: subjects.Subject, v: Identity, panel: str):
    """htmx gets the subject's comments or approval panel again; others its page."""
    if is_htmx():
        return render_template(f"library/_{panel}.html", **subject_context(subject, v))
    return _back(url_for(subject.endpoint, **subject.values) + f"#{panel}")


@bp.get("/library/<subject_type>/<int:subject_id>/comments")
@signed_in
def comments_page(subject_type: str, subject_id: int):
    """A page of a subject's comments (htmx asking for the next page: those comments and
    the next "more" control alone)."""
    v, subject = _subject(subject_type, subject_id)
    return paging.render("library/comments.html", **comments_context(subject, v, paging.after()))


def _comment_changed(subject: subjects.Subject, v: Identity, comment_id: int | None,
                     error: str | None = None):
    """After posting, editing or deleting a comment: htmx gets that comment alone (none
    once deleted) and the new count, or the refusal beside the thread (422, what was
    typed stays in the form); other requests go back to the subject's page."""
    if not is_htmx():
        if error and request.endpoint in ("library.add_comment", "library.edit_comment"):
            # The form again, with what was typed and why beside it.
            return render_template(
                "library/comment_refused.html", subject=subject, action=request.path,
                body=request.form.get("body", ""), parent_id=request.form.get("parent_id", ""),
                button="Save" if request.endpoint == "library.edit_comment" else "Post",
                error=error), 422
        if error:
            flash(error, "error")
        return _back(url_for(subject.endpoint, **subject.values) + "#comments")
    if error:
        response = make_response(render_template("library/_comment_error.html", error=error),
                                 422)
        response.headers["HX-Retarget"] = "#comments-status"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    conn = db()
    comment = comments.one(conn, subject, comment_id) if comment_id is not None else None
    return render_template("library/_comment_changed.html", comment=comment,
                           comment_count=comments.count(conn, subject), subject=subject,
                           may_comment=comments.may_comment(conn, v, subject), me=v.user_id)


def _form_refusal(form: CommentForm) -> str:
    """Why a comment form was refused, in words."""
    if form.body.errors and form.body.data:
        return f"A comment of 1-{comments.MAX_BODY:,} characters is required."
    return "Write something first."


@bp.post("/library/<subject_type>/<int:subject_id>/comments")
@requires_role("author")
def add_comment(subject_type: str, subject_id: int):
    """Comment on a subject, or reply to a comment."""
    v, subject = _subject(subject_type, subject_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _comment_changed(subject, v, None, _form_refusal(form))
    try:
        comment_id = comments.add(db(), v, subject, form.body.data,
                                  numbers.whole_number_or_none(form.parent_id.data))
    except InvalidInput as exc:
        return _comment_changed(subject, v, None, str(exc))
    return _comment_changed(subject, v, comment_id)


@bp.post("/library/<subject_type>/<int:subject_id>/comments/<int:comment_id>/edit")
@requires_role("author")
def edit_comment(subject_type: str, subject_id: int, comment_id: int):
    """Change your own comment while nobody has replied."""
    v, subject = _subject(subject_type, subject_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _comment_changed(subject, v, None, _form_refusal(form))
    try:
        comments.edit(db(), v, subject, comment_id, form.body.data)
    except InvalidInput as exc:
        return _comment_changed(subject, v, None, str(exc))
    return _comment_changed(subject, v, comment_id)


@bp.post("/library/<subject_type>/<int:subject_id>/comments/<int:comment_id>/delete")
@requires_role("author")
def delete_comment(subject_type: str, subject_id: int, comment_id: int):
    """Delete your own comment while nobody has replied."""
    v, subject = _subject(subject_type, subject_id)
    if not confirmed():
        # Sent without its confirmation (no script ran hx-confirm): ask on a page.
        here = url_for(subject.endpoint, **subject.values)
        return _confirm_delete(
            "your comment", ["It is removed from the discussion for everyone; this cannot "
                             "be undone."],
            url_for("library.delete_comment", subject_type=subject_type,
                    subject_id=subject_id, comment_id=comment_id), f"{here}#c{comment_id}")
    if not ConfirmForm().validate_on_submit():
        return _comment_changed(subject, v, None, "That did not work; reload the page.")
    comments.delete(db(), v, subject, comment_id)
    return _comment_changed(subject, v, None)


@bp.post("/library/<subject_type>/<int:subject_id>/comments/lock")
@requires_role("author")
def lock_comments(subject_type: str, subject_id: int):
    """Lock or unlock comments (the owner or an Editor)."""
    v, subject = _subject(subject_type, subject_id)
    if ConfirmForm().validate_on_submit():
        comments.set_locked(db(), v, subject, request.form.get("locked") == "1")
    return _subject_done(subject, v, "comments")


@bp.post("/library/<subject_type>/<int:subject_id>/approval")
@requires_role("author")
def request_approval(subject_type: str, subject_id: int):
    """Mark a subject for approval (the owner or an Editor)."""
    v, subject = _subject(subject_type, subject_id)
    form = ApprovalForm()
    if form.validate_on_submit():
        _attempt(approvals.request_approval, v, subject, form.mode.data)
    return _subject_done(subject, v, "approval")


@bp.post("/library/<subject_type>/<int:subject_id>/approval/approve")
@requires_role("author")
def approve(subject_type: str, subject_id: int):
    """Record your approval."""
    v, subject = _subject(subject_type, subject_id)
    if ConfirmForm().validate_on_submit():
        _attempt(approvals.approve, v, subject)
    return _subject_done(subject, v, "approval")


@bp.post("/library/<subject_type>/<int:subject_id>/approval/lock")
@requires_role("author")
def lock_approval(subject_type: str, subject_id: int):
    """Lock or reopen an approval (the owner or an Editor)."""
    v, subject = _subject(subject_type, subject_id)
    if ConfirmForm().validate_on_submit():
        _attempt(approvals.set_locked, v, subject, request.form.get("locked") == "1")
    return _subject_done(subject, v, "approval")


# -- search, wastebin --------------------------------------------------------


def highlight(snippet: str) -> Markup:
    """A search snippet, escaped, with the matched words marked."""
    text = str(escape(snippet))
    return Markup(text.replace(search.MARK_START, "<mark>").replace(search.MARK_END, "</mark>"))  # noqa: S704 - escaped above


@bp.get("/library/search")
@signed_in
def search_page():
    """Search folders, documents, pages and comments the member may open."""
    q = (request.args.get("q") or "").strip()[:200]
    v = current_identity()
    results = search.page(db(), v, q, paging.after())
    if paging.wants_rows():
        return paging.render("library/search.html", rows_from="library/_results.html", q=q,
                             results=results, highlight=highlight)
    template = "library/_results.html" if is_htmx() else "library/search.html"
    return render_template(template, q=q, results=results, highlight=highlight,
                           total=search.count(db(), v, q))


@bp.get("/library/wastebin")
@requires_role("manager")
def wastebin_page():
    """Deleted items a Manager may restore."""
    return render_template("library/wastebin.html", items=wastebin.items(db(), current_identity()),
                           confirm=ConfirmForm())


@bp.post("/library/wastebin/<kind>/<int:item_id>/restore")
@requires_role("manager")
def restore(kind: str, item_id: int):
    """Restore a deleted item to where it was."""
    if ConfirmForm().validate_on_submit():
        try:
            wastebin.restore(db(), current_identity(), kind, item_id)
        except InvalidInput as exc:
            flash(str(exc), "error")
        else:
            flash("Restored to where it was.", "success")
    return _back(url_for("library.wastebin_page"))
