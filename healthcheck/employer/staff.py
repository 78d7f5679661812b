"""The staff survey as the organisation's PSW sees it: the link and code to forward, the email
to send with them, how many have answered against the workforce the PSW counts (up to the end of
yesterday, rounded down to a multiple of 5, "Fewer than 10" below 10), and the date it closes;
the workforce the PSW counts from HR; and, once published, the results. Never an individual
response, and no count below the threshold results need."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for

from aggregation import drivers, profile, scores

from .. import clock
from ..downloads import edition_path, send_edition_file
from ..extensions import writing
from ..store import publication, staff
from .blueprint import bp
from .results import published_file
from .routes import with_return
from .staff_forms import FIELDS, HeadcountForm, WorkforceForm


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
            staff.set_headcount(
                staff.code_of(code_id),
                {p: {s: form[name].data for name, (p2, s) in FIELDS.items() if p2 == p} for p in staff.PROFESSIONS},
                g.actor,
            )
        flash("Headcount saved")
        return redirect(url_for("employer.staff_survey"))
    # Up to yesterday, rounded down to 5: reloading the page never times a response.
    shown = staff.running_count(survey, g.organisation.id, current_app.config["STAFF_MIN_GROUP"], clock.now().date())
    headcount = staff.total_headcount(code)
    counted = any(staff.workforce_of(code, staff.questionnaire_of(survey)).values())
    base = current_app.config["BASE_URL"].rstrip("/")
    return render_template(
        "employer/staff_survey.html",
        survey=survey,
        code=code,
        form=form,
        fields=FIELDS,
        link=f"{base}{url_for('survey.start', code=code.code)}",
        responses=shown,
        threshold=current_app.config["STAFF_MIN_GROUP"],
        headcount=headcount,
        rate=100 * shown // headcount if shown and headcount else None,
        professions=staff.PROFESSIONS,
        services=staff.SERVICES,
        counted=counted,
    ), (400 if form.errors else 200)


@bp.route("/return/staff-survey/workforce", methods=["GET", "POST"])
@with_return
def staff_workforce() -> Any:
    """The workforce by role, service, age, sex, ethnic group and disability, from HR: what the
    respondents' profile is set against in the results."""
    survey = staff.survey_of(g.cycle)
    if survey is None:  # the survey page says there is none yet
        return redirect(url_for("employer.staff_survey"))
    questionnaire = staff.questionnaire_of(survey)
    with writing():
        code_id = staff.code_for(survey, g.organisation).id
    stored = staff.workforce_of(staff.code_of(code_id), questionnaire)
    data = {f"{c}__{v}": n for c, counts in stored.items() for v, n in counts.items()}
    form = WorkforceForm.for_questionnaire(questionnaire, data=data if request.method == "GET" else None)
    if form.validate_on_submit():
        with writing():
            staff.set_workforce(staff.code_of(code_id), form.counts(), g.actor)
        flash("Workforce profile saved")
        return redirect(url_for("employer.staff_survey"))
    tables = [
        (c, label, [(form[f"{c}__{v}"], option) for v, option in profile.categories(questionnaire)[c]])
        for c, label in profile.CHARACTERISTICS.items()
    ]
    return render_template("employer/staff_workforce.html", form=form, tables=tables), (400 if form.errors else 200)


@bp.get("/return/staff-results")
@with_return
def staff_results() -> Any:
    """The organisation's staff survey scored by standard, from the latest edition of the results."""
    found = published_file("staff_report", ".json")
    result = json.loads(edition_path(*found).read_text(encoding="utf-8")) if found else None
    return render_template(
        "employer/staff_results.html",
        result=result,
        edition=found[0] if found else publication.latest_edition(g.cycle),
        threshold=current_app.config["STAFF_MIN_GROUP"],
        flags=profile.summary(result["profile"]) if result and result.get("profile") else [],
        drivers=drivers,
        answered=scores.answered,
        scoring=scores.IN_WORDS,
        people=scores.people,
        shown_only=scores.SHOWN_ONLY,
        breakdown_key=scores.BREAKDOWN_KEY,
        profile_key=scores.PROFILE_KEY,
    )


@bp.get("/return/staff-results.pdf")
@with_return
def staff_results_pdf() -> Any:
    found = published_file("staff_report", ".pdf")
    if found is None:  # the results page says why there is none
        return redirect(url_for("employer.staff_results"))
    return send_edition_file(*found)
