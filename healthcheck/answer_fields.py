"""Answer type -> field handler registry: how each kind of question becomes WTForms fields,
how stored answers fill them, and how they render with the GOV.UK macros.

Validation is not here: ``forms.validation`` owns every rule and message, so the importer
and the web forms agree.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from threading import Lock
from typing import Any, Callable

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (GovCharacterCount, GovCheckboxesInput, GovCheckboxInput,
                                                GovRadioInput, GovTextInput)
from markupsafe import Markup, escape
from wtforms import BooleanField, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField

import forms
from forms import NOT_APPLICABLE, Question, Section


class SectionForm(FlaskForm):
    section_version = HiddenField()


def _other_field(q: Question):
    return StringField(q.specify_option.label, widget=GovTextInput())


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
        trigger = by_id.get(rule.get("question"))
        if trigger is not None and trigger.type == "single" and "equals" in rule:
            found.setdefault(trigger.id, {}).setdefault(str(rule["equals"]), []).append(q)
    return found


def render_section(form: SectionForm, section: Section, disabled: bool = False,
                   stored: dict | None = None) -> list[Markup]:
    """HTML for every question on the page, nesting routed questions under their trigger.

    ``stored`` is the data the form was made from (``initial_data``), when it was made from
    stored answers alone: the markup is then also remembered by those answers, for
    ``render_stored``."""
    nested, shown = top_level(section)
    return [_MARKUP.render(form, q, nested, disabled, stored) for q in shown]


def render_stored(FormClass: type[SectionForm], section: Section, stored: dict,
                  disabled: bool = False) -> list[Markup] | None:
    """The same HTML as ``render_section`` for a form made from ``stored`` (``initial_data``),
    without making the form, when every question's markup for those answers is remembered;
    None when one is not (make the form then, which remembers it). A page shown from the
    database needs no form: making one cost about as much as the page's two queries."""
    nested, shown = top_level(section)
    out = []
    for q in shown:
        html = _MARKUP.render_stored(FormClass, q, nested, disabled, stored)
        if html is None:
            return None
        out.append(html)
    return out


def top_level(section: Section) -> tuple[dict, list[Question]]:
    """(``followups(section)``, the questions rendered in their own right: those not nested
    under the option of an earlier question that asks them)."""
    nested = followups(section)
    inside = {q.id for by_value in nested.values() for qs in by_value.values() for q in qs}
    return nested, [q for q in section.questions if q.id not in inside]


class _MarkupCache:
    """Remembers each question's GOV.UK markup, so a page costs a few string joins instead of
    dozens of macro calls (profiling showed the macros took nearly 90 % of a page's time).

    The markup is a pure function of the question, whether it is disabled, and the state of
    its fields. Choice fields (radios, checkboxes) are part of the key: they have few states.
    Free-text values are not: the markup is rendered once with a placeholder in each text
    field, and the escaped value goes where the placeholder was, as the macro would write it.
    Where a macro indents the placeholder (a box inside a conditional reveal), a value with a
    line break is rendered afresh, since the macro would indent its lines too. A question
    showing an error is always rendered afresh. ``tests/test_page_markup.py`` checks that
    both ways give identical HTML.
    """

    def __init__(self, size: int = 2048):
        self.size, self.entries, self.lock = size, OrderedDict(), Lock()
        # The same entries by the stored answers a form was made from (choice answers only, as
        # above), and which of a question's fields show text, as a form made them.
        self.by_stored: OrderedDict = OrderedDict()
        self.text_keys: dict[tuple, tuple[str, ...]] = {}

    def render(self, form: SectionForm, q: Question, nested: dict, disabled: bool,
               stored: dict | None = None) -> Markup:
        keys = _field_keys(q, nested)
        fields = [form[key] for key in keys]
        if any(field.errors for field in fields):
            return render_question(form, q, nested, disabled)
        texts = [f for f in fields if isinstance(f, StringField)]
        key = (type(form), q.id, disabled, tuple(_choice_state(f) for f in fields if not isinstance(f, StringField)))
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
        if entry is None:
            entry = self._render_with_placeholders(form, q, nested, disabled, texts)
            if entry is None:
                return render_question(form, q, nested, disabled)
            with self.lock:
                self.entries[key] = entry
                if len(self.entries) > self.size:
                    self.entries.popitem(last=False)
        if stored is not None:
            text_keys = tuple(key for key, field in zip(keys, fields) if isinstance(field, StringField))
            found = _stored_key(type(form), q.id, disabled, keys, text_keys, stored)
            if found is not None:
                with self.lock:
                    self.text_keys[(type(form), q.id)] = text_keys
                    self.by_stored[found] = entry
                    if len(self.by_stored) > self.size:
                        self.by_stored.popitem(last=False)
        html = _fill(entry, [field._value() for field in texts])
        return html if html is not None else render_question(form, q, nested, disabled)

    def render_stored(self, FormClass: type, q: Question, nested: dict, disabled: bool,
                      stored: dict) -> Markup | None:
        """A question's markup from stored answers alone, or None when it is not remembered."""
        text_keys = self.text_keys.get((FormClass, q.id))
        if text_keys is None:
            return None
        key = _stored_key(FormClass, q.id, disabled, _field_keys(q, nested), text_keys, stored)
        with self.lock:
            entry = self.by_stored.get(key) if key is not None else None
            if entry is not None:
                self.by_stored.move_to_end(key)
        if entry is None:
            return None
        # What a text field made from data shows (wtforms StringField._value).
        return _fill(entry, ["" if stored.get(k) is None else str(stored[k]) for k in text_keys])

    @staticmethod
    def _render_with_placeholders(form, q, nested, disabled, texts) -> tuple | None:
        """(literal text, the text field between each pair, fields the macro indented), or None."""
        saved = [(field.data, field.raw_data) for field in texts]
        try:
            for index, field in enumerate(texts):
                field.data, field.raw_data = _placeholder(index), [_placeholder(index)]
            html = str(render_question(form, q, nested, disabled))
        finally:
            for field, (value, raw) in zip(texts, saved):
                field.data, field.raw_data = value, raw
        parts = _PLACEHOLDER.split(html)
        literals, slots, breaks = parts[0::3], [int(i) for i in parts[1::3]], parts[2::3]
        if set(slots) != set(range(len(texts))):
            return None  # a widget that does not show its value as given: never remember it
        return literals, slots, frozenset(i for i, b in zip(slots, breaks) if b != "\n")


