"""Synthetic returns at any scale, for benchmarks: valid answers (forms.synthetic), spread over
authority types roughly as councils are (27/33/36/55) plus a few NHS trusts."""

from __future__ import annotations

import random

import forms
from aggregation.dataset import Dataset, Return
from forms import tablespec
from forms.synthetic import answers

TYPES = ["Shire County", "London Borough", "Metropolitan District", "Unitary Authority", "NHS Trust"]
WEIGHTS = [27, 33, 36, 55, 9]
POPULATIONS = {"Shire County": 27, "London Borough": 33, "Metropolitan District": 36, "Unitary Authority": 55}


def returns(n: int, seed: int = 2017) -> list[Return]:
    q = forms.load("health-check", "2017.1")
    rng = random.Random(seed)
    out = []
    for i in range(n):
        name = f"Synthetic organisation {i:06d}"
        out.append(Return(name, rng.choices(TYPES, WEIGHTS)[0], answers(q, rng, name)))
    return out


def dataset(n: int, seed: int = 2017) -> Dataset:
    q = forms.load("health-check", "2017.1")
    return Dataset(
        year=2017, questionnaire=q, tables=tablespec.load(q), returns=returns(n, seed), populations=POPULATIONS
    )
