"""The one place rendered markup is remembered: a question of a return, as GOV.UK Frontend's
macros render it from the answers stored, and a section's answers as a summary list.

A page of a return is a dozen questions, each rendered by the GOV.UK macros through
govuk-frontend-wtf: about 10 ms of a page's 12 ms, where the bare route takes under 1 ms; the
nine summary lists of check answers took most of its 7 ms (docs/performance.md, "Remembered
markup"). The markup depends only on what goes into it (the question, whether the page is
read-only and the stored answers to its fields; the rows of a list and where its links go),
so it is remembered by exactly that, in bounded LRUs: a page shown again with the same answers
costs lookups. Pages showing what someone typed, or an error, are rendered afresh.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import get_template_attribute
from markupsafe import Markup

import forms

from .answer_fields import field_keys, form_class, render_question, top_level


def stored_questions(
    questionnaire: forms.Questionnaire, section: forms.Section, stored: dict[str, Any], disabled: bool
) -> list[Markup]:
    """The page's questions (routed ones nested), filled from ``stored`` (``initial_data``)."""
    nested, shown = top_level(section)
    return [
        _question(
            questionnaire.id,
            questionnaire.version,
            section.id,
            q.id,
            disabled,
            tuple((key, type(stored.get(key)).__name__, _frozen(stored.get(key))) for key in field_keys(q, nested)),
        )
        for q in shown
    ]


@lru_cache(maxsize=4096)
def _question(
    questionnaire_id: str,
    version: str,
    section_id: str,
    question_id: str,
    disabled: bool,
    values: tuple[tuple[str, str, Any], ...],
) -> Markup:
    questionnaire = forms.load(questionnaire_id, version)
    section = questionnaire.section(section_id)
    data = {key: list(value) if isinstance(value, tuple) else value for key, _, value in values if value is not None}
    form = form_class(questionnaire, section)(formdata=None, data=data, meta={"csrf": False})
    nested, _ = top_level(section)
    return render_question(form, next(q for q in section.questions if q.id == question_id), nested, disabled)


def answers_list(rows: list[tuple[forms.Question, list[str]]], change: str | None = None, classes: str = "") -> Markup:
    """A section's rows of ``return_pages.summary`` as a GOV.UK summary list
    (templates/return/answers_list.html), with Change links to ``change`` if given."""
    return _answers_list(tuple((q.id, q.label, tuple(lines)) for q, lines in rows), change, classes)


@lru_cache(maxsize=1024)
def _answers_list(rows: tuple[tuple[str, str, tuple[str, ...]], ...], change: str | None, classes: str) -> Markup:
    macro = get_template_attribute("return/answers_list.html", "answers_list")
    return Markup(macro([({"id": qid, "label": label}, lines) for qid, label, lines in rows], change, classes))


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
