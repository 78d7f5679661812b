"""The staff survey's scores, bands, ranks and withheld figures against a dataset worked out by hand.

Six organisations answer standard 1 (two statements); one respondent answers standard 2 only.

    A  Shire County, North    10: 5 x (agree 75, strongly agree 100) = 87.5; 5 x (disagree 25, don't know) = 25
    B  Shire County, North     9: strongly agree = 100
    C  London Borough, London 12: 11 x agree = 75; 1 answers standard 2 only (neither, 50)
    D  London Borough, London 10: 5 x agree = 75, 5 x neither = 50 -> 62.5
    E  Shire County, South    20: strongly agree = 100 (12 in adults' services, 8 in children's)
    F  London Borough, London 10: agree = 75
"""

from __future__ import annotations

import numpy as np
import pytest

import forms
from aggregation import drivers, profile, scores
from aggregation.dataset import in_a_sentence
from aggregation.disclosure import Structure, withhold

Q = forms.load("staff-survey", "2020.1")


def people(org, kind, region, count, **answers):
    return [
        {"organisation": org, "authority_type": kind, "region": region, "answers": dict(answers)} for _ in range(count)
    ]


def dataset():
    rows = []
    rows += people("A", "Shire County", "North", 5, s1_vision="agree", s1_leaders="strongly_agree")
    rows += people("A", "Shire County", "North", 5, s1_vision="disagree", s1_leaders="dont_know")
    rows += people("B", "Shire County", "North", 9, s1_vision="strongly_agree")
    rows += people("C", "London Borough", "London", 11, s1_vision="agree")
    rows += people("C", "London Borough", "London", 1, s2_staffing="neither")
    rows += people("D", "London Borough", "London", 5, s1_vision="agree")
    rows += people("D", "London Borough", "London", 5, s1_vision="neither")
    rows += people("E", "Shire County", "South", 12, s1_vision="strongly_agree", service="adults")
    rows += people("E", "Shire County", "South", 8, s1_vision="strongly_agree", service="children")
    rows += people("F", "London Borough", "London", 10, s1_vision="agree")
    return scores.frame(rows, Q)


@pytest.fixture(scope="module")
def result():
    df = dataset()
    return scores.published(scores.score(df, Q), df, Q, 2024)


def org(result, name):
    return next(o for o in result["organisations"] if o["organisation"] == name)


def group(result, name):
    return next(g for g in result["groups"] if g["group"] == name)


def test_scores_bands_and_ranks_worked_out_by_hand(result):
    s1 = {name: org(result, name)["scores"]["standard_1"] for name in "ABCDEF"}
    # Five organisations have at least 10 counted for standard 1: each sees its score, ranked of 5.
    assert s1["E"] == {"n": 20, "score": 100.0, "printed": 100, "band": "high", "withheld": None, "rank": 1, "of": 5}
    # C and F tie at 75 and share second place; D (62.5, printed 63: half away from zero) is fourth.
    assert s1["C"] == {"n": 11, "score": 75.0, "printed": 75, "band": "high", "withheld": None, "rank": 2, "of": 5}
    assert s1["F"] == {"n": 10, "score": 75.0, "printed": 75, "band": "high", "withheld": None, "rank": 2, "of": 5}
    assert s1["D"] == {"n": 10, "score": 62.5, "printed": 63, "band": "moderate", "withheld": None, "rank": 4, "of": 5}
    # A has 10 (five at 87.5, five at 25): 56.25, printed 56. B's 9 beside it in Shire County do not
    # cost A its score: only B's own is withheld, and the groups that would give B's away.
    assert s1["A"] == {"n": 10, "score": 56.25, "printed": 56, "band": "moderate", "withheld": None, "rank": 5, "of": 5}
    assert s1["B"] == {
        "n": 9,
        "score": None,
        "printed": None,
        "band": None,
        "withheld": "fewer",
        "because": None,
        "rank": None,
        "of": None,
    }
    assert [org(result, n)["respondents"] for n in "ABCDEF"] == [10, 9, 12, 10, 20, 10]


def test_groups_pool_respondents_rather_than_average_organisations(result):
    national = group(result, "national")
    assert national["respondents"] == 71
    assert national["scores"]["standard_1"]["n"] == 70
    assert national["scores"]["standard_1"]["score"] == pytest.approx(5662.5 / 70)
    assert national["scores"]["standard_1"]["printed"] == 81
    shire = group(result, "type:Shire County")["scores"]["standard_1"]
    assert (shire["n"], shire["printed"], shire["band"]) == (39, 89, "high")
    london = group(result, "type:London Borough")["scores"]["standard_1"]
    assert (london["n"], london["score"], london["printed"], london["band"]) == (31, 2200 / 31, 71, "moderate")
    assert [g["group"] for g in result["groups"]] == [
        "national",
        "type:Shire County",
        "type:London Borough",
        "region:London",
        "region:North",
        "region:South",
    ]


