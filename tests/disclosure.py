"""An attacker for the staff survey's disclosure tests: given every figure one audience sees, can
it work out any figure or count withheld from it by adding and subtracting those it sees?

Each group is a set of the finest cells respondents fall into: an organisation's service and role
(either of which may be unstated: ""). A group's total (its n, or its n times its score) is the
sum of its cells'. A withheld total can be recovered exactly when its cells' indicator lies in the
span of the known groups' indicators: then it is a combination of known totals. Cells that hold
nobody for the measure are taken as known to be empty (the attacker may know that no manager works
in children's services), which only makes the attacker stronger.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations

import numpy as np

import forms
from aggregation import profile, scores, staff_england
from healthcheck.api.views import public_scores

Cell = tuple[str, str, str]  # organisation, service, role ("" for unstated or prefer not to say)
Group = tuple[str, ...]  # ("national",), ("type", T), ("region", R), ("organisation", O[, "service"|"role", V])
NO_REGION: Group = ("region", "")  # the organisations of no region: England less every region


class Attacker:
    """The cells of one measure, with how many counted in each; ``places`` gives each organisation's
    type and region."""

    def __init__(self, counts: Mapping[Cell, int], places: Mapping[str, tuple[str, str | None]]) -> None:
        self.places = places
        self.counts = dict(counts)
        self.cells = [c for c, n in counts.items() if n > 0]  # an empty cell is known to be zero
        # Each cell's organisation, service, role, type and region as a number, and its count, in
        # arrays: a group's row is then one comparison over them (the tests ask for some 40,000 rows).
        self._codes: dict[str, int] = {}
        column = lambda values: np.array([self._codes.setdefault(v, len(self._codes)) for v in values])  # noqa: E731
        self._organisation = column(c[0] for c in self.cells)
        self._of = {"service": column(c[1] for c in self.cells), "role": column(c[2] for c in self.cells)}
        self._type = column(places[c[0]][0] for c in self.cells)
        self._region = column(places[c[0]][1] or "" for c in self.cells)
        self._counts = np.array([self.counts[c] for c in self.cells], dtype=float)

    def vector(self, group: Group | Sequence[Group]) -> np.ndarray:
        """A group's cells (or a union of disjoint groups', or ``("without", group, organisation)``:
        a group less one organisation in it), as a 0/1 row over the non-empty cells."""
        if group and isinstance(group[0], tuple):
            return np.sum([self.vector(g) for g in group], axis=0)  # type: ignore[arg-type]
        kind = group[0]
        if kind == "without":
            return self.vector(group[1]) * (1 - self.vector(("organisation", group[2])))  # type: ignore[arg-type]
        if kind == "national":
            inside = np.ones(len(self.cells), dtype=bool)
        elif kind == "type":
            inside = self._type == self._code(group[1])
        elif kind == "region":
            inside = self._region == self._code(group[1])
        elif len(group) == 2:
            inside = self._organisation == self._code(group[1])
        else:
            inside = (self._organisation == self._code(group[1])) & (self._of[group[2]] == self._code(group[3]))
        return inside.astype(float)

    def _code(self, value: str) -> int:
        return self._codes.get(value, -1)  # -1: in no cell

    def n(self, group: Group | Sequence[Group]) -> int:
        return int(self.vector(group) @ self._counts)

    def learns(self, known: Iterable[Group], targets: Iterable[Group | tuple[Group, ...]]) -> list:
        """The targets whose totals the known groups' totals give away."""
        rows = [self.vector(g) for g in known]
        if not rows or not self.cells:
            return []
        _, s, vt = np.linalg.svd(np.vstack(rows), full_matrices=False)
        basis = vt[s > 1e-9 * s.max()] if s.max() > 0 else np.zeros((0, len(self.cells)))
        found = []
        for target in targets:
            vector = self.vector(target)
            if vector.any() and np.abs(vector - basis.T @ (basis @ vector)).max() < 1e-6:
                found.append(target)
        return found


def unions(withheld: Sequence[Group]) -> list[tuple[Group, ...]]:
    """Every union of two or more of the withheld parts of one split."""
    return [union for size in range(2, len(withheld) + 1) for union in combinations(withheld, size)]


def small_unions(attacker: Attacker, withheld: Sequence[Group], threshold: int) -> list[tuple[Group, ...]]:
    """Every union of two or more of the withheld parts of one split with fewer than the threshold
    in it (but someone): England less its published types, say, were it two small types."""
    return [union for union in unions(withheld) if 0 < attacker.n(union) < threshold]


