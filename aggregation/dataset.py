"""The input of every national output: plain data, no database, no Flask."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import forms
from forms import tablespec

COUNCIL_TYPES = ["Shire County", "London Borough", "Metropolitan District", "Unitary Authority"]
OTHER_TYPES = ["NHS Trust", "Other"]
AUTHORITY_TYPES = COUNCIL_TYPES + OTHER_TYPES


def in_a_sentence(authority_type: str) -> str:
    """An authority type inside a sentence: "shire county", but "NHS trust"."""
    return " ".join(w if w.isupper() else w.lower() for w in authority_type.split())


PLURAL = {
    "Shire County": "shire counties",
    "London Borough": "London boroughs",
    "Metropolitan District": "metropolitan districts",
    "Unitary Authority": "unitary authorities",
    "NHS Trust": "NHS trusts",
    "Other": "other employers",
}


def plural(group: str) -> str:
    """An authority type in a sentence, plural: "shire counties", "NHS trusts"."""
    return PLURAL.get(group, group.lower())


@dataclass
class Return:
    organisation: str
    authority_type: str
    answers: dict[str, Any]
    coded: dict[str, list[str]] = field(default_factory=dict)  # answer key -> categories a coordinator assigned
    reference: str = ""  # the submitted version's reference
    region: str | None = None  # its region, a comparison group in benchmarks (none for most NHS trusts)


@dataclass
class Dataset:
    year: int
    questionnaire: forms.Questionnaire
    tables: list[tablespec.TableSpec]
    returns: list[Return]
    populations: dict[str, int] = field(default_factory=dict)
    comments: list[dict[str, Any]] = field(default_factory=list)  # approved: {"question_id", "text", ...}
    categories: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # added coding categories
    previous: Dataset | None = None
    named: list[str] = field(default_factory=list)  # respondents that agreed to be named
    neighbours: dict[str, list[str]] = field(default_factory=dict)  # organisation -> its statistical neighbours


def to_dict(dataset: Dataset) -> dict[str, Any]:
    """The dataset as plain JSON-ready data (an edition keeps it), the questionnaire by its key."""
    return {
        "year": dataset.year,
        "questionnaire": dataset.questionnaire.key,
        "returns": [asdict(r) for r in dataset.returns],
        "populations": dataset.populations,
        "comments": dataset.comments,
        "categories": dataset.categories,
        "named": dataset.named,
        "neighbours": dataset.neighbours,
        "previous": to_dict(dataset.previous) if dataset.previous else None,
    }


def from_dict(data: dict[str, Any]) -> Dataset:
    questionnaire = forms.load(*data["questionnaire"].split("@", 1))
    return Dataset(
        year=data["year"],
        questionnaire=questionnaire,
        tables=tablespec.load(questionnaire),
        returns=[Return(**r) for r in data["returns"]],
        populations=data["populations"],
        comments=data["comments"],
        named=data["named"],
        neighbours=data.get("neighbours", {}),
        categories={k: [(v, label) for v, label in pairs] for k, pairs in data["categories"].items()},
        previous=from_dict(data["previous"]) if data["previous"] else None,
    )


@dataclass
class StaffData:
    """A closed staff survey, frozen for an edition: its counted responses, each with its
    organisation's authority type and region, the approved comments (redacted), and the workforce
    each PSW counted from HR."""

    year: int
    questionnaire: forms.Questionnaire
    respondents: list[dict[str, Any]]  # {"organisation", "authority_type", "region", "answers"}
    comments: list[dict[str, Any]] = field(default_factory=list)  # {"organisation", "question_id", "text"}
    workforce: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # organisation -> profile.categories
    named: list[str] = field(default_factory=list)  # organisations that agreed to be named in published results
    previous: StaffData | None = None
    headcounts: dict[str, int] = field(default_factory=dict)  # organisation -> the headcount its PSW entered


def staff_to_dict(data: StaffData) -> dict[str, Any]:
    return {
        "year": data.year,
        "questionnaire": data.questionnaire.key,
        "respondents": data.respondents,
        "comments": data.comments,
        "workforce": data.workforce,
        "named": data.named,
        "headcounts": data.headcounts,
        "previous": staff_to_dict(data.previous) if data.previous else None,
    }


def staff_from_dict(data: dict[str, Any]) -> StaffData:
    return StaffData(
        year=data["year"],
        questionnaire=forms.load(*data["questionnaire"].split("@", 1)),
        respondents=data["respondents"],
        comments=data["comments"],
        workforce=data.get("workforce", {}),
        named=data.get("named", []),
        headcounts=data.get("headcounts", {}),
        previous=staff_from_dict(data["previous"]) if data["previous"] else None,
    )