def test_a_group_of_one_or_two_organisations_is_withheld_with_its_count_and_says_why(result):
    """The North is A and B: A knowing its own would have B's (9) from it. The South is E alone."""
    for name in ("region:North", "region:South"):
        entry = group(result, name)
        assert entry["respondents"] is None and entry["respondents_withheld"] == "organisations"
        assert entry["scores"]["standard_1"] == {
            "n": None,
            "score": None,
            "printed": None,
            "band": None,
            "withheld": "organisations",
            "because": None,
        }
    assert "fewer than three organisations" in scores.why("organisations", 10)


def test_a_standard_one_person_answered_is_withheld_everywhere(result):
    assert group(result, "national")["scores"]["standard_2"] == {
        "n": None,
        "score": None,
        "printed": None,
        "band": None,
        "withheld": "fewer",
        "because": None,
    }
    assert org(result, "C")["scores"]["standard_2"]["score"] is None
    assert org(result, "A")["scores"]["standard_2"] == {
        "n": 0,
        "score": None,
        "printed": None,
        "band": None,
        "withheld": "fewer",
        "because": None,
        "rank": None,
        "of": None,
    }


def test_a_breakdown_withholds_the_next_smallest_part_too():
    df = dataset()
    scored = scores.score(df, Q)
    # E's children's services (8) are withheld, and so its adults' (12): E's 20 minus 12 would give them.
    assert scored.cell(("organisation", "E", "service", "children"), "standard_1")["score"] is None
    assert scored.cell(("organisation", "E", "service", "adults"), "standard_1")["score"] is None
    assert scored.cell(("organisation", "E"), "standard_1")["printed"] == 100


def test_statements_share_agreeing():
    df = dataset()
    scored = scores.score(df, Q)
    vision = scored.cell(("national",), "s1_vision")
    assert (vision["n"], vision["printed"]) == (70, 86)  # 60 of 70 agree or strongly agree
    assert scored.cell(("organisation", "D"), "s1_vision")["score"] == 50.0


@pytest.mark.parametrize(
    "printed, expected",
    [(0, "low"), (50, "low"), (51, "moderate"), (74, "moderate"), (75, "high"), (100, "high"), (None, None)],
)
def test_bands_come_from_the_printed_score(printed, expected):
    assert scores.band(printed) == expected


def test_ties_share_the_best_place():
    assert scores.rank({"a": 80.0, "b": 70.0, "c": 70.0 + 1e-10, "d": 60.0}) == {"a": 1, "c": 2, "b": 2, "d": 4}
    assert scores.rank({"a": 70.0, "b": 70.0 - 1e-6}) == {"a": 1, "b": 2}
    # A place is 1 plus how many are more than 1e-9 above: no chain of near-ties (c is 1.2e-9 below a).
    assert scores.rank({"a": 70.0, "b": 70.0 - 0.6e-9, "c": 70.0 - 1.2e-9}) == {"a": 1, "b": 1, "c": 2}
    assert scores.rank({}) == {}


def test_withheld_parts_together_are_none_or_at_least_the_threshold():

    # A total of 3 parts, each its own cells, and a fourth cell for whoever is in no part.
    split = Structure(
        {"all": frozenset(range(4)), "x": frozenset([0]), "y": frozenset([1]), "z": frozenset([2])},
        [("all", ["x", "y", "z"])],
        4,
    )
    assert withhold({"all": 30, "x": 8, "y": 12, "z": 10}, split, 10) == {"x", "z"}
    # Whoever is in the total but in no part counts as withheld: 5 unstated need one part withheld.
    assert withhold({"all": 35, "x": 15, "y": 15, "z": 0}, split, 10) == {"x"}
    assert withhold({"all": 40, "x": 15, "y": 15, "z": 0}, split, 10) == set()
    # A withheld total is not left to be rebuilt from its parts.
    assert withhold(
        {"all": 30, "x": 15, "y": 15, "z": 0},
        Structure({**split.members, "all": frozenset(range(3))}, split.splits, 3),
        10,
        given=["all"],
    ) == {"all", "x"}


