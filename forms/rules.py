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
from dataclasses import dataclass
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


def describe(
    rule: Rule | None,
    label_of: Callable[[str, Any], object] = lambda qid, value: value,
    name_of: Callable[[str], str] | None = None,
) -> str:
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
    who, equals, among, answered = (
        (name_of(qid), "was", "was one of", "was answered") if name_of else (qid, "=", "is one of", "is answered")
    )
    left, right = ("“", "”") if name_of else ('"', '"')
    if "equals" in rule:
        return f"{who} {equals} {left}{label_of(qid, rule['equals'])}{right}"
    if "in" in rule:
        return f"{who} {among} " + ", ".join(f"{left}{label_of(qid, v)}{right}" for v in rule["in"])
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


# ---------------------------------------------------------------- soft checks

CHECK_KINDS = {
    # kind: the figures its message may name
    "change": {"value", "previous"},
    "ratio": {"value", "previous"},
    "share_rise": {"value", "previous", "share", "previous_share", "of", "previous_of"},
    "peer_range": {"value", "direction"},
}
"""Soft checks a number question may declare (``checks:`` in the questionnaire file):

``change``      the answer differs from the organisation's previous return by more than ``above``
                (0.5: more than half of last year's figure);
``ratio``       the answer is more than ``above`` times last year's (2), or less than ``below`` times (0.5);
``share_rise``  the answer as a percentage of question ``of`` rose by more than ``points`` percentage points;
``peer_range``  the answer lies outside the range of the previous edition's national figures
                (the 5th to 95th percentile, worked out by ``aggregation.peers``).

A check that lacks a figure it needs (no previous return, no previous edition, an unanswered or
"n/a" answer) does not apply. Its ``message`` names the figures: ``{value}``, ``{previous}``...
(``CHECK_KINDS``); ``{direction}`` is "higher" or "lower"."""


@dataclass(frozen=True)
class SoftWarning:
    """An answer that looks wrong: not an error, the person confirms it or changes it. ``key``
    changes whenever a figure the check read changes, so a changed answer raises it afresh."""

    key: str
    question_id: str
    message: str


def _figure(answers: Mapping[str, Any] | None, question_id: str) -> float | None:
    value = (answers or {}).get(question_id)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _shown(number: float) -> str:
    """A figure in a sentence: 40, 37.5, 12.3 (one decimal place at most)."""
    return f"{number:.1f}".rstrip("0").rstrip(".")


def _share(part: float | None, whole: float | None) -> float | None:
    if part is None or whole is None or whole <= 0:
        return None
    return 100 * part / whole


def _changed_by_more_than(value: float, previous: float, fraction: float) -> bool:
    if previous == 0:
        return value != 0
    return abs(value - previous) / previous > fraction


def _outside_ratio(value: float, previous: float, above: float, below: float) -> bool:
    if previous == 0:
        return value != 0
    return value / previous > above or value / previous < below


def check_warning(
    check: Mapping[str, Any],
    answers: Mapping[str, Any],
    last_year: Mapping[str, Any] | None,
    peers: Mapping[str, tuple[float, float]] | None,
) -> SoftWarning | None:
    """The warning one check raises on these answers, or None (also when it does not apply)."""
    qid, kind = check["question"], check["kind"]
    value = _figure(answers, qid)
    if value is None:
        return None
    figures: dict[str, str] = {"value": _shown(value)}
    inputs = [_shown(value)]
    if kind in ("change", "ratio"):
        previous = _figure(last_year, qid)
        if previous is None:
            return None
        figures["previous"] = _shown(previous)
        inputs.append(_shown(previous))
        raised = (
            _changed_by_more_than(value, previous, check["above"])
            if kind == "change"
            else _outside_ratio(value, previous, check["above"], check["below"])
        )
    elif kind == "share_rise":
        of, previous, previous_of = (
            _figure(answers, check["of"]),
            _figure(last_year, qid),
            _figure(last_year, check["of"]),
        )
        share, previous_share = _share(value, of), _share(previous, previous_of)
        if share is None or previous_share is None:
            return None
        assert of is not None and previous is not None and previous_of is not None
        figures |= {
            "previous": _shown(previous),
            "of": _shown(of),
            "previous_of": _shown(previous_of),
            "share": _shown(share),
            "previous_share": _shown(previous_share),
        }
        inputs += [_shown(of), _shown(previous), _shown(previous_of)]
        raised = share - previous_share > check["points"]
    elif kind == "peer_range":
        span = (peers or {}).get(qid)
        if span is None:
            return None
        low, high = span
        figures["direction"] = "higher" if value > high else "lower"
        inputs += [_shown(low), _shown(high)]
        raised = value < low or value > high
    else:
        raise ValueError(f"unknown check: {kind!r}")
    if not raised:
        return None
    return SoftWarning(f"{qid}:{kind}:{'/'.join(inputs)}", qid, check["message"].format(**figures))


def describe_check(check: Mapping[str, Any]) -> str:
    """A soft check in a few words, for the codebook."""
    kind = check["kind"]
    if kind == "change":
        return f"warning if it changed by more than {_shown(100 * check['above'])}% since last year"
    if kind == "ratio":
        return f"warning if over {_shown(check['above'])} or under {_shown(check['below'])} times last year's"
    if kind == "share_rise":
        return f"warning if its share of {check['of']} rose more than {_shown(check['points'])} points since last year"
    return "warning if outside the 5th-95th percentile of last year's national figures"


def soft_warnings(
    checks: Iterable[Mapping[str, Any]],
    answers: Mapping[str, Any],
    last_year: Mapping[str, Any] | None = None,
    peers: Mapping[str, tuple[float, float]] | None = None,
) -> list[SoftWarning]:
    """Every warning ``checks`` raise on a page's ``answers``, given the organisation's previous
    return (``last_year``, None if there is none) and the previous edition's national ranges
    (``peers``: question id -> (5th, 95th percentile); None if there is no previous edition)."""
    found = (check_warning(c, answers, last_year, peers) for c in checks)
    return [w for w in found if w is not None]
