"""Synthetic returns for demos, benchmarks and tests: valid answers for any questionnaire,
honouring routing, bounds and cross-checks; and staff survey answers that differ between
organisations and standards, as real ones do. Fictional by construction."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from . import AGREEMENT, DONT_KNOW, STANDARDS, Questionnaire
from .rules import is_asked


def answers(questionnaire: Questionnaire, rng: random.Random, organisation: str = "Example Council") -> dict[str, Any]:
    """Valid answers to every question routing asks, each drawn as its answer type draws them
    (``AnswerType.synthetic``); contact details that look real; some questions left out."""
    out: dict[str, Any] = {}
    for q in questionnaire.questions():
        if not is_asked(q, out):
            continue
        if q.required:
            out[q.id] = _contact(q.id, organisation, rng)
            continue
        if q.optional and rng.random() > 0.3:
            continue
        if rng.random() < 0.04:  # some respondents leave a question out
            continue
        value = q.answer_type.synthetic(rng, out)
        if value is not None:
            out[q.id] = value
        spec, other_id = q.specify_option, q.other_id  # a question has both or neither
        if (
            spec is not None
            and other_id is not None
            and (out.get(q.id) == spec.value or spec.value in (out.get(q.id) or []))
        ):
            out[other_id] = rng.choice(["Shadowing", "Secondments", "Practice forums", "Wellbeing champions"])
    return out


# How far each 2020 Standard leans from "neither agree nor disagree", in steps of the five-point
# scale (agree is +1): workloads and workforce planning rated lowest, the framework and wellbeing
# highest, as employers' health checks tend to find.
STANDARD_EFFECTS = {1: 0.5, 2: -0.2, 3: -0.4, 4: 0.4, 5: 0.3, 6: 0.1, 7: 0.4, 8: -0.1}
SCALE = [o.value for o in AGREEMENT if o.value != DONT_KNOW]  # strongly disagree .. strongly agree


def leaning(rng: random.Random) -> dict[int, float]:
    """One organisation's leaning on each standard: an effect of the organisation (some rated well
    throughout, some poorly), the standard's, and a little of the two together."""
    organisation = rng.gauss(0.45, 0.5)
    return {n: organisation + STANDARD_EFFECTS.get(n, 0.0) + rng.gauss(0, 0.25) for n in STANDARDS}


def staff_answers(
    questionnaire: Questionnaire,
    rng: random.Random,
    organisation: str = "Example Council",
    lean: Mapping[int, float] | None = None,
) -> dict[str, Any]:
    """A practitioner's answers to a staff survey: valid answers throughout (``answers``), each
    scored statement drawn around the organisation's ``lean`` on its standard (``leaning``) plus the
    person's own, and intending to stay more likely the better they rate their employer."""
    out = answers(questionnaire, rng, organisation)
    lean = lean or {n: 0.3 + STANDARD_EFFECTS.get(n, 0.0) for n in STANDARDS}
    person = rng.gauss(0, 0.5)
    rated = []
    for q in questionnaire.questions():
        if not q.answer_type.on_scale or q.id not in out or q.id == "intend_to_stay":
            continue
        if rng.random() < 0.05:
            out[q.id] = DONT_KNOW
            continue
        level = (lean.get(q.standard, 0.3) if q.standard else 0.3) + person + rng.gauss(0, 0.7)
        out[q.id] = SCALE[min(4, max(0, round(level) + 2))]
        rated.append(level)
    if "intend_to_stay" in out:
        mood = sum(rated) / len(rated) if rated else 0.0
        out["intend_to_stay"] = SCALE[min(4, max(0, round(0.2 + 0.8 * mood + rng.gauss(0, 0.8)) + 2))]
    return out


def _contact(qid: str, organisation: str, rng: random.Random) -> str:
    first = rng.choice(["Alex", "Sam", "Jo", "Priya", "Ade", "Morgan"])
    return {
        "contact_first_name": first,
        "contact_surname": rng.choice(["Smith", "Khan", "Jones", "Okafor"]),
        "contact_organisation": organisation,
        "contact_job_title": "Principal Social Worker",
        "contact_telephone": "01632 960 " + f"{rng.randint(0, 999):03d}",
        "contact_email": f"{first.lower()}@example.org",
    }.get(qid, "x")
