"""The instrument of government's places and today's vacancies (gvo.governance.places): read
and set by Managers and those who edit board members."""

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms.validators import Length, Optional

from gvo.blueprints.governance.common import bp
from gvo.board import bodies
from gvo.core import dates
from gvo.core.errors import InvalidInput, NotFound
from gvo.governance import places
from gvo.web.access import current_identity, db, requires
from gvo.web.forms import LineField


def _field_name(key: str) -> str:
    return "places-" + key


def _places_form(vacancies: places.Vacancies, current: dict[str, int]) -> FlaskForm:
    """A form with one field per category of governor, each saying who is in office now."""

    class PlacesForm(FlaskForm):
        pass

    for c in vacancies.categories:
        note = f"In office: {c.filled}. Vacant: {c.vacant}."
        if not c.votes:
            note += " Not governors: they do not count towards the quorum."
        setattr(PlacesForm, _field_name(c.key), LineField(
            c.label, validators=[Optional(), Length(max=20)], description=note,
            default=str(current.get(c.key, 0))))
    return PlacesForm()


@bp.route("/governance/places", methods=["GET", "POST"])
@requires("manage_board")
def places_page():
    """The governing board's places per category, the vacancies today and the quorum."""
    conn = db()
    board = places.board_id(conn)
    if board is None:
        raise NotFound("Set up the governing board first.")
    today = dates.today()
    vac = places.vacancies(conn, board, today)
    form = _places_form(vac, places.places(conn, board))
    if form.validate_on_submit():
        typed = {c.key: form[_field_name(c.key)].data or "" for c in vac.categories}
        try:
            changed = places.set_places(conn, current_identity(), board, typed)
        except places.PlacesInvalid as exc:
            for key, message in exc.errors.items():
                form[_field_name(key)].errors.append(message)
        except InvalidInput as exc:
            form.form_errors.append(str(exc))
        else:
            flash("Places saved." if changed else "No change to the places.", "success")
            return redirect(url_for("governance.places_page"))
    return render_template(
        "governance/places.html", form=form, vacancies=vac,
        fields=[form[_field_name(c.key)] for c in vac.categories],
        quorum=bodies.quorum_rule(conn, board, today), body=bodies.get_body(conn, board),
    ), 422 if form.errors or form.form_errors else 200
