"""Minutes never lose or leave out what was typed (attack 5, F2 and F3): the buttons that
circulate the minutes or remove an action send the editor's text and save it first, and two
editors' saves never overwrite items the saver did not touch; an item both changed is
refused with both versions shown and the typed text kept."""

import html
import re

from gvo.meetings import minutes

from .conftest import OP


def _saved(office, meeting_id):
    return {i["id"]: i for i in minutes.for_meeting(office.conn, meeting_id, None)["part1"]}


def _editor_fields(page: str, item_ids) -> dict:
    """What a browser would send from the editor as loaded: every item's text and base."""
    fields = {}
    for item in item_ids:
        base = re.search(rf'name="i{item}-base"[^>]*value="([0-9a-f]*)"', page)
        assert base, page
        fields[f"i{item}-base"] = base.group(1)
        for name in ("discussion", "decisions"):
            box = re.search(rf'<textarea[^>]*name="i{item}-{name}"[^>]*>(.*?)</textarea>', page,
                            re.S)
            fields[f"i{item}-{name}"] = html.unescape(box.group(1)).lstrip("\r\n")
    return fields


def test_circulating_saves_what_was_typed_first_and_asks(signed_in, office):
    client, _clerk = signed_in("manager")
    meeting_id = office.meeting(days=-3)
    item = office.item(meeting_id, "Discussion")
    editor = f"/alpha/meetings/{meeting_id}/minutes"
    page = client.get(editor).get_data(as_text=True)
    # The Circulate button sends the editor's own form (to the circulate route).
    button = re.search(r'<button[^>]*>Circulate for comment</button>', page).group(0)
    assert 'form="minutes-form"' in button and f'formaction="{editor}/circulate"' in button
    fields = _editor_fields(page, [item]) | {f"i{item}-discussion": "Typed, not saved."}
    resp = client.post(f"{editor}/circulate", fields, form_page=editor)
    assert resp.status_code == 200 and "Yes, circulate them" in client.last_text
    assert _saved(office, meeting_id)[item]["discussion"] == "Typed, not saved."
    # Still a draft until the answer.
    assert office.conn.execute("SELECT minutes_status FROM meetings WHERE id = ?",
                               (meeting_id,)).fetchone()[0] == "draft"
    resp = client.post(f"{editor}/circulate", {"confirmed": "1"})
    assert resp.status_code == 302
    assert office.conn.execute("SELECT minutes_status FROM meetings WHERE id = ?",
                               (meeting_id,)).fetchone()[0] == "circulated"


def test_removing_an_action_saves_what_was_typed_and_asks(signed_in, office):
    client, _clerk = signed_in("manager")
    meeting_id = office.meeting(days=-3)
    item = office.item(meeting_id, "Budget")
    action = minutes.add_action(office.conn, OP, item, "Chase the LA", None, None)
    editor = f"/alpha/meetings/{meeting_id}/minutes"
    page = client.get(editor).get_data(as_text=True)
    fields = _editor_fields(page, [item]) | {f"i{item}-discussion": "Long notes."}
    delete = f"{editor}/actions/{action}/delete"
    resp = client.post(delete, fields, form_page=editor)
    assert resp.status_code == 200 and "Yes, remove it" in client.last_text
    assert _saved(office, meeting_id)[item]["discussion"] == "Long notes."
    assert _saved(office, meeting_id)[item]["actions"]  # not removed before the answer
    client.post(delete, {"confirmed": "1"})
    assert _saved(office, meeting_id)[item]["actions"] == []


def test_a_stale_editor_does_not_overwrite_items_it_did_not_touch(signed_in, office):
    client, _clerk = signed_in("manager")
    meeting_id = office.meeting(days=-3)
    first, third = office.item(meeting_id, "Welcome"), office.item(meeting_id, "Budget")
    editor = f"/alpha/meetings/{meeting_id}/minutes"
    page = client.get(editor).get_data(as_text=True)
    tab_a = _editor_fields(page, [first, third])
    tab_b = dict(tab_a)
    tab_a[f"i{first}-discussion"] = "TAB A: full notes."
    assert client.post(editor, tab_a, form_page=editor).status_code == 302
    tab_b[f"i{third}-discussion"] = "TAB B: budget notes."
    assert client.post(editor, tab_b, form_page=editor).status_code == 302
    saved = _saved(office, meeting_id)
    assert saved[first]["discussion"] == "TAB A: full notes."
    assert saved[third]["discussion"] == "TAB B: budget notes."


def test_an_item_both_changed_is_refused_with_both_versions_kept(signed_in, office):
    client, _clerk = signed_in("manager")
    meeting_id = office.meeting(days=-3)
    item = office.item(meeting_id, "Welcome")
    editor = f"/alpha/meetings/{meeting_id}/minutes"
    page = client.get(editor).get_data(as_text=True)
    tab_a = _editor_fields(page, [item])
    tab_b = dict(tab_a)
    tab_a[f"i{item}-discussion"] = "Version from tab A."
    assert client.post(editor, tab_a, form_page=editor).status_code == 302
    tab_b[f"i{item}-discussion"] = "Version from tab B."
    resp = client.post(editor, tab_b, form_page=editor)
    assert resp.status_code == 422
    page = client.last_text
    assert "Version from tab A." in page and "Version from tab B." in page
    assert re.search(rf'<div class="error" id="i{item}-discussion-error" role="alert">', page)
    assert _saved(office, meeting_id)[item]["discussion"] == "Version from tab A."
    # Sent again from the page shown (it now knows what is saved): it is saved.
    again = _editor_fields(page, [item])
    assert again[f"i{item}-discussion"] == "Version from tab B."
    assert client.post(editor, again, form_page=None).status_code == 302
    assert _saved(office, meeting_id)[item]["discussion"] == "Version from tab B."
