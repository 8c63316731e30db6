"""Who may do what: holders of "Manage training" (and Managers) manage courses, record and
remove anyone's completions and read the reports; everyone else records and removes only
their own (Readers only read); every write is audited."""

import io
from datetime import timedelta

import pytest
from conftest import page_text
from openpyxl import load_workbook

from gvo.core import dates
from gvo.core.errors import NotFound, NotPermitted
from gvo.core.identity import Identity
from gvo.training import completions, courses

from .conftest import OP, record_via_form, signed_in_as

DONE = (dates.today() - timedelta(days=3)).isoformat()
COURSE = {"title": "Prevent duty", "category": "Prevent", "provider": "Home Office",
          "validity_months": "36", "booking_url": "https://prevent.example/book"}


def _audit(board, action: str) -> int:
    return board.conn.execute("SELECT count(*) FROM audit_log WHERE action = ?",
                              (action,)).fetchone()[0]


@pytest.mark.parametrize("who", ["ann", "reader"])
def test_others_may_not_manage_courses_or_read_reports(board, new_client, who):
    client = signed_in_as(new_client, getattr(board, who))
    course = board.course()
    for path in ("/alpha/training/courses/new", f"/alpha/training/courses/{course}/edit",
                 "/alpha/training/reports", "/alpha/training/reports/training.csv",
                 "/alpha/training/reports/training.xlsx"):
        assert client.get(path).status_code == 403, path
    profile = "/alpha/profile"  # a page with a form: its CSRF token
    assert client.post("/alpha/training/courses/new", COURSE,
                       form_page=profile).status_code == 403
    assert client.post(f"/alpha/training/courses/{course}/delete", {"confirmed": "1"},
                       form_page=profile).status_code == 403
    assert client.get(f"/alpha/training/people/{board.ben.id}").status_code == 404
    assert "Add a course" not in page_text(client.get("/alpha/training/courses"))


def test_a_trainer_manages_courses_and_reads_reports(board, new_client):
    client = signed_in_as(new_client, board.trainer)
    resp = client.post("/alpha/training/courses/new", COURSE,
                       form_page="/alpha/training/courses/new")
    assert resp.status_code == 302
    [course] = courses.listing(board.conn)
    assert (course["title"], course["validity_months"], course["mandatory"]) == (
        "Prevent duty", 36, 0)
    assert _audit(board, "training.course.create") == 1
    page = page_text(client.get("/alpha/training/courses"))
    assert '<a href="https://prevent.example/book" rel="noopener noreferrer"' in page
    resp = client.post(f"/alpha/training/courses/{course['id']}/edit",
                       COURSE | {"mandatory": "y"},
                       form_page=f"/alpha/training/courses/{course['id']}/edit")
    assert resp.status_code == 302 and courses.get(board.conn, course["id"])["mandatory"] == 1
    assert _audit(board, "training.course.update") == 1
    assert client.get("/alpha/training/reports").status_code == 200


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://x.org/",
                                 "https://", "prevent.example"])
def test_a_booking_link_is_http_or_https(board, new_client, url):
    client = signed_in_as(new_client, board.trainer)
    resp = client.post("/alpha/training/courses/new", COURSE | {"booking_url": url},
                       form_page="/alpha/training/courses/new")
    assert resp.status_code == 422
    assert 'id="booking_url-error"' in page_text(resp)
    assert courses.listing(board.conn) == []


