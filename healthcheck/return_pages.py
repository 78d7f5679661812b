"""The pages of a return, shared by the employer (through its link) and the coordinator
(entering a return on an organisation's behalf): one standard a page, and the answers summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from flask import abort, current_app, redirect, render_template, request
from flask_wtf import FlaskForm

import forms
from aggregation.return_pdf import return_pdf
from forms.rules import asked
from forms.validation import display, validate_section

from . import markup
from .answer_fields import form_class, initial_data, raw_answers, render_section
from .downloads import download, editions_folder
from .extensions import writing
from .models import Response, SubmittedVersion
from .store import Actor, checks, returns
from .store.collection import questionnaire_for


def _everyone(section_id: str) -> bool:
    return True


@dataclass(frozen=True)
class Urls:
    """Where the shared pages link to, for the audience using them: ``opens`` says which pages
    this person may open (a contributor asked for some standards), and ``finished`` where the
    last of them leads (checking the answers, unless this person only contributes)."""

    section: Callable[[str], str]
    task_list: Callable[[], str]
    check: Callable[[], str]
    opens: Callable[[str], bool] = _everyone
    finished: Callable[[], str] | None = None

    def after(self, section: forms.Section | None) -> str:
        """Where a save leads: the next page this person may open, or, after the last, ``finished``."""
        if section is not None:
            return self.section(section.id)
        return self.finished() if self.finished is not None else self.check()


def neighbours(
    questionnaire: forms.Questionnaire, section_id: str, opens: Callable[[str], bool]
) -> tuple[forms.Section | None, forms.Section | None]:
    """The pages before and after this one, among those this person may open."""
    ids = [s.id for s in questionnaire.sections]
    i = ids.index(section_id)
    before = [s for s in questionnaire.sections[:i] if opens(s.id)]
    after = [s for s in questionnaire.sections[i + 1 :] if opens(s.id)]
    return (before[-1] if before else None), (after[0] if after else None)


def section_page(
    response: Response,
    questionnaire: forms.Questionnaire,
    section_id: str,
    actor: Actor,
    urls: Urls,
    *,
    editable: bool,
    refused: Callable[[], Any],
    last_year: Callable[[], dict | None] | None = None,
    may_change: bool = True,
    amending: datetime | None = None,
) -> Any:
    """One page of a return: shown (GET), or checked and saved (POST), then on to the next. A save
    by someone who may not change returns is ``refused``; one that finds the return submitted or
    closed shows what was typed, unsaved. ``amending``: the submission this person chose to amend,
    reopened by their first save (``returns.save_page``). ``last_year`` reads last year's answers
    to show beside the questions: only when the page is shown, not for a save that moves on."""
    try:
        sec = questionnaire.section(section_id)
    except KeyError:
        abort(404)
    prev, nxt = neighbours(questionnaire, section_id, urls.opens)

    def page() -> dict[str, Any]:
        return dict(
            section=sec,
            prev=prev,
            nxt=nxt,
            urls=urls,
            response=response,
            last_year=last_year() if last_year else None,
            questionnaire_key=questionnaire.key,
        )

    if request.method == "GET":
        return _stored(
            questionnaire, response.answers or {}, response.page_version(sec.id), read_only=not editable, **page()
        )
    if not may_change:
        return refused()
    if request.form.get("action") == "confirm":
        return _confirm(response, sec, actor, urls, editable=editable, refused=refused, nxt=nxt)
    form = form_class(questionnaire, sec)()
    if not editable:  # submitted in another tab, or past its deadline: show what was typed, unsaved
        return _typed(form, not_saved="closed" if not response.is_open() else "submitted", **page()), 409
    if not form.validate_on_submit():  # only the CSRF token is checked here
        return _typed(form, **page()), 400
    values, errors = validate_section(sec, raw_answers(sec, request.form), response.answers or {})
    if errors:
        for key, message in errors.items():
            form[key].errors = [message]
        return _typed(form, errors=errors, **page()), 400
    expected = _version(request.form.get("section_version", ""))
    if expected is None:  # a page that does not say which version it edits cannot be saved safely
        form.section_version.data = response.page_version(sec.id)
        return _typed(form, broken=True, **page()), 400
    warnings = baseline(response, questionnaire).warnings(questionnaire, {**(response.answers or {}), **values}, sec.id)
    response_id = response.id  # read now: what the session loaded is let go as the save begins
    with writing():
        result = returns.save_page(
            response_id, sec, values, expected, actor, questionnaire, warnings, amending=amending
        )
        # The return as the save left it (it is the row save_page locked and read afresh): read
        # before the commit, after which it would be loaded again.
        latest = response.answers or {}
        to_confirm = any(not w.confirmed for w in checks.raised(response, sec.id))
    if result.closed:
        return _typed(form, not_saved="closed", **page()), 409
    if not result.saved:  # the form shows what is saved now; what they typed is listed above it
        unsaved = [(q, display(q, values)) for q in sec.questions if display(q, values) != display(q, latest)]
        return _stored(questionnaire, latest, result.page.version, conflict=result.page, unsaved=unsaved, **page()), 409
    if to_confirm:  # saved: now confirm or change
        return redirect(urls.section(sec.id) + "?saved=1#warnings")
    if request.form.get("action") == "later":
        return redirect(urls.task_list() + "?saved=1")
    return redirect(urls.after(nxt))


def baseline(response: Response, questionnaire: forms.Questionnaire) -> checks.Baseline:
    """What the soft checks of this return compare with."""
    return checks.baseline(
        response.cycle,
        response.organisation,
        questionnaire,
        editions_folder=editions_folder(),
        min_group=current_app.config["PUBLICATION_MIN_GROUP"],
    )


class ConfirmForm(FlaskForm):
    """ "Yes, this is right" for a page's warnings: the ticked keys come as ``confirmed``."""