def test_a_cross_tabulation_of_types_and_regions_gives_nothing_away():
    """Organisations in two types and two regions. Type A is two small ones, both in region X; X's
    others are O4 (9) and O6 (30). Withheld by difference alone, every split is safe on its own, yet
    X less O6 less type A is O4: O6 must be withheld too."""

    places = {
        "O0": ("B", "Y", 5),
        "O1": ("A", "X", 5),
        "O2": ("A", "X", 8),
        "O3": ("B", "Y", 6),
        "O4": ("B", "X", 9),
        "O5": ("B", "Y", 6),
        "O6": ("B", "X", 30),
        "O7": ("B", "Y", 6),
    }
    index = {org: i for i, org in enumerate(places)}
    members = {("all",): frozenset(index.values())} | {("org", o): frozenset([i]) for o, i in index.items()}
    splits = [(("all",), [("org", o) for o in places])]
    for at, level in ((0, "type"), (1, "region")):
        for name in {p[at] for p in places.values()}:
            inside = [o for o, p in places.items() if p[at] == name]
            members[(level, name)] = frozenset(index[o] for o in inside)
            splits.append(((level, name), [("org", o) for o in inside]))
    structure = Structure(members, splits, len(places))
    counts = {g: sum(places[o][2] for o, i in index.items() if i in cells) for g, cells in members.items()}
    hidden = withhold(counts, structure, 10)
    assert ("org", "O6") in hidden and ("org", "O4") in hidden
    assert structure.recoverable([g for g in counts if g not in hidden], hidden) == frozenset()


def synthetic_stayers(count: int, seed: int = 7):
    """People whose intention to stay depends on their workload (standard 3) alone."""

    rng = np.random.default_rng(seed)
    scale = ["strongly_disagree", "disagree", "neither", "agree", "strongly_agree"]
    rows = []
    for _ in range(count):
        leaning = rng.integers(0, 5, 8)  # each standard's answers lean one way, independently
        answers = {
            q.id: scale[int(np.clip(leaning[q.standard - 1] + rng.integers(-1, 2), 0, 4))]
            for q in Q.questions()
            if q.standard
        }
        stays = rng.random() < 1 / (1 + np.exp(-(leaning[2] - 2) * 1.2))
        answers["intend_to_stay"] = "agree" if stays else "disagree"
        rows.append({"organisation": "A", "authority_type": "Shire County", "region": "North", "answers": answers})
    rows[0]["answers"].pop("s5_reflective")  # still scored for standard 5 from its other statements
    for q in Q.questions():
        if q.standard == 6:
            rows[1]["answers"].pop(q.id)  # no score for standard 6: left out
    rows[2]["answers"]["intend_to_stay"] = forms.DONT_KNOW  # no view on staying: left out
    return rows


def test_what_keeps_people_finds_the_standard_that_matters():

    result = drivers.drivers(scores.frame(synthetic_stayers(1500), Q), Q)
    assert result["estimated"] and result["respondents"] == 1498 and result["left_out"] == 2
    by_number = {s["number"]: s for s in result["standards"]}
    workload = by_number[3]
    # The truth: log-odds rise 1.2 a step of the scale (25 points), so 0.48 per 10 points: 1.62 (a little
    # less measured, the statements scattering around each person's leaning).
    assert 1.4 < workload["odds_ratio"] < 1.9 and workload["low"] > 1 and workload["clear"]
    others = [s for n, s in by_number.items() if n != 3]
    assert sum(s["clear"] for s in others) <= 1  # chance may make one of seven look clear at 95 %
    assert all(0.6 < s["odds_ratio"] < 1.6 for s in others)


def test_what_keeps_people_needs_100_respondents():

    result = drivers.drivers(scores.frame(synthetic_stayers(99), Q), Q)
    assert result == {
        "respondents": 97,
        "left_out": 2,
        "staying": result["staying"],
        "estimated": False,
        "standards": [],
    }


# ---------------------------------------------------------------- who answered


