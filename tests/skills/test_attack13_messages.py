"""ATTACK13 F6: an out-of-range score says what to choose; another person's answers give
the same 403 whether the id exists or not (no telling which ids exist)."""

from conftest import page_text, sign_in


def test_an_out_of_range_score_says_what_to_choose(client, make_user, audit):
    person = make_user(role="author")
    sign_in(client, person)
    first, second = audit.score_questions()[:2]
    cat = first["category_id"]
    resp = client.post(f"/alpha/skills/people/{person.id}/{cat}",
                       {f"q{first['id']}": "6", f"q{second['id']}": "4"},
                       form_page=f"/alpha/skills/people/{person.id}/{cat}")
    assert resp.status_code == 422
    page = page_text(resp)
    assert "Choose a score from 1 to 5, or N/A." in page
    assert "Not a valid choice" not in page


def test_a_real_and_a_made_up_person_get_the_same_answer(client, make_user, audit):
    other = audit.governor("Other Governor")
    sign_in(client, make_user(role="author"))
    cat = audit.score_questions()[0]["category_id"]
    for made_up in (999, 2**62):
        assert client.get(f"/alpha/skills/people/{made_up}").status_code == \
            client.get(f"/alpha/skills/people/{other}").status_code == 403
        assert client.get(f"/alpha/skills/people/{made_up}/{cat}").status_code == 403
