"""The certificate folders are system-managed (ATTACK13 F1/F2): only the Managers (and the
training feature, for a person's own certificate) add anything in them; a holder sees only
their own folder and is not told who else holds one; nobody re-opens or deletes them
through the library's folder pages, whatever their role."""

import io
from datetime import timedelta

import pytest
from conftest import make_pdf, page_text

from gvo.core import dates
from gvo.core.errors import NotPermitted
from gvo.core.identity import Identity
from gvo.library import folders, pages

from .conftest import record_via_form, signed_in_as

DONE = (dates.today() - timedelta(days=10)).isoformat()


def _two_holders(board, new_client):
    course = board.course()
    ann = signed_in_as(new_client, board.ann)
    ben = signed_in_as(new_client, board.ben)
    for client in (ann, ben):
        resp = record_via_form(client, "alpha", course, DONE, ("c.pdf", make_pdf("cert")))
        assert resp.status_code == 302, page_text(resp)[:2000]
    top = board.conn.execute("SELECT id FROM folders WHERE parent_id IS NULL"
                             " AND title = 'Training certificates'").fetchone()[0]
    mine = {r[0]: r[1] for r in board.conn.execute(
        "SELECT user_id, folder_id FROM training_certificate_folders")}
    return ann, ben, top, mine


def test_a_holder_adds_nothing_to_the_certificate_folders(board, new_client):
    ann, ben, top, mine = _two_holders(board, new_client)
    page = page_text(ann.get(f"/alpha/library/folders/{top}"))
    assert "Upload files" not in page and "New sub-folder" not in page
    assert "Ben Governor" not in page  # nobody else's name in the heading
    assert "Restricted to: you and the Managers" in page
    for folder_id in (top, mine[board.ann.id]):
        resp = ann.post(f"/alpha/library/folders/{folder_id}/upload",
                        {"files": (io.BytesIO(make_pdf("mine")), "mine.pdf")},
                        form_page="/alpha/profile",
                        content_type="multipart/form-data")
        assert resp.status_code == 403
        assert "system-managed" in page_text(resp)
        assert ann.get(f"/alpha/library/folders/{folder_id}/pages/new").status_code == 403
        assert ann.get(f"/alpha/library/folders/new?parent={folder_id}").status_code in (
            200, 403)
    who = Identity.load(board.conn, board.ann.id)
    with pytest.raises(NotPermitted):
        folders.create_folder(board.conn, who, parent_id=top, title="mine")
    with pytest.raises(NotPermitted):
        pages.create_page(board.conn, who, top, title="t", body="b")
    resp = ann.post("/alpha/discussions/new", {"folder_id": str(top), "title": "Hi",
                                               "body": "x"}, form_page="/alpha/profile")
    assert resp.status_code == 403
    # Only the two certificates are there: nothing else was added.
    assert board.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 2
    assert board.conn.execute("SELECT count(*) FROM folders").fetchone()[0] == 3
    # Ben sees his own folder, not Ann's.
    listing = page_text(ben.get(f"/alpha/library/folders/{top}"))
    assert "Ben Governor" in listing and "Ann Governor" not in listing


def test_nobody_reopens_or_deletes_a_certificate_folder(board, new_client):
    _, ben, top, mine = _two_holders(board, new_client)
    clerk = signed_in_as(new_client, board.manager)
    for folder_id in (top, mine[board.ann.id]):
        page = page_text(clerk.get(f"/alpha/library/folders/{folder_id}"))
        assert "Edit folder" not in page and "Delete folder" not in page
        assert clerk.get(f"/alpha/library/folders/{folder_id}/edit").status_code == 403
        resp = clerk.post(f"/alpha/library/folders/{folder_id}/edit",
                          {"title": "Training certificates", "description": "x",
                           "sort_order": "0"}, form_page="/alpha/profile")
        assert resp.status_code == 403 and "kept by Training" in page_text(resp)
        resp = clerk.post(f"/alpha/library/folders/{folder_id}/delete", {"confirm": "yes"},
                          form_page="/alpha/profile")
        assert resp.status_code == 403
    doc = board.conn.execute("SELECT id FROM documents WHERE folder_id = ?",
                             (mine[board.ann.id],)).fetchone()[0]
    assert ben.get(f"/alpha/library/documents/{doc}").status_code == 404
    assert board.conn.execute("SELECT restricted FROM folders WHERE id = ?",
                              (top,)).fetchone()[0] == 1
    # The Manager may still add to them (the one exception besides the feature).
    manager = Identity.load(board.conn, board.manager.id)
    assert pages.create_page(board.conn, manager, top, title="Note", body="for Managers")
