"""Thin routes: find the return, pick the page's handler, validate, save, redirect."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import abort, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovTextInput
from wtforms import BooleanField, HiddenField, StringField

from forms.validation import display, section_status, unanswered

from .. import clock, notices
from ..extensions import writing
from ..form_fields import PlainForm
from ..jobs import send_later
from ..models import Response, ResponseStatus
from ..return_pages import Urls, section_page, summary, version_pdf
from ..store import Actor, checks, contributors, emails, plans, publication, returns
from ..store.collection import questionnaire_for
from .blueprint import begin_session, bp


class StartForm(FlaskForm):
    name = StringField("Your name", description="So colleagues can see who saved each page.", widget=GovTextInput())


class SubmitForm(FlaskForm):
    consent = BooleanField("We agree to be named as a respondent in published results", widget=GovCheckboxInput())
    confirm = BooleanField("I confirm", widget=GovCheckboxInput())
    incomplete = BooleanField("Submit with these questions unanswered", widget=GovCheckboxInput())
    seen = HiddenField()  # the fingerprint of the answers the page showed (returns.answers_seen)


# ---------------------------------------------------------------- the link


@bp.route("/start/<token>", methods=["GET", "POST"])
def start(token: str) -> Any:
    link = returns.find_link(token)
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
            begin_session(
                link_id=link.id,
                editor=name,
                organisation=link.organisation.name,
                # so that a page of answers can be shown again when the database is down
                questionnaire=f"{link.cycle.questionnaire_id}@{link.cycle.questionnaire_version}",
            )
            with writing():
                returns.touch_link(link)
            return redirect(url_for("employer.task_list"))
    return render_template(
        "employer/start.html",
        form=form,
        link=link,
        response=returns.find_return(link.cycle, link.organisation),
        questionnaire=questionnaire_for(link.cycle),
    ), (400 if form.errors else 200)


@bp.post("/return/sign-out")
def sign_out() -> Any:
    """End the session on this computer (CSRF-checked like every POST); the link opens the
    return again."""
    session.clear()
    return render_template("employer/signed_out.html")


def with_return(view: Callable[..., Any]) -> Callable[..., Any]:
    """Load the return the session's link opens into ``g``; anything else is a clear 'link
    needed' page."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        g.contributor = None
        if isinstance(session.get("contributor_id"), int):
            g.contributor = contributors.live(session["contributor_id"])
            if g.contributor is None:  # revoked while they worked
                session.clear()
                return render_template("employer/link_invalid.html", reason="contributor_revoked"), 403
            if request.endpoint not in CONTRIBUTOR_PAGES:
                return render_template("employer/not_yours.html"), 403
            g.link, g.response = None, g.contributor.response
            g.actor = Actor(g.contributor.name, via=f"contributor {g.contributor.id}")
        else:
            found = returns.open_link(session["link_id"]) if isinstance(session.get("link_id"), int) else None
            if found is None:
                session.clear()
                return render_template("employer/link_invalid.html", reason="no_session"), 403
            g.link, g.response = found
            g.actor = Actor(session.get("editor", "Unknown"), via=f"link {g.link.id}")
        g.cycle, g.organisation = g.response.cycle, g.response.organisation
        g.questionnaire = questionnaire_for(g.cycle)
        return view(*args, **kwargs)

    return wrapped


# What a contributor's link opens: the return's pages (those they were asked for), checking
# answers, and (if named to sign off) submitting and amending. The rest is the PSW's.
CONTRIBUTOR_PAGES = {
    "employer.task_list",
    "employer.section",
    "employer.check_answers",
    "employer.confirmation",
    "employer.submitted_pdf",
    "employer.amend",
}


def seen_sections() -> set[str] | None:
    """The sections this person may see of the whole return: every one (None) for the PSW, the
    named signatory and a colleague asked for the whole return; a colleague asked for some
    standards sees those alone (not the others' answers, nor the PSW's contact details)."""
    if g.contributor is None or g.contributor.can_sign_off or g.contributor.sections is None:
        return None
    return set(g.contributor.sections)


def may_sign_off() -> bool:
    """The PSW (the organisation's link) or the signatory the PSW named."""
    return g.contributor is None or g.contributor.can_sign_off


def closed_page() -> Any:
    return render_template("employer/closed.html"), 403


def is_editable(response: Response) -> bool:
    return response.is_open() and (response.status != ResponseStatus.SUBMITTED.value or amending(response) is not None)


def amending(response: Response) -> datetime | None:
    """The submission this browser chose to amend ("Amend your return"), while it is still the
    latest: the return stays submitted, for the dashboard and for reminders, until a page is saved."""
    chosen = session.get("amending")
    if (
        response.status != ResponseStatus.SUBMITTED.value
        or response.submitted_at is None
        or not isinstance(chosen, list)
        or len(chosen) != 2
        or chosen[0] != response.id
    ):
        return None
    return response.submitted_at if chosen[1] == response.submitted_at.isoformat() else None


