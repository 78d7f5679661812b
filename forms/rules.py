"""Routing: a pure evaluator of the rules in a questionnaire's ``when`` clauses.

A rule is data::

    {"question": "ict_aligned", "equals": "no"}
    {"question": "x", "in": ["a", "b"]}
    {"question": "x", "answered": true}
    {"all": [rule, ...]}  {"any": [rule, ...]}  {"not": rule}

``answers`` maps question ids to stored values (int, str, list of str). A multiple-choice
answer "equals" a value when that value is among those chosen.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import Question, Questionnaire

Rule = Mapping[str, Any]
"""A rule as the questionnaire file holds it (see above)."""


def _matches(answer: Any, value: Any) -> bool:
    if isinstance(answer, list):
        return value in answer
    return bool(answer == value)


def evaluate(rule: Rule | None, answers: Mapping[str, Any]) -> bool:
    if rule is None:
        return True
    if "all" in rule:
        return all(evaluate(r, answers) for r in rule["all"])
    if "any" in rule:
        return any(evaluate(r, answers) for r in rule["any"])
    if "not" in rule:
        return not evaluate(rule["not"], answers)
    answer = answers.get(rule["question"])
    if "equals" in rule:
        return _matches(answer, rule["equals"])
    if "in" in rule:
        return any(_matches(answer, v) for v in rule["in"])
    if "answered" in rule:
        return bool((answer not in (None, "", [])) == rule["answered"])
    raise ValueError(f"unknown rule: {rule!r}")


def referenced_questions(rule: Rule) -> Iterator[tuple[str, Any]]:
    """(question id, compared value or None) for every comparison in a rule."""
    for key in ("all", "any"):
        for sub in rule.get(key, ()):
            yield from referenced_questions(sub)
    if "not" in rule:
        yield from referenced_questions(rule["not"])
    if "question" in rule:
        if "equals" in rule:
            yield rule["question"], rule["equals"]
        elif "in" in rule:
            for v in rule["in"]:
                yield rule["question"], v
        else:
            yield rule["question"], None


def describe(rule: Rule | None, label_of: Callable[[str, Any], object] = lambda qid, value: value,
             name_of: Callable[[str], str] | None = None) -> str:
    """A short human-readable form of a rule: with question ids for the codebook, or with
    ``name_of`` naming each question in words, for readers of a report."""
    if rule is None:
        return ""
    if "all" in rule:
        return " and ".join(f"({describe(r, label_of, name_of)})" for r in rule["all"])
    if "any" in rule:
        return " or ".join(f"({describe(r, label_of, name_of)})" for r in rule["any"])
    if "not" in rule:
        return f"not ({describe(rule['not'], label_of, name_of)})"
    qid = rule["question"]
    who, equals, among, answered = (name_of(qid), "was", "was one of", "was answered") if name_of else \
        (qid, "=", "is one of", "is answered")
    left, right = ("“", "”") if name_of else ('"', '"')
    if "equals" in rule:
        return f'{who} {equals} {left}{label_of(qid, rule["equals"])}{right}'
    if "in" in rule:
        return f"{who} {among} " + ", ".join(f'{left}{label_of(qid, v)}{right}' for v in rule["in"])
    return f"{who} {answered if rule['answered'] else answered.replace('was', 'was not').replace('is', 'is not')}"


def is_asked(question: Question, answers: Mapping[str, Any]) -> bool:
    return evaluate(question.when, answers)


def asked(questions: Iterable[Question], answers: Mapping[str, Any]) -> list[Question]:
    """The questions that routing asks, given the answers so far (evaluated in order)."""
    return [q for q in questions if is_asked(q, answers)]


def prune(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Drop answers to questions routing no longer asks, and 'specify' text whose option is unchosen."""
    kept: dict[str, Any] = {}
    for q in questionnaire.questions():
        # Routing refers only to earlier questions, which are already in ``kept``.
        if q.id not in answers or not is_asked(q, kept):
            continue
        kept[q.id] = answers[q.id]
        other = q.other_id
        if other and other in answers and q.specify_option and _matches(answers[q.id], q.specify_option.value):
            kept[other] = answers[other]
    return kept
