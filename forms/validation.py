"""Turning what a person typed (or a spreadsheet cell) into stored answers, or clear errors.

Pure functions: the web forms and the importer both call :func:`validate_section`, so a rule
and its message live here once. Every message is written for the person who typed the value.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from email_validator import EmailNotValidError, validate_email

from . import NOT_APPLICABLE, Question, Section
from .rules import is_asked, referenced_questions

MESSAGES = {
    "required_text": "Enter {name}",
    "required_choice": "Select an answer",
    "not_whole": "Enter {name} as a whole number, like 12",
    "decimal": "Enter {name} as a whole number, not a decimal",
    "places": "Enter {name} with no more than {places} after the decimal point, like {example}",
    "too_small": "{Name} must be {min} or more",
    "too_big": "{Name} must be {max} or fewer",
    "over_posts": "{Name} must be no more than {other_name} ({limit})",
    "number_and_none": "Enter {name} or select \u201c{none_label}\u201d, not both",
    "bad_option": "Select one of the options shown",
    "specify": "Enter details for \u201c{option}\u201d",
    "exclusive": "Select \u201c{option}\u201d on its own, or unselect it",
    "too_long": "{Name} must be {max} characters or fewer",
    "email": "Enter an email address in the correct format, like name@example.org",
    "telephone": "Enter a telephone number, like 01632 960 001 or +44 808 157 0192",
}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PHONE = re.compile(r"^\+?[0-9 ()-]+$")


def message(key: str, question: Question | None = None, **values: Any) -> str:
    if "name" in values:
        name = values.pop("name")
    else:
        name = question.name if question and question.name else "an answer"
    text = MESSAGES[key].format(name=name, Name=name[:1].upper() + name[1:], **values)
    return text


def clean_text(value: str) -> str:
    """Normalise line endings and Unicode, drop control characters, trim the ends."""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL.sub("", value).strip()


def _short_option(label: str) -> str:
    return re.sub(r"\s*\((please specify|please state)\)\s*$", "", label, flags=re.I)


def _first(raw: Any) -> str:
    if isinstance(raw, (list, tuple)):
        raw = raw[0] if raw else ""
    return "" if raw is None else str(raw)


def _as_list(raw: Any) -> list[str]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, (list, tuple)):
        return [str(v) for v in raw if str(v) != ""]
    return [str(raw)]


Checked = tuple[Any, str | None]
"""A stored value (None where blank) and the message for the person who typed it, if it is wrong."""


def _number(q: Question, raw: Any, none_ticked: bool) -> Checked:
    text = clean_text(_first(raw)).replace(",", "").replace(" ", "")
    if none_ticked:
        if text:
            return None, message("number_and_none", q, none_label=q.not_applicable)
        return NOT_APPLICABLE, None
    if text == "" or text.lower() == NOT_APPLICABLE and q.not_applicable:
        return (NOT_APPLICABLE if text else None), None
    if re.fullmatch(r"[+-]?[0-9]{1,15}\.[0-9]*|[+-]?\.[0-9]+", text):
        return _decimal(q, text)
    if not re.fullmatch(r"[+-]?[0-9]{1,15}", text):
        if re.fullmatch(r"[+-]?[0-9]+", text):  # absurdly long digit strings
            return None, message("too_big" if not text.startswith("-") else "too_small", q, max=f"{q.max:,}", min=q.min)
        return None, message("not_whole", q)
    number = int(text)
    if q.min is not None and number < q.min:
        return None, message("too_small", q, min=q.min)
    if q.max is not None and number > q.max:
        return None, message("too_big", q, max=f"{q.max:,}")
    return number, None


def _decimal(q: Question, text: str) -> Checked:
    """A number typed with a decimal point: refused where the question wants a whole number, else
    kept to the places it allows (a whole value, such as 37.0, is stored as 37)."""
    places = len(text.split(".", 1)[1].rstrip("0"))
    if not q.decimals:
        return None, message("decimal", q)
    if places > q.decimals:
        digits = "1 digit" if q.decimals == 1 else f"{q.decimals} digits"
        return None, message("places", q, places=digits, example="37.5" if q.decimals == 1 else "37.25")
    number = float(text)
    if q.min is not None and number < q.min:
        return None, message("too_small", q, min=q.min)
    if q.max is not None and number > q.max:
        return None, message("too_big", q, max=f"{q.max:,}")
    return (int(number) if number.is_integer() else round(number, q.decimals)), None


def _single(q: Question, raw: Any) -> Checked:
    value = _first(raw)
    if value == "":
        return None, None
    if q.option(value) is None:
        return None, message("bad_option", q)
    return value, None


def _multiple(q: Question, raw: Any) -> Checked:
    chosen = list(dict.fromkeys(_as_list(raw)))
    if any(q.option(v) is None for v in chosen):
        return None, message("bad_option", q)
    if len(chosen) > 1:
        for v in chosen:
            opt = q.option(v)
            if opt is not None and opt.exclusive:
                return None, message("exclusive", q, option=opt.label)
    ordered = [o.value for o in q.options if o.value in chosen]
    return (ordered or None), None


def _text(q: Question, raw: Any) -> Checked:
    value = clean_text(_first(raw))
    if not q.multiline:
        value = " ".join(value.split())
    if value == "":
        return None, None
    if q.max_length and len(value) > q.max_length:
        return value, message("too_long", q, max=q.max_length)
    if q.format == "email":
        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            return value, message("email", q)
    if q.format == "telephone":
        if not _PHONE.match(value) or sum(c.isdigit() for c in value) < 7:
            return value, message("telephone", q)
    return value, None


# By question type; a number question's handler also takes whether its "no such role" box is ticked.
HANDLERS: dict[str, Callable[..., Checked]] = {"number": _number, "single": _single, "multiple": _multiple,
                                               "text": _text, "agreement": _single}


def validate_section(section: Section, raw: Mapping[str, Any],
                     context: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
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
        if q.type == "number":
            value, error = _number(q, raw.get(q.id), bool(_first(raw.get(f"{q.id}_none"))))
        else:
            value, error = HANDLERS[q.type](q, raw.get(q.id))
        if error is None and value in (None, []) and (q.required or is_follow_up(q, section)):
            error = message("required_text" if q.type in ("text", "number") else "required_choice", q)
        if error:
            errors[q.id] = error
        values[q.id] = value
        known[q.id] = value
        spec, other_id = q.specify_option, q.other_id  # a question has both or neither
        if spec is not None and other_id is not None:
            chosen = value == spec.value or (isinstance(value, list) and spec.value in value)
            if chosen:
                other, other_error = _text(
                    Question(id=other_id, type="text", label=spec.label, section_id=q.section_id,
                             name="the details", max_length=500, multiline=False),
                    raw.get(other_id))
                values[other_id] = other
                if other_error:
                    errors[other_id] = other_error
                elif not other:
                    errors[other_id] = message("specify", q, option=_short_option(spec.label))
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
    value = answers.get(q.id)
    if value in (None, "", []):
        return []
    if q.type == "number":
        if value == NOT_APPLICABLE:
            return [q.not_applicable or "Not applicable"]
        return [f"{value} {q.suffix}" if q.suffix else str(value)]
    if q.type == "text":
        return [value]
    chosen = value if isinstance(value, list) else [value]
    lines = []
    for v in chosen:
        opt = q.option(v)
        label = opt.label if opt else str(v)
        if opt is not None and opt.specify and q.other_id and answers.get(q.other_id):
            label = f"{_short_option(opt.label)}: {answers[q.other_id]}"
        lines.append(label)
    return lines


def is_answered(q: Question, answers: Mapping[str, Any]) -> bool:
    return answers.get(q.id) not in (None, "", [])


def unanswered(section: Section, answers: Mapping[str, Any]) -> list[Question]:
    """The questions that keep a page in progress: those routing asks (comment boxes aside) with no
    answer, in the page's order."""
    return [q for q in section.questions
            if q.counts_for_completion and is_asked(q, answers) and not is_answered(q, answers)]


def section_status(section: Section, answers: Mapping[str, Any], saved: bool) -> str:
    """not_started until the page is first saved; completed once every question routing asks
    (comment boxes aside) has an answer; in_progress otherwise."""
    if not saved:
        return "not_started"
    return "in_progress" if unanswered(section, answers) else "completed"
