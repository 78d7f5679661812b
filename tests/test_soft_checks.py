"""Soft checks as truth tables: each kind of check, on its own, with no application."""

import copy

import pytest

import forms
from aggregation.peers import dataset_ranges, peer_ranges
from forms import DefinitionError, parse
from forms.codebook import codebook_rows
from forms.rules import check_warning, soft_warnings

CHANGE = {
    "question": "posts",
    "kind": "change",
    "above": 0.5,
    "message": "You entered {value} posts; last year's return had {previous}. Check this is right.",
}
RATIO = {"question": "caseload", "kind": "ratio", "above": 2, "below": 0.5, "message": "{value} against {previous}"}
SHARE = {
    "question": "agency",
    "kind": "share_rise",
    "of": "posts",
    "points": 20,
    "message": "{value} of {of} ({share}%); last year {previous} of {previous_of} ({previous_share}%)",
}
PEER = {"question": "hours", "kind": "peer_range", "message": "{value} is {direction} than most"}


@pytest.mark.parametrize(
    "now, before, warns",
    [
        (40, 95, True),  # the example: down by more than half
        (48, 95, False),  # down by 49 %
        (47, 95, True),  # down by 50.5 %
        (150, 100, False),  # up by exactly half: not more than half
        (151, 100, True),
        (100, 100, False),
        (0, 10, True),
        (0, 0, False),
        (3, 0, True),  # from none at all
        (40, None, None),  # no previous return: the check does not apply
        (40, "n/a", None),
        (None, 95, None),  # not answered
        ("n/a", 95, None),
    ],
)
def test_change_against_the_previous_return(now, before, warns):
    warning = check_warning(CHANGE, {"posts": now}, None if before is None else {"posts": before}, None)
    assert (warning is not None) == bool(warns)
    if warns and before == 95:
        assert warning.message == f"You entered {now} posts; last year's return had 95. Check this is right."


@pytest.mark.parametrize(
    "now, before, warns",
    [
        (20, 10, False),  # exactly doubled
        (21, 10, True),  # more than doubled
        (5, 10, False),  # exactly halved
        (4.5, 10, True),  # less than half
        (10, 10, False),
        (1, 0, True),
        (0, 0, False),
        (12, None, False),
    ],
)
def test_caseload_more_than_doubled_or_halved(now, before, warns):
    warning = check_warning(RATIO, {"caseload": now}, {"caseload": before} if before is not None else {}, None)
    assert (warning is not None) == warns
    if warns:
        assert warning.message == f"{now} against {before}"


@pytest.mark.parametrize(
    "answers, last_year, warns",
    [
        ({"agency": 30, "posts": 100}, {"agency": 9, "posts": 100}, True),  # 9 % -> 30 %: 21 points
        ({"agency": 30, "posts": 100}, {"agency": 10, "posts": 100}, False),  # exactly 20 points
        ({"agency": 30, "posts": 100}, {"agency": 20, "posts": 50}, False),  # 40 % -> 30 %: a fall
        ({"agency": 6, "posts": 10}, {"agency": 30, "posts": 100}, True),  # 30 % -> 60 %, fewer posts
        ({"agency": 0, "posts": 0}, {"agency": 0, "posts": 10}, False),  # no posts: no share
        ({"agency": 30, "posts": 100}, {"agency": 0, "posts": 0}, False),
        ({"agency": 30, "posts": 100}, {"agency": 5}, False),  # last year's posts unknown
        ({"agency": 30}, {"agency": 5, "posts": 100}, False),
        ({"agency": 30, "posts": 100}, None, False),
    ],
)
def test_agency_cover_up_by_more_than_20_points(answers, last_year, warns):
    warning = check_warning(SHARE, answers, last_year, None)
    assert (warning is not None) == warns


def test_a_share_rise_names_every_figure():
    warning = check_warning(SHARE, {"agency": 30, "posts": 40}, {"agency": 5, "posts": 95}, None)
    assert warning.message == "30 of 40 (75%); last year 5 of 95 (5.3%)"


