"""England's staff survey report as a national body publishes it, and each region's: responses
against the workforce entered, who answered, the spread of organisations' scores, the change since
last year (two cycles, each with its survey) and key messages, in the edition's JSON and PDF and on
the results page, each withheld where the disclosure rules say."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

import forms
from aggregation import scores, staff_england, staff_findings, staff_reports
from aggregation.dataset import StaffData
from healthcheck.store import collection, publication
from tests.disclosure import synthetic
from tests.helpers import publish, text_of

Q = forms.load("staff-survey", "2020.1")
NONE = re.compile(r"\bNone\b(?! agreed to be named)")  # a value printed as "None", not the sentence


def test_englands_report_has_responses_against_the_workforce_who_answered_the_spread_and_the_change(
    app, accounts, two_years
):
    coordinator = publish(app)
    edition = publication.latest_edition(collection.cycle_by_year(2017))
    folder = Path(app.config["EDITIONS_FOLDER"]) / edition.folder / "staff"
    report = json.loads((folder / "england-staff-survey-2017.json").read_text())
    frozen = json.loads((folder / "dataset.json").read_text())
    assert len(frozen["headcounts"]) == 4 and frozen["previous"]["year"] == 2016

    # Responses: England's rate divides only the four that entered a headcount by their headcounts.
    england = next(r for r in report["responses"] if r["level"] == "national")
    theirs = sum(12 + i for i in range(4))
    assert (england["organisations"], england["entered"]) == (8, 4)
    assert england["entered_respondents"] == theirs and england["workforce"] == sum(40 + 5 * i for i in range(4))
    assert england["rate"] == round(100 * theirs / england["workforce"]) and england["withheld"] is None
    assert frozen["headcounts"] == {o.name: 40 + 5 * i for i, o in enumerate(two_years[:4])}
    rows = {r["name"]: r for r in report["responses"]}
    assert rows["London"]["entered"] == 0 and rows["London"]["rate"] is None and rows["London"]["withheld"] is None
    # Shire County's two (both entered) are withheld as the type's count is: one would have the other's.
    assert rows["Shire County"]["entered"] == 2 and rows["Shire County"]["withheld"] == scores.ORGANISATIONS
    assert rows["Shire County"]["entered_respondents"] is None and rows["Shire County"]["workforce"] is None

    # Who answered: England's respondents by profession, service and role add up to everyone.
    total = report["respondents"]["n"]
    assert total == sum(12 + i for i in range(8))
    for family in staff_england.FAMILIES:
        rows = report["who"][family]
        assert rows[-1]["value"] == scores.NOT_SAID
        shown = [r["n"] for r in rows if r["n"] is not None]
        assert all(n >= 10 for n in shown) and sum(shown) <= total
        if all(r["n"] is not None for r in rows):
            assert sum(shown) == total

    # The change since 2016, as printed: workloads agreed with then, strongly disagreed with now.
    change = {r["id"]: r for r in report["change"]}
    s3 = change["standard_3"]
    assert (
        s3["previous"]["printed"] is not None and s3["change"] == s3["now"]["printed"] - s3["previous"]["printed"] < 0
    )
    assert report["previous_year"] == 2016

    # The spread: eight organisations each with a score for every standard.
    for s in report["standards"]:
        found = report["spread"][s["id"]]
        assert found["scored"] + found["not_scored"] == 8
        if not found["withheld"]:
            assert sum(found[b] for b in staff_england.BANDS) == found["scored"]
            assert max(found[b] for b in staff_england.BANDS) <= found["scored"] - 2

    # Key messages: the response, and the change since 2016 (standard 3 fell).
    messages = report["key_messages"]
    assert messages[0].startswith(
        f"{total:,} practitioners from 8 organisations answered. Of the workforce entered by "
        f"the 4 that entered a headcount ({england['workforce']:,}), {england['rate']} per "
        f"cent answered ({theirs:,} people)."
    )
    assert any(m.startswith("Since 2016, England's score") and "fell on" in m for m in messages)

    # The results page and the PDF say the same.
    page = html.unescape(coordinator.get("/admin/cycles/2017/staff/results").get_data(as_text=True))
    for m in messages:
        assert f"<li>{m}</li>" in page
    assert f"{england['rate']}%" in page and 'id="since-last-year"' in page and 'id="spread"' in page
    assert 'id="who-profession"' in page and not NONE.search(re.sub(r"<[^>]+>", " ", page))
    pdf = text_of((folder / "england-staff-survey-2017.pdf").read_bytes())
    for heading in (
        "Key messages",
        "Responses against the workforce",
        "Who answered",
        "Since 2016",
        "How organisations' scores spread",
    ):
        assert heading in pdf, heading
    for m in messages:
        assert " ".join(m.split()) in pdf, m
    assert not NONE.search(pdf)

    # Each region's report, shorter: its own row beside England's, its key messages on its page.
    region = json.loads((folder / "regions" / "north-west-staff-survey-2017.json").read_text())
    assert [r["name"] for r in region["responses"]] == ["England", "North West"]
    assert region["key_messages"] and "groups" in region and region["groups"] == []
    page = html.unescape(coordinator.get("/admin/cycles/2017/staff/results?region=North West").get_data(as_text=True))
    assert all(f"<li>{m}</li>" in page for m in region["key_messages"])
    regional_pdf = (folder / "regions" / "north-west-staff-survey-2017.pdf").read_bytes()
    assert len(regional_pdf) < len((folder / "england-staff-survey-2017.pdf").read_bytes())


def test_without_last_year_or_headcounts_the_report_says_so_and_nothing_is_made_up(tmp_path):

    staff_reports.build(StaffData(2020, Q, synthetic(5)), tmp_path / "staff", 10, tmp_path, "Test")
    report = json.loads((tmp_path / "staff" / "england-staff-survey-2020.json").read_text())
    assert report["change"] is None and report["previous_year"] is None
    assert all(r["entered"] == 0 and r["rate"] is None and r["withheld"] is None for r in report["responses"])
    assert "none of these organisations entered a headcount, so there is no response rate" in report["key_messages"][0]
    assert not any(m.startswith("Since") for m in report["key_messages"])


# ---------------------------------------------------------------- the spread's own rule


@pytest.mark.parametrize(
    "tally, reason",
    [
        ({"low": 1, "moderate": 2, "high": 1}, "few"),  # four organisations
        ({"low": 0, "moderate": 9, "high": 0}, "one_band"),  # all in one band: everyone's band told
        ({"low": 1, "moderate": 8, "high": 0}, "one_band"),  # the one low would learn all the others'
        ({"low": 2, "moderate": 7, "high": 0}, None),
        ({"low": 2, "moderate": 2, "high": 1}, None),
    ],
)
def test_a_spread_is_shown_only_where_no_band_holds_all_its_organisations_or_all_but_one(tally, reason):
    assert staff_england._spread_rule(tally) == reason


def test_a_withheld_regions_spread_cannot_be_had_from_englands_less_the_others():
    standards = [{"id": "standard_1", "number": 1, "title": "One"}]

    def org(name: str, region: str, printed: int) -> dict:
        return {
            "organisation": name,
            "region": region,
            "scores": {"standard_1": {"score": float(printed), "printed": printed}},
        }

    # North: 9 organisations, spread; South: 4 (too few), withheld; England less North is South.
    result = {
        "standards": standards,
        "organisations": [org(f"N{i}", "North", 40 + 5 * i) for i in range(9)]
        + [org(f"S{i}", "South", 60) for i in range(4)],
    }
    found = staff_england.spread(result, ["North", "South"])
    assert found["South"]["standard_1"]["withheld"] == "few"
    assert found["North"]["standard_1"]["withheld"] == "difference"  # else England less North gives South's
    assert found["England"]["standard_1"]["withheld"] is None
    assert found["England"]["standard_1"]["scored"] == 13


def test_the_key_messages_name_a_withheld_score_instead_of_ranking():
    report = {
        "area": "England",
        "region": None,
        "respondents": {"n": 500},
        "organisations": 30,
        "standards": [
            {"id": f"standard_{i}", "number": i, "title": f"S{i}", "own": {"score": 60.0 + i, "printed": 60 + i}}
            for i in range(1, 9)
        ],
        "groups": [],
        "responses": [],
    }
    report["standards"][2]["own"] = {"score": None, "printed": None}
    said = staff_findings.strongest(report)
    assert said == "The scores for standard 3 are not shown, so no standard is called the highest or lowest."
