"""A cycle's staff survey as the coordinating body runs it: its questionnaire and dates, live
counts by organisation and by authority type against each one's headcount (exact: the
coordinating body's own), and the responses flagged as possible repeats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

import forms
from aggregation import repeats
from aggregation.dataset import AUTHORITY_TYPES

from .. import clock
from ..auth import coordinator_required
from ..extensions import writing
from ..form_fields import as_input_date
from ..models import Cycle, StaffResponse, StaffSurvey
from ..store import collection, staff
from .blueprint import bp, cycle_or_404, me
from .collecting import questionnaire_choices
from .forms import ChooseForm, StaffReopenForm, StaffSurveyForm


@dataclass
class TypeRate:
    """An authority type's responses against its workforce. The rate divides only the responses of
    the organisations that entered a headcount by those headcounts (252 responses over the one
    headcount 12 councils had entered read 135%), and says how many of them did."""

    organisations: int = 0
    responses: int = 0
    counted: int = 0  # organisations that entered a headcount
    counted_responses: int = 0  # their responses
    headcount: int = 0

    def add(self, responses: int, headcount: int | None) -> None:
        self.organisations += 1
        self.responses += responses
        if headcount:
            self.counted += 1
            self.counted_responses += responses
            self.headcount += headcount

    @property
    def rate(self) -> int | None:
        return round(100 * self.counted_responses / self.headcount) if self.headcount else None


@bp.route("/cycles/<int:year>/staff", methods=["GET", "POST"])
def staff_survey(year: int) -> Any:
    cycle = cycle_or_404(year)
    survey = staff.survey_of(cycle)
    form = StaffSurveyForm(
        data={
            "questionnaire": f"{survey.questionnaire_id}@{survey.questionnaire_version}",
            "opens": as_input_date(survey.opens_at),
            "closes": as_input_date(survey.closes_at),
        }
        if survey and request.method == "GET"
        else None
    )
    form.questionnaire.choices = questionnaire_choices("staff")
    if request.method == "POST":
        if not current_user.can_change:
            abort(403)
        if form.validate_on_submit():
            with writing():
                staff.open_survey(cycle, forms.load(*form.questionnaire.data.split("@", 1)), *form.dates, me())
            flash("Staff survey saved: each organisation’s PSW finds its link and code through its return’s link")
            return redirect(url_for("coordinator.staff_survey", year=year))
    return _page(cycle, survey, form, StaffReopenForm(formdata=None))


def _page(cycle: Cycle, survey: StaffSurvey | None, form: StaffSurveyForm, reopen_form: StaffReopenForm) -> Any:
    rows, by_type = [], {t: TypeRate() for t in AUTHORITY_TYPES}
    if survey is not None:
        counts, codes = staff.counts(survey), staff.codes(survey)
        for org in collection.organisations():
            code = codes.get(org.id)
            headcount = staff.total_headcount(code) if code else None
            n = counts.get(org.id, 0)
            rows.append((org, n, headcount, round(100 * n / headcount) if headcount else None))
            by_type[org.authority_type].add(n, headcount)
    return render_template(
        "coordinator/staff_survey.html",
        cycle=cycle,
        survey=survey,
        form=form,
        rows=rows,
        by_type={t: v for t, v in by_type.items() if v.responses or v.organisations},
        choose=ChooseForm(),
        reopen=reopen_form,
        now=clock.now(),
        bursts=staff.burst_count(survey) if survey else 0,
    ), (400 if form.errors or reopen_form.errors else 200)


@bp.post("/cycles/<int:year>/staff/close")
@coordinator_required
def close_staff_survey(year: int) -> Any:
    """Close the open survey at once ("Close the survey now"), audited: no date in the past typed."""
    cycle = cycle_or_404(year)
    if not ChooseForm().validate_on_submit():
        abort(400)
    with writing():
        survey = staff.survey_of(cycle) or abort(404)
        if not survey.is_open(clock.now()):
            flash("The staff survey was not open, so nothing changed")
            return redirect(url_for("coordinator.staff_survey", year=year))
        staff.close_now(survey, me())
    flash("Staff survey closed: practitioners can no longer answer. Publish the results to build its reports")
    return redirect(url_for("coordinator.staff_survey", year=year))


@bp.post("/cycles/<int:year>/staff/reopen")
@coordinator_required
def reopen_staff_survey(year: int) -> Any:
    """Open a closed survey again until a day still to come, audited."""
    cycle = cycle_or_404(year)
    form = StaffReopenForm()
    survey = staff.survey_of(cycle) or abort(404)
    if form.validate_on_submit() and form.closes.moment is not None:
        if form.closes.moment <= clock.now():
            form.closes.errors = ["Enter a day still to come: the survey would close again at once"]
        elif not survey.has_closed(clock.now()):
            flash("The staff survey was not closed, so nothing changed")
            return redirect(url_for("coordinator.staff_survey", year=year))
        else:
            with writing():
                staff.reopen(staff.survey_of(cycle) or abort(404), form.closes.moment, me())
            flash(
                f"Staff survey reopened until the end of {form.closes.day:%-d %B %Y}"
                if form.closes.day
                else "Staff survey reopened"
            )
            return redirect(url_for("coordinator.staff_survey", year=year))
    survey_form = StaffSurveyForm(
        formdata=None,
        data={
            "questionnaire": f"{survey.questionnaire_id}@{survey.questionnaire_version}",
            "opens": as_input_date(survey.opens_at),
            "closes": as_input_date(survey.closes_at),
        },
    )
    survey_form.questionnaire.choices = questionnaire_choices("staff")
    return _page(cycle, survey, survey_form, form)


@bp.get("/cycles/<int:year>/staff/flagged")
def staff_flagged(year: int) -> Any:
    """The responses flagged as possible repeats, near-duplicates and bursts, each to exclude from
    the results (or count again) before publishing."""
    cycle = cycle_or_404(year)
    survey = staff.survey_of(cycle)
    if survey is None:  # the staff survey's page says there is none
        return redirect(url_for("coordinator.staff_survey", year=year))
    return render_template(
        "coordinator/staff_flagged.html",
        cycle=cycle,
        survey=survey,
        flagged=staff.flagged(survey),
        choose=ChooseForm(),
        share=repeats.SHARE,
        burst=(staff.BURST_MIN, staff.BURST_TIMES, staff.BURST_HOURS),
    )


@bp.post("/cycles/<int:year>/staff/flagged/<response_id>/<any(exclude, include):change>")
@coordinator_required
def change_staff_response(year: int, response_id: str, change: str) -> Any:
    """Leave a flagged response out of every count and result, or count it again (audited)."""
    survey = staff.survey_of(cycle_or_404(year)) or abort(404)
    if not ChooseForm().validate_on_submit():
        abort(400)
    with writing():
        found: StaffResponse = staff.response(survey, response_id) or abort(404)
        if change == "include":
            staff.include(found, me())
        else:
            flags = staff.flagged(survey, found.organisation_id)
            why = [
                w
                for w, rows in (
                    ("duplicate", [r for _, g, _ in flags.duplicates for r in g]),
                    ("burst", [r for _, g in flags.bursts for r in g]),
                )
                if found in rows
            ]
            if not why:
                abort(404)  # only a flagged response is excluded here
            staff.exclude(found, " and ".join(why), me())
    flash(
        "Response excluded: it is left out of every count and result from the next publication"
        if change == "exclude"
        else "Response counted again from the next publication"
    )
    return redirect(url_for("coordinator.staff_flagged", year=year))
