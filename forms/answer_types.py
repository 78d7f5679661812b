"""One class per kind of question (its ``type`` in the questionnaire file), owning all that differs
between kinds: the form fields it is answered in and what they post, the rules a typed value or an
import cell must meet (with the messages), how its answer reads on check answers, in exports and in
the audit trail, its synthetic answers, its codebook entry and what its definition may say.

The code that walks a questionnaire (``forms.validation``, ``forms.synthetic``, ``forms.codebook``,
the importer, the web forms) asks a question's ``answer_type`` and never tests ``type`` itself.
A new kind of question is one class here, added to ``TYPES``, and its entry in the schema.

This module is a leaf: it imports nothing of ``forms`` at run time, so ``forms`` can build each
question's answer type (``Question.answer_type``) and check definitions with it.
"""

from __future__ import annotations

import random
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from email_validator import EmailNotValidError, validate_email

if TYPE_CHECKING:
    from . import Question

NOT_APPLICABLE = "n/a"
"""Stored value of a number question whose 'no such role' box was ticked."""
DONT_KNOW = "dont_know"

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

# Synthetic answers: fictional phrases and plausible ranges for the numbers a return asks.
PHRASES = [
    "Figures are for the end of October.",
    "Recruitment to two posts is under way.",
    "A new case management system goes live next year.",
    "Our local health check found similar results.",
    "Peer support sessions run monthly.",
    "Staff surveys inform this answer.",
]
NUMBER_RANGES = {
    "posts": (5, 60),
    "hours_per_week": (33, 40),
    "caseload_team_member": (12, 30),
    "caseload_senior_practitioner": (0, 14),
    "caseload_team_manager": (0, 6),
}

Checked = tuple[Any, str | None]
"""A stored value (None where blank) and the message for the person who typed it, if it is wrong."""
Posted = Callable[[str], Any]
"""Reads one posted form field by its name."""


def message(key: str, question: Question | None = None, **values: Any) -> str:
    if "name" in values:
        name = values.pop("name")
    else:
        name = question.name if question and question.name else "an answer"
    return MESSAGES[key].format(name=name, Name=name[:1].upper() + name[1:], **values)


def clean_text(value: str) -> str:
    """Normalise line endings and Unicode, drop control characters, trim the ends."""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL.sub("", value).strip()


def short_option(label: str) -> str:
    """An option's label without its "(please specify)"."""
    return re.sub(r"\s*\((please specify|please state)\)\s*$", "", label, flags=re.I)


def first(raw: Any) -> str:
    if isinstance(raw, (list, tuple)):
        raw = raw[0] if raw else ""
    return "" if raw is None else str(raw)


def _as_list(raw: Any) -> list[str]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, (list, tuple)):
        return [str(v) for v in raw if str(v) != ""]
    return [str(raw)]


class FieldKit(Protocol):
    """The web layer's form fields, as an answer type asks for them (``forms`` has no web library)."""

    def text(self, label: str, hint: str | None = None) -> Any: ...
    def textarea(self, label: str, hint: str | None = None) -> Any: ...
    def checkbox(self, label: str) -> Any: ...
    def radios(self, label: str, hint: str | None, choices: list[tuple[str, str]]) -> Any: ...
    def checkboxes(self, label: str, hint: str | None, choices: list[tuple[str, str]]) -> Any: ...


