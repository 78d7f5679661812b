"""Turning what a person typed (or a spreadsheet cell) into stored answers, or clear errors.

Pure functions: the web forms and the importer both call :func:`validate_section`, so a rule
and its message live here once. Every message is written for the person who typed the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import Question, Section
from .answer_types import MESSAGES as MESSAGES
from .answer_types import clean_text as clean_text
from .answer_types import message, short_option
from .rules import is_asked, referenced_questions


def validate_section(
    section: Section, raw: Mapping[str, Any], context: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate one page of answers.

    ``raw`` holds what was typed, keyed by answer key (``<id>``, ``<id>_other`` and, for number
    questions with a "no such role" box, ``<id>_none``). ``context`` holds the answers already
    stored for the rest of the return, for routing and cross-checks. Returns ``(values, errors)``:
    values for every answer key of the section that routing asks (None where blank) and
    error messages keyed by answer key.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    known = dict(context)
    for q in section.questions:
        known.pop(q.id, None)
        known.pop(q.other_id, None) if q.other_id else None
        if not is_asked(q, known):
            continue
        value, error = q.answer_type.check(raw)
        if error is None and value in (None, []) and (q.required or is_follow_up(q, section)):
            error = message(q.answer_type.required_message, q)
        if error:
            errors[q.id] = error
        values[q.id] = value
        known[q.id] = value
        spec, other_id = q.specify_option, q.other_id  # a question has both or neither
        if spec is not None and other_id is not None:
            chosen = value == spec.value or (isinstance(value, list) and spec.value in value)
            if chosen:
                other, other_error = Question(
                    id=other_id,
                    type="text",
                    label=spec.label,
                    section_id=q.section_id,
                    name="the details",
                    max_length=500,
                    multiline=False,
                ).answer_type.check(raw)
                values[other_id] = other
                if other_error:
                    errors[other_id] = other_error
                elif not other:
                    errors[other_id] = message("specify", q, option=short_option(spec.label))
    for q in section.questions:
        if q.at_most and q.id in values and q.id not in errors and isinstance(values[q.id], int):
            limit = values.get(q.at_most, known.get(q.at_most))
            if isinstance(limit, int) and values[q.id] > limit and q.at_most not in errors:
                target = section_question(section, q.at_most)
                errors[q.id] = message("over_posts", q, other_name=target.name if target else q.at_most, limit=limit)
    return values, errors


def is_follow_up(question: Question, section: Section) -> bool:
    """Whether routing asks ``question`` because of an answer on its own page ("Answer this if you
    selected No"). Once that answer asks it, it is required like an "Other (please specify)" box: a
    blank one is an error next to it, never a page that quietly stays in progress."""
    if question.when is None or question.optional:
        return False
    on_page = {q.id for q in section.questions}
    return any(ref in on_page for ref, _ in referenced_questions(question.when))


def section_question(section: Section, question_id: str) -> Question | None:
    return next((q for q in section.questions if q.id == question_id), None)


def display(q: Question, answers: Mapping[str, Any]) -> list[str]:
    """How an answer reads on the check-answers page and in PDFs: one string per line."""
    return q.answer_type.display(answers)


def is_answered(q: Question, answers: Mapping[str, Any]) -> bool:
    return answers.get(q.id) not in (None, "", [])


def unanswered(section: Section, answers: Mapping[str, Any]) -> list[Question]:
    """The questions that keep a page in progress: those routing asks (comment boxes aside) with no
    answer, in the page's order."""
    return [
        q for q in section.questions if q.counts_for_completion and is_asked(q, answers) and not is_answered(q, answers)
    ]


def section_status(section: Section, answers: Mapping[str, Any], saved: bool) -> str:
    """not_started until the page is first saved; completed once every question routing asks
    (comment boxes aside) has an answer; in_progress otherwise."""
    if not saved:
        return "not_started"
    return "in_progress" if unanswered(section, answers) else "completed"
