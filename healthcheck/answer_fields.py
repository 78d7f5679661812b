"""Answer type -> field handler registry: how each kind of question becomes WTForms fields,
how stored answers fill them, and how they render with the GOV.UK macros.

Validation is not here: ``forms.validation`` owns every rule and message, so the importer
and the web forms agree.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovTextInput,
)
from markupsafe import Markup
from wtforms import BooleanField, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField

import forms
from forms import NOT_APPLICABLE, Question, Section


class SectionForm(FlaskForm):
    section_version = HiddenField()


def _other_field(q: Question) -> StringField:
    label = q.specify_option.label if q.specify_option else "Please specify"
    return StringField(label, widget=GovTextInput())


def _fields_number(q: Question) -> dict:
    fields = {q.id: StringField(q.label, description=q.hint, widget=GovTextInput())}
    if q.not_applicable:
        fields[f"{q.id}_none"] = BooleanField(q.not_applicable, widget=GovCheckboxInput())
    return fields


def _fields_single(q: Question) -> dict:
    fields = {q.id: RadioField(q.label, description=q.hint, choices=[(o.value, o.label) for o in q.options],
                               validate_choice=False, widget=GovRadioInput())}
    if q.other_id:
        fields[q.other_id] = _other_field(q)
    return fields


def _fields_multiple(q: Question) -> dict:
    fields = {q.id: SelectMultipleField(q.label, description=q.hint,
                                        choices=[(o.value, o.label) for o in q.options],
                                        validate_choice=False, widget=GovCheckboxesInput())}
    if q.other_id:
        fields[q.other_id] = _other_field(q)
    return fields


def _fields_text(q: Question) -> dict:
    if q.multiline:
        return {q.id: TextAreaField(q.label, description=q.hint, widget=GovCharacterCount())}
    return {q.id: StringField(q.label, description=q.hint, widget=GovTextInput())}


FIELD_BUILDERS: dict[str, Callable[[Question], dict]] = {
    "number": _fields_number, "single": _fields_single, "multiple": _fields_multiple, "text": _fields_text,
    "agreement": _fields_single,
}

_form_classes: dict[tuple[str, str], type] = {}


def form_class(questionnaire: forms.Questionnaire, section: Section) -> type[SectionForm]:
    key = (questionnaire.key, section.id)
    if key not in _form_classes:
        attrs: dict[str, Any] = {}
        for q in section.questions:
            attrs.update(FIELD_BUILDERS[q.type](q))
        _form_classes[key] = type(f"Form_{section.id}", (SectionForm,), attrs)
    return _form_classes[key]


def initial_data(section: Section, answers: dict) -> dict:
    """Stored answers -> the form's data."""
    data: dict[str, Any] = {}
    for q in section.questions:
        value = answers.get(q.id)
        if q.type == "number":
            if value == NOT_APPLICABLE:
                data[f"{q.id}_none"] = True
            elif value is not None:
                data[q.id] = str(value)
        elif value is not None:
            data[q.id] = value
        if q.other_id and answers.get(q.other_id):
            data[q.other_id] = answers[q.other_id]
    return data


def raw_answers(section: Section, formdata) -> dict:
    """What was posted, keyed by answer key, for ``forms.validation.validate_section``."""
    raw: dict[str, Any] = {}
    for q in section.questions:
        raw[q.id] = formdata.getlist(q.id) if q.type == "multiple" else formdata.get(q.id, "")
        if q.other_id:
            raw[q.other_id] = formdata.get(q.other_id, "")
        if q.type == "number" and q.not_applicable:
            raw[f"{q.id}_none"] = formdata.get(f"{q.id}_none", "")
    return raw


def followups(section: Section) -> dict[str, dict[str, list[Question]]]:
    """Questions routed from an earlier single-choice question on the same page, by trigger and value.

    They are shown as conditional reveals under the option that asks them (and, without
    JavaScript, always shown: answers to questions routing does not ask are discarded on save).
    """
    by_id = {q.id: q for q in section.questions}
    found: dict[str, dict[str, list[Question]]] = {}
    for q in section.questions:
        rule = q.when or {}
        trigger = by_id.get(str(rule.get("question")))
        if trigger is not None and trigger.type == "single" and "equals" in rule:
            found.setdefault(trigger.id, {}).setdefault(str(rule["equals"]), []).append(q)
    return found


