"""A section's web form: each question's fields, as its answer type (``forms.answer_types``)
asks for them, made with WTForms and rendered with the GOV.UK macros; stored answers filling them,
and what was posted read back.

Which fields a kind of question has, and its rules and messages, are its answer type's: the
importer and the web forms agree because both ask it.
"""

from __future__ import annotations

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
from forms import Question, Section


class SectionForm(FlaskForm):
    section_version = HiddenField()


class Fields:
    """The WTForms fields an answer type asks for (``forms.answer_types.FieldKit``), in GOV.UK dress."""

    @staticmethod
    def text(label: str, hint: str | None = None) -> StringField:
        return StringField(label, description=hint, widget=GovTextInput())

    @staticmethod
    def textarea(label: str, hint: str | None = None) -> TextAreaField:
        return TextAreaField(label, description=hint, widget=GovCharacterCount())

    @staticmethod
    def checkbox(label: str) -> BooleanField:
        return BooleanField(label, widget=GovCheckboxInput())

    @staticmethod
    def radios(label: str, hint: str | None, choices: list[tuple[str, str]]) -> RadioField:
        return RadioField(label, description=hint, choices=choices, validate_choice=False, widget=GovRadioInput())

    @staticmethod
    def checkboxes(label: str, hint: str | None, choices: list[tuple[str, str]]) -> SelectMultipleField:
        return SelectMultipleField(
            label, description=hint, choices=choices, validate_choice=False, widget=GovCheckboxesInput()
        )


_form_classes: dict[tuple[str, str], type] = {}


def form_class(questionnaire: forms.Questionnaire, section: Section) -> type[SectionForm]:
    key = (questionnaire.key, section.id)
    if key not in _form_classes:
        attrs: dict[str, Any] = {}
        for q in section.questions:
            attrs.update(q.answer_type.fields(Fields))
        _form_classes[key] = type(f"Form_{section.id}", (SectionForm,), attrs)
    return _form_classes[key]


def initial_data(section: Section, answers: dict) -> dict:
    """Stored answers -> the form's data."""
    data: dict[str, Any] = {}
    for q in section.questions:
        data.update(q.answer_type.initial(answers))
    return data


def raw_answers(section: Section, formdata) -> dict:
    """What was posted, keyed by answer key, for ``forms.validation.validate_section``."""
    raw: dict[str, Any] = {}
    for q in section.questions:
        raw.update(q.answer_type.posted(lambda key: formdata.get(key, ""), formdata.getlist))
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
        if trigger is not None and trigger.answer_type.reveals_followups and "equals" in rule:
            found.setdefault(trigger.id, {}).setdefault(str(rule["equals"]), []).append(q)
    return found


def render_section(form: SectionForm, section: Section, disabled: bool = False) -> list[Markup]:
    """HTML for every question on the page, nesting routed questions under their trigger."""
    nested, shown = top_level(section)
    return [render_question(form, q, nested, disabled) for q in shown]


def field_keys(q: Question, nested: dict) -> list[str]:
    """The form fields a question renders: its own, its 'specify' box and 'no such role' box,
    and those of the questions nested under its options."""
    keys = q.answer_type.field_keys()
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
        return form[q.other_id](
            params={
                "label": {"text": f"If you selected \u201c{chosen}\u201d, please specify"},
                "classes": "govuk-!-width-two-thirds",
                "attributes": attrs,
            }
        )

    items, after = [], []
    for option in q.options:
        item: dict[str, Any] = {"attributes": attrs}
        if option.exclusive:
            item["behaviour"] = "exclusive"
        if option.specify:
            after.append(specify_box(option))
        for follow in nested.get(q.id, {}).get(option.value, []):
            after.append(
                render_question(
                    form,
                    follow,
                    nested,
                    disabled,
                    when=f"Answer this if you selected \u201c{option.label}\u201d above.",
                )
            )
        items.append(item)
    params = {
        "fieldset": {"legend": {"text": q.label, "classes": "govuk-fieldset__legend--s"}},
        "items": items,
        "hint": {"text": q.hint} if q.hint else None,
        "classes": q.answer_type.group_classes,
    }
    html = form[q.id](params=params)
    if after:
        html += Markup('<div class="app-followups">') + Markup("").join(after) + Markup("</div>")
    return Markup(f'<div class="app-question" id="q-{q.id}">') + html + Markup("</div>")


def render_question(
    form: SectionForm, q: Question, nested: dict, disabled: bool = False, when: str | None = None
) -> Markup:
    attrs = {"disabled": True} if disabled else {}
    kind = q.answer_type
    if kind.choice:
        return _render_choice(form, q, nested, attrs, disabled)
    html = Markup("").join(form[key](params=params) for key, params in kind.render_params(attrs, when))
    return Markup(f'<div class="app-question" id="q-{q.id}">') + html + Markup("</div>")
