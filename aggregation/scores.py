"""The staff survey scored by standard, exactly as published, so that anyone can recompute it.

Scores:

- Agreement answers count Strongly disagree 0, Disagree 25, Neither 50, Agree 75, Strongly
  agree 100; "Don't know / not applicable" and blanks are left out.
- A respondent's score for a standard is the mean of their counted answers to its statements; a
  respondent with none does not count for that standard.
- A group's score (an organisation, an authority type, a region, the nation, a service or a role
  within an organisation) is the mean of its respondents' scores and n how many counted: groups
  of organisations pool respondents, they are not means of organisations' means.
- Printed scores are whole numbers rounded half away from zero (62.5 is 63); bands come from the
  printed score: 0-50 low, 51-74 moderate, 75-100 high.

Who sees what (docs/disclosure.md). The threshold is ``STAFF_MIN_GROUP``, never below 10.

- An organisation's score for a standard is shown (to that organisation, and in the coordinating
  body's table) exactly where n reaches the threshold; nothing else withholds it.
- Rank, for each standard: among every organisation whose n reaches the threshold ("of" counts
  them), by unrounded score, highest first; an organisation's place is 1 plus the number of those
  whose unrounded score is more than 1e-9 above its own, so ties share the best place (1, 2, 2, 4).
- England's, each authority type's and each region's figures (each score, its n and the group's
  count of respondents) are published to everyone except where withheld: where fewer people than
  the threshold counted, where fewer than three organisations did, or where, set beside the other
  published figures and any one organisation's own, they would let a withheld figure or another
  organisation's be worked out (``aggregation.disclosure``; the coordinator's table is not
  published).
- Within one organisation, its scores and counts by service and by role (blank and "prefer not
  to say" making a part of their own) are shown to it where n reaches the threshold and no
  withheld part can be worked out from the shown ones and the organisation's own total.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict, TypeVar

import numpy as np
import pandas as pd

import forms

from . import disclosure
from .dataset import AUTHORITY_TYPES
from .tables import whole

SCALE = [o.value for o in forms.AGREEMENT]
AGREEMENT_DTYPE = pd.CategoricalDtype(SCALE)
# By an agreement answer's category code (a blank's, -1, reads the last entry): its points, whether
# it counts towards a score, and for a statement's share agreeing 100, 0 or NaN (no view).
_POINTS = np.array([float(forms.AGREEMENT_SCORES.get(v, 0)) for v in SCALE] + [0.0])
_COUNTED = np.array([float(v in forms.AGREEMENT_SCORES) for v in SCALE] + [0.0])
_AGREE = np.array(
    [100.0 if v in ("agree", "strongly_agree") else 0.0 if v in forms.AGREEMENT_SCORES else np.nan for v in SCALE]
    + [np.nan]
)
# The rules above, for readers of a report.
IN_WORDS = (
    "Each answer counts: strongly disagree 0, disagree 25, neither agree nor disagree 50, agree 75, "
    "strongly agree 100; \u201cdon't know\u201d and blanks are left out. A person's score for a standard is "
    "the average of their answers to its statements, and a group's score the average of its people's "
    "scores. Bands: 0 to 50 low, 51 to 74 moderate, 75 to 100 high. A rank is among every organisation "
    "whose own score for that standard can be shown (enough of its people answered), by unrounded "
    "score, highest first; equal scores share a place."
)
SHOWN_ONLY = (
    "Your own score for a standard is shown wherever at least {threshold} of your people answered for "
    "it, and only you and the health check team see it. Your type's, region's and England's figures "
    "are published for everyone; one is not shown where fewer than {threshold} people or fewer than "
    "three organisations make it, or where, beside the other published figures, it would let someone "
    "work out another organisation's figures or a smaller group's."
)
BREAKDOWN_KEY = (
    "S1 to S8: the standards, numbered as above. \u201cFewer than {threshold}\u201d: fewer than "
    "{threshold} people, none included. \u201cNot shown\u201d and \u2013: not shown, because fewer "
    "than {threshold} answered or because, with the others, it would let a smaller group's answers be "
    "worked out."
)
PROFILE_KEY = (
    "\u201cFewer than {threshold}\u201d: fewer than {threshold} people, none included. \u201cNot "
    "shown\u201d: it would let a smaller group be worked out. \u2013: not shown or not counted."
)
TIE = 1e-9
MIN_GROUP = 10  # no staff survey figure is ever published from fewer respondents
MIN_ORGANISATIONS = 3  # nor a group's from fewer organisations: one of two would have the other's
PLACES = ("organisation", "authority_type", "region")
BREAKDOWNS = ("service", "role")  # within an organisation
PREFER_NOT = "prefer_not"
NOT_SAID = ""  # a breakdown's part for "prefer not to say" and no answer
NOT_SAID_LABEL = "Prefer not to say, or no answer"
RESPONDENTS = "respondents"  # the pattern of withheld counts of respondents, beside each measure's
# Why a figure or count is not shown, in plain words ({threshold} filled in).
FEWER, ORGANISATIONS, DOMINATED, DIFFERENCE = "fewer", "organisations", "dominated", "difference"
REASONS = {
    FEWER: "fewer than {threshold} people answered",
    ORGANISATIONS: "fewer than three organisations make it, so one of them could work out another's figures from it",
    DOMINATED: "all but fewer than {threshold} of its people are from one organisation, which could work "
    "out the others' figures from it",
    DIFFERENCE: "beside the other figures shown, it would let someone work out a smaller group's or "
    "another organisation's",
}

K = TypeVar("K", bound=Hashable)
Key = tuple[str, ...]  # ("national",), ("type", T), ("region", R), ("organisation", O[, "service"|"role", V])


@dataclass(frozen=True)
class Standard:
    id: str
    number: int
    title: str
    statements: tuple[str, ...]


def answered(n: int | None, threshold: int) -> str:
    """How many answered, as a report says it: never a number below the threshold."""
    return f"{n:,} people answered" if n is not None and n >= threshold else f"Fewer than {threshold} people answered"


def people(count: Mapping[str, Any] | None, threshold: int) -> str:
    """A count of respondents (``Scored.count``) as a table prints it."""
    if not count or count["withheld"] == FEWER or (count["n"] is None and not count["withheld"]):
        return f"Fewer than {threshold}"
    return "Not shown" if count["withheld"] else f"{count['n']:,}"


def why(reason: str | None, threshold: int) -> str:
    """A reason code (``REASONS``) in plain words."""
    return REASONS[reason].format(threshold=threshold) if reason else ""


def standards(questionnaire: forms.Questionnaire) -> list[Standard]:
    """The standards a staff survey scores, each with its statements, in order."""
    found = []
    for number in forms.STANDARDS:
        ids = tuple(q.id for q in questionnaire.questions() if q.standard == number)
        title = next(s.title for s in questionnaire.sections if s.standard == number)
        found.append(Standard(f"standard_{number}", number, title, ids))
    return found


def ordinal(n: int) -> str:
    """A rank as people write it: 1st, 2nd, 3rd, 4th, 11th, 12th, 21st, 112th."""
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


class ScoreCell(TypedDict):
    """One group's figure for one measure as its audience sees it (``Scored.cell``): its count, the
    unrounded mean, what is printed and its band; or, withheld, why and whose figures that keeps."""

    n: int | None
    score: float | None
    printed: int | None
    band: str | None
    withheld: str | None
    because: NotRequired[str | None]  # only where withheld
    rank: NotRequired[int | None]  # the coordinating body's table of organisations: its place
    of: NotRequired[int | None]


class CountCell(TypedDict):
    """A group's respondents as its audience sees them (``Scored.count``)."""

    n: int | None
    withheld: str | None
    because: str | None