def test_the_profile_sets_respondents_against_the_workforce_and_withholds_small_rows_and_their_neighbour():

    # 30 respondents: 15 female, 8 male, 7 prefer not to say; 20 aged 25-34, 10 left it blank.
    answers = (
        [{"sex": "female", "age_band": "from_25_to_34"}] * 15
        + [{"sex": "male", "age_band": "from_25_to_34"}] * 5
        + [{"sex": "male"}] * 3
        + [{"sex": "prefer_not"}] * 7
    )
    workforce = {"sex": {"female": 60, "male": 40}, "age_band": {"from_25_to_34": 50, "from_35_to_44": 50}}
    found = profile.profile(answers, Q, workforce, threshold=10)
    assert found["respondents"] == 30
    by = {c["id"]: {r["value"]: r for r in c["rows"]} for c in found["characteristics"]}
    # Male (8) is below 10; "not said" (7) too; together 15, so nothing more need go.
    assert by["sex"]["male"]["respondents"] is None and by["sex"]["not_said"]["respondents"] is None
    assert by["sex"]["female"]["respondents"] == 15 and by["sex"]["female"]["share"] == 50.0
    assert by["sex"]["female"]["workforce_share"] == 60.0 and by["sex"]["female"]["difference"] == -10.0
    assert by["sex"]["female"]["flag"] is None  # 10 points is not more than 10
    assert by["sex"]["male"]["workforce"] == 40 and by["sex"]["male"]["difference"] is None
    # 20 of 30 aged 25-34 (66.7%) against half the workforce: over-represented; the blank 10 are shown.
    assert by["age_band"]["from_25_to_34"]["share"] == 66.7 and by["age_band"]["not_said"]["respondents"] == 10
    assert by["age_band"]["from_25_to_34"]["flag"] == "over-represented"
    # Nobody aged 35-44: a count below 10 like any other, so "Fewer than 10", no share, no difference.
    assert by["age_band"]["from_35_to_44"]["respondents"] is None and by["age_band"]["from_35_to_44"]["share"] is None
    assert (
        by["age_band"]["from_35_to_44"]["withheld"] == "fewer" and by["age_band"]["from_35_to_44"]["difference"] is None
    )
    assert by["sex"]["male"]["withheld"] == "fewer" and by["sex"]["female"]["withheld"] is None
    assert any("25 to 34 is over-represented" in line for line in profile.summary(found))
    # The published rows never give a withheld one away: what is unshown is 0 or at least 10.
    for rows in by.values():
        unshown = 30 - sum(r["respondents"] for r in rows.values() if r["respondents"] is not None)
        assert unshown == 0 or unshown >= 10


def test_one_small_profile_row_takes_the_next_smallest_with_it_and_a_withheld_service_stays_withheld():

    answers = [{"service": "adults"}] * 22 + [{"service": "children"}] * 8 + [{"service": "mental_health"}] * 12
    found = profile.profile(answers, Q, {}, threshold=10)
    rows = {r["value"]: r["respondents"] for r in found["characteristics"][1]["rows"]}
    assert rows == {"adults": 22, "children": None, "mental_health": None, "other": None, "not_said": None}
    why = {r["value"]: r["withheld"] for r in found["characteristics"][1]["rows"]}
    assert why == {
        "adults": None,
        "children": "fewer",
        "mental_health": "difference",
        "other": "fewer",
        "not_said": "fewer",
    }
    given = profile.profile(answers, Q, {}, threshold=10, withheld={"service": ["adults"]})
    rows = {r["value"]: r["respondents"] for r in given["characteristics"][1]["rows"]}
    assert rows["adults"] is None and rows["children"] is None
    small = profile.profile(answers[:9], Q, {"service": {"adults": 9}}, threshold=10)
    assert small["respondents"] is None
    assert all(r["respondents"] is None for c in small["characteristics"] for r in c["rows"])


def test_a_large_organisation_keeps_its_score_beside_a_small_one_and_its_services_follow_the_split_rule():
    """Region R = A (40: adults 20, children 17, 3 with no service) + B (5). A sees its own score,
    whatever B's; R is withheld (A would have B's from it). Within A, the 3 with no service take
    the children's 17 with them."""
    rows = (
        [
            {
                "organisation": "A",
                "authority_type": "Shire County",
                "region": "R",
                "answers": {"s1_vision": "agree", "service": "adults"},
            }
        ]
        * 20
        + [
            {
                "organisation": "A",
                "authority_type": "Shire County",
                "region": "R",
                "answers": {"s1_vision": "disagree", "service": "children"},
            }
        ]
        * 17
        + [{"organisation": "A", "authority_type": "Shire County", "region": "R", "answers": {"s1_vision": "agree"}}]
        * 3
        + [
            {
                "organisation": "B",
                "authority_type": "Shire County",
                "region": "R",
                "answers": {"s1_vision": "strongly_agree", "service": "adults"},
            }
        ]
        * 5
    )
    df = scores.frame(rows, Q)
    scored = scores.score(df, Q)
    assert scored.cell(("organisation", "A"), "standard_1")["printed"] == 54  # (20 x 75 + 17 x 25 + 3 x 75) / 40
    assert scored.cell(("organisation", "B"), "standard_1")["withheld"] == "fewer"
    for key in (("region", "R"), ("type", "Shire County"), ("national",)):
        assert scored.cell(key, "standard_1")["score"] is None and scored.count(key)["n"] is None
    adults, children, unsaid = (
        scored.cell(("organisation", "A", "service", v), "standard_1") for v in ("adults", "children", scores.NOT_SAID)
    )
    assert adults["printed"] == 75 and children["withheld"] == "difference" and unsaid["withheld"] == "fewer"
    assert scored.count(("organisation", "A", "service", "children")) == {
        "n": None,
        "withheld": "difference",
        "because": None,
    }
    assert scored.count(("organisation", "A", "service", "mental_health")) == {
        "n": None,
        "withheld": "fewer",
        "because": None,
    }


