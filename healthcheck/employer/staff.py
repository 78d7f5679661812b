"""The staff survey as the organisation's PSW sees it: the link and code to forward, the email
to send with them, how many have answered against the workforce the PSW counts, and the date it
closes. Never an individual response, and no count below the threshold results need."""
from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms.validators import NumberRange, Optional

from ..extensions import writing
from ..form_fields import WholeNumberField
from ..store import staff
from . import bp
from .routes import with_return

FIELDS = {f"{p}_{s}": (p, s) for p in staff.PROFESSIONS for s in staff.SERVICES}


class HeadcountForm(FlaskForm):
    """How many people of each profession work in adults' and children's services (HR's figures)."""


for _name in FIELDS:
    setattr(HeadcountForm, _name, WholeNumberField(message="Enter a whole number of people, like 120", validators=[
        Optional(), NumberRange(0, 100_000, "Enter a whole number of people, like 120")]))


@bp.route("/return/staff-survey", methods=["GET", "POST"])
@with_return
def staff_survey() -> Any:
    survey = staff.survey_of(g.cycle)
    if survey is None:
        return render_template("employer/staff_survey.html", survey=None)
    with writing():  # an organisation added to the register after the survey opened gets its code now
        code_id = staff.code_for(survey, g.organisation).id
    code = staff.code_of(code_id)
    stored = {name: (code.headcount or {}).get(p, {}).get(s) for name, (p, s) in FIELDS.items()}
    form = HeadcountForm(data=stored if request.method == "GET" else None)
    if form.validate_on_submit():
        with writing():
            staff.set_headcount(staff.code_of(code_id), {p: {s: form[name].data for name, (p2, s) in FIELDS.items()
                                                              if p2 == p} for p in staff.PROFESSIONS}, g.actor)
        flash("Headcount saved")
        return redirect(url_for("employer.staff_survey"))
    responses = staff.counted(survey, g.organisation.id)
    shown = responses if responses >= current_app.config["STAFF_MIN_GROUP"] else None
    headcount = staff.total_headcount(code)
    base = current_app.config["BASE_URL"].rstrip("/")
    return render_template("employer/staff_survey.html", survey=survey, code=code, form=form, fields=FIELDS,
                           link=f"{base}{url_for('survey.start', code=code.code)}", responses=shown,
                           threshold=current_app.config["STAFF_MIN_GROUP"], headcount=headcount,
                           rate=round(100 * shown / headcount) if shown and headcount else None,
                           professions=staff.PROFESSIONS, services=staff.SERVICES), (400 if form.errors else 200)
