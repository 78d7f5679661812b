"""Thin routes: find the organisation's survey by its code, show or save one part, send."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import abort, current_app, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import StringField

import forms
from forms.validation import validate_section

from .. import markup
from ..answer_fields import form_class, initial_data, raw_answers, render_section
from ..auth import limiter
from ..extensions import writing
from ..form_fields import PlainForm
from ..models import StaffCode, StaffDraft, utcnow
from ..return_pages import summary
from ..store import staff
from .blueprint import bp

DRAFT_COOKIE = "staff_survey_draft"  # the token of this browser's draft
DONE_COOKIE = "staff_survey_done"  # the surveys answered from this browser


class CodeForm(FlaskForm):
    code = StringField(
        "Your organisation’s code",
        widget=GovTextInput(),
        description="It is in the email from your Principal Social Worker, for example K7QM2PXD.",
    )


def _wrong_code(response: WerkzeugResponse) -> bool:
    return response.status_code in (400, 404)


# Codes tried per client address: only wrong ones count (an office's many practitioners typing
# the right code share an address), on the code page and in an address alike.
_codes_tried = limiter.shared_limit(
    lambda: current_app.config["SURVEY_CODE_RATE_LIMIT"], scope="survey-code", deduct_when=_wrong_code
)


@bp.route("/", methods=["GET", "POST"])
@_codes_tried
def enter_code() -> Any:
    form = CodeForm()
    if form.validate_on_submit():
        found = staff.find_code(form.code.data or "")
        if found is not None:
            return redirect(url_for("survey.start", code=found.code))
        form.code.errors = ["Enter the code exactly as it is in the email, for example K7QM2PXD"]
    return render_template("survey/code.html", form=form), (400 if form.errors else 200)


def _unavailable(reason: str, status: int, found: StaffCode | None = None) -> NoReturn:
    abort(
        make_response(
            render_template("survey/unavailable.html", reason=reason, survey=found.survey if found else None), status
        )
    )


def _opened(code: str) -> tuple[StaffCode, forms.Questionnaire]:
    """The organisation's code and the survey's questionnaire; or the page saying why not."""
    found = staff.find_code(code)
    if found is None:
        _unavailable("unknown", 404)
    now = utcnow()
    if now < found.survey.opens_at:
        _unavailable("not_yet", 403, found)
    if now >= found.survey.closes_at:
        _unavailable("closed", 410, found)
    if str(found.survey_id) in request.cookies.get(DONE_COOKIE, "").split(","):
        _unavailable("answered", 403, found)
    return found, staff.questionnaire_of(found.survey)


def _draft(found: StaffCode) -> StaffDraft | None:
    return staff.draft(found, request.cookies.get(DRAFT_COOKIE))


def _cookie(out: WerkzeugResponse, name: str, value: str, **when: Any) -> WerkzeugResponse:
    out.set_cookie(
        name,
        value,
        httponly=True,
        samesite="Lax",
        path="/survey",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        **when,
    )
    return out


@bp.route("/<code>", methods=["GET", "POST"])
@_codes_tried
def start(code: str) -> Any:
    """What the survey is and what happens to the answers; then a draft for this browser."""
    found, questionnaire = _opened(code)
    first = url_for("survey.part", code=found.code, section_id=questionnaire.sections[0].id)
    form = PlainForm()
    if form.validate_on_submit():
        draft = _draft(found)
        if draft is not None:
            return redirect(_where_they_stopped(found, questionnaire, draft))
        with writing():
            token = staff.new_draft(found)
        return _cookie(redirect(first), DRAFT_COOKIE, token, max_age=staff.DRAFT_DAYS * 86400)
    return render_template(
        "survey/start.html", found=found, questionnaire=questionnaire, form=form, resuming=_draft(found) is not None
    )


def _where_they_stopped(found: StaffCode, questionnaire: forms.Questionnaire, draft: StaffDraft) -> str:
    """The part after the one this browser saved last (checking the answers after the last part);
    the first part if none was saved."""
    ids = [s.id for s in questionnaire.sections]
    if draft.last_part not in ids:
        return url_for("survey.part", code=found.code, section_id=ids[0])
    after = ids.index(draft.last_part) + 1
    if after == len(ids):
        return url_for("survey.check", code=found.code)
    return url_for("survey.part", code=found.code, section_id=ids[after])


@bp.route("/<code>/<section_id>", methods=["GET", "POST"])
def part(code: str, section_id: str) -> Any:
    """One part of the survey: its statements, shown with this browser's answers, or saved."""
    found, questionnaire = _opened(code)
    draft = _draft(found)
    sections = list(questionnaire.sections)
    section = next((s for s in sections if s.id == section_id), None)
    if draft is None or section is None:
        return redirect(url_for("survey.start", code=found.code))
    number = sections.index(section)
    back = (
        url_for("survey.part", code=found.code, section_id=sections[number - 1].id)
        if number
        else url_for("survey.start", code=found.code)
    )
    page = dict(found=found, section=section, number=number + 1, of=len(sections), back=back)
    if request.method == "GET":
        stored = initial_data(section, draft.answers or {})
        return render_template(
            "survey/page.html",
            error_list=[],
            **page,
            questions=markup.stored_questions(questionnaire, section, stored, False),
        )
    form = form_class(questionnaire, section)()
    values, errors = validate_section(section, raw_answers(section, request.form), draft.answers or {})
    if not form.validate_on_submit() or errors:  # an expired page, or an answer to correct
        for key, message in errors.items():
            form[key].errors = [message]
        order = [k for q in section.questions for k in (q.id, q.other_id) if k]
        return render_template(
            "survey/page.html",
            questions=render_section(form, section),
            expired=bool(form.csrf_token.errors),
            **page,
            error_list=[{"text": errors[k], "href": f"#{k}"} for k in order if k in errors],
        ), 400
    with writing():
        staff.save_draft(_draft(found) or draft, section, values, questionnaire)
    nxt = sections[number + 1] if number + 1 < len(sections) else None
    return redirect(
        url_for("survey.part", code=found.code, section_id=nxt.id) if nxt else url_for("survey.check", code=found.code)
    )


@bp.route("/<code>/check", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["STAFF_SUBMIT_RATE_LIMIT"], methods=["POST"])
def check(code: str) -> Any:
    """Every answer, each with a link to change it; then send them, once."""
    found, questionnaire = _opened(code)
    draft = _draft(found)
    if draft is None:
        return redirect(url_for("survey.start", code=found.code))
    form = PlainForm()
    if form.validate_on_submit():
        with writing():
            kept = _draft(found)
            if kept is not None:  # not sent already from another tab
                staff.submit(
                    found.survey,
                    found.organisation_id,
                    dict(kept.answers or {}),
                    questionnaire,
                    found.organisation.name,
                )
                staff.forget(kept)
        out = redirect(url_for("survey.thanks", code=found.code))
        out.delete_cookie(DRAFT_COOKIE, path="/survey")
        answered = ",".join(filter(None, [request.cookies.get(DONE_COOKIE, ""), str(found.survey_id)]))
        return _cookie(out, DONE_COOKIE, answered, expires=found.survey.closes_at)
    return render_template(
        "survey/check.html",
        found=found,
        questionnaire=questionnaire,
        form=form,
        sections=summary(questionnaire, draft.answers or {}),
        change=lambda sid: url_for("survey.part", code=found.code, section_id=sid),
    )


@bp.get("/<code>/thanks")
def thanks(code: str) -> Any:
    found = staff.find_code(code)
    return render_template("survey/thanks.html", found=found), (200 if found else 404)
