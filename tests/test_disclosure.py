"""Disclosure control, tested rather than promised: from every figure published, no withheld score
or count can be worked out by adding and subtracting published ones."""
from __future__ import annotations

import random

import pytest

import forms
from aggregation import scores
from tests.disclosure import recoverable

Q = forms.load("staff-survey", "2020.1")
SERVICES = [o.value for o in Q.question("service").options]
ROLES = [o.value for o in Q.question("role").options]
TYPES = ["Shire County", "London Borough", "Metropolitan District", "Unitary Authority"]
REGIONS = ["North", "Midlands", "South"]


def synthetic(seed: int, organisations: int = 30, everyone_says: bool = False) -> list[dict]:
    """Organisations of every size from 3 to 60 respondents, spread over types and regions, each
    respondent with a service and role (some with none, or prefer not to say, unless ``everyone_says``)
    and some statements answered."""
    rng = random.Random(seed)
    rows = []
    for i in range(organisations):
        org, kind, region = f"Org {i:02d}", TYPES[i % 4], REGIONS[(i // 4) % 3]
        for _ in range(rng.choice([3, 6, 9, 10, 12, 18, 25, 40, 60])):
            answers = {q: rng.choice(scores.SCALE) for q in ("s1_vision", "s1_leaders", "s2_staffing")
                       if rng.random() < 0.9}
            for question, values in (("service", SERVICES), ("role", ROLES)):
                stated = [v for v in values if v != scores.PREFER_NOT] if everyone_says else values
                if everyone_says or rng.random() < 0.95:
                    answers[question] = rng.choices(stated, [5, 4, 1, 1, 1, 1, 1, 1][:len(stated)])[0]
            rows.append({"organisation": org, "authority_type": kind, "region": region, "answers": answers})
    return rows


def attack(scored: scores.Scored, df, measure: str) -> tuple[list, list, list]:
    """What an attacker holding every published figure of ``measure`` can recover: (recovered scores,
    recovered counts, everything withheld). Organisations' and groups' n are published (scores.json);
    a service's or role's n only where its score is."""
    places = {o: (k, r) for o, k, r in df[list(scores.PLACES)].drop_duplicates("organisation").itertuples(index=False)}
    cells = [(o, s, r) for o in places for s in [*SERVICES, ""] for r in [*ROLES, ""]]
    cells = [(o, "" if s == scores.PREFER_NOT else s, "" if r == scores.PREFER_NOT else r) for o, s, r in cells]
    cells = list(dict.fromkeys(cells))
    groups = [("national",)] + [("type", t) for t in TYPES] + [("region", r) for r in REGIONS]
    groups += [("organisation", o) for o in places]
    groups += [("organisation", o, b, v) for o in places for b, values in (("service", SERVICES), ("role", ROLES))
               for v in values if v != scores.PREFER_NOT]
    shown, hidden = [], []
    for g in groups:
        cell = scored.cell(g, measure) if g in scored.totals else {"n": 0, "score": None}
        (shown if cell["score"] is not None or cell["n"] == 0 else hidden).append(g)
    counted = [g for g in groups if len(g) <= 2 or g in shown]
    uncounted = [g for g in hidden if len(g) == 4]
    return (recoverable(shown, hidden, cells, places), recoverable(counted, uncounted, cells, places), hidden)


@pytest.mark.parametrize("seed, everyone_says", [(1, False), (2, False), (3, True), (4, True)])
def test_no_withheld_score_or_count_can_be_worked_out(seed, everyone_says):
    df = scores.frame(synthetic(seed, everyone_says=everyone_says), Q)
    scored = scores.score(df, Q)
    for measure in ("standard_1", "standard_2", "s1_vision"):
        by_score, by_count, hidden = attack(scored, df, measure)
        assert len(hidden) > 20  # there is something to protect
        assert by_score == [] and by_count == [], (measure, by_score, by_count)


def test_the_attacker_finds_what_withholding_small_groups_alone_would_give_away():
    """Without the further parts withheld, a service of 8 is its organisation less its other services."""
    df = scores.frame(synthetic(3, everyone_says=True), Q)
    scored = scores.score(df, Q)
    measure = "standard_1"
    i = scored.measures.index(measure)
    scored.hidden[measure] = {key for key, (_, n) in scored.totals.items() if 0 < n[i] < scores.MIN_GROUP}
    by_score, _, _ = attack(scored, df, measure)
    assert by_score  # some withheld score is given away