def band(printed: int | None) -> str | None:
    if printed is None:
        return None
    return "high" if printed >= 75 else "moderate" if printed >= 51 else "low"


def frame(respondents: Sequence[Mapping[str, Any]], questionnaire: forms.Questionnaire) -> pd.DataFrame:
    """One row per respondent: organisation, authority type, region, then every answer; agreement
    answers as categories of the agreement scale, everything else as given."""
    columns = list(PLACES) + questionnaire.answer_keys()
    df = pd.DataFrame.from_records(
        [
            {
                "organisation": r["organisation"],
                "authority_type": r["authority_type"],
                "region": r["region"],
                **r["answers"],
            }
            for r in respondents
        ],
        columns=columns,
    )
    for q in questionnaire.questions():
        if q.answer_type.on_scale:
            df[q.id] = df[q.id].astype(AGREEMENT_DTYPE)
    return df


def respondent_scores(df: pd.DataFrame, questionnaire: forms.Questionnaire) -> pd.DataFrame:
    """Each respondent's score for each standard (a column per standard id), NaN where none counted."""
    return pd.DataFrame(dict(_standard_scores(df, questionnaire)), index=df.index)


def _standard_scores(df: pd.DataFrame, questionnaire: forms.Questionnaire) -> Iterator[tuple[str, np.ndarray]]:
    for standard in standards(questionnaire):
        total, counted = np.zeros(len(df)), np.zeros(len(df))
        for i in standard.statements:
            codes = df[i].cat.codes.to_numpy()
            total += _POINTS[codes]
            counted += _COUNTED[codes]
        yield standard.id, np.divide(total, counted, out=np.full(len(df), np.nan), where=counted > 0)


