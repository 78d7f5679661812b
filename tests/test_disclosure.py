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


def _published_edition(tmp_path, respondents: list[dict]) -> tuple[dict, list[dict], list[dict]]:
    """Build the staff survey's part of an edition and read back what it publishes: scores.json,
    every organisation's report and England's and each region's."""
    import json

    from aggregation import staff_reports
    from aggregation.dataset import StaffData

    data = StaffData(year=2020, questionnaire=Q, respondents=respondents)
    staff_reports.build(data, tmp_path / "staff", scores.MIN_GROUP, tmp_path, "Test")
    folder = tmp_path / "staff"
    result = json.loads((folder / "scores.json").read_text())
    reports = [json.loads(p.read_text()) for p in sorted((folder / "organisations").glob("*.json"))]
    areas = [json.loads(p.read_text()) for p in [folder / "england-staff-survey-2020.json",
                                                  *sorted((folder / "regions").glob("*.json"))]]
    return result, reports, areas


class Published:
    """Every figure of one measure in an edition's files, as an attacker reads them: the groups
    whose score is shown, and those whose score is withheld though someone counted."""

    def __init__(self, measure: str, df) -> None:
        self.measure, self.df = measure, df
        self.shown: set[tuple] = set()
        self.withheld: set[tuple] = set()

    def read(self, group: tuple, cell: dict | None) -> None:
        if cell is not None and cell["score"] is not None:
            self.shown.add(group)
        elif cell is not None and (cell.get("n") or 0) > 0:
            self.withheld.add(group)

    def scores_json(self, result: dict) -> None:
        for o in result["organisations"]:
            self.read(("organisation", o["organisation"]), o["scores"].get(self.measure))
        for g in result["groups"]:
            self.read(tuple(g["group"].split(":", 1)), g["scores"].get(self.measure))

    def organisation(self, report: dict) -> None:
        own = ("organisation", report["organisation"])
        for st in report["statements"]:
            if st["id"] == self.measure:
                self.read(own, st["own"])
                self.read(("national",), st["national"])
        for kind, values in (("service", SERVICES), ("role", ROLES)):
            listed = {p["value"]: p["scores"].get(self.measure) for p in report["breakdowns"][kind]}
            for v in (v for v in values if v != scores.PREFER_NOT):
                cell = listed.get(v)
                if cell is not None and cell["score"] is not None:
                    self.shown.add((*own, kind, v))
                elif self.counted(report["organisation"], kind, v):  # a part with nobody is no secret
                    self.withheld.add((*own, kind, v))

    def area(self, report: dict) -> None:
        key = ("national",) if report["region"] is None else ("region", report["region"])
        for row in [*report["standards"], *report["statements"]]:
            if row["id"] == self.measure:
                self.read(key, row["own"])

    def counted(self, organisation: str, kind: str, value: str) -> bool:
        df = self.df
        if self.measure.startswith("standard"):
            counts = scores.respondent_scores(df, Q)[self.measure].notna()
        else:
            counts = df[self.measure].astype(object).isin(list(forms.AGREEMENT_SCORES))
        return bool(((df["organisation"] == organisation) & (df[kind] == value) & counts).any())


@pytest.mark.parametrize("seed", [5, 6])
def test_every_published_file_of_an_edition_gives_nothing_withheld_away(tmp_path, seed):
    """The attacker holds every file: each score and n in scores.json, each organisation's report
    (its breakdowns, statements and who answered) and England's and the regions' reports."""
    respondents = synthetic(seed)
    df = scores.frame(respondents, Q)
    places = {o: (k, r) for o, k, r in df[list(scores.PLACES)].drop_duplicates("organisation").itertuples(index=False)}
    cells = list(dict.fromkeys((o, "" if s == scores.PREFER_NOT else s, "" if r == scores.PREFER_NOT else r)
                               for o in places for s in [*SERVICES, ""] for r in [*ROLES, ""]))
    result, reports, areas = _published_edition(tmp_path, respondents)
    for measure in ("standard_1", "standard_2", "s1_vision"):
        published = Published(measure, df)
        published.scores_json(result)
        for report in reports:
            published.organisation(report)
        for area in areas:
            published.area(area)
        assert not published.withheld & published.shown, "a figure both withheld and shown"
        assert len(published.withheld) > 10  # there is something to protect
        found = recoverable(sorted(published.shown), sorted(published.withheld), cells, places)
        assert found == [], (measure, found)
    for report in reports:
        assert_no_profile_count_recoverable(report["profile"])


def assert_no_profile_count_recoverable(profile: dict) -> None:
    """Who answered: no withheld count is the organisation's total less the others."""
    if profile["respondents"] is None:
        assert all(r["respondents"] is None for c in profile["characteristics"] for r in c["rows"])
        return
    for characteristic in profile["characteristics"]:
        hidden = [r for r in characteristic["rows"] if r["respondents"] is None]
        unshown = profile["respondents"] - sum(r["respondents"] or 0 for r in characteristic["rows"])
        assert not hidden or (unshown >= scores.MIN_GROUP and len(hidden) >= 2), characteristic
