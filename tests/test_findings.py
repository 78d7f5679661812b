"""Every sentence the product writes from the national figures (``aggregation.findings``) holds for
the unrounded data, the withheld groups' included: a property test over random datasets built to
have withheld groups, exact ties and ties that exist only after rounding. Each sentence is read
back with the patterns below and every claim it makes is checked against the figures computed
with nothing withheld."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forms
from aggregation import findings, outputs
from aggregation.dataset import AUTHORITY_TYPES, PLURAL, Dataset, Return
from aggregation.tables import compute, regional
from forms import tablespec

Q = forms.load("health-check", "2017.1")
SPEC = [
    t
    for t in tablespec.load(Q)
    if t["id"]
    in {
        "responses",
        "posts",
        "hours",
        "caseloads",
        "welfare_system",
        "reflective_supervision",
        "cancelled_meetings",
        "profession_opportunities",
        "career_pathways",
    }
]
GROUP_OF = {v: k for k, v in PLURAL.items()}
REGIONS = [None, "London", "North West", "South East"]

# Few distinct values, close together: exact ties, and ties that exist only after rounding (36.4 and
# 36.5 both print 36 and 37 respectively; 36.6 and 37 both print 37).
HOURS = st.sampled_from([None, 35, 36, 36.4, 36.5, 36.6, 37, 37.4, 40])
CASES = st.sampled_from([None, "n/a", 0, 4, 5, 8.5, 9, 9.5, 10])
POSTS = st.sampled_from([None, 8, 10, 16, 20])
SHARE = st.sampled_from([None, 0, 1, 2, 5])
YES_NO = st.sampled_from([None, "yes", "no"])
REFLECTIVE = st.sampled_from([None, "individually", "peer_group", "no", "dont_know"])
MEETINGS = st.sampled_from([None, "less_than_weekly", "weekly", "two_three"])
OFFERED = st.lists(st.sampled_from(["student_supervision", "mentoring", "research", "other"]), unique=True, max_size=3)
PATHWAYS = st.lists(
    st.sampled_from(["cpd_programme", "role_based", "framework", "other", "being_developed"]), unique=True, max_size=3
)


@st.composite
def a_return(draw, name: str) -> Return:
    answers = {
        "posts": draw(POSTS),
        "posts_unfilled": draw(SHARE),
        "posts_agency": draw(SHARE),
        "hours_per_week": draw(HOURS),
        "caseload_team_member": draw(CASES),
        "caseload_senior_practitioner": draw(CASES),
        "caseload_team_manager": draw(CASES),
        "welfare_system": draw(YES_NO),
        "reflective_supervision": draw(REFLECTIVE),
        "cancelled_meetings": draw(MEETINGS),
        "profession_opportunities": draw(OFFERED),
        "career_pathways": draw(PATHWAYS),
    }
    return Return(
        name,
        draw(st.sampled_from(AUTHORITY_TYPES[:5])),
        {k: v for k, v in answers.items() if v is not None},
        region=draw(st.sampled_from(REGIONS)),
    )


@st.composite
def datasets(draw) -> tuple[Dataset, int]:
    def returns(prefix: str, low: int, high: int) -> list[Return]:
        n = draw(st.integers(low, high))
        return [draw(a_return(f"{prefix}{i}")) for i in range(n)]

    previous = None
    if draw(st.booleans()):
        previous = Dataset(2016, Q, SPEC, returns("P", 2, 10), {})
    populations = {t: draw(st.integers(1, 60)) for t in AUTHORITY_TYPES[:4]}
    return Dataset(2017, Q, SPEC, returns("O", 2, 18), populations, previous=previous), draw(st.integers(0, 4))


# ---------------------------------------------------------------- reading a sentence back


def groups_named(text: str) -> list[str]:
    """ "London boroughs, shire counties and NHS trusts" -> the authority types."""
    return [GROUP_OF[name] for name in re.split(r", | and ", text)]


def check_trend(trend: str | None, row: dict, year: int | None) -> None:
    if not trend:
        return
    assert year is not None and row["change"] is not None, trend
    if m := re.fullmatch(r" \((up|down) (\d+)(?: points?)? on (\d{4})\)", trend):
        assert int(m[3]) == year
        assert (row["change"] > 0) == (m[1] == "up") and not findings.same(row["change"], 0), (trend, row)
        assert int(m[2]) == abs(row["printed"] - row["previous_printed"]) > 0
    elif m := re.fullmatch(r" \(the same as in (\d{4})\)", trend):
        value = row["value"] if row.get("value") is not None else row["percent"]
        assert findings.same(value, row["previous"]), (trend, row)
    else:
        assert re.fullmatch(rf" \(as in {year}, to the nearest whole number\)", trend), trend
        assert row["printed"] == row["previous_printed"], (trend, row)


def check_measure(sentence: str, table: dict, truth: dict, measure: dict) -> None:
    """``table`` as published (some groups withheld); ``truth`` the same table with nothing withheld."""
    rows = {r["group"]: r for r in table["rows"] if r["measure"] == measure["label"]}
    true = {r["group"]: r for r in truth["rows"] if r["measure"] == measure["label"]}
    hidden = {g for g, r in rows.items() if g != "All" and r["n"] and findings.withheld(r)}
    shown = {g for g, r in rows.items() if g != "All" and r["n"] and not findings.withheld(r)}
    m = re.fullmatch(
        rf"{re.escape(measure['name'])}: (\d+)(?: per cent| \w+)? on average across (\d+) respondents"
        r"( \([^)]*\d{4}[^)]*\))?(.*)\.",
        sentence,
    )
    assert m, sentence
    everyone = rows["All"]
    assert int(m[1]) == everyone["printed"] and int(m[2]) == everyone["n"]
    check_trend(m[3], true["All"], table.get("previous_year"))
    rest = m[4]
    if hidden:  # no ranking; each shown group against everyone's average; the withheld named
        assert not re.search(r"highest|lowest|higher|every type", rest), sentence
        said = re.fullmatch(r"(?:; (.*))?; the figures? for (.*) (?:is|are) withheld", rest)
        assert said, sentence
        assert set(groups_named(said[2])) == hidden
        compared = set()
        for word, groups in re.findall(
            r"(above|below|about) average among (.*?)(?= and (?:above|below|about) |$)", said[1] or ""
        ):
            for name, figure in re.findall(r"([A-Za-z ]+?) \((\d+)[^)]*\)(?:, | and |$)", groups):
                group = GROUP_OF[name.strip()]
                compared.add(group)
                value, overall = true[group]["value"], true["All"]["value"]
                assert int(figure) == rows[group]["printed"]
                if word == "above":
                    assert value > overall and rows[group]["printed"] > everyone["printed"], sentence
                elif word == "below":
                    assert value < overall and rows[group]["printed"] < everyone["printed"], sentence
                else:
                    assert rows[group]["printed"] == everyone["printed"], sentence
        assert compared == shown, sentence
        return
    values = {g: true[g]["value"] for g in shown}
    if len(shown) < 2:
        assert rest == "", sentence
    elif s := re.fullmatch(r"; the same for every type \((\d+)[^)]*\)", rest):
        assert all(findings.same(v, min(values.values())) for v in values.values()), sentence
    elif s := re.fullmatch(r"; every type's figure rounds to (\d+).*", rest):
        assert {rows[g]["printed"] for g in shown} == {int(s[1])}
        assert not all(findings.same(v, min(values.values())) for v in values.values()), sentence
    elif s := re.fullmatch(r"; higher among (.*) \((\d+)[^)]*\) than among (.*) \((\d+)[^)]*\)", rest):
        (high,), (low,) = groups_named(s[1]), groups_named(s[3])
        assert {high, low} == shown and values[high] > values[low] and not findings.same(values[high], values[low])
    else:
        s = re.fullmatch(
            r"; highest among (.*?) \((\d+)[^,)]*(?: each)?(?:, ahead of (.*) only before rounding)?\)"
            r" and lowest among (.*?) \((\d+)[^,)]*(?: each)?(?:, behind (.*) only before rounding)?\)",
            rest,
        )
        assert s, sentence
        for named, figure, close, pick in ((s[1], s[2], s[3], max), (s[4], s[5], s[6], min)):
            extreme = pick(values.values())
            tied = set(groups_named(named))
            assert tied == {g for g, v in values.items() if findings.same(v, extreme)}, sentence
            assert all(rows[g]["printed"] == int(figure) for g in tied)
            near = {g for g in shown - tied if rows[g]["printed"] == int(figure)}
            assert set(groups_named(close)) == near if close else not near, sentence
        assert " each" not in s[0] or len(groups_named(s[1])) > 1 or len(groups_named(s[4])) > 1


def check_choice(sentence: str, table: dict) -> None:
    rows = [r for r in table["rows"] if not findings.withheld(r)]
    counts = {r["label"]: r["count"] for r in rows}
    if m := re.fullmatch(r"(.*): yes for (\d+) per cent of (\d+) respondents( \(.*\))?\.", sentence):
        yes = next(r for r in rows if r["option"] == "yes")
        assert int(m[2]) == yes["printed"] and int(m[3]) == table["base"]
        check_trend(m[4], yes, table.get("previous_year"))
    elif m := re.fullmatch(
        r"(.*): the most common answers? (?:was|were) (.*?),(?: each)? given by (\d+) per cent "
        r"of (\d+) respondents( \([^)]*\))?(?:, just ahead of (.*), which also rounds? to that)?\.",
        sentence,
    ):
        named = re.findall(r"“([^”]+)”", m[2])
        most = max(counts.values())
        assert {label for label, n in counts.items() if n == most} == set(named), sentence
        close = re.findall(r"“([^”]+)”", m[6] or "")
        printed = {r["label"]: r["printed"] for r in rows}
        assert set(close) == {label for label in counts if label not in named and printed[label] == int(m[3])}
        if m[5]:
            check_trend(m[5], next(r for r in rows if r["label"] == named[0]), table.get("previous_year"))
    else:
        m = re.fullmatch(r"(.*): most often (.*), of (\d+) respondents\.", sentence)
        assert m, sentence
        named = [label for label, _ in re.findall(r"(.+?) \((\d+) per cent\)(?:, | and |$)", m[2])]
        assert named and all(label in counts for label in named), sentence
        least_named = min(counts[label] for label in named)
        assert all(n < least_named for label, n in counts.items() if label not in named), sentence


def check_regional(sentence: str, region: str, measure: dict, own: dict, england: dict) -> None:
    m = re.search(r", (above|below|the same as|about the same as) England's (\d+)", sentence)
    if not m:
        return
    assert own["n"] and not findings.withheld(own)
    if m[1] == "above":
        assert own["value"] > england["value"] and own["printed"] > england["printed"], sentence
    elif m[1] == "below":
        assert own["value"] < england["value"] and own["printed"] < england["printed"], sentence
    elif m[1] == "the same as":
        assert findings.same(own["value"], england["value"]), sentence
    else:
        assert own["printed"] == england["printed"], sentence


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets())
def test_no_sentence_contradicts_the_unrounded_figures(drawn):
    dataset, threshold = drawn
    published = {t["id"]: t for t in compute(dataset, threshold)}
    truth = {t["id"]: t for t in compute(dataset, 0)}
    for table_id, table in published.items():
        said = findings.sentences(table)
        assert said == outputs.with_findings(table)["findings"]  # what the page and the API serve
        if table["kind"] == "responses":
            total = next(r for r in table["rows"] if r["group"] == "Total (councils)")
            assert f"{total['responses']} councils" in said[0] and "invited" not in said[0]
        elif table["kind"] == "by_type":
            measures = findings.measures_of(table)
            sentences_of = {s.split(":")[0]: s for s in said}
            for measure in measures:
                if measure["name"] in sentences_of:
                    check_measure(sentences_of[measure["name"]], table, truth[table_id], measure)
        else:
            for sentence in said:
                check_choice(sentence, table)
    for table in regional(dataset, threshold):
        lookup = {(r["measure"], r["group"]): r for r in table["rows"]}
        for region, sentences in findings.regional_sentences(table).items():
            for measure, sentence in zip(findings.measures_of(table), sentences, strict=True):
                check_regional(
                    sentence, region, measure, lookup[(measure["label"], region)], lookup[(measure["label"], "All")]
                )


# ---------------------------------------------------------------- the cases the issue found


def by_type(values: dict[str, float], hidden: tuple[str, ...] = ()) -> dict:
    """A table of one measure (cases) with these groups' unrounded figures, some withheld."""
    rows = []
    for group, value in values.items():
        shown = group not in hidden
        rows.append(
            {
                "group": group,
                "measure": "Cases",
                "question_id": "q",
                "n": 5,
                "value": value if shown else None,
                "printed": (math.floor(value + 0.5) if shown else "*"),
                "suppressed": not shown,
            }
        )
    everyone = sum(values.values()) / len(values)
    rows.append(
        {
            "group": "All",
            "measure": "Cases",
            "question_id": "q",
            "n": 5 * len(values),
            "value": everyone,
            "printed": math.floor(everyone + 0.5),
        }
    )
    return {
        "kind": "by_type",
        "rows": rows,
        "notes": [],
        "measures": [{"label": "Cases", "name": "Average caseload", "unit": "cases", "percent": False}],
    }