def rank(values: Mapping[K, float]) -> dict[K, int]:
    """Places by value, highest first: 1 plus how many are more than TIE above (ties share a place)."""
    ordered = np.sort(np.array(list(values.values()), dtype=float))
    return {
        key: int(len(ordered) - np.searchsorted(ordered, value + TIE, side="right")) + 1
        for key, value in values.items()
    }


def measures(df: pd.DataFrame, questionnaire: forms.Questionnaire) -> Iterator[tuple[str, np.ndarray]]:
    """What is averaged, one measure at a time: each standard's respondent scores (by its id), then
    for each scored statement 100 where the respondent agrees (agree or strongly agree), 0 where
    they answered otherwise, NaN where they did not answer or did not know (by the statement's id)."""
    yield from _standard_scores(df, questionnaire)
    for standard in standards(questionnaire):
        for i in standard.statements:
            yield i, _AGREE[df[i].cat.codes.to_numpy()]


@dataclass
class Scored:
    """Every group's sums and counts for every measure, and which of its figures are withheld from
    the audience that sees that group (everyone, for the nation, a type or a region; the
    organisation itself, for an organisation and its services and roles)."""

    measures: list[str]
    totals: dict[Key, tuple[np.ndarray, np.ndarray]]  # key -> (sums, n) by measure, in measures' order
    respondents: dict[Key, int]
    hidden: dict[str, set[Key]]  # measure (or RESPONDENTS) -> groups withheld beyond those below the threshold
    reasons: dict[str, dict[Key, str]] = field(default_factory=dict)  # measure -> withheld group -> why
    protects: dict[str, dict[Key, Key | None]] = field(default_factory=dict)  # measure -> group -> what it keeps
    threshold: int = MIN_GROUP
    broken_down: frozenset[str] = frozenset()  # the measures shown by service and role (standards; counts)

    def why(self, key: Key, measure: str, n: int) -> str | None:
        """Why a group's figure (or, for RESPONDENTS, its count) is withheld; None where shown. A
        statement is never shown by service or role."""
        if n < self.threshold:
            return FEWER
        if len(key) > 2 and measure not in self.broken_down:
            return DIFFERENCE
        if key in self.hidden[measure]:
            return self.reasons.get(measure, {}).get(key, DIFFERENCE)
        return None

    def cell(self, key: Key, measure: str, exact: bool = False) -> ScoreCell:
        """One group's figure for one measure as its audience sees it: n, the unrounded mean, what
        is printed and its band, and why it is withheld (None where shown). A withheld figure's n
        is withheld too, unless ``exact`` (the coordinating body's table of organisations)."""
        i = self.measures.index(measure)
        total, n = self.totals[key] if key in self.totals else (np.zeros(1), np.zeros(len(self.measures)))
        count = int(n[i])
        reason = self.why(key, measure, count)
        if reason is not None:
            return {
                "n": count if exact else None,
                "score": None,
                "printed": None,
                "band": None,
                "withheld": reason,
                "because": self.because(key, measure, reason),
            }
        score = float(total[i] / count)
        printed = whole(score)
        return {"n": count, "score": score, "printed": printed, "band": band(printed), "withheld": None}

    def count(self, key: Key) -> CountCell:
        """A group's respondents as its audience sees them: ``{"n", "withheld", "because"}``."""
        n = self.respondents.get(key, 0)
        reason = self.why(key, RESPONDENTS, n)
        return {"n": None if reason else n, "withheld": reason, "because": self.because(key, RESPONDENTS, reason)}

    def because(self, key: Key, measure: str, reason: str | None) -> str | None:
        """Whose figures a group withheld by difference keeps from being worked out, in words a
        report can end a sentence with ("NHS Trust's, from fewer than 10 people"); never naming an
        organisation."""
        if reason != DIFFERENCE or key not in self.protects.get(measure, {}):
            return None
        kept = self.protects[measure][key]
        if kept is None:
            return "the figures of the few people left when the others are taken from the total"
        if kept[0] == "organisation":
            return "one organisation's own figures"
        name = "England" if kept == ("national",) else kept[1]
        return f"{name}'s, " + {
            FEWER: f"from fewer than {self.threshold} people",
            ORGANISATIONS: "from fewer than three organisations",
            DOMINATED: "nearly all from one organisation",
        }.get(self.reasons[measure].get(kept, DIFFERENCE), "itself withheld")


