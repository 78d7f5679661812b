"""Questionnaire definitions: versioned data files, their JSON Schema, and a loader.

The questionnaires themselves are data (``questionnaires/*.yaml``). This package only reads
them into small immutable objects that both the web application and ``aggregation`` use, so
neither has to know the file format. Nothing here imports Flask.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .answer_types import DONT_KNOW as DONT_KNOW
from .answer_types import NOT_APPLICABLE as NOT_APPLICABLE
from .answer_types import TYPES, Agreement, AnswerType
from .rules import CHECK_KINDS, referenced_questions

HERE = Path(__file__).resolve().parent
SCHEMA_PATH = HERE / "questionnaire.schema.json"
QUESTIONNAIRE_DIR = HERE / "questionnaires"

KINDS = ("return", "staff")
"""What a questionnaire is: an organisation's return, or the staff survey practitioners answer."""
STANDARDS = range(1, 9)
"""The eight Standards for Employers of Social Workers (2020) a staff survey scores."""
AGREEMENT_SCORES = {"strongly_disagree": 0, "disagree": 25, "neither": 50, "agree": 75, "strongly_agree": 100}
"""An agreement answer's score out of 100; "don't know" (and no answer) is left out."""


class DefinitionError(ValueError):
    """A questionnaire file is not valid: the message lists every problem."""


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    specify: bool = False
    exclusive: bool = False


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: str
    section_id: str
    name: str | None = None
    hint: str | None = None
    required: bool = False
    optional: bool = False
    when: dict[str, Any] | None = None
    # number
    min: int | None = None
    max: int | None = None
    decimals: int = 0  # decimal places a number may have (37.5 hours: 1)
    at_most: str | None = None
    suffix: str | None = None
    not_applicable: str | None = None
    checks: tuple[dict[str, Any], ...] = ()  # soft checks, each with its "question" (forms.rules.soft_warnings)
    # single / multiple
    options: tuple[Option, ...] = ()
    # text
    max_length: int | None = None
    multiline: bool = True
    autocomplete: str | None = None
    format: str | None = None
    # agreement: the Standard (1-8) the statement is scored for, if it is scored
    standard: int | None = None

    @property
    def in_words(self) -> str:
        """The question named in a sentence: its name, or the answer to its wording."""
        return self.name or f"the answer to “{self.label}”"

    @cached_property
    def other_id(self) -> str | None:
        """Id under which the text of an 'Other (please specify)' option is stored."""
        return f"{self.id}_other" if any(o.specify for o in self.options) else None

    @cached_property
    def answer_type(self) -> AnswerType:
        """All that differs by the kind of question (``type``): its fields, checks and readings."""
        return TYPES[self.type](self)

    @cached_property
    def specify_option(self) -> Option | None:
        return next((o for o in self.options if o.specify), None)

    @property
    def counts_for_completion(self) -> bool:
        return not self.optional

    @cached_property
    def options_by_value(self) -> dict[str, Option]:
        return {o.value: o for o in self.options}

    @cached_property
    def codes_by_label(self) -> dict[str, str]:
        """Option codes by their labels, case-folded (for files that hold labels, not codes)."""
        return {o.label.casefold(): o.value for o in self.options}

    def option(self, value: str) -> Option | None:
        # A dictionary, not a scan of the options: an import of 10,000 returns asks a million times.
        try:
            return self.options_by_value.get(value)
        except TypeError:  # an unhashable value is no option's code
            return None

    def option_label(self, value: str) -> str:
        opt = self.option(value)
        return opt.label if opt else value


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    questions: tuple[Question, ...]
    kind: str = "standard"
    standard: int | None = None
    statement: str | None = None
    description: str | None = None

    @property
    def heading(self) -> str:
        return f"Standard {self.standard}: {self.title}" if self.standard else self.title


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: str
    title: str
    declaration: str
    sections: tuple[Section, ...]
    kind: str = "return"
    short_title: str | None = None
    introduction: dict[str, Any] = field(default_factory=dict)
    previous: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def renamed(self) -> dict[str, str]:
        """Question ids of the previous version, renamed in this one: old id -> new id."""
        renamed: dict[str, str] = self.previous.get("renamed", {})
        return renamed

    def previous_id(self, question_id: str) -> str:
        """The id this question had in the previous version (unchanged unless renamed)."""
        for old, new in self.renamed.items():
            if new == question_id:
                return old
        return question_id

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    def questions(self) -> Iterator[Question]:
        for section in self.sections:
            yield from section.questions

    def question(self, question_id: str) -> Question:
        for q in self.questions():
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    def neighbours(self, section_id: str) -> tuple[Section | None, Section | None]:
        ids = [s.id for s in self.sections]
        i = ids.index(section_id)
        prev = self.sections[i - 1] if i > 0 else None
        nxt = self.sections[i + 1] if i + 1 < len(self.sections) else None
        return prev, nxt

    def checks(self, section_id: str | None = None) -> list[dict[str, Any]]:
        """The soft checks of one page's questions, or of every question."""
        return [c for q in self.questions() if section_id in (None, q.section_id) for c in q.checks]

    def answer_keys(self) -> list[str]:
        """Every key an answer can be stored under, in questionnaire order (the codebook's columns)."""
        keys = []
        for q in self.questions():
            keys.append(q.id)
            if q.other_id:
                keys.append(q.other_id)
        return keys