def test_everyone_records_their_own_and_only_their_own(board, new_client):
    course = board.course()
    ann = signed_in_as(new_client, board.ann)
    assert record_via_form(ann, "alpha", course, DONE).status_code == 302
    # Another's: the form offers only herself; a forged choice is refused, nothing stored.
    assert record_via_form(ann, "alpha", course, DONE, user_id=board.ben.id).status_code == 422
    [row] = board.conn.execute("SELECT * FROM training_completions").fetchall()
    assert row["user_id"] == board.ann.id and row["recorded_by"] == board.ann.id
    assert _audit(board, "training.completion.record") == 1
    # A future date: refused beside its field.
    future = (dates.today() + timedelta(days=1)).isoformat()
    resp = record_via_form(ann, "alpha", course, future)
    assert resp.status_code == 422 and 'id="completed_on-error"' in page_text(resp)
    # Ben cannot remove Ann's (it does not exist for him); Ann can, asked first.
    ben = signed_in_as(new_client, board.ben)
    ben.get("/alpha/training")
    assert ben.post(f"/alpha/training/completions/{row['id']}/remove",
                    {"confirmed": "1"}).status_code == 404
    ann.get("/alpha/training")
    asked = ann.post(f"/alpha/training/completions/{row['id']}/remove", {})
    assert asked.status_code == 200 and "Yes, remove it" in page_text(asked)
    assert ann.post(f"/alpha/training/completions/{row['id']}/remove",
                    {"confirmed": "1"}).status_code == 302
    assert board.conn.execute("SELECT count(*) FROM training_completions").fetchone()[0] == 0
    assert _audit(board, "training.completion.remove") == 1


def test_readers_only_read(board, new_client):
    course = board.course()
    rae = signed_in_as(new_client, board.reader)
    assert "Record a completion" not in page_text(rae.get("/alpha/training"))
    rae.get("/alpha/profile")
    assert record_via_form(rae, "alpha", course, DONE).status_code == 403
    with pytest.raises(NotPermitted):
        completions.record(board.conn, Identity.load(board.conn, board.reader.id),
                           board.reader.id, course, dates.today())


def test_a_trainer_records_and_removes_anyones(board, new_client):
    course = board.course()
    tess = signed_in_as(new_client, board.trainer)
    assert record_via_form(tess, "alpha", course, DONE, user_id=board.ben.id).status_code == 302
    [row] = board.conn.execute("SELECT * FROM training_completions").fetchall()
    assert row["user_id"] == board.ben.id and row["recorded_by"] == board.trainer.id
    assert "Ben Governor" in page_text(tess.get(f"/alpha/training/people/{board.ben.id}"))
    ann = Identity.load(board.conn, board.ann.id)
    with pytest.raises(NotFound):
        completions.remove(board.conn, ann, row["id"])
    completions.remove(board.conn, Identity.load(board.conn, board.trainer.id), row["id"])


def test_the_report_and_its_files_agree(board, new_client):
    """By person and by course on the page; the CSV and the XLSX (read back with openpyxl)
    hold the same rows, formula-safe, names in any script sorted as people read them."""
    from gvo.people import accounts

    accounts.update_profile(board.conn, OP, board.ben.id, name="Łucja Żak", phone="")
    course = board.course("=HYPERLINK(\"http://x\")", months=12)
    completions.record(board.conn, OP, board.ann.id, course, dates.today())
    client = signed_in_as(new_client, board.manager)
    page = page_text(client.get("/alpha/training/reports"))
    assert page.index("Ann Governor") < page.index("Łucja Żak")
    assert "By person" in page and "By course" in page
    csv_text = client.download("/alpha/training/reports/training.csv").get_data().decode(
        "utf-8-sig")
    book = load_workbook(io.BytesIO(client.download(
        "/alpha/training/reports/training.xlsx").get_data()))
    sheet_rows = [[c or "" for c in row] for row in book.active.iter_rows(values_only=True)]
    import csv

    csv_rows = list(csv.reader(io.StringIO(csv_text)))
    assert csv_rows == sheet_rows
    assert csv_rows[0][:2] == ["Person", "Course"]
    assert [r[0] for r in csv_rows[1:]] == ["Ann Governor", "Łucja Żak"]
    assert csv_rows[1][1] == "'=HYPERLINK(\"http://x\")"
    assert csv_rows[1][4:6] == ["Valid", dates.today().isoformat()]
    assert csv_rows[2][4] == "Never done"