def score(df: pd.DataFrame, questionnaire: forms.Questionnaire, threshold: int = MIN_GROUP) -> Scored:
    """Sums and counts of every measure (``measures``) for the nation, each authority type, region
    and organisation, and each service and role within an organisation; then what is withheld.
    Respondents are summed by organisation, service and role; every other group pools those sums."""
    threshold = max(threshold, MIN_GROUP)
    org_codes, org_names = pd.factorize(df["organisation"], sort=True)
    values = _values(questionnaire)
    codes = {
        b: pd.Categorical(df[b].astype(object).where(df[b].isin(values[b][:-1]), NOT_SAID), categories=values[b]).codes
        for b in BREAKDOWNS
    }
    shape = (len(org_names), len(values["service"]), len(values["role"]))
    cell = np.ravel_multi_index((org_codes, codes["service"], codes["role"]), shape) if len(df) else org_codes
    names: list[str] = []
    sums, counts = [], []
    for name, value in measures(df, questionnaire):
        counted = ~np.isnan(value)
        names.append(name)
        sums.append(np.bincount(cell, np.where(counted, value, 0.0), int(np.prod(shape))))
        counts.append(np.bincount(cell, counted, int(np.prod(shape))))
    # By organisation, service, role and measure; people by organisation, service and role.
    by_cell = (
        np.stack(sums, axis=-1).reshape(*shape, len(names)) if names else np.zeros((*shape, 0)),
        np.stack(counts, axis=-1).reshape(*shape, len(names)) if names else np.zeros((*shape, 0)),
    )
    people = np.bincount(cell, minlength=int(np.prod(shape))).reshape(shape)
    totals: dict[Key, tuple[np.ndarray, np.ndarray]] = {}
    respondents: dict[Key, int] = {}
    for o, org in enumerate(org_names):
        totals[("organisation", org)] = (by_cell[0][o].sum(axis=(0, 1)), by_cell[1][o].sum(axis=(0, 1)))
        respondents[("organisation", org)] = int(people[o].sum())
        for at, b in enumerate(BREAKDOWNS):
            for v, stated in enumerate(values[b]):
                part = (slice(v, v + 1), slice(None)) if at == 0 else (slice(None), slice(v, v + 1))
                if people[o][part].sum():
                    key = ("organisation", org, b, stated)
                    totals[key] = (by_cell[0][o][part].sum(axis=(0, 1)), by_cell[1][o][part].sum(axis=(0, 1)))
                    respondents[key] = int(people[o][part].sum())

    def pool(key: Key, parts: Sequence[Key]) -> None:
        none = [np.zeros(len(names))]  # no parts (no one has answered yet): zeros
        totals[key] = (
            np.sum([totals[p][0] for p in parts] or none, axis=0),
            np.sum([totals[p][1] for p in parts] or none, axis=0),
        )
        respondents[key] = sum(respondents[p] for p in parts)

    places = df[list(PLACES)].drop_duplicates("organisation").sort_values("organisation")
    pool(("national",), [("organisation", o) for o in places["organisation"]])
    for level, column in (("type", "authority_type"), ("region", "region")):
        for name, group in places.groupby(column):
            if name:
                pool((level, name), [("organisation", o) for o in group["organisation"]])
    among, within = _places(places), _within(values)
    orgs: list[Key] = [("organisation", o) for o in places["organisation"]]
    broken_down = frozenset([s.id for s in standards(questionnaire)] + [RESPONDENTS])
    hidden, reasons, protects = {}, {}, {}
    for i, measure in enumerate(names):
        hidden[measure], reasons[measure], protects[measure] = _withheld(
            by_cell[1][..., i], orgs, among, within if measure in broken_down else None, threshold
        )
    hidden[RESPONDENTS], reasons[RESPONDENTS], protects[RESPONDENTS] = _withheld(people, orgs, among, within, threshold)
    return Scored(names, totals, respondents, hidden, reasons, protects, threshold, broken_down)