@pytest.mark.parametrize(
    "value, span, warns, direction",
    [
        (50, (30, 40), True, "higher"),
        (29.9, (30, 40), True, "lower"),
        (30, (30, 40), False, None),
        (40, (30, 40), False, None),
        (35, (30, 40), False, None),
        (50, None, False, None),  # no previous edition, or too few figures in it
    ],
)
def test_outside_the_peer_range(value, span, warns, direction):
    peers = {"hours": span} if span else {}
    warning = check_warning(PEER, {"hours": value}, None, peers)
    assert (warning is not None) == warns
    if warns:
        assert warning.message == f"{value:g} is {direction} than most"


def test_a_changed_answer_has_a_new_key_and_the_same_answer_the_same():
    first = check_warning(CHANGE, {"posts": 40}, {"posts": 95}, None)
    again = check_warning(CHANGE, {"posts": 40}, {"posts": 95}, None)
    changed = check_warning(CHANGE, {"posts": 30}, {"posts": 95}, None)
    assert first.key == again.key != changed.key


def test_soft_warnings_lists_every_check_that_fires_in_order():
    found = soft_warnings(
        [CHANGE, SHARE, PEER], {"posts": 40, "agency": 30, "hours": 20}, {"posts": 95, "agency": 5}, {"hours": (30, 40)}
    )
    assert [w.question_id for w in found] == ["posts", "agency", "hours"]
    assert (
        soft_warnings(
            [CHANGE, SHARE, PEER],
            {"posts": 90, "agency": 5, "hours": 35},
            {"posts": 95, "agency": 5},
            {"hours": (30, 40)},
        )
        == []
    )


@pytest.mark.parametrize(
    "values, expected",
    [
        (list(range(1, 21)), (1.95, 19.05)),
        ([10, 10, 10], (10, 10)),
        ([1, 2], None),  # fewer than the minimum group: no range
    ],
)
def test_peer_ranges_are_the_5th_to_95th_percentile(values, expected):
    ranges = peer_ranges([{"q": v} for v in values] + [{"q": "n/a"}, {}], ["q"], min_group=3)
    assert ranges.get("q") == (pytest.approx(expected) if expected else None)


def test_dataset_ranges_follow_renamed_questions():
    frozen = {"returns": [{"answers": {"old": v}} for v in range(10)]}
    assert set(dataset_ranges(frozen, {"new": "old", "other": "other"}, min_group=3)) == {"new"}


def test_the_2017_questionnaire_checks_posts_caseloads_and_agency_cover():
    q = forms.load("health-check", "2017.1")
    kinds = {(c["question"], c["kind"]) for c in q.checks()}
    assert {
        ("posts", "change"),
        ("posts_agency", "share_rise"),
        ("caseload_team_member", "ratio"),
        ("caseload_senior_practitioner", "ratio"),
        ("caseload_team_manager", "ratio"),
        ("posts", "peer_range"),
        ("hours_per_week", "peer_range"),
    } <= kinds
    assert {c["question"] for c in q.checks("safe_workloads")} == {
        "caseload_team_member",
        "caseload_senior_practitioner",
        "caseload_team_manager",
    }


def _with_check(check):
    data = copy.deepcopy(forms.load("health-check", "2017.1").raw)
    data["sections"][1]["questions"][0]["checks"] = [check]
    return data


@pytest.mark.parametrize(
    "check, problem",
    [
        ({"kind": "change", "above": 0.5, "message": "{value} was {last_year}"}, "names last_year"),
        (
            {"kind": "share_rise", "of": "hours_per_week_x", "points": 20, "message": "{share}"},
            "earlier number question",
        ),
        ({"kind": "change", "above": 0.5, "message": "{value"}, "cannot be read"),
        ({"kind": "ratio", "above": 2, "message": "{value}"}, "not valid"),
        ({"kind": "loud", "message": "{value}"}, "checks"),
    ],
)
def test_broken_checks_are_refused_with_the_reason(check, problem):
    with pytest.raises(DefinitionError, match=problem):
        parse(_with_check(check))


def test_the_codebook_names_each_columns_checks():

    by_column = {r["column"]: r["constraints"] for r in codebook_rows(forms.load("health-check", "2017.1"))}
    assert "warning if it changed by more than 50% since last year" in by_column["posts"]
    assert "warning if over 2 or under 0.5 times last year's" in by_column["caseload_team_manager"]
    assert "warning if its share of posts rose more than 20 points since last year" in by_column["posts_agency"]
    assert "warning if outside the 5th-95th percentile of last year's national figures" in by_column["hours_per_week"]
    assert "warning" not in by_column["posts_unfilled"]
