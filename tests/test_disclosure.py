"""The staff survey's disclosure control, tested rather than promised, audience by audience.

Everyone reads England's, each type's and each region's figures and counts (scores.json's groups,
England's and each region's reports, the open API). Each organisation reads those and its own
report, and knows its own figures. Each audience in turn tries to work out, by adding and
subtracting what it sees, every figure and count withheld from it: every other organisation's,
every withheld group's, any few people's left over when a total is split, and (an organisation)
its own withheld services and roles. It must recover none. The other side: no organisation with
10 counted for a standard has its own score withheld, and its rank counts every such organisation."""
from __future__ import annotations

import json
import random
from itertools import groupby

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forms
from aggregation import profile, scores, staff_england
from healthcheck.api.views import public_scores
from tests.disclosure import NO_REGION, Attacker, small_remainders, small_unions, unions

Q = forms.load("staff-survey", "2020.1")
STATED = {b: [o.value for o in Q.question(b).options if o.value != scores.PREFER_NOT] for b in scores.BREAKDOWNS}
TYPES = ["Shire County", "London Borough", "Metropolitan District", "Unitary Authority"]
REGIONS = ["North", "Midlands", "South"]
MEASURES = ("standard_1", "standard_2", "s1_vision", scores.RESPONDENTS)


def synthetic(seed: int, organisations: int = 30, everyone_says: bool = False, trusts: tuple[int, ...] = (3, 3, 3),
              other: tuple[int, int, int] = (60, 3, 3)) -> list[dict]:
    """Organisations of every size from 3 to 60 respondents, spread over types and regions, each
    respondent with a service and role (some with none, or prefer not to say, unless ``everyone_says``)
    and some statements answered; NHS trusts of no region, of ``trusts`` respondents (three each:
    England less the types would be their nine); a type one organisation dominates (``other``); a
    region of two."""
    rng = random.Random(seed)
    rows = []
    layout = [(f"Org {i:02d}", TYPES[i % 4], REGIONS[(i // 4) % 3], rng.choice([3, 6, 9, 10, 12, 18, 25, 40, 60]))
              for i in range(organisations)]
    layout += [(f"Trust {i}", "NHS Trust", None, n) for i, n in enumerate(trusts)]
    layout += [(f"Other {x}", "Other", region, n) for x, region, n in zip("ABC", REGIONS, other, strict=True)]
    layout += [("Western 1", "Shire County", "West", 12), ("Western 2", "Unitary Authority", "West", 15)]
    for org, kind, region, size in layout:
        for _ in range(size):
            answers = {q: rng.choice(scores.SCALE) for q in ("s1_vision", "s1_leaders", "s2_staffing")
                       if rng.random() < 0.9}
            for question in scores.BREAKDOWNS:
                values = STATED[question] if everyone_says else [*STATED[question], scores.PREFER_NOT]
                if everyone_says or rng.random() < 0.95:
                    answers[question] = rng.choices(values, [5, 4, 1, 1, 1, 1, 1, 1][:len(values)])[0]
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

    def __init__(self, measure: str, places: dict | None = None, entered: set[str] | frozenset[str] = frozenset()
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


def edition(tmp_path, respondents: list[dict], headcounts: dict[str, int] | None = None
            ) -> tuple[dict, list[dict], list[dict]]:
    """Build the staff survey's part of an edition and read back its files: scores.json, every
    organisation's report, and England's and each region's."""
    from aggregation import staff_reports
    from aggregation.dataset import StaffData

    data = StaffData(year=2020, questionnaire=Q, respondents=respondents, headcounts=headcounts or {})
    staff_reports.build(data, tmp_path / "staff", scores.MIN_GROUP, tmp_path, "Test")
    folder = tmp_path / "staff"
    result = json.loads((folder / "scores.json").read_text())
    reports = [json.loads(p.read_text()) for p in sorted((folder / "organisations").glob("*.json"))]
    areas = [json.loads(p.read_text()) for p in [folder / "england-staff-survey-2020.json",
                                                  *sorted((folder / "regions").glob("*.json"))]]
    return result, reports, areas


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
    targets += [g for g, why in seen.withheld.items() if len(g) <= 2 and g[0] != "organisation"
                and why != scores.ORGANISATIONS and att.n(g) > 0 and not np.array_equal(att.vector(g), mine)]
    targets += [u for u in split_targets(att, seen) if not np.array_equal(att.vector(u), mine)]
    # A group, or a split's withheld parts together, less its own figure: the few others in it.
    totals = [g for g in [*seen.shown, *seen.withheld] if len(g) <= 2 and g[0] != "organisation"]
    totals += [u for parts in withheld_parts(att, seen) for u in [*parts, *unions(parts)]]
    totals += list(seen.unions)  # England's report's parts: none less this organisation is a few others
    targets += small_remainders(att, totals, organisation, scores.MIN_GROUP)
    # England's report's parts withheld for being few (one withheld by difference keeps others from
    # everyone; an organisation may know it, as it knows its own, when it is no small group).
    targets += [g for g, why in seen.unions.items() if why == scores.FEWER and att.n(g) > 0
                and (att.vector(g) * (1 - mine)).any()]
    for b in scores.BREAKDOWNS:
        parts = [g for g in seen.withheld if len(g) == 4 and g[1] == organisation and g[2] == b and att.n(g) > 0]
        targets += [t for t in parts + small_unions(att, parts, scores.MIN_GROUP)
                    if not np.array_equal(att.vector(t), mine)]  # all of itself: its own figure
    assert not seen.shown & set(seen.withheld), "a figure both shown and withheld"
    return att.learns(seen.shown | {me}, targets)


@pytest.mark.parametrize("seed, everyone_says, trusts, other", [
    (5, False, (3, 3, 3), (60, 3, 3)), (6, False, (), (60, 3, 3)), (7, True, (3, 3, 3), (60, 3, 3)),
    (8, False, (2, 2, 1), (40, 2, 2))])
def test_no_audience_works_out_a_withheld_figure_or_count_from_what_it_reads(tmp_path, seed, everyone_says, trusts,
                                                                            other):
    respondents = synthetic(seed, everyone_says=everyone_says, trusts=trusts, other=other)
    df = scores.frame(respondents, Q)
    rng = random.Random(seed)  # most organisations enter a headcount; England's report adds what they make
    headcounts = {o: rng.randint(20, 90) for o in sorted(set(df["organisation"])) if rng.random() < 0.7}
    result, reports, areas = edition(tmp_path, respondents, headcounts)
    places = {o: (k, r or "") for o, k, r in df[list(scores.PLACES)].drop_duplicates("organisation").itertuples(
        index=False)}
    protected = 0
    for measure in MEASURES:
        att = attacker(df, measure)
        public = Reader(measure, places, set(headcounts))
        public.scores_json(result)
        public.api(result)
        for area in areas:
            public.area(area)
            public.overview(area)
        if measure == scores.RESPONDENTS:  # England's report adds counts, some of them withheld
            assert len(public.unions) > 50 and any(public.unions.values()), len(public.unions)
        assert public_attack(att, public) == [], measure
        for report in reports:
            seen = Reader(measure, places, set(headcounts))
            seen.shown, seen.withheld, seen.unions = set(public.shown), dict(public.withheld), dict(public.unions)
            seen.organisation(report)
            assert insider_attack(att, seen, report["organisation"]) == [], (measure, report["organisation"])
            protected += len(seen.withheld)
    assert protected > 500  # there is something to protect
    for report in reports:
        assert_no_profile_count_recoverable(report["profile"])


def test_the_nine_nhs_trust_respondents_are_not_england_less_the_types():
    """The case found on main: three trusts of three each, the other types published with their
    counts, and England's count less theirs gave the trusts' 9. Now a second type goes with them."""
    df = scores.frame(synthetic(5, other=(20, 15, 12)), Q)
    scored = scores.score(df, Q)
    types = [("type", t) for t in [*TYPES, "Other", "NHS Trust"]]
    assert scored.count(("type", "NHS Trust")) == {"n": None, "withheld": scores.FEWER, "because": None}
    assert scored.count(("national",))["n"] is not None
    hidden = [t for t in types if scored.count(t)["n"] is None]
    assert len(hidden) >= 2 and sum(scored.respondents[t] for t in hidden) >= scores.MIN_GROUP
    assert {scored.count(t)["because"] for t in hidden} == {None, "NHS Trust's, from fewer than 10 people"}


def test_the_attacker_finds_what_withholding_small_groups_alone_would_give_away():
    """Without the further groups and parts withheld, the attack succeeds: it is not blind."""
    df = scores.frame(synthetic(3, everyone_says=True), Q)
    scored = scores.score(df, Q)
    scored.hidden = {m: set() for m in scored.hidden}  # only what falls below the threshold
    result = scores.published(scored, df, Q, 2020)
    public = Reader(scores.RESPONDENTS)
    public.scores_json(result)
    assert public_attack(attacker(df, scores.RESPONDENTS), public)  # England less the types: the trusts
    found = []
    for organisation in ("Org 00", "Org 05", "Org 10", "Org 15", "Org 20", "Org 25"):
        report = scores.organisation_report(scored, result, organisation, Q)
        report["profile"] = {"characteristics": []}
        seen = Reader("standard_1")
        seen.scores_json(result)
        seen.organisation(report)
        found += insider_attack(attacker(df, "standard_1"), seen, organisation)
    assert found  # a service of 8 is its organisation less its other services


def assert_no_profile_count_recoverable(found: dict) -> None:
    """Who answered: what its shown rows leave of the organisation's count is none or at least 10,
    and a withheld row is never alone in a characteristic with someone in it."""
    if found["respondents"] is None:
        assert all(r["respondents"] is None for c in found["characteristics"] for r in c["rows"])
        return
    for characteristic in found["characteristics"]:
        hidden = [r for r in characteristic["rows"] if r["respondents"] is None]
        unshown = found["respondents"] - sum(r["respondents"] or 0 for r in characteristic["rows"])
        assert unshown == 0 or (unshown >= scores.MIN_GROUP and len(hidden) >= 2), characteristic
        assert all(r["withheld"] in (scores.FEWER, scores.DIFFERENCE) for r in hidden)


# ---------------------------------------------------------------- the other side: no score lost

@st.composite
def datasets(draw) -> list[dict]:
    """Up to 25 organisations of 1 to 40 respondents (many near 10), in a few types and regions (some
    of one or two organisations), answering standard 1's statements or not."""
    rows = []
    for i in range(draw(st.integers(3, 25))):
        kind = draw(st.sampled_from(["Shire County", "London Borough", "NHS Trust"]))
        region = draw(st.sampled_from(["North", "South", "East", None]))
        size = draw(st.one_of(st.integers(1, 40), st.integers(8, 12)))
        answers = draw(st.lists(st.sampled_from(scores.SCALE + [None]), min_size=size, max_size=size))
        service = draw(st.sampled_from(STATED["service"] + [None]))
        rows += [{"organisation": f"O{i:02d}", "authority_type": kind, "region": region,
                  "answers": {"s1_vision": a, "s1_leaders": "agree" if j % 3 else None, "service": service}}
                 for j, a in enumerate(answers)]
    return rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_every_organisation_with_10_counted_sees_its_score_and_its_rank_counts_every_such_one(rows):
    df = scores.frame(rows, Q)
    scored = scores.score(df, Q)
    result = scores.published(scored, df, Q, 2020)
    own = scores.respondent_scores(df, Q)["standard_1"]
    truth = {o: (int(s.notna().sum()), float(s.mean()) if s.notna().any() else None)
             for o, s in own.groupby(df["organisation"])}
    ranked = sorted((mean for n, mean in truth.values() if n >= 10), reverse=True)
    for entry in result["organisations"]:
        n, mean = truth[entry["organisation"]]
        cell = entry["scores"]["standard_1"]
        assert cell["n"] == n
        if n < 10:
            assert cell["score"] is None and cell["rank"] is None and cell["of"] is None
            continue
        assert cell["score"] == pytest.approx(mean) and cell["printed"] is not None and cell["band"]
        assert cell["of"] == len(ranked)
        assert cell["rank"] == 1 + sum(other > cell["score"] + scores.TIE for other in ranked)
        report = scores.organisation_report(scored, result, entry["organisation"], Q)
        assert report["standards"][0]["own"]["printed"] == cell["printed"]


def test_ranks_ties_and_of_against_a_small_dataset_worked_out_by_hand():
    """Seven organisations answer standard 1's vision statement alone:

        P 12 x strongly agree          100     1st of 5
        Q 10 x agree                    75     2nd (tied)
        R 20: 10 agree, 10 agree        75     2nd (tied: the same mean from other sums)
        S 10: 5 neither, 5 agree        62.5   4th, printed 63 (half away from zero)
        T 11: 11 disagree               25     5th
        U  9 x strongly agree          withheld (9): no rank, and not counted in "of"
        V 30 x don't know              no one counted: no score, no rank
    """
    people = {"P": [("strongly_agree", 12)], "Q": [("agree", 10)], "R": [("agree", 20)],
              "S": [("neither", 5), ("agree", 5)], "T": [("disagree", 11)], "U": [("strongly_agree", 9)],
              "V": [(forms.DONT_KNOW, 30)]}
    rows = [{"organisation": o, "authority_type": "Shire County", "region": "North", "answers": {"s1_vision": a}}
            for o, answers in people.items() for a, count in answers for _ in range(count)]
    df = scores.frame(rows, Q)
    result = scores.published(scores.score(df, Q), df, Q, 2020)
    got = {o["organisation"]: (o["scores"]["standard_1"]["printed"], o["scores"]["standard_1"]["band"],
                               o["scores"]["standard_1"]["rank"], o["scores"]["standard_1"]["of"])
           for o in result["organisations"]}
    assert got == {"P": (100, "high", 1, 5), "Q": (75, "high", 2, 5), "R": (75, "high", 2, 5),
                   "S": (63, "moderate", 4, 5), "T": (25, "low", 5, 5), "U": (None, None, None, None),
                   "V": (None, None, None, None)}


def test_every_organisations_report_in_an_edition_shows_each_score_it_has_10_for(tmp_path):
    respondents = synthetic(8)
    df = scores.frame(respondents, Q)
    _, reports, _ = edition(tmp_path, respondents)
    counts = scores.respondent_scores(df, Q).notna().groupby(df["organisation"]).sum()
    for report in reports:
        for row in report["standards"]:
            n = int(counts.loc[report["organisation"], row["id"]])
            assert (row["own"]["printed"] is not None) == (n >= 10), (report["organisation"], row["id"], n)
            assert (row["own"]["n"] is None) == (n < 10)
    sizes = [len(list(g)) for _, g in groupby(sorted(r["organisation"] for r in respondents))]
    assert any(9 >= s for s in sizes) and any(s >= 10 for s in sizes)