def _withheld(
    cells: np.ndarray,
    organisations: Sequence[Key],
    among: disclosure.Structure[Key],
    within: disclosure.Structure[Key] | None,
    threshold: int,
) -> tuple[set[Key], dict[Key, str], dict[Key, Key | None]]:
    """What is withheld of one measure, and why, beyond what falls below the threshold, from how many
    counted in each organisation's service and role (``cells``, in ``organisations``' order). Among
    places, every organisation's own figure is withheld from everyone else, and each knows its own;
    then (for a measure shown ``within`` organisations) within each organisation every part, where
    the organisation's own figure is withheld from it, and otherwise as the split rule needs."""
    counts = among.totals(cells.sum(axis=(1, 2)))
    empty = [i for i, org in enumerate(organisations) if counts[org] == 0]
    public = [g for g in among.members if g[0] != "organisation"]
    few = {g for g in public if 0 < len(among.members[g] - set(empty)) < MIN_ORGANISATIONS}
    because: dict[Key, Key | None] = {}
    hidden = disclosure.withhold(
        counts, among, threshold, given=organisations, insiders=True, empty=empty, bare=few, because=because
    )
    withheld = {g for g in public if g in hidden}
    largest = {g: max((counts[organisations[c]] for c in among.members[g]), default=0) for g in withheld}
    reasons = {
        g: FEWER
        if counts[g] < threshold
        else ORGANISATIONS
        if g in few
        else DOMINATED
        if counts[g] - largest[g] < threshold
        else DIFFERENCE
        for g in withheld
    }
    for o, org in enumerate(organisations):
        own = cells[o].ravel()
        if within is None or counts[org] == 0 or (counts[org] >= threshold and own[own > 0].min() >= threshold):
            continue  # no part of it is shown, or none is small: nothing to withhold
        parts = within.totals(own)
        mine = disclosure.withhold(
            parts,
            within,
            threshold,
            given=[()] if counts[org] < threshold else [],
            empty=np.flatnonzero(own == 0).tolist(),
        )
        for part in mine - {()}:
            withheld.add((*org, *part))
            reasons[(*org, *part)] = FEWER if parts[part] < threshold else DIFFERENCE
    return withheld, reasons, {g: because[g] for g in withheld if g in because}


def _places(places: pd.DataFrame) -> disclosure.Structure[Key]:
    """The nation, its types and regions, and each organisation, as sets of organisations (the
    cells, in ``places``' order); the nation splits into types and into regions."""
    index = {org: i for i, org in enumerate(places["organisation"])}
    members: dict[Key, frozenset[int]] = {("national",): frozenset(index.values())}
    splits: list[tuple[Key, list[Key]]] = []
    for level, column in (("type", "authority_type"), ("region", "region")):
        groups = {
            name: frozenset(index[o] for o in orgs)
            for name, orgs in places.groupby(column)["organisation"].agg(list).items()
            if name
        }
        members |= {(level, name): cells for name, cells in groups.items()}
        splits.append((("national",), [(level, name) for name in groups]))
    members |= {("organisation", org): frozenset([i]) for org, i in index.items()}
    return disclosure.Structure(members, splits, len(index))


