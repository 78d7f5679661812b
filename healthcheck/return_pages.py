"""The pages of a return, shared by the employer (through its link) and the coordinator
(entering a return on an organisation's behalf): one standard a page, and the answers summary."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import abort, get_template_attribute, make_response, redirect, render_template, request
from jinja2.filters import do_indent, do_trim
from markupsafe import Markup

import forms
from forms.rules import asked
from forms.validation import display, validate_section

from . import data
from .answer_fields import form_class, initial_data, raw_answers, render_section, render_stored
from .models import Response
from .templating import GappedMarkup


@dataclass(frozen=True)
class Urls:
    """Where the shared pages link to, for the audience using them."""

    section: Callable[[str], str]
    task_list: Callable[[], str]
    check: Callable[[], str]


def section_page(response: Response, questionnaire: forms.Questionnaire, section_id: str, actor: data.Actor,
                 urls: Urls, *, editable: bool, refused: Callable[[], object], last_year: dict | None = None,
                 state: tuple[dict, int] | None = None):
    """One page of a return, shown or saved. ``state`` is the return's answers and the page's
    version (``data.page_state``) if they were read already."""
    try:
        sec = questionnaire.section(section_id)
    except KeyError:
        abort(404)
    prev, nxt = questionnaire.neighbours(section_id)
    FormClass = form_class(questionnaire, sec)
    answers, version = state or data.page_state(response.id, sec.id)
    page = dict(section=sec, prev=prev, nxt=nxt, urls=urls, response=response, last_year=last_year)

    if request.method == "GET":
        return _show(FormClass, answers, version, read_only=not editable, **page)
    if not editable:
        return refused()
    form = FormClass()
    if not form.validate_on_submit():  # only the CSRF token is checked here
        return _render(form, **page), 400
    values, errors = validate_section(sec, raw_answers(sec, request.form), answers)
    if errors:
        for key, message in errors.items():
            form[key].errors = [message]
        return _render(form, errors=errors, **page), 400
    try:
        expected = int(request.form.get("section_version", ""))
    except ValueError:
        expected = -1
    if not 0 <= expected < 2**31:
        # A page that does not say which version it edits cannot be saved safely.
        form.section_version.data = version
        return _render(form, errors={}, broken=True, **page), 400
    result = data.save_section(response, sec, values, expected, actor, questionnaire)
    if result.closed:
        return refused()
    if not result.saved:
        latest = data.answers_of(response.id)
        fresh = FormClass(formdata=None, data=initial_data(sec, latest) | {"section_version": result.state.version})
        mine = {q.id: display(q, values) for q in sec.questions}
        theirs = {q.id: display(q, latest) for q in sec.questions}
        unsaved = [(q, mine[q.id]) for q in sec.questions if mine[q.id] != theirs[q.id]]
        return _render(fresh, conflict=result.state, unsaved=unsaved, **page), 409
    if request.form.get("action") == "later":
        return redirect(urls.task_list() + "?saved=1")
    return redirect(urls.section(nxt.id) if nxt is not None else urls.check())


def _show(FormClass, answers: dict, version: int, section, read_only: bool, **extra):
    """The page as stored: from remembered markup when there is some for these answers, without
    making a form (a form is made only to render what is not remembered yet)."""
    stored = initial_data(section, answers)
    questions = render_stored(FormClass, section, stored, disabled=read_only)
    if questions is None:
        form = FormClass(formdata=None, data=stored | {"section_version": version})
        questions = render_section(form, section, disabled=read_only, stored=stored)
    return render_template("return/section.html", section=section, read_only=read_only, questions=questions,
                           section_version=version, error_list=[], **extra)


def _render(form, section, errors=None, read_only=False, **extra):
    """The page from a form: what was posted, or the saved answers after a conflict."""
    errors = errors or {}
    order = [k for q in section.questions for k in (q.id, q.other_id) if k]
    error_list = [{"text": errors[k], "href": f"#{k}"} for k in order if k in errors]
    return render_template("return/section.html", section=section, read_only=read_only,
                           questions=render_section(form, section, disabled=read_only),
                           section_version=form.section_version._value(), expired=bool(form.csrf_token.errors),
                           error_list=error_list, **extra)


def summary(questionnaire: forms.Questionnaire, answers: dict) -> list:
    """[(section, [(question, display lines)])] for every question routing asks."""
    return [(s, [(q, display(q, answers)) for q in asked(s.questions, answers)]) for s in questionnaire.sections]


def answers_list(rows: list, change: str | None = None, classes: str = "") -> Markup:
    """A section's rows of ``summary`` as a GOV.UK summary list, each answer's lines one under
    another, with a Change link to the question on ``change`` (the section's page) if given.

    The list around the answers depends on which questions routing asks, so it is remembered
    for each such set and only the answers are written in (a check-answers page rendered nine
    summary lists, half its time)."""
    values = [Markup("<br>").join(lines) if lines else _NOT_ANSWERED for _q, lines in rows]
    key = (tuple((q.id, q.label) for q, _lines in rows), change, classes)  # all the list shows but answers

    def make(gaps: list) -> Markup:
        macro = get_template_attribute("govuk_frontend_jinja/components/summary-list/macro.html", "govukSummaryList")
        return macro({"classes": classes, "rows": [{
            "key": {"text": q.label},
            "value": {"html": gap},
            "actions": {"items": [{"href": f"{change}#q-{q.id}", "text": "Change", "visuallyHiddenText": q.label}]}
            if change else None,
        } for (q, _lines), gap in zip(rows, gaps)]})

    # The summary list macro writes a value as ``html | safe | trim | indent(6)``.
    return _ANSWERS_LISTS.render(key, make, values, lambda html: do_indent(do_trim(html), 6))


_ANSWERS_LISTS = GappedMarkup()
_NOT_ANSWERED = Markup('<span class="govuk-hint govuk-!-margin-0">Not answered</span>')


def version_pdf(response: Response, version) -> object:
    """A download of exactly what was submitted in one version."""
    from aggregation.return_pdf import return_pdf

    pdf = return_pdf(data.questionnaire_for(response.cycle), version.answers, {
        "organisation": response.organisation.name, "reference": version.reference,
        "submitted_at": version.submitted_at, "submitted_by": version.submitted_by,
        "version": version.number, "cycle": response.cycle.year,
    })
    out = make_response(pdf)
    out.headers["Content-Type"] = "application/pdf"
    out.headers["Content-Disposition"] = f'attachment; filename="{version.reference}.pdf"'
    return out
