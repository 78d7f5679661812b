"""Thin routes: find the return, pick the page's handler, validate, save, redirect."""
from __future__ import annotations

from functools import wraps

from flask import abort, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovTextInput

from datetime import date

from forms.validation import display, section_status

from .. import data, reads_before_writing
from ..models import ResponseStatus
from ..return_pages import Urls, section_page, summary, version_pdf
from . import bp


class StartForm(FlaskForm):
    name = StringField("Your name", description="So colleagues can see who saved each page.",
                       widget=GovTextInput())


class SubmitForm(FlaskForm):
    consent = BooleanField("We agree to be named as a respondent in published results", widget=GovCheckboxInput())
    confirm = BooleanField("I confirm", widget=GovCheckboxInput())


class PlainForm(FlaskForm):
    """A form with nothing but its CSRF token."""


# ---------------------------------------------------------------- the link

@bp.route("/start/<token>", methods=["GET", "POST"])
def start(token):
    link = data.find_link(token)
    if link is None:
        return render_template("employer/link_invalid.html", reason="unknown"), 404
    if link.revoked_at is not None:
        return render_template("employer/link_invalid.html", reason="revoked"), 410
    form = StartForm()
    if request.method == "GET" and session.get("link_id") == link.id:
        form.name.data = session.get("editor")
    if form.validate_on_submit():
        name = " ".join((form.name.data or "").split())[:100]
        if not name:
            form.name.errors = ["Enter your name"]
        else:
            session.clear()
            session.permanent = True
            session["link_id"] = link.id
            session["editor"] = name
            # Kept in the session so a page of answers can be shown again even when the
            # database cannot be reached (see errors.database_unavailable).
            session["questionnaire"] = f"{link.cycle.questionnaire_id}@{link.cycle.questionnaire_version}"
            session["organisation"] = link.organisation.name
            data.touch_link(link)
            return redirect(url_for("employer.task_list"))
    response = data.response_for(link.cycle_id, link.organisation_id)
    return render_template("employer/start.html", form=form, link=link, response=response,
                           questionnaire=data.questionnaire_for(link.cycle)), (400 if form.errors else 200)


def with_return(view=None, *, page: str = ""):
    """Load the return the session's link opens; anything else is a clear 'link needed' page.

    A page that only reads (GET) gets read-only copies of the rows (``data.read_link``); the
    others get the ORM objects they change. A view of one page of the return names its URL's
    section argument in ``page``: it gets copies even for a save (``data.save_section`` writes
    by statement, from the return's id), with the page's answers and version read in the same
    statement, into ``g.page_state`` (``data.read_page``)."""
    if view is None:
        return lambda inner: with_return(inner, page=page)

    @wraps(view)
    def wrapped(*args, **kwargs):
        link_id = session.get("link_id")
        if not link_id:
            found = None
        elif page:
            found = data.read_page(link_id, kwargs[page])
        elif request.method in ("GET", "HEAD"):
            found = data.read_link(link_id)
        else:
            found = data.get_link(link_id)
        if found is None:
            session.clear()
            return render_template("employer/link_invalid.html", reason="no_session"), 403
        link, g.response, *state = found
        g.page_state = tuple(state) or None
        g.link = link
        g.cycle = link.cycle
        g.organisation = link.organisation
        g.questionnaire = data.questionnaire_for(link.cycle)
        g.actor = data.Actor(session.get("editor", "Unknown"), via=f"link {link.id}")
        return view(*args, **kwargs)
    return wrapped


def closed_page():
    return render_template("employer/closed.html"), 403


def is_editable() -> bool:
    return g.response.is_open() and g.response.status != ResponseStatus.SUBMITTED.value


def refuse_change():
    """Why a change was refused: the deadline passed, or the return is submitted (amend it first)."""
    if not g.response.is_open():
        return closed_page()
    return redirect(url_for("employer.task_list"))


URLS = Urls(section=lambda sid: url_for("employer.section", section_id=sid),
            task_list=lambda: url_for("employer.task_list"),
            check=lambda: url_for("employer.check_answers"))


# ---------------------------------------------------------------- task list

@bp.get("/return")
@with_return
def task_list():
    answers = data.answers_of(g.response.id)
    states = data.section_states(g.response.id)
    statuses = {s.id: section_status(s, answers, bool(states.get(s.id) and states[s.id].version))
                for s in g.questionnaire.sections}
    previous = data.previous_response(g.response)
    return render_template("employer/task_list.html", statuses=statuses, states=states,
                           versions=data.submitted_versions(g.response.id), form=PlainForm(),
                           last_year_actions=data.actions_of(previous.id) if previous else [],
                           previous=previous, today=date.today())


# ---------------------------------------------------------------- one standard a page

@bp.route("/return/section/<section_id>", methods=["GET", "POST"])
@reads_before_writing
@with_return(page="section_id")
def section(section_id):
    return section_page(g.response, g.questionnaire, section_id, g.actor, URLS, state=g.page_state,
                        editable=is_editable(), refused=refuse_change, last_year=_last_year_answers(section_id))


def _last_year_answers(section_id: str) -> list | None:
    """Last year's submitted answers to this page's questions, for comparison."""
    previous = data.previous_response(g.response)
    versions = data.submitted_versions(previous.id) if previous else []
    if not versions:
        return None
    old = versions[-1].answers
    old_questionnaire = data.questionnaire_for(previous.cycle)
    try:
        section = g.questionnaire.section(section_id)
    except KeyError:
        return None
    rows = []
    for q in section.questions:
        old_id = g.questionnaire.previous_id(q.id)
        try:
            old_q = old_questionnaire.question(old_id)
        except KeyError:
            continue
        rows.append((q, display(old_q, old)))
    return {"year": previous.cycle.year, "rows": rows}


# ---------------------------------------------------------------- check, declare, submit

@bp.route("/return/check", methods=["GET", "POST"])
@with_return
def check_answers():
    answers = data.answers_of(g.response.id)
    missing = [q for s in g.questionnaire.sections if s.kind == "contact"
               for q in s.questions if q.required and not answers.get(q.id)]
    form = SubmitForm(data={"consent": g.response.consent_to_name} if request.method == "GET" else None)
    if request.method == "POST":
        if not is_editable():
            return refuse_change()
        if form.validate_on_submit():
            if missing:
                form.confirm.errors = ["Enter your contact details before you submit your return"]
            elif not form.confirm.data:
                form.confirm.errors = ["Select \u201cI confirm\u201d to submit your return"]
            else:
                data.set_consent(g.response, bool(form.consent.data), g.actor)
                version = data.submit(g.response, g.actor, g.questionnaire)
                return redirect(url_for("employer.confirmation", number=version.number))
    sections = summary(g.questionnaire, answers)
    status = 400 if form.errors else 200
    return render_template("employer/check_answers.html", sections=sections, form=form, missing=missing,
                           can_submit=is_editable()), status


@bp.get("/return/submitted/<int:number>")
@with_return
def confirmation(number):
    version = data.submitted_version(g.response.id, number) or abort(404)
    return render_template("employer/confirmation.html", version=version, form=PlainForm())


@bp.get("/return/submitted/<int:number>.pdf")
@with_return
def submitted_pdf(number):
    version = data.submitted_version(g.response.id, number) or abort(404)
    return version_pdf(g.response, version)


@bp.post("/return/amend")
@with_return
def amend():
    form = PlainForm()
    if not g.response.is_open():
        return closed_page()
    if form.validate_on_submit() and g.response.status == ResponseStatus.SUBMITTED.value:
        data.reopen(g.response, g.actor, note="Reopened by the employer to amend")
    return redirect(url_for("employer.task_list"))
