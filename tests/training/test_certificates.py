"""Acceptance 4, the certificates: a certificate is seen only by its person and the Managers.
Anyone else (another governor, a holder of "Manage training" who is not a Manager) gets a 404
for its page and its download, finds nothing in search, sees nothing in What's new or the
library's listing, and cannot share it; a Manager who stops being one loses it at once."""

from datetime import timedelta

from conftest import make_pdf, page_text

from gvo.core import dates
from gvo.core.identity import Identity
from gvo.library import documents, search
from gvo.people import accounts
from gvo.sharing import items

from .conftest import OP, record_via_form, signed_in_as

WORD = "Quokkaville"
NAME = f"{WORD}-certificate.pdf"
DONE = (dates.today() - timedelta(days=10)).isoformat()


def _ann_records_with_certificate(board, new_client):
    course = board.course()
    ann = signed_in_as(new_client, board.ann)
    resp = record_via_form(ann, "alpha", course, DONE,
                           (NAME, make_pdf(f"{WORD} safeguarding certificate")))
    assert resp.status_code == 302, page_text(resp)[:2000]
    [row] = board.conn.execute("SELECT * FROM training_completions").fetchall()
    assert row["document_id"] is not None
    return ann, row["document_id"]


def _sees(client, doc_id: int) -> dict:
    """What a signed-in client can reach of the certificate, each way in."""
    return {
        "page": client.get(f"/alpha/library/documents/{doc_id}").status_code,
        "download": client.download(f"/alpha/library/documents/{doc_id}/download").status_code,
        "search": f"/library/documents/{doc_id}" in page_text(
            client.get(f"/alpha/library/search?q={WORD}")),
        "whats_new": WORD in page_text(client.get("/alpha/")),
        "library": "Training certificates" in page_text(client.get("/alpha/library")),
        "share": client.get(f"/alpha/share/document/{doc_id}").status_code,
    }


def test_only_the_person_and_managers_see_a_certificate(board, new_client):
    ann, doc_id = _ann_records_with_certificate(board, new_client)
    seen = {"page": 200, "download": 200, "search": True, "whats_new": True, "library": True,
            "share": 200}
    hidden = {"page": 404, "download": 404, "search": False, "whats_new": False,
              "library": False, "share": 404}
    assert _sees(ann, doc_id) == seen
    assert _sees(signed_in_as(new_client, board.manager), doc_id) == seen
    assert _sees(signed_in_as(new_client, board.ben), doc_id) == hidden
    trainer = signed_in_as(new_client, board.trainer)
    assert _sees(trainer, doc_id) == hidden
    # The trainer reads Ann's record, without the certificate's link.
    page = page_text(trainer.get(f"/alpha/training/people/{board.ann.id}"))
    assert "Kept for Ann Governor and the Managers" in page
    assert f"/library/documents/{doc_id}" not in page
    # Ann sharing it with Ben: he is left out (the share's rule is the folder's).
    ann_id = Identity.load(board.conn, board.ann.id)
    ben_id = Identity.load(board.conn, board.ben.id)
    assert items.load(board.conn, ann_id, "document", doc_id).refusal(ben_id) is not None
    assert search.count(board.conn, ben_id, WORD) == 0


def test_a_manager_who_stops_being_one_loses_the_certificates(board, new_client):
    _, doc_id = _ann_records_with_certificate(board, new_client)
    mo = Identity.load(board.conn, board.manager.id)
    assert documents.get_many(board.conn, mo, [doc_id])
    # A new Manager gains them; the one who stops being one loses them.
    accounts.set_role(board.conn, OP, board.ben.id, "manager")
    assert documents.get_many(board.conn, Identity.load(board.conn, board.ben.id), [doc_id])
    accounts.set_role(board.conn, OP, board.manager.id, "author")
    mo = Identity.load(board.conn, board.manager.id)
    assert documents.get_many(board.conn, mo, [doc_id]) == []
    assert search.count(board.conn, mo, WORD) == 0


def test_a_trainer_records_others_but_attaches_no_certificate(board, new_client):
    course = board.course()
    trainer = signed_in_as(new_client, board.trainer)
    resp = record_via_form(trainer, "alpha", course, DONE,
                           (NAME, make_pdf("certificate")), user_id=board.ann.id)
    assert resp.status_code == 422
    assert "Only Ann Governor or a Manager may attach a certificate" in page_text(resp)
    assert board.conn.execute("SELECT count(*) FROM training_completions").fetchone()[0] == 0
    assert board.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    resp = record_via_form(trainer, "alpha", course, DONE, user_id=board.ann.id)
    assert resp.status_code == 302
    assert board.conn.execute("SELECT user_id FROM training_completions").fetchone()[0] == \
        board.ann.id


def test_a_refused_file_stores_nothing_and_says_why(board, new_client):
    course = board.course()
    ann = signed_in_as(new_client, board.ann)
    resp = record_via_form(ann, "alpha", course, DONE,
                           ("certificate.exe", b"MZ\x90\x00 not a certificate"))
    assert resp.status_code == 415
    text = page_text(resp)
    assert 'id="certificate-error"' in text and "not a file type the library accepts" in text
    assert f'value="{DONE}"' in text  # what was typed stays
    for table in ("training_completions", "documents", "folders"):
        assert board.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0  # noqa: S608