class AnswerType(ABC):
    """What every kind of question does; each subclass says how its own kind does it."""

    name: ClassVar[str]
    required_message: ClassVar[str] = "required_text"  # the message when a required one is left blank
    free_text: ClassVar[bool] = False  # answered in the person's own words: reviewed, redacted, deleted in time
    choice: ClassVar[bool] = False  # answered by choosing among options, rendered as one group
    group_classes: ClassVar[str | None] = None  # that group's classes (radios or checkboxes)
    reveals_followups: ClassVar[bool] = False  # its options may ask routed questions shown beneath them
    default_options: ClassVar[tuple[tuple[str, str], ...]] = ()  # (value, label) when the file lists none
    numeric: ClassVar[bool] = False  # a count: what ``at_most`` and a share's ``of`` must name
    on_scale: ClassVar[bool] = False  # rated on the agreement scale: what the staff survey scores

    def __init__(self, question: Question) -> None:
        self.q = question

    # ------------------------------------------------------------ the form

    @abstractmethod
    def fields(self, kit: FieldKit) -> dict[str, Any]:
        """The form fields by name: the question's own, then any beside it."""

    def field_keys(self) -> list[str]:
        """The form fields this question renders, its 'specify' box included."""
        return [k for k in (self.q.id, self.q.other_id) if k]

    def posted(self, get: Posted, getlist: Posted) -> dict[str, Any]:
        """What was posted, by answer key, for validation."""
        raw = {self.q.id: get(self.q.id)}
        if self.q.other_id:
            raw[self.q.other_id] = get(self.q.other_id)
        return raw

    def initial(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Stored answers -> the form's data."""
        value = answers.get(self.q.id)
        data = {} if value is None else {self.q.id: value}
        if self.q.other_id and answers.get(self.q.other_id):
            data[self.q.other_id] = answers[self.q.other_id]
        return data

    def render_params(self, attrs: dict[str, Any], when: str | None) -> list[tuple[str, dict[str, Any]]]:
        """(field, GOV.UK macro parameters) for each field shown, in order. A choice has none: its
        options render as one group, with their follow-ups (``answer_fields``)."""
        raise TypeError(f"{type(self).__name__} renders as a group of options, not field by field")

    # ------------------------------------------------------------ checking and reading in

    @abstractmethod
    def check(self, raw: Mapping[str, Any]) -> Checked:
        """The stored value of what was typed (or read from a file), or why it is wrong."""

    def from_cell(self, cell: str) -> dict[str, Any]:
        """An import file's cell -> what a form would have posted."""
        return {self.q.id: cell}

    # ------------------------------------------------------------ reading out

    def display(self, answers: Mapping[str, Any]) -> list[str]:
        """How the answer reads on check answers, in PDFs, exports and the audit trail: a line each."""
        value = answers.get(self.q.id)
        return [] if value in (None, "", []) else self.lines(value, answers)

    def lines(self, value: Any, answers: Mapping[str, Any]) -> list[str]:
        return [str(value)]

    def constraints(self) -> list[str]:
        """What the codebook says a value must be, beyond its options."""
        return []

    @abstractmethod
    def described(self) -> str:
        """What the answer must be, in a sentence for the questionnaire printed in a report."""

    # ------------------------------------------------------------ synthetic answers

    @abstractmethod
    def synthetic(self, rng: random.Random, so_far: Mapping[str, Any]) -> Any:
        """A valid answer, given those drawn so far; None to leave it unanswered."""

    # ------------------------------------------------------------ its definition

    def problems(self, where: str) -> list[str]:
        """What this kind of question's definition may not say."""
        if any(o.exclusive for o in self.q.options):
            return [f"{where}: only multiple-choice options can be exclusive"]
        return []


class Number(AnswerType):
    """A whole number (or one with ``decimals`` places) within bounds, or "no such role"."""

    name = "number"
    numeric = True

    @property
    def none_key(self) -> str | None:
        return f"{self.q.id}_none" if self.q.not_applicable else None

    def fields(self, kit: FieldKit) -> dict[str, Any]:
        fields = {self.q.id: kit.text(self.q.label, self.q.hint)}
        if self.none_key and self.q.not_applicable:
            fields[self.none_key] = kit.checkbox(self.q.not_applicable)
        return fields

    def field_keys(self) -> list[str]:
        return [k for k in (self.q.id, self.q.other_id, self.none_key) if k]

    def posted(self, get: Posted, getlist: Posted) -> dict[str, Any]:
        raw = super().posted(get, getlist)
        if self.none_key:
            raw[self.none_key] = get(self.none_key)
        return raw

    def initial(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        value = answers.get(self.q.id)
        data: dict[str, Any] = {}
        if value == NOT_APPLICABLE:
            data[f"{self.q.id}_none"] = True
        elif value is not None:
            data[self.q.id] = str(value)
        if self.q.other_id and answers.get(self.q.other_id):
            data[self.q.other_id] = answers[self.q.other_id]
        return data

    def render_params(self, attrs: dict[str, Any], when: str | None) -> list[tuple[str, dict[str, Any]]]:
        q = self.q
        params: dict[str, Any] = {
            "label": {"text": q.label, "classes": "govuk-label--s"},
            "classes": "govuk-input--width-5",
            "inputmode": "decimal" if q.decimals else "numeric",
            "spellcheck": False,
            "attributes": attrs,
        }
        if q.suffix:
            params["suffix"] = {"text": q.suffix}
        shown = [(q.id, params)]
        if self.none_key:
            shown.append(
                (self.none_key, {"classes": "govuk-checkboxes--small", "items": [{"value": "y", "attributes": attrs}]})
            )
        return shown

    def check(self, raw: Mapping[str, Any]) -> Checked:
        q = self.q
        text = clean_text(first(raw.get(q.id))).replace(",", "").replace(" ", "")
        if first(raw.get(f"{q.id}_none")):
            if text:
                return None, message("number_and_none", q, none_label=q.not_applicable)
            return NOT_APPLICABLE, None
        if text == "" or text.lower() == NOT_APPLICABLE and q.not_applicable:
            return (NOT_APPLICABLE if text else None), None
        if re.fullmatch(r"[+-]?[0-9]{1,15}\.[0-9]*|[+-]?\.[0-9]+", text):
            return self._decimal(text)
        if not re.fullmatch(r"[+-]?[0-9]{1,15}", text):
            if re.fullmatch(r"[+-]?[0-9]+", text):  # absurdly long digit strings
                return None, message(
                    "too_big" if not text.startswith("-") else "too_small", q, max=f"{q.max:,}", min=q.min
                )
            return None, message("not_whole", q)
        return self._within(int(text))

    def _within(self, number: int | float) -> Checked:
        q = self.q
        if q.min is not None and number < q.min:
            return None, message("too_small", q, min=q.min)
        if q.max is not None and number > q.max:
            return None, message("too_big", q, max=f"{q.max:,}")
        return number, None

    def _decimal(self, text: str) -> Checked:
        """A number typed with a decimal point: refused where the question wants a whole number,
        else kept to the places it allows (a whole value, such as 37.0, is stored as 37)."""
        q = self.q
        places = len(text.split(".", 1)[1].rstrip("0"))
        if not q.decimals:
            return None, message("decimal", q)
        if places > q.decimals:
            digits = "1 digit" if q.decimals == 1 else f"{q.decimals} digits"
            return None, message("places", q, places=digits, example="37.5" if q.decimals == 1 else "37.25")
        number, error = self._within(float(text))
        if error:
            return None, error
        return (int(number) if number.is_integer() else round(number, q.decimals)), None

    def from_cell(self, cell: str) -> dict[str, Any]:
        if self.none_key and cell.lower() == NOT_APPLICABLE:
            return {self.none_key: "y"}
        return {self.q.id: cell}

    def lines(self, value: Any, answers: Mapping[str, Any]) -> list[str]:
        if value == NOT_APPLICABLE:
            return [self.q.not_applicable or "Not applicable"]
        return [f"{value} {self.q.suffix}" if self.q.suffix else str(value)]

    def constraints(self) -> list[str]:
        q = self.q
        found = [f"whole number {q.min}-{q.max}"]
        if q.at_most:
            found.append(f"at most {q.at_most}")
        if q.not_applicable:
            found.append(f'"{NOT_APPLICABLE}" = {q.not_applicable}')
        return found

    def described(self) -> str:
        q = self.q
        places = f", to {q.decimals} decimal place" if q.decimals else ""
        return (
            ("Number" if q.decimals else "Whole number")
            + f" from {q.min} to {q.max}{places}"
            + (f" ({q.suffix})" if q.suffix else "")
            + (f", or “{q.not_applicable}”" if q.not_applicable else "")
        )

    def synthetic(self, rng: random.Random, so_far: Mapping[str, Any]) -> Any:
        q = self.q
        if q.not_applicable and rng.random() < 0.05:
            return NOT_APPLICABLE
        low, high = NUMBER_RANGES.get(q.id, (0, 3))
        high = min(high, q.max if q.max is not None else high)
        if q.at_most and isinstance(so_far.get(q.at_most), int):
            high = min(high, so_far[q.at_most])
        return rng.randint(max(low, q.min or 0), max(high, q.min or 0))

    def problems(self, where: str) -> list[str]:
        found = super().problems(where)
        if self.q.min is not None and self.q.max is not None and self.q.min > self.q.max:
            found.append(f"{where}: min is greater than max")
        return found


class Choice(AnswerType):
    """Answered by choosing among the question's options; an option may ask for details."""

    required_message = "required_choice"
    choice = True

    def other_field(self, kit: FieldKit) -> dict[str, Any]:
        spec = self.q.specify_option
        return {self.q.other_id: kit.text(spec.label if spec else "Please specify")} if self.q.other_id else {}

    def choices(self) -> list[tuple[str, str]]:
        return [(o.value, o.label) for o in self.q.options]

    def codes(self, cell: str) -> list[str]:
        """Option codes from a cell holding codes or labels."""
        by_label = self.q.codes_by_label
        return [p if self.q.option(p) else by_label.get(p.casefold(), p) for p in [cell.strip()] if p]

    def from_cell(self, cell: str) -> dict[str, Any]:
        codes = self.codes(cell)
        return {self.q.id: codes[0] if codes else ""}

    def lines(self, value: Any, answers: Mapping[str, Any]) -> list[str]:
        q, found = self.q, []
        for v in value if isinstance(value, list) else [value]:
            opt = q.option(v)
            label = opt.label if opt else str(v)
            if opt is not None and opt.specify and q.other_id and answers.get(q.other_id):
                label = f"{short_option(opt.label)}: {answers[q.other_id]}"
            found.append(label)
        return found


class Single(Choice):
    """One option, as radios."""

    name = "single"
    reveals_followups = True

    def fields(self, kit: FieldKit) -> dict[str, Any]:
        return {self.q.id: kit.radios(self.q.label, self.q.hint, self.choices()), **self.other_field(kit)}

    def described(self) -> str:
        return "Choose one"

    def check(self, raw: Mapping[str, Any]) -> Checked:
        value = first(raw.get(self.q.id))
        if value == "":
            return None, None
        if self.q.option(value) is None:
            return None, message("bad_option", self.q)
        return value, None

    def synthetic(self, rng: random.Random, so_far: Mapping[str, Any]) -> Any:
        weights = [1 / (i + 1) ** 1.3 for i in range(len(self.q.options))]
        return rng.choices([o.value for o in self.q.options], weights)[0]


class Agreement(Single):
    """A statement rated on the five-point agreement scale, or "don't know"; the staff survey
    scores it for its Standard."""

    name = "agreement"
    on_scale = True
    reveals_followups = False
    group_classes = "govuk-radios--small"
    default_options = (
        ("strongly_disagree", "Strongly disagree"),
        ("disagree", "Disagree"),
        ("neither", "Neither agree nor disagree"),
        ("agree", "Agree"),
        ("strongly_agree", "Strongly agree"),
        (DONT_KNOW, "Don't know / not applicable"),
    )

    def synthetic(self, rng: random.Random, so_far: Mapping[str, Any]) -> Any:  # mostly agreeing, as surveys find
        return rng.choices([o.value for o in self.q.options], [4, 10, 18, 38, 22, 8])[0]


class Multiple(Choice):
    """Any of the options, as checkboxes; an exclusive option ("None of these") stands alone."""

    name = "multiple"

    def fields(self, kit: FieldKit) -> dict[str, Any]:
        return {self.q.id: kit.checkboxes(self.q.label, self.q.hint, self.choices()), **self.other_field(kit)}

    def posted(self, get: Posted, getlist: Posted) -> dict[str, Any]:
        return {**super().posted(get, getlist), self.q.id: getlist(self.q.id)}

    def described(self) -> str:
        return "Choose all that apply"

    def check(self, raw: Mapping[str, Any]) -> Checked:
        q = self.q
        chosen = list(dict.fromkeys(_as_list(raw.get(q.id))))
        if any(q.option(v) is None for v in chosen):
            return None, message("bad_option", q)
        if len(chosen) > 1:
            for v in chosen:
                opt = q.option(v)
                if opt is not None and opt.exclusive:
                    return None, message("exclusive", q, option=opt.label)
        ordered = [o.value for o in q.options if o.value in chosen]
        return (ordered or None), None

    def codes(self, cell: str) -> list[str]:  # several, separated by ';'
        by_label = self.q.codes_by_label
        return [
            p if self.q.option(p) else by_label.get(p.casefold(), p) for p in (c.strip() for c in cell.split(";")) if p
        ]

    def from_cell(self, cell: str) -> dict[str, Any]:
        return {self.q.id: self.codes(cell)}

    def synthetic(self, rng: random.Random, so_far: Mapping[str, Any]) -> Any:
        options = self.q.options
        plain = [o.value for o in options if not o.exclusive]
        chosen = [v for i, v in enumerate(plain) if rng.random() < 0.7 / (1 + i * 0.15)]
        exclusive = [o.value for o in options if o.exclusive]
        if not chosen and exclusive:
            chosen = [exclusive[0]]
        return [o.value for o in options if o.value in chosen] if chosen else None

    def problems(self, where: str) -> list[str]:
        return []  # its options may be exclusive


class Text(AnswerType):
    """Words typed by the person, on one line or several, perhaps an email address or telephone."""

    name = "text"
    free_text = True

    def fields(self, kit: FieldKit) -> dict[str, Any]:
        if self.q.multiline:
            return {self.q.id: kit.textarea(self.q.label, self.q.hint)}
        return {self.q.id: kit.text(self.q.label, self.q.hint)}

    def render_params(self, attrs: dict[str, Any], when: str | None) -> list[tuple[str, dict[str, Any]]]:
        q = self.q
        params: dict[str, Any] = {"label": {"text": q.label, "classes": "govuk-label--s"}, "attributes": attrs}
        hint = " ".join(filter(None, (when, q.hint)))
        if hint:
            params["hint"] = {"text": hint}
        if q.multiline:
            params.update({"maxlength": q.max_length, "rows": 5})
        else:
            params.update(
                {"classes": "govuk-!-width-two-thirds" if (q.max_length or 0) > 60 else "govuk-input--width-20"}
            )
            if q.autocomplete:
                params["autocomplete"] = q.autocomplete
            if q.format == "email":
                params.update({"type": "email", "spellcheck": False})
            if q.format == "telephone":
                params.update({"type": "tel"})
        return [(q.id, params)]

    def check(self, raw: Mapping[str, Any]) -> Checked:
        q = self.q
        value = clean_text(first(raw.get(q.id)))
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
        if q.format == "telephone" and (not _PHONE.match(value) or sum(c.isdigit() for c in value) < 7):
            return value, message("telephone", q)
        return value, None

    def lines(self, value: Any, answers: Mapping[str, Any]) -> list[str]:
        return [value]

    def described(self) -> str:
        return f"Text, up to {self.q.max_length} characters"

    def constraints(self) -> list[str]:
        return [f"up to {self.q.max_length} characters"] + ([self.q.format] if self.q.format else [])

    def synthetic(self, rng: random.Random, so_far: Mapping[str, Any]) -> Any:
        return rng.choice(PHRASES)[: self.q.max_length]


TYPES: dict[str, type[AnswerType]] = {t.name: t for t in (Number, Single, Multiple, Text, Agreement)}
"""Every kind of question by its ``type`` in the questionnaire file."""
