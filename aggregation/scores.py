"""The staff survey scored by standard, exactly as published, so that anyone can recompute it.

- Agreement answers count Strongly disagree 0, Disagree 25, Neither 50, Agree 75, Strongly
  agree 100; "Don't know / not applicable" and blanks are left out.
- A respondent's score for a standard is the mean of their counted answers to its statements; a
  respondent with none does not count for that standard.
- A group's score (an organisation, an authority type, a region, the nation, a service or a role
  within an organisation) is the mean of its respondents' scores and n how many counted: groups
  of organisations pool respondents, they are not means of organisations' means.
- A score is published only where n reaches the threshold (never below 10), and only where no
  suppressed figure can be worked out from published ones (see ``suppress``). Printed scores are
  whole numbers rounded half away from zero; bands come from the printed score: 0-50 low, 51-74
  moderate, 75-100 high.
- Rank: for each standard, organisations with a published score by their unrounded score,
  highest first, ties (within 1e-9) sharing the best place (1, 2, 2, 4).
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

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
_AGREE = np.array([100.0 if v in ("agree", "strongly_agree") else 0.0 if v in forms.AGREEMENT_SCORES else np.nan
                   for v in SCALE] + [np.nan])
# The rules above, for readers of a report.
IN_WORDS = ("Each answer counts: strongly disagree 0, disagree 25, neither agree nor disagree 50, agree 75, "
           "strongly agree 100; \u201cdon't know\u201d and blanks are left out. A person's score for a standard is "
           "the average of their answers to its statements, and a group's score the average of its people's "
           "scores. Bands: 0 to 50 low, 51 to 74 moderate, 75 to 100 high. A rank is among the organisations "
           "whose score is shown, highest first; equal scores share a place.")
SHOWN_ONLY = ("A figure is shown only where at least {threshold} people answered, and not where it would let a "
              "smaller group's answers be worked out: so your own score can be withheld even with more people, "
              "where with the figures of similar employers it would give away a small organisation's.")
TIE = 1e-9
MIN_GROUP = 10  # no staff survey figure is ever published from fewer respondents
MIN_ORGANISATIONS = 3  # nor a group's beside an organisation's from fewer organisations (see ``thin_groups``)
PLACES = ("organisation", "authority_type", "region")
BREAKDOWNS = ("service", "role")  # within an organisation
PREFER_NOT = "prefer_not"

K = TypeVar("K", bound=Hashable)
Key = tuple[str, ...]  # ("national",), ("type", T), ("region", R), ("organisation", O[, "service"|"role", V])


@dataclass(frozen=True)
class Standard:
    id: str
    number: int
    title: str
    statements: tuple[str, ...]


def answered(n: int, threshold: int) -> str:
    """How many answered, as a report says it: never a number below the threshold."""
    return f"{n:,} people answered" if n >= threshold else f"Fewer than {threshold} people answered"


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


def band(printed: int | None) -> str | None:
    if printed is None:
        return None
    return "high" if printed >= 75 else "moderate" if printed >= 51 else "low"


def frame(respondents: Sequence[Mapping[str, Any]], questionnaire: forms.Questionnaire) -> pd.DataFrame:
    """One row per respondent: organisation, authority type, region, then every answer; agreement
    answers as categories of the agreement scale, everything else as given."""
    columns = list(PLACES) + questionnaire.answer_keys()
    df = pd.DataFrame.from_records(
        [{"organisation": r["organisation"], "authority_type": r["authority_type"], "region": r["region"],
          **r["answers"]} for r in respondents], columns=columns)
    for q in questionnaire.questions():
        if q.type == "agreement":
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
    """Places by value, highest first; values within TIE of the one above share its place."""
    ordered = sorted(values.items(), key=lambda kv: -kv[1])
    places: dict[K, int] = {}
    for i, (key, value) in enumerate(ordered):
        if i and ordered[i - 1][1] - value <= TIE:
            places[key] = places[ordered[i - 1][0]]
        else:
            places[key] = i + 1
    return places


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
    """Every group's sums and counts for every measure, and which of its figures are withheld."""

    measures: list[str]
    totals: dict[Key, tuple[np.ndarray, np.ndarray]]  # key -> (sums, n) by measure, in measures' order
    respondents: dict[Key, int]
    hidden: dict[str, set[Key]]  # measure -> withheld groups

    def cell(self, key: Key, measure: str) -> dict[str, Any]:
        """One group's figure for one measure: n, the unrounded mean, what is printed and its band
        (None where withheld or where no one counted)."""
        i = self.measures.index(measure)
        total, n = self.totals[key]
        count = int(n[i])
        if count == 0 or key in self.hidden[measure]:
            return {"n": count, "score": None, "printed": None, "band": None}
        score = float(total[i] / count)
        printed = whole(score)
        return {"n": count, "score": score, "printed": printed, "band": band(printed)}