def _confirm(
    response: Response,
    section: forms.Section,
    actor: Actor,
    urls: Urls,
    *,
    editable: bool,
    refused: Callable[[], Any],
    nxt: forms.Section | None,
) -> Any:
    """Record the warnings ticked as right; on to the next page once none is left unconfirmed."""
    if not editable or not ConfirmForm().validate_on_submit():
        return refused() if not editable else redirect(urls.section(section.id) + "#warnings")
    response_id = response.id
    with writing():
        checks.confirm(response_id, section.id, request.form.getlist("confirmed"), actor)
        left = any(not w.confirmed for w in checks.raised(response, section.id))  # as confirm left it
    if left:
        return redirect(urls.section(section.id) + "#warnings")
    return redirect(urls.after(nxt))


def _version(text: str) -> int | None:
    try:
        number = int(text)
    except ValueError:
        return None
    return number if 0 <= number < 2**31 else None


def _stored(
    questionnaire: forms.Questionnaire,
    answers: dict,
    version: int,
    section: forms.Section,
    read_only: bool = False,
    **extra: Any,
) -> str:
    """The page showing the answers stored (its questions' markup remembered: ``markup``)."""
    questions = markup.stored_questions(questionnaire, section, initial_data(section, answers), read_only)
    return render_template(
        "return/section.html",
        section=section,
        read_only=read_only,
        questions=questions,
        section_version=version,
        error_list=[],
        warnings=checks.raised(extra["response"], section.id),
        saved=request.args.get("saved") == "1",
        **extra,
    )


def _typed(form: Any, section: forms.Section, errors: dict | None = None, **extra: Any) -> str:
    """The page showing what was posted, with its errors."""
    errors = errors or {}
    order = [k for q in section.questions for k in (q.id, q.other_id) if k]
    error_list = [{"text": errors[k], "href": f"#{k}"} for k in order if k in errors]
    return render_template(
        "return/section.html",
        section=section,
        read_only=False,
        questions=render_section(form, section),
        section_version=form.section_version._value(),
        expired=bool(form.csrf_token.errors),
        error_list=error_list,
        **extra,
    )


def summary(questionnaire: forms.Questionnaire, answers: dict) -> list:
    """[(section, [(question, display lines)])] for every question routing asks."""
    return [(s, [(q, display(q, answers)) for q in asked(s.questions, answers)]) for s in questionnaire.sections]


def version_pdf(response: Response, version: SubmittedVersion, only: set[str] | None = None) -> Any:
    """A download of exactly what was submitted in one version (``only`` these sections)."""
    return download(version_pdf_bytes(response, version, only), f"{version.reference}.pdf")


def only_sections(questionnaire: forms.Questionnaire, only: set[str] | None) -> forms.Questionnaire:
    """The questionnaire with only the sections someone may see (all of them for ``None``)."""
    if only is None:
        return questionnaire
    return replace(questionnaire, sections=tuple(s for s in questionnaire.sections if s.id in only))


def version_pdf_bytes(response: Response, version: SubmittedVersion, only: set[str] | None = None) -> bytes:
    """Exactly what was submitted in one version, as a PDF (downloaded, and attached to the
    confirmation email): the whole return, or ``only`` these sections (a contributor's)."""
    return return_pdf(
        only_sections(questionnaire_for(response.cycle), only),
        version.answers,
        {
            "organisation": response.organisation.name,
            "reference": version.reference,
            "submitted_at": version.submitted_at,
            "submitted_by": version.submitted_by,
            "signed_off_as": version.signed_off_as,
            "version": version.number,
            "cycle": response.cycle.year,
        },
    )
