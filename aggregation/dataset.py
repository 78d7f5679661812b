"""The input of every national output: plain data, no database, no Flask."""
from __future__ import annotations

from dataclasses import dataclass, field

import forms

COUNCIL_TYPES = ["Shire County", "London Borough", "Metropolitan District", "Unitary Authority"]
OTHER_TYPES = ["NHS Trust", "Other"]


@dataclass
class Return:
    organisation: str
    authority_type: str
    answers: dict
    coded: dict = field(default_factory=dict)  # answer key -> categories a coordinator assigned


@dataclass
class Dataset:
    year: int
    questionnaire: forms.Questionnaire
    tables: list[dict]
    returns: list[Return]
    populations: dict[str, int] = field(default_factory=dict)
    comments: list[dict] = field(default_factory=list)  # approved: {"question_id", "text"}
    categories: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # added coding categories
    previous: "Dataset | None" = None
    named: list[str] = field(default_factory=list)  # respondents that agreed to be named