def score(df: pd.DataFrame, questionnaire: forms.Questionnaire, threshold: int = MIN_GROUP) -> Scored:
    """Sums and counts of every measure (``measures``) for the nation, each authority type, region
    and organisation, and each service and role within an organisation; then what is withheld.
    Respondents are summed by organisation and service, and by organisation and role; every other
    group pools its parts' sums: an organisation its services' (blank among them), the nation, a
    type or a region its organisations'."""
    threshold = max(threshold, MIN_GROUP)
    org_codes, org_names = pd.factorize(df["organisation"], sort=True)
    cells = {}  # per breakdown: each respondent's (organisation, value) cell, and the cells' keys
    for b in BREAKDOWNS:
        codes, values = pd.factorize(df[b].astype(object).where(df[b].notna(), ""), sort=True)
        cells[b] = (org_codes * len(values) + codes, [("organisation", o, b, v) for o in org_names for v in values])
    names: list[str] = []
    columns: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {b: ([], []) for b in BREAKDOWNS}
    for name, value in measures(df, questionnaire):
        counted = ~np.isnan(value)
        points = np.where(counted, value, 0.0)
        names.append(name)
        for b, (cell, keys) in cells.items():
            columns[b][0].append(np.bincount(cell, points, len(keys)))
            columns[b][1].append(np.bincount(cell, counted, len(keys)))
    totals: dict[Key, tuple[np.ndarray, np.ndarray]] = {}
    respondents: dict[Key, int] = {}
    for b, (cell, keys) in cells.items():
        people = np.bincount(cell, minlength=len(keys))
        sums, counts = np.column_stack(columns[b][0]), np.column_stack(columns[b][1])
        for row in np.flatnonzero(people):
            totals[keys[row]], respondents[keys[row]] = (sums[row], counts[row]), int(people[row])

    def pool(key: Key, parts: Sequence[Key]) -> None:
        none = [np.zeros(len(names))]  # no parts (no one has answered yet): zeros
        totals[key] = (np.sum([totals[p][0] for p in parts] or none, axis=0),
                       np.sum([totals[p][1] for p in parts] or none, axis=0))
        respondents[key] = sum(respondents[p] for p in parts)

    services = {o: [k for k in cells[BREAKDOWNS[0]][1] if k[1] == o and k in totals] for o in org_names}
    for org in org_names:
        pool(("organisation", org), services[org])
    places = df[list(PLACES)].drop_duplicates("organisation").sort_values("organisation")
    pool(("national",), [("organisation", o) for o in places["organisation"]])
    for level, column in (("type", "authority_type"), ("region", "region")):
        for name, group in places.groupby(column):
            if name:
                pool((level, name), [("organisation", o) for o in group["organisation"]])
    among = _places(places)
    within = _within(questionnaire)
    hidden = {measure: _withheld(totals, i, places["organisation"], among, within, threshold)
              for i, measure in enumerate(names)}
    return Scored(names, totals, respondents, hidden)


def _withheld(totals: dict[Key, tuple[np.ndarray, np.ndarray]], i: int, organisations: Iterable[str],
              among: disclosure.Structure[Key], within: disclosure.Structure[Key], threshold: int) -> set[Key]:
    """What is withheld of measure ``i``: among places first, then within each organisation (one
    withheld among its peers stays withheld when split)."""
    def n(key: Key) -> int:
        return int(totals[key][1][i]) if key in totals else 0

    withheld: set[Key] = disclosure.withhold({g: n(g) for g in among.members}, among, threshold)
    for org in organisations:
        mine: Key = ("organisation", org)
        own = disclosure.withhold({part: n((*mine, *part)) for part in within.members}, within, threshold,
                                  given=[()] if mine in withheld else [])
        withheld |= {(*mine, *part) for part in own}
    return withheld


