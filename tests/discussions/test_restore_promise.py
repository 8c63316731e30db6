"""ATTACK11 finding 2: deleting something in a room that leaves every Manager out no longer
promises "a Manager can restore it" (no one can: a Manager restores only what they may
open); the question and the answer say so, for topics, documents, pages and folders alike,
and still promise a Manager where one can open the folder."""

from gvo.library import folders, pages

S = "/alpha"
NO_ONE = "No Manager can open this room, so no one can restore"


def test_deleting_in_a_room_without_a_manager_promises_no_restore(scene, as_person):
    conn, ann = scene.conn, scene.who("ann")
    client = as_person("ann")
    page = pages.create_page(conn, ann, scene.room, title="Room page", body="x")
    sub = folders.create_folder(conn, ann, parent_id=scene.room, title="Room sub")
    for path in (f"{S}/discussions/{scene.room_topic}/delete", f"{S}/library/pages/{page}/delete",
                 f"{S}/library/folders/{sub}/delete"):
        asked = client.get(path).get_data(as_text=True)
        assert NO_ONE in asked and "A Manager can restore" not in asked, path
    resp = client.post(f"{S}/discussions/{scene.room_topic}/delete", {"confirmed": "1"},
                       form_page=f"{S}/discussions/{scene.room_topic}")
    assert resp.status_code == 303
    shown = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert NO_ONE in shown and "a Manager can restore" not in shown
    # In an open folder a Manager can, and the page says so.
    asked = client.get(f"{S}/discussions/{scene.open_topic}/delete").get_data(as_text=True)
    assert "A Manager can restore it from the wastebin." in asked
