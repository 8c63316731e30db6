"""Share: only people who may open the item receive it; the sharer is told who was left out
and why; mail holds the title, the words and a link, never the item's content."""

import pytest
from conftest import BASE

from gvo.core.errors import InvalidInput
from gvo.sharing import share
from mail.scene import PAPER_WORDS, build, signed_in_client


@pytest.fixture
def scene(instance, school, mail_app):
    return build(instance.db(school))


def test_a_room_document_reaches_only_people_in_the_room(scene, instance, smtp_server,
                                                         start_sender):
    me = scene.who(scene.clerk)
    out = share.share(scene.conn, me, "document", scene.room_doc, people=[scene.ann],
                      groups=[scene.everyone], message="Please read before Tuesday.")
    assert out.sent == ["Ann"]
    assert out.left_out == [("Ben", "not in the room “Pay panel”"),
                            ("Cal", "not in the room “Pay panel”"),
                            ("Dee", "their account is not active")]
    instance.release()
    start_sender()
    [mail] = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["ann@ex.org"]
    assert mail.message["Subject"] == "Clerk shared “appraisal” with you"
    for part in ("plain", "html"):
        body = mail.part(part)
        assert "Please read before Tuesday." in body
        assert f"{BASE}/alpha/library/documents/{scene.room_doc}" in body
        assert PAPER_WORDS not in body
    assert smtp_server.wait_for(2, limit=0.5) == [mail]  # nobody else


def test_part_2_papers_and_items_reach_only_those_who_may_read_them(scene, instance,
                                                                     smtp_server, start_sender):
    me = scene.who(scene.clerk)
    paper = share.share(scene.conn, me, "document", scene.part2_doc, groups=[scene.everyone],
                        people=[])
    assert paper.sent == ["Ann"]
    # Named by its committee, as README promises: there is no room to look for.
    assert ("Ben", "Part 2 (confidential) paper: not a member of Full Governing Board"
            ) in paper.left_out
    item = share.share(scene.conn, me, "item", scene.part2_item, people=[scene.ben, scene.ann])
    assert item.sent == ["Ann"]
    assert item.left_out == [("Ben", "Part 2 item: not a member of Full Governing Board")]
    meeting = share.share(scene.conn, me, "meeting", scene.meeting, people=[scene.ben])
    assert meeting.sent == ["Ben"]
    instance.release()
    start_sender()
    arrived = smtp_server.wait_for(3)
    assert sorted(a.rcpt_tos[0] for a in arrived) == ["ann@ex.org", "ann@ex.org", "ben@ex.org"]
    [to_ben] = smtp_server.to("ben@ex.org")
    assert "Staffing restructure" not in to_ben.data.decode()
    assert "restructure" not in to_ben.data.decode()


def test_a_reader_outside_a_restricted_folder_gets_nothing_and_nothing_is_audited_as_sent(
        scene):
    me = scene.who(scene.clerk)
    out = share.share(scene.conn, me, "document", scene.room_doc, people=[scene.ben])
    assert out.sent == [] and out.left_out == [("Ben", "not in the room “Pay panel”")]
    assert scene.conn.execute("SELECT count(*) FROM mail_outbox").fetchone()[0] == 0
    assert scene.conn.execute("SELECT count(*) FROM audit_log WHERE action = 'share.send'"
                              ).fetchone()[0] == 0


def test_someone_who_may_not_open_an_item_cannot_share_it(scene):
    from gvo.core.errors import NotFound

    with pytest.raises(NotFound):
        share.share(scene.conn, scene.who(scene.cal), "document", scene.room_doc,
                    people=[scene.ann])


def test_bad_input_and_the_hourly_limits(scene, monkeypatch):
    me = scene.who(scene.clerk)
    with pytest.raises(InvalidInput, match="Choose at least one person"):
        share.share(scene.conn, me, "document", scene.open_doc, people=[scene.clerk])
    with pytest.raises(InvalidInput, match="at most 1,000"):
        share.share(scene.conn, me, "document", scene.open_doc, people=[scene.ann],
                    message="x" * 1001)
    monkeypatch.setattr(share, "SHARES_PER_HOUR", 2)
    for _ in range(2):
        share.share(scene.conn, me, "document", scene.open_doc, people=[scene.ann])
    with pytest.raises(InvalidInput, match="2 times in the last hour"):
        share.share(scene.conn, me, "document", scene.open_doc, people=[scene.ann])
    monkeypatch.setattr(share, "SHARES_PER_HOUR", 20)
    monkeypatch.setattr(share, "PEOPLE_PER_HOUR", 3)
    with pytest.raises(InvalidInput, match="limit is 3 an hour"):
        share.share(scene.conn, me, "document", scene.open_doc, people=[scene.ben, scene.cal])
    assert scene.conn.execute("SELECT count(*) FROM mail_outbox").fetchone()[0] == 2


def test_the_form_names_who_was_left_out_and_refuses_bad_input(scene, instance, mail_app):
    client = signed_in_client(mail_app, scene, scene.clerk)
    page = f"/alpha/share/document/{scene.room_doc}"
    assert "Share “appraisal”" in client.get(page).get_data(as_text=True)
    resp = client.post(page, {"people": [str(scene.ben)], "message": ""}, form_page=page)
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Nobody received it" in text and "Ben" in text and "not in the room" in text
    resp = client.post(page, {"message": "hello"}, form_page=page)
    assert resp.status_code == 422
    assert "Choose at least one person" in resp.get_data(as_text=True)
    resp = client.post(page, {"people": [str(scene.ann)], "message": "y" * 1001},
                       form_page=page)
    assert resp.status_code == 422 and "at most 1,000" in resp.get_data(as_text=True)
    resp = client.post(page, {"people": ["99999"]}, form_page=page)
    assert resp.status_code == 422
    resp = client.post(page, {"people": [str(scene.ann)], "groups": [str(scene.everyone)],
                              "message": "For Tuesday"}, form_page=page)
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Sent to Ann" in text
    assert "Cal" in text and "Dee" in text and "their account is not active" in text
    assert client.post(page, {"people": [str(scene.ann)]}, csrf=False).status_code == 400
    # someone who may not open the item finds no such page
    assert client.get("/alpha/share/document/999999").status_code == 404