def test_a_withheld_group_stops_any_ranking():
    """Issue 30: "highest among unitary authorities (7 per cent) and lowest among London boroughs (4 per
    cent)" beside a withheld metropolitan district at 6.9 and a withheld shire county at 2.0."""
    table = by_type(
        {"Unitary Authority": 7.2, "London Borough": 4.1, "Metropolitan District": 6.9, "Shire County": 2.0},
        hidden=("Metropolitan District", "Shire County"),
    )
    (sentence,) = findings.by_type_sentences(table)
    assert "highest" not in sentence and "lowest" not in sentence
    assert sentence.endswith(
        "above average among unitary authorities (7 cases) and below average among London "
        "boroughs (4 cases); the figures for metropolitan districts and shire counties are "
        "withheld."
    )


def test_a_tie_after_rounding_is_not_a_tie_and_an_exact_tie_is():
    """Issue 30: NHS trusts 9.33 and London boroughs 8.92 both print 9; the page named London boroughs."""
    near = findings.by_type_sentences(by_type({"London Borough": 8.92, "NHS Trust": 9.33, "Unitary Authority": 7.1}))
    assert (
        "highest among NHS trusts (9 cases, ahead of London boroughs only before rounding) and lowest among "
        "unitary authorities (7 cases)" in near[0]
    )
    exact = findings.by_type_sentences(by_type({"London Borough": 9.25, "NHS Trust": 9.25, "Unitary Authority": 7.1}))
    assert "highest among London boroughs and NHS trusts (9 cases each)" in exact[0]


@pytest.mark.parametrize("rounded", [True, False])
def test_a_region_is_the_same_as_england_only_when_it_is(rounded):
    measure = {"label": "Cases", "name": "Average caseload", "unit": "cases", "percent": False}
    own = {"n": 6, "value": 21.2 if rounded else 21.0, "printed": 21}
    sentence = findings.regional_sentence("London", measure, own, {"n": 50, "value": 21.0, "printed": 21})
    assert sentence.endswith(("about the same as" if rounded else "the same as") + " England's 21 cases.")