def _values(questionnaire: forms.Questionnaire) -> dict[str, list[str]]:
    """Each breakdown's parts: its stated options, then NOT_SAID (prefer not to say, or no answer)."""
    return {
        b: [o.value for o in questionnaire.question(b).options if o.value != PREFER_NOT] + [NOT_SAID]
        for b in BREAKDOWNS
    }


def _within(values: Mapping[str, Sequence[str]]) -> disclosure.Structure[Key]:
    """One organisation (the empty key) as the cells of service by role (in that order); it splits
    into its services and into its roles, NOT_SAID a part of each."""
    cells = [(s, r) for s in values["service"] for r in values["role"]]
    members: dict[Key, frozenset[int]] = {(): frozenset(range(len(cells)))}
    for at, breakdown in enumerate(BREAKDOWNS):
        members |= {(breakdown, v): frozenset(i for i, c in enumerate(cells) if c[at] == v) for v in values[breakdown]}
    splits: list[tuple[Key, list[Key]]] = [((), [(b, v) for v in values[b]]) for b in BREAKDOWNS]
    return disclosure.Structure(members, splits, len(cells))


NOT_FOR_PUBLICATION = (
    "The organisations' table is for the coordinating body only: not for publication. Each "
    "organisation sees its own scores and rank; the groups' tables follow the published pattern."
)


def published(scored: Scored, df: pd.DataFrame, questionnaire: forms.Questionnaire, year: int) -> dict[str, Any]:
    """scores.json: ``{"cycle", "threshold", "notice", "standards", "organisations", "groups"}``.
    ``organisations`` is the coordinating body's table: each organisation's exact respondents and,
    for each standard, its cell (``Scored.cell``, exact n) with its rank and of how many. ``groups``
    are England, each type and region as everyone sees them: withheld figures and counts null,
    with why."""
    found = standards(questionnaire)
    places = df[list(PLACES)].drop_duplicates("organisation").sort_values("organisation")
    ranks = {
        s.id: rank(
            {
                o: cell["score"]
                for o in places["organisation"]
                if (cell := scored.cell(("organisation", o), s.id))["score"] is not None
            }
        )
        for s in found
    }
    organisations = []
    for org, kind, region in places.itertuples(index=False):
        cells = {}
        for s in found:
            place = ranks[s.id].get(org)
            cells[s.id] = ScoreCell(
                **scored.cell(("organisation", org), s.id, exact=True),
                rank=place,
                of=len(ranks[s.id]) if place else None,
            )
        organisations.append(
            {
                "organisation": org,
                "authority_type": kind,
                "region": region or None,
                "respondents": scored.respondents[("organisation", org)],
                "scores": cells,
            }
        )
    groups = []
    present = set(places["authority_type"])
    keys: list[Key] = [("national",)] + [("type", t) for t in AUTHORITY_TYPES if t in present]
    keys += [("region", r) for r in sorted(set(places["region"].dropna()) - {""})]
    for key in keys:
        people = scored.count(key)
        groups.append(
            {
                "group": ":".join(key),
                "respondents": people["n"],
                "respondents_withheld": people["withheld"],
                "scores": {s.id: scored.cell(key, s.id) for s in found},
            }
        )
    return {
        "cycle": year,
        "threshold": scored.threshold,
        "notice": NOT_FOR_PUBLICATION,
        "standards": [{"id": s.id, "number": s.number, "title": s.title} for s in found],
        "organisations": organisations,
        "groups": groups,
    }


def _own(cell: ScoreCell, threshold: int) -> ScoreCell:
    """An organisation's own cell as it sees it: no count below the threshold."""
    return {**cell, "n": cell["n"] if (cell["n"] or 0) >= threshold else None}