def _places(places: pd.DataFrame) -> disclosure.Structure[Key]:
    """The nation, its types and regions as sets of organisations; the nation splits into types, into
    regions and into organisations (a withheld type is no shield for its organisations), and each
    type and region into its organisations."""
    index = {org: i for i, org in enumerate(places["organisation"])}
    members: dict[Key, frozenset[int]] = {("national",): frozenset(index.values())}
    splits: list[tuple[Key, list[Key]]] = []
    for level, column in (("type", "authority_type"), ("region", "region")):
        groups = {name: frozenset(index[o] for o in orgs)
                  for name, orgs in places.groupby(column)["organisation"].agg(list).items() if name}
        members |= {(level, name): cells for name, cells in groups.items()}
        splits.append((("national",), [(level, name) for name in groups]))
        splits += [((level, name), [("organisation", places["organisation"].iloc[i]) for i in sorted(cells)])
                   for name, cells in groups.items()]
    members |= {("organisation", org): frozenset([i]) for org, i in index.items()}
    splits.append((("national",), [("organisation", org) for org in index]))
    return disclosure.Structure(members, splits, len(index))


def _within(questionnaire: forms.Questionnaire) -> disclosure.Structure[Key]:
    """One organisation (the empty key) as the cells of service by role, "prefer not to say" and
    blank included in neither part; it splits into its services and into its roles."""
    stated = {b: [o.value for o in questionnaire.question(b).options if o.value != PREFER_NOT] for b in BREAKDOWNS}
    cells = [(s, r) for s in [*stated["service"], ""] for r in [*stated["role"], ""]]
    members: dict[Key, frozenset[int]] = {(): frozenset(range(len(cells)))}
    for at, breakdown in enumerate(BREAKDOWNS):
        members |= {(breakdown, v): frozenset(i for i, c in enumerate(cells) if c[at] == v) for v in stated[breakdown]}
    splits: list[tuple[Key, list[Key]]] = [((), [(b, v) for v in stated[b]]) for b in BREAKDOWNS]
    return disclosure.Structure(members, splits, len(cells))


def published(scored: Scored, df: pd.DataFrame, questionnaire: forms.Questionnaire, year: int) -> dict[str, Any]:
    """scores.json: ``{"cycle", "standards", "organisations", "groups"}``, each score a cell (``Scored.cell``),
    an organisation's with its rank among those with a published score."""
    found = standards(questionnaire)
    places = df[list(PLACES)].drop_duplicates("organisation").sort_values("organisation")
    ranks = {s.id: rank({o: cell["score"] for o in places["organisation"]
                         if (cell := scored.cell(("organisation", o), s.id))["score"] is not None}) for s in found}
    organisations = []
    for org, kind, region in places.itertuples(index=False):
        cells = {}
        for s in found:
            place = ranks[s.id].get(org)
            cells[s.id] = scored.cell(("organisation", org), s.id) | {
                "rank": place, "of": len(ranks[s.id]) if place else None}
        organisations.append({"organisation": org, "authority_type": kind, "region": region or None,
                              "respondents": scored.respondents[("organisation", org)], "scores": cells})
    groups = []
    present = set(places["authority_type"])
    keys: list[Key] = [("national",)] + [("type", t) for t in AUTHORITY_TYPES if t in present]
    keys += [("region", r) for r in sorted(set(places["region"].dropna()) - {""})]
    for key in keys:
        groups.append({"group": ":".join(key), "respondents": scored.respondents[key],
                       "scores": {s.id: scored.cell(key, s.id) for s in found}})
    return {"cycle": year, "standards": [{"id": s.id, "number": s.number, "title": s.title} for s in found],
            "organisations": organisations, "groups": groups}


def _shown(cell: dict[str, Any]) -> dict[str, Any]:
    """A cell of a breakdown: a withheld one shows no n either (a part's count is a figure too)."""
    return cell if cell["score"] is not None else {"n": None, "score": None, "printed": None, "band": None}