AGREEMENT = tuple(Option(value, label) for value, label in Agreement.default_options)
"""The five-point agreement scale, and "don't know": the options of every agreement question."""


def _question(raw: dict[str, Any], section_id: str) -> Question:
    data = dict(raw)
    options = tuple(Option(**o) for o in data.pop("options", ())) or tuple(
        Option(value, label) for value, label in TYPES[data["type"]].default_options
    )
    checks = tuple({**c, "question": data["id"]} for c in data.pop("checks", ()))
    return Question(section_id=section_id, options=options, checks=checks, **data)


def parse(data: dict[str, Any]) -> Questionnaire:
    """Validate a questionnaire dict against the schema and the semantic rules; build it."""
    problems = [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
        for e in sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    ]
    if problems:
        raise DefinitionError("\n".join(problems))
    sections = tuple(
        Section(
            id=s["id"],
            title=s["title"],
            kind=s.get("kind", "standard"),
            standard=s.get("standard"),
            statement=s.get("statement"),
            description=s.get("description"),
            questions=tuple(_question(q, s["id"]) for q in s["questions"]),
        )
        for s in data["sections"]
    )
    q = Questionnaire(
        id=data["id"],
        version=data["version"],
        kind=data.get("kind", "return"),
        title=data["title"],
        declaration=data["declaration"],
        short_title=data.get("short_title"),
        introduction=data.get("introduction", {}),
        previous=data.get("previous", {}),
        sections=sections,
        raw=data,
    )
    problems = semantic_problems(q)
    if problems:
        raise DefinitionError("\n".join(problems))
    return q


def semantic_problems(q: Questionnaire) -> list[str]:
    """What a JSON Schema cannot say: unique ids, routing only to earlier questions, ..."""
    problems = _section_problems(q)
    earlier: dict[str, Question] = {}
    keys: set[str] = set()
    for question in q.questions():
        problems += _question_problems(question, earlier, keys)
        earlier[question.id] = question
    for old, new in q.renamed.items():
        if new not in earlier:
            problems.append(f"previous: {old} is renamed to {new}, which is not a question of this version")
    if q.kind == "staff":
        problems += _scoring_problems(q)
    return problems


def _scoring_problems(q: Questionnaire) -> list[str]:
    """A staff survey scores every Standard, each from at least three statements."""
    scored: dict[int, int] = {}
    for question in q.questions():
        if question.standard is not None:
            scored[question.standard] = scored.get(question.standard, 0) + 1
    return [
        f"standard {n}: {scored.get(n, 0)} scored statement{'s' if scored.get(n, 0) != 1 else ''}, at least 3 needed"
        for n in STANDARDS
        if scored.get(n, 0) < 3
    ]


def _section_problems(q: Questionnaire) -> list[str]:
    problems: list[str] = []
    seen_sections: set[str] = set()
    for s in q.sections:
        if s.id in seen_sections:
            problems.append(f"section {s.id}: duplicate section id")
        seen_sections.add(s.id)
    return problems


def _question_problems(question: Question, earlier: dict[str, Question], keys: set[str]) -> list[str]:
    """One question's problems, given the questions before it (``earlier``) and the answer keys
    used so far (``keys``, to which this question's are added)."""
    problems: list[str] = []
    where = f"question {question.id}"
    for key in filter(None, (question.id, question.other_id)):
        if key in keys:
            problems.append(f"{where}: id {key} is used more than once")
        keys.add(key)
    problems += _option_problems(question, where)
    problems += question.answer_type.problems(where)
    if question.at_most:
        target = earlier.get(question.at_most)
        if target is None or not target.answer_type.numeric:
            problems.append(f"{where}: at_most must name an earlier number question, not {question.at_most}")
    if question.when:
        problems += _routing_problems(question.when, where, earlier)
    problems += _check_problems(question, where, earlier)
    return problems