def test_a_type_or_region_of_two_organisations_is_not_set_beside_either():
    """Knowing its own figures, one of two organisations would have the other's from their type's."""
    rows = []
    for org, kind, region, answer in (
        ("A", "Shire County", "North", "agree"),
        ("B", "Shire County", "South", "disagree"),
        ("C", "London Borough", "North", "agree"),
        ("D", "London Borough", "North", "agree"),
        ("E", "London Borough", "South", "agree"),
        ("F", "London Borough", "South", "agree"),
    ):
        rows += [{"organisation": org, "authority_type": kind, "region": region, "answers": {"s1_vision": answer}}] * 12
    df = scores.frame(rows, Q)
    scored = scores.score(df, Q)
    result = scores.published(scored, df, Q, 2020)
    # Shire County has two; London Borough's four go too, or England less them would be Shire County.
    assert scored.cell(("type", "Shire County"), "standard_1")["withheld"] == "organisations"
    assert scored.cell(("type", "London Borough"), "standard_1")["withheld"] == "difference"
    report = scores.organisation_report(scored, result, "A", Q)
    first = report["standards"][0]
    assert first["own"]["printed"] == 75 and first["own"]["rank"] == 1 and first["own"]["of"] == 6
    assert first["type"]["score"] is None and first["type"]["n"] is None
    assert first["region"]["printed"] is not None and first["national"]["printed"] is not None
    assert "Shire County: not shown for standard 1, because fewer than three organisations make it" in " ".join(
        report["not_shown"]
    )
    assert scores.organisation_report(scored, result, "C", Q)["standards"][0]["region"]["printed"] == 75


def test_counts_below_the_threshold_are_not_printed_and_changes_follow_the_printed_scores():
    assert (
        scores.answered(9, 10) == "Fewer than 10 people answered"
        and scores.answered(1200, 10) == "1,200 people answered"
    )
    report = {"organisation": "A", "standards": [{"id": "standard_1", "own": {"score": 70.4, "printed": 70}}]}
    earlier = {"organisations": [{"organisation": "A", "scores": {"standard_1": {"score": 69.6, "printed": 70}}}]}
    assert scores.with_previous(report, earlier)["standards"][0]["change"] == 0  # not +1 from 0.8


def test_an_authority_type_reads_right_inside_a_sentence():

    assert in_a_sentence("NHS Trust") == "NHS trust" and in_a_sentence("Shire County") == "shire county"


def test_what_one_organisation_knows_of_its_own_counts_against_a_split():
    """England splits into types. "Other" is X (40) with two of 2: one organisation makes all but 4,
    so it is withheld; the trusts (2, 2, 1) are 5. England less the published types is those two
    together, 49; less X's own 40 it would be 9 people: Shire County goes too."""
    layout = (
        [("X", "Other", 40), ("Y", "Other", 2), ("Z", "Other", 2)]
        + [(f"T{i}", "NHS Trust", n) for i, n in enumerate((2, 2, 1))]
        + [(f"S{i}", "Shire County", 20) for i in range(3)]
        + [(f"L{i}", "London Borough", 30) for i in range(3)]
    )
    rows = [
        {"organisation": org, "authority_type": kind, "region": None, "answers": {"s1_vision": "agree"}}
        for org, kind, size in layout
        for _ in range(size)
    ]
    scored = scores.score(scores.frame(rows, Q), Q)
    why = {
        t: scored.cell(("type", t), "standard_1")["withheld"]
        for t in ("Other", "NHS Trust", "Shire County", "London Borough")
    }
    assert why == {"Other": "dominated", "NHS Trust": "fewer", "Shire County": "difference", "London Borough": None}
    assert scored.cell(("type", "Shire County"), "standard_1")["because"] == "NHS Trust's, from fewer than 10 people"
    assert scored.cell(("national",), "standard_1")["n"] == 199