def organisation_report(
    scored: Scored, result: dict[str, Any], organisation: str, questionnaire: forms.Questionnaire
) -> dict[str, Any]:
    """What one organisation's PSW sees: each standard's score beside its authority type, region and
    the nation (as everyone sees them), with its rank; each statement's share agreeing beside the
    nation's; its scores by service and by role, every part listed; and why any figure is not shown."""
    entry = next(o for o in result["organisations"] if o["organisation"] == organisation)
    kind, region = entry["authority_type"], entry["region"]
    threshold = scored.threshold
    comparisons: dict[str, Key] = {
        "type": ("type", kind),
        "region": ("region", region or ""),
        "national": ("national",),
    }
    rows = []
    for standard in standards(questionnaire):
        row: dict[str, Any] = {
            "id": standard.id,
            "number": standard.number,
            "title": standard.title,
            "own": _own(entry["scores"][standard.id], threshold),
        }
        for name, key in comparisons.items():
            row[name] = scored.cell(key, standard.id) if key in scored.totals else None
        rows.append(row)
    own: Key = ("organisation", organisation)
    statements = [
        {
            "id": q.id,
            "standard": q.standard,
            "label": q.label,
            "own": _own(scored.cell(own, q.id), threshold),
            "national": scored.cell(("national",), q.id),
        }
        for q in questionnaire.questions()
        if q.standard
    ]
    labels = {
        b: {o.value: o.label for o in questionnaire.question(b).options} | {NOT_SAID: NOT_SAID_LABEL}
        for b in BREAKDOWNS
    }
    breakdowns = {
        b: [
            {
                "value": value,
                "label": labels[b][value],
                "respondents": scored.count((*own, b, value)),
                "scores": {s.id: scored.cell((*own, b, value), s.id) for s in standards(questionnaire)},
            }
            for value in _values(questionnaire)[b]
        ]
        for b in BREAKDOWNS
    }
    return {
        "organisation": organisation,
        "authority_type": kind,
        "region": region,
        "respondents": scored.count(own)["n"],
        "standards": rows,
        "statements": statements,
        "breakdowns": breakdowns,
        "not_shown": not_shown(
            rows, {"own": "Your own score", "type": kind, "region": region, "national": "England"}, threshold
        ),
    }


def not_shown(rows: Sequence[Mapping[str, Any]], names: Mapping[str, str | None], threshold: int) -> list[str]:
    """Why a group's scores beside an organisation's (or a region's) are not shown, a sentence a group:
    "South East: not shown for standards 2 and 5, because fewer than 10 people answered"."""
    lines = []
    for column, name in names.items():
        if not name:
            continue
        by_reason: dict[tuple[str, str | None], list[int]] = {}
        for row in rows:
            cell = row.get(column)
            if cell and cell.get("withheld"):
                by_reason.setdefault((cell["withheld"], cell.get("because")), []).append(row["number"])
        for (reason, kept), numbers in by_reason.items():
            which = (
                "any standard"
                if len(numbers) == len(rows)
                else f"standard {numbers[0]}"
                if len(numbers) == 1
                else "standards " + ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"
            )
            words = (
                f"beside the other figures shown, it would let someone work out {kept}"
                if kept
                else why(reason, threshold)
            )
            lines.append(f"{name}: not shown for {which}, because {words}.")
    return lines


def with_previous(report: dict[str, Any], earlier: dict[str, Any] | None) -> dict[str, Any]:
    """An organisation's report with last year's score for each standard and the change, where it
    took part then (``earlier`` is last year's scores.json); a change only where both are shown."""
    before = next(
        (o for o in (earlier or {}).get("organisations", []) if o["organisation"] == report["organisation"]), None
    )
    for row in report["standards"]:
        cell = before["scores"].get(row["id"]) if before else None
        row["previous"] = {k: cell.get(k) for k in ("score", "printed", "band")} if cell else None
        both = cell and cell["score"] is not None and row["own"]["score"] is not None
        row["change"] = row["own"]["printed"] - cell["printed"] if both and cell else None  # as printed
    return report