def _check_problems(question: Question, where: str, earlier: dict[str, Question]) -> list[str]:
    """A share is of an earlier number question; a message names only the figures its check has."""
    problems: list[str] = []
    for check in question.checks:
        of = earlier.get(check["of"]) if "of" in check else None
        if "of" in check and (of is None or not of.answer_type.numeric):
            problems.append(
                f"{where}: a {check['kind']} check must be of an earlier number question, not {check['of']}"
            )
        try:
            named = {field for _, field, _, _ in string.Formatter().parse(check["message"]) if field is not None}
        except ValueError as exc:
            problems.append(f"{where}: the {check['kind']} check's message cannot be read: {exc}")
            continue
        unknown = sorted(named - CHECK_KINDS[check["kind"]])
        if unknown:
            problems.append(
                f"{where}: the {check['kind']} check's message names {', '.join(unknown)}, which "
                f"it does not have (it has {', '.join(sorted(CHECK_KINDS[check['kind']]))})"
            )
    return problems


def _option_problems(question: Question, where: str) -> list[str]:
    problems: list[str] = []
    values = [o.value for o in question.options]
    labels = [o.label.casefold() for o in question.options]
    if len(set(values)) != len(values):
        problems.append(f"{where}: option values are not unique")
    if len(set(labels)) != len(labels):
        problems.append(f"{where}: option labels are not unique")
    if sum(o.specify for o in question.options) > 1:
        problems.append(f"{where}: at most one option may ask the respondent to specify")
    return problems


def _routing_problems(when: dict[str, Any], where: str, earlier: dict[str, Question]) -> list[str]:
    """A routing rule may compare only earlier questions, and a choice question only with its options."""
    problems: list[str] = []
    for ref, value in referenced_questions(when):
        target = earlier.get(ref)
        if target is None:
            problems.append(f"{where}: routing refers to {ref}, which is not an earlier question")
        elif value is not None and target.options and target.option(str(value)) is None:
            problems.append(f"{where}: routing compares {ref} with {value!r}, which is not one of its options")
    return problems


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def load_file(path: Path | str) -> Questionnaire:
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    try:
        return parse(data)
    except DefinitionError as exc:
        raise DefinitionError(f"{path.name}:\n{exc}") from None


_extra_dirs: list[Path] = []
# What is cached from the folders, cleared when one is added or taken away: the catalogue, the
# questionnaires, and whatever a module built on them registers (tablespec registers its tables),
# so that this module need not import those that import it.
_caches: list[Callable[[], None]] = []


def on_folders_changed(clear: Callable[[], None]) -> None:
    _caches.append(clear)


def _folders_changed() -> None:
    _catalogue.cache_clear()
    load.cache_clear()
    for clear in _caches:
        clear()


def register_directory(path: Path | str) -> None:
    """Look for questionnaires in another folder too (a deployment's own, or tests' fixtures)."""
    path = Path(path).resolve()
    if path not in _extra_dirs:
        _extra_dirs.append(path)
        _folders_changed()


def unregister_directory(path: Path | str) -> None:
    path = Path(path).resolve()
    if path in _extra_dirs:
        _extra_dirs.remove(path)
        _folders_changed()


def definition_files() -> list[Path]:
    return sorted(p for d in [QUESTIONNAIRE_DIR, *_extra_dirs] for p in d.glob("*.yaml"))


@cache
def _catalogue() -> dict[tuple[str, str], tuple[Path, str]]:
    """(id, version) -> (file, kind) of every questionnaire file."""
    found = {}
    for path in definition_files():
        with path.open(encoding="utf-8") as fh:
            head = yaml.safe_load(fh)
        found[(head["id"], str(head["version"]))] = (path, head.get("kind", "return"))
    return found


@cache
def load(questionnaire_id: str, version: str) -> Questionnaire:
    """The questionnaire with this id and version, from ``forms/questionnaires``."""
    try:
        path = _catalogue()[(questionnaire_id, version)][0]
    except KeyError:
        raise KeyError(f"no questionnaire {questionnaire_id} version {version}") from None
    return load_file(path)


def available(kind: str | None = None) -> list[tuple[str, str]]:
    """(id, version) of every questionnaire, or of every one of ``kind`` ("return" or "staff")."""
    return sorted(key for key, (_, of_kind) in _catalogue().items() if kind in (None, of_kind))