def refuse_change() -> Any:
    """Why a change was refused: the deadline passed, or the return is submitted (amend it first)."""
    if not g.response.is_open():
        return closed_page()
    return redirect(url_for("employer.task_list"))


URLS = Urls(
    section=lambda sid: url_for("employer.section", section_id=sid),
    task_list=lambda: url_for("employer.task_list"),
    check=lambda: url_for("employer.check_answers"),
)


def urls() -> Urls:
    """Where the return's pages lead this person: a contributor moves among the standards they
    were asked for, and one who may not sign off ends on their own overview, told it saved."""
    if g.contributor is None:
        return URLS
    return Urls(
        section=URLS.section,
        task_list=URLS.task_list,
        check=URLS.check,
        opens=g.contributor.may_open,
        finished=URLS.check if may_sign_off() else lambda: url_for("employer.task_list", saved=1),
    )


# ---------------------------------------------------------------- task list


@bp.get("/return")
@with_return
def task_list() -> Any:
    answers = g.response.answers or {}
    pages = {s.id: returns.page_of(g.response, s.id) for s in g.questionnaire.sections}
    statuses = {s.id: section_status(s, answers, pages[s.id].version > 0) for s in g.questionnaire.sections}
    previous = returns.previous_response(g.response)
    return render_template(
        "employer/task_list.html",
        statuses=statuses,
        states=pages,
        versions=returns.submitted_versions(g.response.id),
        form=PlainForm(),
        last_year_actions=plans.actions_of(previous.id) if previous else [],
        previous=previous,
        today=clock.today(),
        published=publication.latest_edition(g.cycle) is not None,
        may_sign_off=may_sign_off(),
        signatories=contributors.signatories(g.response),
        amending=amending(g.response) is not None,
        to_check=Counter(w.section_id for w in checks.raised(g.response) if not w.confirmed),
    )


# ---------------------------------------------------------------- one standard a page


@bp.route("/return/section/<section_id>", methods=["GET", "POST"])
@with_return
def section(section_id: str) -> Any:
    if g.contributor is not None and not g.contributor.may_open(section_id):
        return render_template("employer/not_yours.html"), 403
    return section_page(
        g.response,
        g.questionnaire,
        section_id,
        g.actor,
        urls(),
        editable=is_editable(g.response),
        refused=refuse_change,
        last_year=lambda: _last_year_answers(section_id),
        amending=amending(g.response),
    )


def _last_year_answers(section_id: str) -> dict | None:
    """Last year's submitted answers to this page's questions, for comparison."""
    found = returns.last_submitted_before(g.response.cycle, g.response.organisation_id)
    if found is None:
        return None
    version, previous_cycle = found
    old, old_questionnaire = version.answers, questionnaire_for(previous_cycle)
    try:
        questions = g.questionnaire.section(section_id).questions
    except KeyError:
        return None
    rows = []
    for q in questions:
        try:
            old_q = old_questionnaire.question(g.questionnaire.previous_id(q.id))
        except KeyError:
            continue
        rows.append((q, display(old_q, old)))
    return {"year": previous_cycle.year, "rows": rows}


# ---------------------------------------------------------------- check, declare, submit


@bp.route("/return/check", methods=["GET", "POST"])
@with_return
def check_answers() -> Any:
    answers = g.response.answers or {}
    missing = [
        q
        for s in g.questionnaire.sections
        if s.kind == "contact"
        for q in s.questions
        if q.required and not answers.get(q.id)
    ]
    form = SubmitForm(data={"consent": g.response.consent_to_name} if request.method == "GET" else None)
    changed = False
    if request.method == "POST":
        refused = _refused_sign_off()
        if refused is not None:
            return refused
        if form.validate_on_submit() and _ready(form, missing, _gaps(answers)):
            submitted = _submit(bool(form.consent.data), form.seen.data or "")
            if submitted is not None:
                return submitted
            changed = True  # the answers changed since this page was opened: show them again
            g.response = returns.find_return(g.cycle, g.organisation)
    return _check_answers_page(form, missing, changed)


def _refused_sign_off() -> Any | None:
    """Why this person may not submit the return now, as the page to show; None if they may."""
    if not may_sign_off():
        return render_template("employer/not_yours.html", signing=True, psw=True), 403
    if not is_editable(g.response) or g.response.status == ResponseStatus.SUBMITTED.value:
        return refuse_change()  # amending, with nothing changed yet: nothing to submit
    return None


def _ready(form: SubmitForm, missing: list, gaps: list[dict]) -> bool:
    """Whether the return may be submitted as the form asks; if not, the form's errors say why."""
    if missing:
        form.confirm.errors = ["Enter your contact details before you submit your return"]
    elif gaps and not form.incomplete.data:
        form.incomplete.errors = [INCOMPLETE]
    elif not form.confirm.data:
        form.confirm.errors = ["Select \u201cI confirm\u201d to submit your return"]
    else:
        return True
    return False