def _fill(entry: tuple, texts: list[str]) -> Markup | None:
    """A remembered markup with the text fields' values in their places; None where a macro
    would have indented a value's lines (render it afresh)."""
    literals, slots, indented = entry
    values = [str(escape(text)) for text in texts]
    if any(_LINE_BREAK.search(values[index]) for index in indented):
        return None
    out = [literals[0]]
    for index, literal in zip(slots, literals[1:]):
        out += (values[index], literal)
    return Markup("".join(out))


def _stored_key(FormClass: type, question_id: str, disabled: bool, keys: list[str], text_keys: tuple,
                stored: dict) -> tuple | None:
    """What a question's markup depends on among the stored answers a form is made from: every
    field's answer except the text fields' (they go into the markup's slots). None for an
    answer that cannot be a key."""
    state = tuple(_frozen(stored.get(key)) for key in keys if key not in text_keys)
    try:
        hash(state)
    except TypeError:
        return None
    return (FormClass, question_id, disabled, state)


def _frozen(value):
    # Typed, so that answers equal in Python but shown differently (1, 1.0, True) never share markup.
    if isinstance(value, list):
        return tuple((type(v), v) for v in value)
    return (type(value), value)


def _placeholder(index: int) -> str:
    # Private-use characters nobody types; the line break shows whether a macro indents it.
    return f"\ue000{index}\n\ue001"


_PLACEHOLDER = re.compile("\ue000(\\d+)(\n[^\ue001]*)\ue001")
_LINE_BREAK = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")  # what str.splitlines splits on


def _field_keys(q: Question, nested: dict) -> list[str]:
    keys = [q.id]
    if q.other_id:
        keys.append(q.other_id)
    if q.type == "number" and q.not_applicable:
        keys.append(f"{q.id}_none")
    for follow_ups in nested.get(q.id, {}).values():
        for follow in follow_ups:
            keys += _field_keys(follow, nested)
    return keys


def _choice_state(field) -> tuple:
    """What a radio, checkbox or checkbox list's markup depends on (as the widgets read it)."""
    if isinstance(field, BooleanField):
        return (field._value(), bool(field.data))
    return tuple((str(value), bool(selected)) for value, _label, selected, *_ in field.iter_choices())


_MARKUP = _MarkupCache()


def _render_choice(form, q: Question, nested: dict, attrs: dict, disabled: bool) -> Markup:
    """Radios and checkboxes.

    A checkbox's "please specify" box is a GOV.UK conditional reveal. Radios get no conditional
    reveals: GOV.UK Frontend marks revealing radios with aria-expanded, which ARIA does not allow
    on a radio (axe-core reports it), so their specify box and routed follow-ups come straight
    after the group, each saying when to answer it. Without JavaScript both look the same.
    """
    def specify_box(option):
        label = "Please specify" if q.type == "multiple" else \
            f"If you selected \u201c{option.label.replace(' (please specify)', '').replace(' (Please specify)', '')}\u201d, please specify"
        return form[q.other_id](params={"label": {"text": label}, "classes": "govuk-!-width-two-thirds",
                                        "attributes": attrs})

    items, after = [], []
    for option in q.options:
        item: dict[str, Any] = {"attributes": attrs}
        if option.exclusive:
            item["behaviour"] = "exclusive"
        if option.specify:
            if q.type == "multiple":
                item["conditional"] = {"html": specify_box(option)}
            else:
                after.append(specify_box(option))
        for follow in nested.get(q.id, {}).get(option.value, []):
            after.append(render_question(form, follow, nested, disabled,
                                         when=f"Answer this if you selected \u201c{option.label}\u201d above."))
        items.append(item)
    params = {"fieldset": {"legend": {"text": q.label, "classes": "govuk-fieldset__legend--s"}},
              "items": items, "hint": {"text": q.hint} if q.hint else None}
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
            "inputmode": "numeric",
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
    if q.type in ("single", "multiple"):
        return _render_choice(form, q, nested, attrs, disabled)
    params = {"label": {"text": q.label, "classes": "govuk-label--s"}, "attributes": attrs}
    hint = " ".join(filter(None, (when, q.hint)))
    if hint:
        params["hint"] = {"text": hint}
    if q.multiline:
        params.update({"maxlength": q.max_length, "rows": 5})
    else:
        params.update({"classes": "govuk-!-width-two-thirds" if q.max_length > 60 else "govuk-input--width-20"})
        if q.autocomplete:
            params["autocomplete"] = q.autocomplete
        if q.format == "email":
            params.update({"type": "email", "spellcheck": False})
        if q.format == "telephone":
            params.update({"type": "tel"})
    return Markup(f'<div class="app-question" id="q-{q.id}">') + field(params=params) + Markup("</div>")
