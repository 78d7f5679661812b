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

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forms
from aggregation import scores, staff_reports
from aggregation.dataset import StaffData
from tests.disclosure import (
    MEASURES,
    STATED,
    TYPES,
    Q,
    Reader,
    attacker,
    insider_attack,
    public_attack,
    synthetic,
)


def edition(
    tmp_path, respondents: list[dict], headcounts: dict[str, int] | None = None
) -> tuple[dict, list[dict], list[dict]]:
    """Build the staff survey's part of an edition and read back its files: scores.json, every
    organisation's report, and England's and each region's."""

    data = StaffData(year=2020, questionnaire=Q, respondents=respondents, headcounts=headcounts or {})
    staff_reports.build(data, tmp_path / "staff", scores.MIN_GROUP, tmp_path, "Test")
    folder = tmp_path / "staff"
    result = json.loads((folder / "scores.json").read_text())
    reports = [json.loads(p.read_text()) for p in sorted((folder / "organisations").glob("*.json"))]
    areas = [
        json.loads(p.read_text())
        for p in [folder / "england-staff-survey-2020.json", *sorted((folder / "regions").glob("*.json"))]
    ]
    return result, reports, areas


@pytest.mark.parametrize(
    "seed, everyone_says, trusts, other",
    [
        (5, False, (3, 3, 3), (60, 3, 3)),
        (6, False, (), (60, 3, 3)),
        (7, True, (3, 3, 3), (60, 3, 3)),
        (8, False, (2, 2, 1), (40, 2, 2)),
    ],
)
def test_no_audience_works_out_a_withheld_figure_or_count_from_what_it_reads(
    tmp_path, seed, everyone_says, trusts, other
):
    respondents = synthetic(seed, everyone_says=everyone_says, trusts=trusts, other=other)
    df = scores.frame(respondents, Q)
    rng = random.Random(seed)  # most organisations enter a headcount; England's report adds what they make
    headcounts = {o: rng.randint(20, 90) for o in sorted(set(df["organisation"])) if rng.random() < 0.7}
    result, reports, areas = edition(tmp_path, respondents, headcounts)
    places = {
        o: (k, r or "") for o, k, r in df[list(scores.PLACES)].drop_duplicates("organisation").itertuples(index=False)
    }
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
        rows += [
            {
                "organisation": f"O{i:02d}",
                "authority_type": kind,
                "region": region,
                "answers": {"s1_vision": a, "s1_leaders": "agree" if j % 3 else None, "service": service},
            }
            for j, a in enumerate(answers)
        ]
    return rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_every_organisation_with_10_counted_sees_its_score_and_its_rank_counts_every_such_one(rows):
    df = scores.frame(rows, Q)
    scored = scores.score(df, Q)
    result = scores.published(scored, df, Q, 2020)
    own = scores.respondent_scores(df, Q)["standard_1"]
    truth = {
        o: (int(s.notna().sum()), float(s.mean()) if s.notna().any() else None)
        for o, s in own.groupby(df["organisation"])
    }
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
    people = {
        "P": [("strongly_agree", 12)],
        "Q": [("agree", 10)],
        "R": [("agree", 20)],
        "S": [("neither", 5), ("agree", 5)],
        "T": [("disagree", 11)],
        "U": [("strongly_agree", 9)],
        "V": [(forms.DONT_KNOW, 30)],
    }
    rows = [
        {"organisation": o, "authority_type": "Shire County", "region": "North", "answers": {"s1_vision": a}}
        for o, answers in people.items()
        for a, count in answers
        for _ in range(count)
    ]
    df = scores.frame(rows, Q)
    result = scores.published(scores.score(df, Q), df, Q, 2020)
    got = {
        o["organisation"]: (
            o["scores"]["standard_1"]["printed"],
            o["scores"]["standard_1"]["band"],
            o["scores"]["standard_1"]["rank"],
            o["scores"]["standard_1"]["of"],
        )
        for o in result["organisations"]
    }
    assert got == {
        "P": (100, "high", 1, 5),
        "Q": (75, "high", 2, 5),
        "R": (75, "high", 2, 5),
        "S": (63, "moderate", 4, 5),
        "T": (25, "low", 5, 5),
        "U": (None, None, None, None),
        "V": (None, None, None, None),
    }


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
    assert any(s <= 9 for s in sizes) and any(s >= 10 for s in sizes)