def render_section(form: SectionForm, section: Section, disabled: bool = False) -> list[Markup]:
    """HTML for every question on the page, nesting routed questions under their trigger."""
    nested, shown = top_level(section)
    return [render_question(form, q, nested, disabled) for q in shown]


def field_keys(q: Question, nested: dict) -> list[str]:
    """The form fields a question renders: its own, its 'specify' box and 'no such role' box,
    and those of the questions nested under its options."""
    keys = [k for k in (q.id, q.other_id, f"{q.id}_none" if q.type == "number" and q.not_applicable else None) if k]
    for follow_ups in nested.get(q.id, {}).values():
        for follow in follow_ups:
            keys += field_keys(follow, nested)
    return keys


def top_level(section: Section) -> tuple[dict, list[Question]]:
    """(``followups(section)``, the questions rendered in their own right: those not nested
    under the option of an earlier question that asks them)."""
    nested = followups(section)
    inside = {q.id for by_value in nested.values() for qs in by_value.values() for q in qs}
    return nested, [q for q in section.questions if q.id not in inside]


def _render_choice(form, q: Question, nested: dict, attrs: dict, disabled: bool) -> Markup:
    """Radios and checkboxes.

    No conditional reveals: GOV.UK Frontend marks revealing radios with aria-expanded, which ARIA
    does not allow on a radio (axe-core reports it), so a "please specify" box and routed
    follow-ups come straight after the group, each saying when to answer it. Checkboxes do the
    same, so "Other (please specify)" looks and behaves alike on every question, with or without
    JavaScript.
    """
    def specify_box(option: forms.Option) -> Markup:
        chosen = option.label.replace(" (please specify)", "").replace(" (Please specify)", "")
        return form[q.other_id](params={"label": {"text": f"If you selected \u201c{chosen}\u201d, please specify"},
                                        "classes": "govuk-!-width-two-thirds", "attributes": attrs})

    items, after = [], []
    for option in q.options:
        item: dict[str, Any] = {"attributes": attrs}
        if option.exclusive:
            item["behaviour"] = "exclusive"
        if option.specify:
            after.append(specify_box(option))
        for follow in nested.get(q.id, {}).get(option.value, []):
            after.append(render_question(form, follow, nested, disabled,
                                         when=f"Answer this if you selected \u201c{option.label}\u201d above."))
        items.append(item)
    params = {"fieldset": {"legend": {"text": q.label, "classes": "govuk-fieldset__legend--s"}},
              "items": items, "hint": {"text": q.hint} if q.hint else None,
              "classes": "govuk-radios--small" if q.type == "agreement" else None}
    html = form[q.id](params=params)
    if after:
        html += Markup('<div class="app-followups">') + Markup("").join(after) + Markup("</div>")
    return Markup(f'<div class="app-question" id="q-{q.id}">') + html + Markup("</div>")


def render_question(form: SectionForm, q: Question, nested: dict, disabled: bool = False,
                    when: str | None = None) -> Markup:
    field = form[q.id]
    attrs = {"disabled": True} if disabled else {}
    if q.type == "number":
        params = {
            "label": {"text": q.label, "classes": "govuk-label--s"},
            "classes": "govuk-input--width-5",
            "inputmode": "decimal" if q.decimals else "numeric",
            "spellcheck": False,
            "attributes": attrs,
        }
        if q.suffix:
            params["suffix"] = {"text": q.suffix}
        html = field(params=params)
        if q.not_applicable:
            html += form[f"{q.id}_none"](params={"classes": "govuk-checkboxes--small",
                                                  "items": [{"value": "y", "attributes": attrs}]})
        return Markup(f'<div class="app-question" id="q-{q.id}">') + html + Markup("</div>")
    if q.type in ("single", "multiple", "agreement"):
        return _render_choice(form, q, nested, attrs, disabled)
    params = {"label": {"text": q.label, "classes": "govuk-label--s"}, "attributes": attrs}
    hint = " ".join(filter(None, (when, q.hint)))
    if hint:
        params["hint"] = {"text": hint}
    if q.multiline:
        params.update({"maxlength": q.max_length, "rows": 5})
    else:
        params.update({"classes": "govuk-!-width-two-thirds" if (q.max_length or 0) > 60 else "govuk-input--width-20"})
        if q.autocomplete:
            params["autocomplete"] = q.autocomplete
        if q.format == "email":
            params.update({"type": "email", "spellcheck": False})
        if q.format == "telephone":
            params.update({"type": "tel"})
    return Markup(f'<div class="app-question" id="q-{q.id}">') + field(params=params) + Markup("</div>")