def _check_answers_page(form: SubmitForm, missing: list, changed: bool) -> Any:
    """The check answers page for the return as it now stands (409 if it changed under a submit)."""
    answers = g.response.answers or {}
    gaps = _gaps(answers)
    form.seen.data = returns.answers_seen(g.response)
    status = 409 if changed else 400 if form.errors else 200
    only = seen_sections()
    shown = [(s, rows) for s, rows in summary(g.questionnaire, answers) if only is None or s.id in only]
    editable = is_editable(g.response)
    return render_template(
        "employer/check_answers.html",
        sections=shown,
        form=form,
        missing=missing,
        can_change=editable,
        can_submit=editable and may_sign_off() and g.response.status != ResponseStatus.SUBMITTED.value,
        changed=changed,
        unchanged=amending(g.response) is not None,
        signatory=_signatory(),
        signatories=contributors.signatories(g.response),
        raised=[w for w in checks.raised(g.response) if only is None or w.section_id in only],
        gaps=gaps,
        error_list=_errors(form, gaps),
        section_url=URLS.section if editable else None,
    ), status


INCOMPLETE = "Answer the questions listed, or select \u201cSubmit with these questions unanswered\u201d"


def _gaps(answers: dict) -> list[dict]:
    """What keeps the return from being complete, each with a link to it where this person may
    open it: a page not started, or each question a page started leaves unanswered (contact
    details apart: they are required, and said so on their own)."""
    found = []
    for s in g.questionnaire.sections:
        if s.kind == "contact":
            continue
        questions = unanswered(s, answers)
        if not questions:
            continue
        href = (
            url_for("employer.section", section_id=s.id)
            if g.contributor is None or g.contributor.may_open(s.id)
            else None
        )
        if returns.page_of(g.response, s.id).version == 0:
            found.append({"text": f"{s.heading}: not started", "href": href, "section": s.id})
            continue
        found += [
            {
                "text": f"{s.heading}: \u201c{q.label}\u201d is not answered",
                "href": f"{href}#{q.id}" if href else None,
                "section": s.id,
            }
            for q in questions
        ]
    return found


def _errors(form: SubmitForm, gaps: list[dict]) -> list[dict]:
    """The error summary: each field's error, and each unanswered question linked to its page."""
    listed: list[dict] = []
    for field in form:
        for text in field.errors:
            if field is form.incomplete:
                listed += [
                    {"text": gap["text"], "href": gap["href"]} if gap["href"] else {"text": gap["text"]} for gap in gaps
                ]
            listed.append({"text": text, "href": f"#{field.id}"})
    return listed


def _signatory() -> str:
    """In what capacity this person signs off (the declaration puts their name before it)."""
    if g.contributor is None:
        return "Principal Social Worker"
    title = f"{g.contributor.job_title}, " if g.contributor.job_title else ""
    return f"{title}signatory named by the Principal Social Worker"


def _submit(consent: bool, seen: str) -> Any:
    """Submit the return, if it still holds the answers the person checked (else None)."""
    with writing():
        response = returns.lock_return(g.response.id)
        version = None
        if is_editable(response):
            if returns.answers_seen(response) != seen:
                return None
            returns.set_consent(response, consent, g.actor)
            version = returns.submit(response, g.actor, g.questionnaire, signed_off_as=_signatory())
            job = notices.queue_submitted(response, version, g.contributor, g.actor)
    if version is None:  # submitted meanwhile, in another tab or by a colleague
        return refuse_change()
    send_later(job)  # the confirmation and its PDF: made and sent by the worker
    return redirect(url_for("employer.confirmation", number=version.number))


@bp.get("/return/submitted/<int:number>")
@with_return
def confirmation(number: int) -> Any:
    version = returns.submitted_version(g.response.id, number) or abort(404)
    partial = seen_sections() is not None
    return render_template(
        "employer/confirmation.html",
        version=version,
        form=PlainForm(),
        partial=partial,
        emails=[] if partial else emails.confirmations(g.response, number),
        outcomes=notices.OUTCOME_LABELS,
    )


@bp.get("/return/submitted/<int:number>.pdf")
@with_return
def submitted_pdf(number: int) -> Any:
    version = returns.submitted_version(g.response.id, number) or abort(404)
    return version_pdf(g.response, version, seen_sections())


@bp.post("/return/amend")
@with_return
def amend() -> Any:
    if not may_sign_off():
        return render_template("employer/not_yours.html", signing=True), 403
    if not g.response.is_open():
        return closed_page()
    if (
        PlainForm().validate_on_submit()
        and g.response.status == ResponseStatus.SUBMITTED.value
        and g.response.submitted_at is not None
    ):
        # Nothing is written yet: the first page saved reopens the return (returns.save_page).
        session["amending"] = [g.response.id, g.response.submitted_at.isoformat()]
    return redirect(url_for("employer.task_list"))
