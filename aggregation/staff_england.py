"""What England's staff survey report (and each region's, shorter) publishes beyond the scores:
who answered against the workforce the PSWs entered, who they are (profession, service, role),
how the organisations' own scores spread over the bands, and the change since last year.

Every count here is of respondents or of organisations, published to everyone, so each is
disclosure-controlled like the scores (docs/disclosure.md, "England's and the regions' reports"):

* **Responses against the workforce.** A group's response rate divides the responses of its
  organisations that entered a headcount by those headcounts; those responses are a count of a
  group of organisations like any other, so the rate (with its responses and workforce) is shown
  only where that subset passes every rule a group's count does, and where neither it nor what is
  left of the group without it would let anyone, or any one organisation knowing its own, work
  out fewer than the threshold's worth of people (``disclosure.withhold``, over organisations).
* **Who answered.** England's and each region's respondents by profession, service and role are
  withheld as parts of a split: a part from fewer than the threshold, or from fewer than three
  organisations, or all but a few of it from one organisation, is withheld, and the next
  smallest with it where the rest would give it away (``disclosure.withhold``, over each
  organisation's people by category, which each organisation knows of itself).
* **The spread of organisations' scores.** Counts of organisations, each counted only where its
  own score rests on at least the threshold (so no figure from fewer people). An organisation's
  band is its own figure, so an area's spread for a standard is shown only where at least
  ``SPREAD_MIN`` organisations have a score and every band leaves out at least two of them: then
  no band holds all (which would tell everyone each one's band) or all but one (which would tell
  that one everyone else's). A withheld region's spread could be had from England's less the
  other regions'; so the remainder must pass the same test, or the next smallest region's spread
  is withheld too.
* **The change since last year**: England's or a region's score, both years' as published
  (last year's under this year's threshold), the change as printed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

import forms

from . import disclosure
from .dataset import AUTHORITY_TYPES
from .scores import (
    DIFFERENCE,
    DOMINATED,
    FEWER,
    MIN_ORGANISATIONS,
    NOT_SAID,
    NOT_SAID_LABEL,
    ORGANISATIONS,
    Key,
    Scored,
    _values,
    band,
    standards,
)

SPREAD_MIN = 5  # organisations with a score, at least, for an area's spread to be shown
BANDS = ("low", "moderate", "high")
BAND_LABELS = {"low": "Low (0 to 50)", "moderate": "Moderate (51 to 74)", "high": "High (75 to 100)"}
# The professions a PSW counts the workforce in (healthcheck.store.staff.PROFESSIONS), each a set of
# the survey's roles; students, other roles and those who did not say make their own.
PROFESSIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "social_workers",
        "Registered social workers (including senior practitioners and managers)",
        ("social_worker", "senior_practitioner", "manager"),
    ),
    ("occupational_therapists", "Occupational therapists", ("occupational_therapist",)),
    ("other_practitioners", "Other practitioners (not registered)", ("practitioner",)),
    ("students_and_other", "Students, apprentices and other roles", ("student", "other")),
    (NOT_SAID, NOT_SAID_LABEL, (NOT_SAID,)),
)
FAMILIES = {"profession": "Profession", "service": "Service", "role": "Role"}
SPREAD_REASONS = {
    "few": "fewer than {minimum} organisations have a score for it",
    "one_band": "nearly every organisation is in one band, which would tell each one the others' bands",
    "difference": "England's less the other regions' would show a few organisations' bands",
}


def rule(by_organisation: Sequence[int], threshold: int) -> str | None:
    """Why a count of a group of organisations' people is withheld on its own, if it is: fewer
    than the threshold; fewer than three organisations (one would have the other's); or all but
    fewer than the threshold from one organisation (which would have the few others')."""
    parts = [n for n in by_organisation if n > 0]
    total = sum(parts)
    if total < threshold:
        return FEWER
    if len(parts) < MIN_ORGANISATIONS:
        return ORGANISATIONS
    if total - max(parts) < threshold:
        return DOMINATED
    return None


# ---------------------------------------------------------------- places: England, types, regions


def _places(df: pd.DataFrame) -> pd.DataFrame:
    return df[["organisation", "authority_type", "region"]].drop_duplicates("organisation").sort_values("organisation")


def base_groups(places: pd.DataFrame) -> dict[Key, list[str]]:
    """England, each type and each region with organisations in it (its organisations)."""
    found: dict[Key, list[str]] = {("national",): list(places["organisation"])}
    present = set(places["authority_type"])
    for kind in [t for t in AUTHORITY_TYPES if t in present]:
        found[("type", kind)] = list(places.loc[places["authority_type"] == kind, "organisation"])
    for region in sorted({r for r in places["region"] if r}):
        found[("region", region)] = list(places.loc[places["region"] == region, "organisation"])
    return found


def _protect(
    cells: Sequence[tuple[str, str]],
    counts: np.ndarray,
    groups: Mapping[Key, Sequence[int]],
    fixed: Mapping[Key, bool],
    candidates: Sequence[Key],
    splits: list[tuple[Key, list[Key]]],
    threshold: int,
    fixed_reasons: Mapping[Key, str | None],
    forced: Mapping[Key, str],
) -> dict[Key, str | None]:
    """Which of ``candidates`` (groups of ``cells``: an organisation and a category each) are
    withheld and why, beside the groups published already, ``fixed`` (True where shown; else why
    not in ``fixed_reasons``), every organisation's own cells being withheld from everyone else and
    known to itself. ``forced`` are withheld whatever (a part of a group whose count is withheld).

    A candidate is withheld by ``rule``; then, as ``disclosure.withhold`` does, further parts of
    each split until no remainder is small (to anyone, or to the owner of its largest cell); then,
    while anything that must not be worked out can be (an organisation's own figures, a group
    withheld for being small) by adding and subtracting what is published, with one cell's own
    figure, the smallest shown candidate beside it in a split, else sharing its cells, else the
    smallest shown, and again."""
    members = _members(cells, groups)
    reasons = _own_reasons(cells, counts, members, candidates, threshold, forced)
    structure = disclosure.Structure(members, splits, len(cells))
    totals = structure.totals(counts)
    empty = [i for i, n in enumerate(counts) if n == 0]
    own = {i: int(n) for i, n in enumerate(counts)}  # what each cell's owner knows of it
    hidden = _withheld_at_first(members, fixed, reasons)
    secret, two = _secrets(hidden, totals, reasons, fixed_reasons)
    # A candidate the published groups give already (an area's organisations that entered a
    # headcount being all of them) is no secret: shown, and never withheld to protect another.
    known = structure.recoverable(
        [g for g, shown in fixed.items() if shown], [g for g in candidates if not reasons[g]], False, empty
    )
    hidden |= known
    while True:
        disclosure._by_difference(totals, structure, threshold, hidden, set(known), own, {})
        # A group withheld to protect another must not be worked out by anyone either, or
        # withholding it protects nothing (from an insider it may be: it is no small group).
        more = {g for g in hidden - known if g in reasons and totals[g] > 0 and g not in secret}
        secret |= more
        two |= more
        exposed = _exposed(structure, totals, hidden, known, secret, two, empty)
        if not exposed:
            break
        shown = _smallest_shown(candidates, hidden, known, totals)
        if not shown:
            break
        _withhold_beside(exposed, shown, hidden, splits, members)
    return {g: reasons[g] or (DIFFERENCE if g in hidden - known else None) for g in candidates}


def _members(cells: Sequence[tuple[str, str]], groups: Mapping[Key, Sequence[int]]) -> dict[Key, frozenset[int]]:
    """Each group's cells, and besides, each cell a group of its own and each organisation's cells
    one (what that organisation knows of itself)."""
    members: dict[Key, frozenset[int]] = {g: frozenset(c) for g, c in groups.items()}
    by_org: dict[str, list[int]] = {}
    for i, (org, _) in enumerate(cells):
        by_org.setdefault(org, []).append(i)
    for i, (org, part) in enumerate(cells):
        members[("cell", org, part)] = frozenset([i])
    for org, found in by_org.items():
        members.setdefault(("organisation", org), frozenset(found))
    return members


def _withheld_at_first(
    members: Mapping[Key, frozenset[int]], fixed: Mapping[Key, bool], reasons: Mapping[Key, str | None]
) -> set[Key]:
    """Every cell and organisation (each organisation's figures being its own), every published
    group not shown, and every candidate withheld on its own."""
    cell_groups = {g for g in members if g[0] in ("cell", "organisation")}
    return cell_groups | {g for g, shown in fixed.items() if not shown} | {g for g, why in reasons.items() if why}


def _own_reasons(
    cells: Sequence[tuple[str, str]],
    counts: np.ndarray,
    members: Mapping[Key, frozenset[int]],
    candidates: Sequence[Key],
    threshold: int,
    forced: Mapping[Key, str],
) -> dict[Key, str | None]:
    """Why each candidate is withheld on its own, if it is: ``forced``, else ``rule`` over what
    each organisation contributes to it."""
    reasons: dict[Key, str | None] = {}
    for g in candidates:
        contributed: dict[str, int] = {}
        for i in members[g]:
            contributed[cells[i][0]] = contributed.get(cells[i][0], 0) + int(counts[i])
        reasons[g] = forced.get(g) or rule(list(contributed.values()), threshold)
    return reasons


def _secrets(
    hidden: set[Key],
    totals: Mapping[Key, int],
    reasons: Mapping[Key, str | None],
    fixed_reasons: Mapping[Key, str | None],
) -> tuple[set[Key], set[Key]]:
    """What must not be worked out, and the part of it an insider may: every organisation's own
    figures, and every group withheld for being small (from anyone; from an insider too, but where
    it is withheld for having fewer than three organisations, which gives an insider nothing but
    another's own figure, itself guarded)."""
    secret = {g for g in hidden if totals[g] > 0}
    two = {g for g in secret if (reasons.get(g) or fixed_reasons.get(g)) == ORGANISATIONS}
    return secret, two


def _exposed(
    structure: disclosure.Structure[Key],
    totals: Mapping[Key, int],
    hidden: set[Key],
    known: frozenset[Key],
    secret: set[Key],
    two: set[Key],
    empty: list[int],
) -> frozenset[Key]:
    """The secrets that what is published gives away: to everyone first (cheap), then to each
    organisation with its own figure (costly: once clean)."""
    published = [g for g in totals if g not in hidden or g in known]
    return structure.recoverable(published, secret, False, empty) or structure.recoverable(
        published, secret - two, True, empty
    )


def _smallest_shown(
    candidates: Sequence[Key], hidden: set[Key], known: frozenset[Key], totals: Mapping[Key, int]
) -> list[Key]:
    """The candidates still shown (and not known already), smallest first."""
    return sorted((g for g in candidates if g not in hidden and g not in known), key=lambda g: (totals[g], str(g)))


def _withhold_beside(
    exposed: frozenset[Key],
    shown: list[Key],
    hidden: set[Key],
    splits: list[tuple[Key, list[Key]]],
    members: Mapping[Key, frozenset[int]],
) -> None:
    """One more candidate withheld beside each group given away: the smallest shown beside it in a
    split, else sharing its cells, else the smallest shown."""
    for first in sorted(exposed, key=str):
        left = [g for g in shown if g not in hidden]
        siblings = [g for g in left if any(first in parts and g in parts for _, parts in splits)]
        near = [g for g in left if members[g] & members[first]]
        hidden.add((siblings or near or left or shown)[0])


def _fixed(scored: Scored, groups: Mapping[Key, Sequence[str]]) -> dict[Key, bool]:
    """Whether each of England's, the types' and the regions' counts of respondents is shown."""
    return {g: scored.count(g)["n"] is not None for g in groups}


# ---------------------------------------------------------------- responses against the workforce


def responses(df: pd.DataFrame, scored: Scored, headcounts: Mapping[str, int], threshold: int) -> list[dict[str, Any]]:
    """For England, each type and each region: its organisations taking part, its respondents
    (as published), how many of its organisations entered a headcount, and where it can be shown,
    their respondents, their headcounts and the response rate (a whole per cent)."""
    places = _places(df)
    orgs = list(places["organisation"])
    people = df["organisation"].value_counts()
    counts = np.array([int(people.get(o, 0)) for o in orgs], dtype=float)
    entered = {o for o in orgs if headcounts.get(o)}
    base = base_groups(places)
    groups, splits = _entered_groups(base, orgs, entered)
    fixed = _fixed(scored, base)
    candidates = [("entered", *g) for g in base]
    forced = {("entered", *g): scored.count(g)["withheld"] or DIFFERENCE for g in base if not fixed[g]}
    why = _protect(
        [(o, "") for o in orgs],
        counts,
        groups,
        fixed,
        candidates,
        splits,
        threshold,
        {g: scored.count(g)["withheld"] for g in base},
        forced,
    )
    rows = []
    for g, members in base.items():
        reason = why[("entered", *g)] if fixed[g] else (scored.count(g)["withheld"] or DIFFERENCE)
        rows.append(_response_row(g, members, people, entered, headcounts, scored, reason))
    return rows


def _entered_groups(
    base: Mapping[Key, Sequence[str]], orgs: Sequence[str], entered: set[str]
) -> tuple[dict[Key, list[int]], list[tuple[Key, list[Key]]]]:
    """Each group's organisations (as indices into ``orgs``), and each group's that entered a
    headcount, with the splits the rules guard: a group less its organisations that entered, and
    England's that entered by its types' or regions' (and those of no region)."""
    index = {o: i for i, o in enumerate(orgs)}
    groups: dict[Key, list[int]] = {g: [index[o] for o in members] for g, members in base.items()}
    splits: list[tuple[Key, list[Key]]] = []
    for g, members in base.items():  # a group less its organisations that entered: what the split rule guards
        groups[("entered", *g)] = [index[o] for o in members if o in entered]
        splits.append((g, [("entered", *g)]))
    for level in ("type", "region"):  # England's: its types' or regions' (and those of no region)
        splits.append((("entered", "national"), [("entered", *g) for g in base if g[0] == level]))
    return groups, splits


def _response_row(
    g: Key,
    members: Sequence[str],
    people: pd.Series,
    entered: set[str],
    headcounts: Mapping[str, int],
    scored: Scored,
    reason: str | None,
) -> dict[str, Any]:
    """One group's row: its figures for those that entered a headcount shown unless ``reason``
    (or none of its organisations taking part entered one, when there is nothing to withhold)."""
    inside = [o for o in members if people.get(o, 0)]
    counted = [o for o in inside if o in entered]
    n = int(sum(people.get(o, 0) for o in counted))
    workforce = int(sum(headcounts[o] for o in counted))
    shown = reason is None and bool(counted)
    return {
        "level": g[0],
        "name": g[1] if len(g) > 1 else "England",
        "organisations": len(inside),
        "respondents": scored.count(g),
        "entered": len(counted),
        "entered_respondents": n if shown else None,
        "workforce": workforce if shown else None,
        "rate": round(100 * n / workforce) if shown and workforce else None,
        "withheld": None if shown or not counted else reason,
    }


# ---------------------------------------------------------------- who answered


def _family_values(questionnaire: forms.Questionnaire) -> dict[str, list[tuple[str, str]]]:
    """Each family's parts (value, label), "prefer not to say, or no answer" last."""
    values = _values(questionnaire)
    found = {}
    for b in ("service", "role"):
        labels = {o.value: o.label for o in questionnaire.question(b).options} | {NOT_SAID: NOT_SAID_LABEL}
        found[b] = [(v, labels[v]) for v in values[b]]
    found["profession"] = [(value, label) for value, label, _ in PROFESSIONS]
    return found


def who_answered(
    df: pd.DataFrame, questionnaire: forms.Questionnaire, scored: Scored, threshold: int
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """England's and each region's respondents by profession, service and role: ``{area: {family:
    [{"value", "label", "n", "withheld"}]}}``, "England" for England; each count shown or withheld
    as the rules above say, an area whose own count is withheld having none shown."""
    places = _places(df)
    base = base_groups(places)
    fixed = _fixed(scored, base)
    values = _values(questionnaire)
    families = _family_values(questionnaire)
    areas = [g for g in base if g[0] in ("national", "region")]
    found: dict[str, dict[str, list[dict[str, Any]]]] = {("England" if a == ("national",) else a[1]): {} for a in areas}
    for column in ("service", "role"):
        parts: dict[str, list[tuple[str, tuple[str, ...]]]] = {column: [(v, (v,)) for v in values[column]]}
        why, totals = _who_withheld(df, column, values[column], places, base, areas, parts, fixed, scored, threshold)
        for family in parts:
            labels = dict(families[family])
            for area in areas:
                name = "England" if area == ("national",) else area[1]
                area_reason = None if fixed[area] else (scored.count(area)["withheld"] or DIFFERENCE)
                found[name][family] = [
                    _who_row((family, value, *area), labels[value], why, totals, area_reason, threshold)
                    for value, _ in parts[family]
                ]
    for by in found.values():
        by["profession"] = _professions(by["role"], families["profession"])
    return {area: {f: by[f] for f in FAMILIES} for area, by in found.items()}


def _who_withheld(
    df: pd.DataFrame,
    column: str,
    values: Sequence[str],
    places: pd.DataFrame,
    base: Mapping[Key, Sequence[str]],
    areas: Sequence[Key],
    parts: Mapping[str, Sequence[tuple[str, tuple[str, ...]]]],
    fixed: Mapping[Key, bool],
    scored: Scored,
    threshold: int,
) -> tuple[dict[Key, str | None], dict[Key, int]]:
    """For one breakdown (``column``), each area's parts' reasons for being withheld, and every
    group's count: the cells each organisation's people by category, England's and each region's
    parts split both ways (by category, and England's category by region)."""
    stated = df[column].astype(object).where(df[column].isin(values[:-1]), NOT_SAID)
    per = pd.crosstab(df["organisation"], stated).reindex(
        index=list(places["organisation"]), columns=values, fill_value=0
    )
    cells = [(o, v) for o in per.index for v in per.columns]
    counts = per.to_numpy(dtype=float).ravel()
    at = {cell: i for i, cell in enumerate(cells)}
    groups: dict[Key, list[int]] = {
        g: [at[(o, v)] for o in members for v in per.columns] for g, members in base.items()
    }
    splits: list[tuple[Key, list[Key]]] = []
    candidates: list[Key] = []
    for family, chosen in parts.items():
        for value, roles in chosen:
            for area in areas:
                groups[(family, value, *area)] = [at[(o, v)] for o in base[area] for v in roles]
                candidates.append((family, value, *area))
            splits.append(((family, value, "national"), [(family, value, *a) for a in areas if a[0] == "region"]))
        splits += [(area, [(family, value, *area) for value, _ in chosen]) for area in areas]
    forced = {c: scored.count(c[2:])["withheld"] or DIFFERENCE for c in candidates if not fixed[c[2:]]}
    why = _protect(
        cells,
        counts,
        groups,
        fixed,
        candidates,
        splits,
        threshold,
        {g: scored.count(g)["withheld"] for g in base},
        forced,
    )
    totals = {g: int(sum(counts[i] for i in members)) for g, members in groups.items()}
    return why, totals


def _who_row(
    key: Key,
    label: str,
    why: Mapping[Key, str | None],
    totals: Mapping[Key, int],
    area_reason: str | None,
    threshold: int,
) -> dict[str, Any]:
    """One part of an area's split: withheld as its area's count is, else as ``_protect`` says;
    and below the threshold always, even none (a count never tells none from a few)."""
    reason = why[key] if area_reason is None else area_reason
    if totals[key] < threshold:
        reason = FEWER  # none included: a count never tells none from a few
    return {"value": key[1], "label": label, "n": None if reason else totals[key], "withheld": reason}


def _professions(roles: list[dict[str, Any]], labels: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """An area's respondents by profession from its roles': a profession's count is the sum of its
    roles', shown only where each of them is (so it tells nothing the roles do not); withheld, it
    reads as its one role does, or "Not shown"."""
    by_role = {r["value"]: r for r in roles}
    rows = []
    for (value, label), (_, _, members) in zip(labels, PROFESSIONS, strict=True):
        parts = [by_role[m] for m in members]
        shown = all(p["n"] is not None for p in parts)
        rows.append(
            {
                "value": value,
                "label": label,
                "n": sum(p["n"] for p in parts) if shown else None,
                "withheld": None if shown else parts[0]["withheld"] if len(parts) == 1 else DIFFERENCE,
            }
        )
    return rows


# ---------------------------------------------------------------- the spread of organisations' scores


def spread(result: Mapping[str, Any], regions: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """For England and each region, each standard's organisations by the band of their own score:
    ``{area: {standard id: {"low", "moderate", "high", "scored", "not_scored", "withheld"}}}`` (the
    band counts None where withheld, and why)."""
    found: dict[str, dict[str, dict[str, Any]]] = {"England": {}, **{r: {} for r in regions}}
    for s in result["standards"]:
        tally: dict[str, dict[str, int]] = {area: dict.fromkeys(BANDS, 0) | {"not_scored": 0} for area in found}
        for o in result["organisations"]:
            cell = o["scores"][s["id"]]
            which = band(cell["printed"]) if cell["score"] is not None else "not_scored"
            for area in ("England", o["region"]):
                if area in tally:
                    tally[area][which or "not_scored"] += 1
        reasons = {area: _spread_rule(t) for area, t in tally.items()}
        if reasons["England"] is None:  # England less the shown regions: the rest's bands
            while True:
                rest = {b: tally["England"][b] - sum(tally[r][b] for r in regions if reasons[r] is None) for b in BANDS}
                if sum(rest.values()) == 0 or _spread_rule(rest) is None:
                    break
                shown = [r for r in regions if reasons[r] is None]
                if not shown:
                    reasons["England"] = "difference"
                    break
                reasons[min(shown, key=lambda r: (sum(tally[r][b] for b in BANDS), r))] = "difference"
        for area, t in tally.items():
            scored = sum(t[b] for b in BANDS)
            found[area][s["id"]] = {
                **{b: None if reasons[area] else t[b] for b in BANDS},
                "scored": scored,
                "not_scored": t["not_scored"],
                "withheld": reasons[area],
            }
    return found


def _spread_rule(tally: Mapping[str, int]) -> str | None:
    total = sum(tally[b] for b in BANDS)
    if total < SPREAD_MIN:
        return "few"
    if max(tally[b] for b in BANDS) > total - 2:
        return "one_band"
    return None


def spread_why(reason: str) -> str:
    return SPREAD_REASONS[reason].format(minimum=SPREAD_MIN)


# ---------------------------------------------------------------- the change since last year


def change(
    scored: Scored,
    earlier: Scored | None,
    key: Key,
    questionnaire: forms.Questionnaire,
    earlier_questionnaire: forms.Questionnaire | None,
) -> list[dict[str, Any]] | None:
    """Each standard's score for ``key`` last year and this, and the change as printed (this year's
    printed score less last year's), where both years' are shown; None without a last year."""
    if earlier is None or earlier_questionnaire is None:
        return None
    before = {s.id for s in standards(earlier_questionnaire)}
    rows = []
    for s in standards(questionnaire):
        now = scored.cell(key, s.id)
        then = earlier.cell(key, s.id) if s.id in before and key in earlier.totals else None
        printed = exact = None
        if then is not None and then["score"] is not None and now["score"] is not None:
            exact = now["score"] - then["score"]
            if now["printed"] is not None and then["printed"] is not None:
                printed = now["printed"] - then["printed"]
        rows.append(
            {
                "id": s.id,
                "number": s.number,
                "title": s.title,
                "now": now,
                "previous": then,
                "change": printed,
                "exact_change": exact,
            }
        )
    return rows


__all__ = ["BANDS", "FAMILIES", "PROFESSIONS", "change", "responses", "spread", "who_answered"]