def small_remainders(attacker: Attacker, totals: Iterable, organisation: str, threshold: int) -> list:
    """Each total (a group, or a union of a split's withheld parts) less one organisation in it,
    where that leaves fewer than the threshold (but someone): what the organisation, knowing its
    own, would have of the others were the total known to it."""
    found = []
    for total in totals:
        left = ("without", total, organisation)
        if attacker.n(left) < attacker.n(total) and 0 < attacker.n(left) < threshold:
            found.append(left)
    return found


# ---------------------------------------------------------------- the staff survey used by the tests

Q = forms.load("staff-survey", "2020.1")
STATED = {b: [o.value for o in Q.question(b).options if o.value != scores.PREFER_NOT] for b in scores.BREAKDOWNS}
TYPES = ["Shire County", "London Borough", "Metropolitan District", "Unitary Authority"]
REGIONS = ["North", "Midlands", "South"]
MEASURES = ("standard_1", "standard_2", "s1_vision", scores.RESPONDENTS)


def synthetic(
    seed: int,
    organisations: int = 30,
    everyone_says: bool = False,
    trusts: tuple[int, ...] = (3, 3, 3),
    other: tuple[int, int, int] = (60, 3, 3),
) -> list[dict]:
    """Organisations of every size from 3 to 60 respondents, spread over types and regions, each
    respondent with a service and role (some with none, or prefer not to say, unless ``everyone_says``)
    and some statements answered; NHS trusts of no region, of ``trusts`` respondents (three each:
    England less the types would be their nine); a type one organisation dominates (``other``); a
    region of two."""
    rng = random.Random(seed)
    rows = []
    layout = [
        (f"Org {i:02d}", TYPES[i % 4], REGIONS[(i // 4) % 3], rng.choice([3, 6, 9, 10, 12, 18, 25, 40, 60]))
        for i in range(organisations)
    ]
    layout += [(f"Trust {i}", "NHS Trust", None, n) for i, n in enumerate(trusts)]
    layout += [(f"Other {x}", "Other", region, n) for x, region, n in zip("ABC", REGIONS, other, strict=True)]
    layout += [("Western 1", "Shire County", "West", 12), ("Western 2", "Unitary Authority", "West", 15)]
    for org, kind, region, size in layout:
        for _ in range(size):
            answers = {
                q: rng.choice(scores.SCALE) for q in ("s1_vision", "s1_leaders", "s2_staffing") if rng.random() < 0.9
            }
            for question in scores.BREAKDOWNS:
                values = STATED[question] if everyone_says else [*STATED[question], scores.PREFER_NOT]
                if everyone_says or rng.random() < 0.95:
                    answers[question] = rng.choices(values, [5, 4, 1, 1, 1, 1, 1, 1][: len(values)])[0]
            rows.append({"organisation": org, "authority_type": kind, "region": region, "answers": answers})
    return rows


# ---------------------------------------------------------------- the true counts, cell by cell


def counted(df, measure: str) -> np.ndarray:
    """Whether each respondent counts for a measure."""
    if measure == scores.RESPONDENTS:
        return np.ones(len(df), dtype=bool)
    if measure.startswith("standard"):
        return scores.respondent_scores(df, Q)[measure].notna().to_numpy()
    return df[measure].astype(object).isin(list(forms.AGREEMENT_SCORES)).to_numpy()


def attacker(df, measure: str) -> Attacker:
    """The cells of one measure with how many counted in each, and each organisation's place."""
    places = {o: (k, r) for o, k, r in df[list(scores.PLACES)].drop_duplicates("organisation").itertuples(index=False)}
    stated = {b: df[b].astype(object).where(df[b].isin(STATED[b]), "") for b in scores.BREAKDOWNS}
    cells: dict = {(o, s, r): 0 for o in places for s in [*STATED["service"], ""] for r in [*STATED["role"], ""]}
    for o, s, r, yes in zip(df["organisation"], stated["service"], stated["role"], counted(df, measure)):
        cells[(o, s, r)] += int(yes)
    return Attacker(cells, places)


# ---------------------------------------------------------------- what each audience reads

PUBLIC_KINDS = {"national": "national", "type": "type", "region": "region"}


class Reader:
    """The groups whose figure (or, for RESPONDENTS, count) of one measure an audience has read,
    and those it has read as withheld, with why."""

    def __init__(
        self, measure: str, places: dict | None = None, entered: set[str] | frozenset[str] = frozenset()
    ) -> None:
        self.measure = measure
        self.shown: set[tuple] = set()
        self.withheld: dict[tuple, str] = {}
        self.places = places or {}  # organisation -> (type, region), for the groups England's report adds
        self.entered = entered  # the organisations that entered a headcount
        self.unions: dict[tuple, str | None] = {}  # those groups (unions of organisations' parts): why withheld

    def members(self, level: str, name: str | None) -> list[str]:
        at = {"type": 0, "region": 1}.get(level)
        return [o for o, place in self.places.items() if at is None or place[at] == name]

    def union(self, group: tuple, n: int | None, why: str | None) -> None:
        """A group England's report adds (the respondents of the organisations in an area that
        entered a headcount; an area's respondents of one profession, service or role), as a union
        of organisations' (or their parts') groups."""
        if not group:
            return
        if n is not None:
            assert n >= scores.MIN_GROUP, (group, n)
            self.shown.add(group)
        self.unions[group] = None if n is not None else (why or scores.FEWER)

    def cell(self, group: tuple, cell: dict | None) -> None:
        if cell is None:
            return
        if cell.get("score") is not None:
            assert cell.get("n", cell.get("respondents")) is not None, (group, cell)
            self.shown.add(group)
        else:
            assert cell.get("n") is None and cell.get("respondents") is None, ("a withheld figure's count", group)
            self.withheld[group] = cell.get("withheld") or cell.get("why") or scores.FEWER

    def count(self, group: tuple, n: int | None, why: str | None) -> None:
        if n is not None:
            assert n >= scores.MIN_GROUP, (group, n)
            self.shown.add(group)
        else:
            self.withheld[group] = why or scores.FEWER

    def scores_json(self, result: dict) -> None:
        """scores.json's groups: England, each type and region, as everyone sees them."""
        for g in result["groups"]:
            key = tuple(g["group"].split(":", 1))
            if self.measure == scores.RESPONDENTS:
                self.count(key, g["respondents"], g["respondents_withheld"])
            else:
                self.cell(key, g["scores"].get(self.measure))

    def api(self, result: dict) -> None:
        """The open API's types, regions and England, as it answers them."""
        for level, kind in (("types", "type"), ("regions", "region"), ("national", "national")):
            for row in public_scores(result, level, scores.MIN_GROUP):
                key = ("national",) if kind == "national" else (kind, row["group"])
                if self.measure == scores.RESPONDENTS:
                    self.count(key, row["respondents"], row["respondents_withheld"])
                elif self.measure in row["scores"]:
                    cell = row["scores"][self.measure]
                    self.cell(key, cell | {"n": cell["respondents"]})

    def area(self, report: dict) -> None:
        """England's report or a region's."""
        key = ("national",) if report["region"] is None else ("region", report["region"])
        if self.measure == scores.RESPONDENTS:
            self.count(key, report["respondents"]["n"], report["respondents"]["withheld"])
            for g in report["groups"]:
                self.count((g["level"], g["name"]), g["respondents"]["n"], g["respondents"]["withheld"])
            return
        for row in [*report["standards"], *report["statements"]]:
            if row["id"] == self.measure:
                self.cell(key, row["own"])
                self.cell(("national",), row["national"])
        for g in report["groups"]:
            self.cell((g["level"], g["name"]), g["scores"].get(self.measure))

    def overview(self, report: dict) -> None:
        """The counts England's and a region's report add: respondents of the organisations that
        entered a headcount, and respondents by profession, service and role."""
        if self.measure != scores.RESPONDENTS:
            return
        for r in report.get("responses") or []:
            level, name = r["level"], None if r["level"] == "national" else r["name"]
            group = tuple(("organisation", o) for o in self.members(level, name) if o in self.entered)
            if r["entered"]:
                self.union(group, r["entered_respondents"], r["withheld"])
        area = None if report["region"] is None else report["region"]
        inside = self.members("national" if area is None else "region", area)
        roles = {p[0]: p[2] for p in staff_england.PROFESSIONS}
        for family, rows in (report.get("who") or {}).items():
            for row in rows:
                values = roles[row["value"]] if family == "profession" else (row["value"],)
                column = "service" if family == "service" else "role"
                group = tuple(("organisation", o, column, v) for o in inside for v in values)
                self.union(group, row["n"], row["withheld"])

    def organisation(self, report: dict) -> None:
        """One organisation's own report: its figures, the groups beside them, its breakdowns and,
        for counts, who answered by service and role."""
        own = ("organisation", report["organisation"])
        if self.measure == scores.RESPONDENTS:
            self.count(own, report["respondents"], scores.FEWER)
            for b in scores.BREAKDOWNS:
                for part in report["breakdowns"][b]:
                    self.count((*own, b, part["value"]), part["respondents"]["n"], part["respondents"]["withheld"])
            by = {c["id"]: c for c in report["profile"]["characteristics"]}
            for b in scores.BREAKDOWNS:  # the same counts again, as who answered shows them
                for row in by[b]["rows"]:
                    value = "" if row["value"] == profile.NOT_SAID else row["value"]
                    self.count((*own, b, value), row["respondents"], row["withheld"])
            return
        for row in report["standards"]:
            if row["id"] == self.measure:
                self.cell(own, row["own"])
                for column in ("type", "region", "national"):
                    name = {"type": report["authority_type"], "region": report["region"]}.get(column)
                    self.cell((column,) if column == "national" else (column, name), row[column])
        for statement in report["statements"]:
            if statement["id"] == self.measure:
                self.cell(own, statement["own"])
                self.cell(("national",), statement["national"])
        for b in scores.BREAKDOWNS:
            for part in report["breakdowns"][b]:
                self.cell((*own, b, part["value"]), part["scores"].get(self.measure))


# ---------------------------------------------------------------- the attack, audience by audience


def withheld_parts(att: Attacker, seen: Reader) -> list[list]:
    """The withheld parts of each of England's splits (types; regions, and the organisations of none)."""
    levels = {kind: sorted({g for g in [*seen.withheld, *seen.shown] if g[0] == kind}) for kind in ("type", "region")}
    found = []
    for kind, groups in levels.items():
        withheld = [g for g in groups if g not in seen.shown and att.n(g) > 0]
        if kind == "region" and att.n(NO_REGION) > 0:
            withheld.append(NO_REGION)
        found.append(withheld)
    return found


def split_targets(att: Attacker, seen: Reader) -> list:
    """Unions of the withheld parts of England's splits holding fewer than the threshold: a
    published England less its published parts."""
    return [u for parts in withheld_parts(att, seen) for u in small_unions(att, parts, scores.MIN_GROUP)]


def public_attack(att: Attacker, seen: Reader) -> list:
    """What everyone can work out: every organisation's figure is withheld from it."""
    organisations = [("organisation", o) for o in att.places]
    targets = [g for g in organisations if att.n(g) > 0]
    targets += [g for g in seen.withheld if len(g) <= 2 and g[0] != "organisation" and att.n(g) > 0]
    targets += split_targets(att, seen)
    targets += [g for g, why in seen.unions.items() if why and att.n(g) > 0]  # England's report's parts
    assert not seen.shown & set(seen.withheld), "a figure both shown and withheld"
    return att.learns(seen.shown, targets)


def insider_attack(att: Attacker, seen: Reader, organisation: str) -> list:
    """What one organisation can work out from everything it reads and its own figures: another
    organisation's; a withheld group's (but one withheld only for having two organisations, which
    gives it nothing but the other's, checked on its own); a few people's left over; a withheld
    service or role of its own."""
    me = ("organisation", organisation)
    mine = att.vector(me)
    targets = [("organisation", o) for o in att.places if o != organisation and att.n(("organisation", o)) > 0]
    targets += [
        g
        for g, why in seen.withheld.items()
        if len(g) <= 2
        and g[0] != "organisation"
        and why != scores.ORGANISATIONS
        and att.n(g) > 0
        and not np.array_equal(att.vector(g), mine)
    ]
    targets += [u for u in split_targets(att, seen) if not np.array_equal(att.vector(u), mine)]
    # A group, or a split's withheld parts together, less its own figure: the few others in it.
    totals = [g for g in [*seen.shown, *seen.withheld] if len(g) <= 2 and g[0] != "organisation"]
    totals += [u for parts in withheld_parts(att, seen) for u in [*parts, *unions(parts)]]
    totals += list(seen.unions)  # England's report's parts: none less this organisation is a few others
    targets += small_remainders(att, totals, organisation, scores.MIN_GROUP)
    # England's report's parts withheld for being few (one withheld by difference keeps others from
    # everyone; an organisation may know it, as it knows its own, when it is no small group).
    targets += [
        g
        for g, why in seen.unions.items()
        if why == scores.FEWER and att.n(g) > 0 and (att.vector(g) * (1 - mine)).any()
    ]
    for b in scores.BREAKDOWNS:
        parts = [g for g in seen.withheld if len(g) == 4 and g[1] == organisation and g[2] == b and att.n(g) > 0]
        targets += [
            t for t in parts + small_unions(att, parts, scores.MIN_GROUP) if not np.array_equal(att.vector(t), mine)
        ]  # all of itself: its own figure
    assert not seen.shown & set(seen.withheld), "a figure both shown and withheld"
    return att.learns(seen.shown | {me}, targets)