def thin_groups(result: dict[str, Any]) -> set[Key]:
    """The nation, types and regions whose figures are not set beside an organisation's, nor put in
    England's and the regions' reports: those of fewer than ``MIN_ORGANISATIONS`` organisations (an
    organisation that knows its own figures would have the other's from a group of two), and those
    that would give one of them away by difference."""
    orgs = result["organisations"]
    members: dict[Key, frozenset[int]] = {("national",): frozenset(range(len(orgs)))}
    splits: list[tuple[Key, list[Key]]] = []
    for level, field in (("type", "authority_type"), ("region", "region")):
        names = sorted({o[field] for o in orgs if o[field]})
        members |= {(level, n): frozenset(i for i, o in enumerate(orgs) if o[field] == n) for n in names}
        splits.append((("national",), [(level, n) for n in names]))
    counts = {g: len(m) for g, m in members.items()}
    return disclosure.withhold(counts, disclosure.Structure(members, splits, len(orgs)), MIN_ORGANISATIONS)


def beside(scored: Scored, key: Key, measure: str, thin: set[Key]) -> dict[str, Any] | None:
    """A group's cell to set beside an organisation's: withheld where the group is thin."""
    if key not in scored.totals:
        return None
    cell = scored.cell(key, measure)
    return cell if key not in thin else cell | {"score": None, "printed": None, "band": None}


def organisation_report(scored: Scored, result: dict[str, Any], organisation: str,
                        questionnaire: forms.Questionnaire, thin: set[Key] | None = None) -> dict[str, Any]:
    """What one organisation's PSW sees: each standard's score beside its authority type, region and
    the nation, with its rank; each statement's share agreeing beside the nation's; and its scores by
    service and by role, where a part's are published. ``thin`` groups (``thin_groups``) are not shown."""
    thin = thin or set()
    entry = next(o for o in result["organisations"] if o["organisation"] == organisation)
    kind, region = entry["authority_type"], entry["region"]
    comparisons = {"type": ("type", kind), "region": ("region", region or ""), "national": ("national",)}
    rows = []
    for standard in standards(questionnaire):
        row: dict[str, Any] = {"id": standard.id, "number": standard.number, "title": standard.title,
                               "own": entry["scores"][standard.id]}
        for name, key in comparisons.items():
            row[name] = beside(scored, key, standard.id, thin)
        rows.append(row)
    own: Key = ("organisation", organisation)
    statements = [{"id": q.id, "standard": q.standard, "label": q.label, "own": scored.cell(own, q.id),
                   "national": beside(scored, ("national",), q.id, thin)}
                  for q in questionnaire.questions() if q.standard]
    breakdowns: dict[str, list[dict[str, Any]]] = {}
    for breakdown in BREAKDOWNS:
        parts = []
        for option in questionnaire.question(breakdown).options:
            key = ("organisation", organisation, breakdown, option.value)
            if option.value == PREFER_NOT or key not in scored.totals:
                continue
            cells = {s.id: _shown(scored.cell(key, s.id)) for s in standards(questionnaire)}
            if any(c["score"] is not None for c in cells.values()):
                parts.append({"value": option.value, "label": option.label, "scores": cells})
        breakdowns[breakdown] = parts
    return {"organisation": organisation, "authority_type": kind, "region": region,
            "respondents": entry["respondents"], "standards": rows, "statements": statements,
            "breakdowns": breakdowns}


def with_previous(report: dict[str, Any], earlier: dict[str, Any] | None) -> dict[str, Any]:
    """An organisation's report with last year's score for each standard and the change, where it
    took part then (``earlier`` is last year's scores.json); a change only where both are shown."""
    before = next((o for o in (earlier or {}).get("organisations", []) if o["organisation"] == report["organisation"]),
                  None)
    for row in report["standards"]:
        cell = before["scores"].get(row["id"]) if before else None
        row["previous"] = cell
        both = cell and cell["score"] is not None and row["own"]["score"] is not None
        row["change"] = row["own"]["printed"] - cell["printed"] if both and cell else None  # as printed
    return report
