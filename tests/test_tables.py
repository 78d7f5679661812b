"""National tables from a small dataset built by hand; every expected figure below was worked
out on paper from the six returns in tests/helpers.py's RETURNS (see the comments there), not by running the code."""

import csv
import io
import json
import re
import subprocess
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

import forms
from aggregation import outputs
from aggregation.dataset import Dataset, Return
from aggregation.report import national_report
from aggregation.tables import compute, whole
from forms import tablespec
from healthcheck.extensions import db
from healthcheck.models import Organisation
from healthcheck.store import Actor, collection, publication, returns
from tests.environment import now
from tests.helpers import POPULATIONS, dataset

Q = forms.load("health-check", "2017.1")


@pytest.fixture(scope="module")
def tables():
    return {t["id"]: t for t in compute(dataset(), threshold=0)}


def rows(table, *keys):
    return [tuple(r[k] for k in keys) for r in table["rows"]]


@pytest.mark.parametrize(
    "x, expected", [(10.5, 11), (12.5, 13), (0.5, 1), (-0.5, -1), (37.5, 38), (16.666, 17), (2.4999, 2), (0, 0)]
)
def test_rounding_is_half_away_from_zero(x, expected):
    assert whole(x) == expected


def test_table_1_responses_against_population(tables):
    t = tables["responses"]
    # SC 2/27 = 7.4%; LB 2/33 = 6.1%; MD 0/36; UA 1/55 = 1.8%; councils 5/151 = 3.3%; NHS 1, no population.
    assert rows(t, "group", "responses", "population", "printed") == [
        ("Shire County", 2, 27, 7),
        ("London Borough", 2, 33, 6),
        ("Metropolitan District", 0, 36, 0),
        ("Unitary Authority", 1, 55, 2),
        ("Total (councils)", 5, 151, 3),
        ("NHS Trust", 1, None, "n/a"),
    ]
    assert t["base"] == 151 and t["kind"] == "responses"
    assert t["rows"][0]["percent"] == pytest.approx(200 / 27)


def test_table_2_averages_organisations_own_percentages(tables):
    t = tables["posts"]
    unfilled = [
        (r["group"], r["value"], r["n"], r["printed"]) for r in t["rows"] if r["question_id"] == "posts_unfilled"
    ]
    # Own percentages: A 10, B 12.5, C 25, D 5, E 0; F did not give posts.
    assert unfilled == [
        ("Shire County", 11.25, 2, 11),
        ("London Borough", 15.0, 2, 15),
        ("Unitary Authority", None, 0, None),
        ("NHS Trust", 0.0, 1, 0),
        ("All", 10.5, 5, 11),
    ]
    agency = {r["group"]: (r["value"], r["printed"]) for r in t["rows"] if r["question_id"] == "posts_agency"}
    # A 0, B 25, C 20, D 25, E 6.25.
    assert agency["Shire County"] == (12.5, 13) and agency["London Borough"] == (22.5, 23)
    assert agency["NHS Trust"] == (6.25, 6) and agency["All"] == (15.25, 15)
    assert t["base"] == 5 and t["bases"] == {
        "Proportion of unfilled posts": 5,
        "Proportion of posts covered by agency or temporary staff": 5,
    }
    assert any("average of the organisations’ own percentages" in n for n in t["notes"])
    assert t["question_ids"] == ["posts_unfilled", "posts_agency", "posts"]


def test_table_5_hours(tables):
    t = tables["hours"]
    # SC (37+35)/2 = 36; LB (39+38)/2 = 38.5; UA 40; NHS 36; all 225/6 = 37.5.
    assert rows(t, "group", "value", "n", "printed") == [
        ("Shire County", 36.0, 2, 36),
        ("London Borough", 38.5, 2, 39),
        ("Unitary Authority", 40.0, 1, 40),
        ("NHS Trust", 36.0, 1, 36),
        ("All", 37.5, 6, 38),
    ]
    assert t["base"] == 6


def test_table_7_caseloads_count_zeros_and_leave_out_no_such_role(tables):
    t = tables["caseloads"]
    senior = {r["group"]: (r["value"], r["n"]) for r in t["rows"] if r["question_id"] == "caseload_senior_practitioner"}
    # A 5, B none, C 0, D 10, E 7, F 4: all 26/5 = 5.2 with the zero included.
    assert senior == {
        "Shire County": (5.0, 1),
        "London Borough": (5.0, 2),
        "Unitary Authority": (4.0, 1),
        "NHS Trust": (7.0, 1),
        "All": (5.2, 5),
    }
    assert (
        "Senior practitioner: averages include those who hold no cases (0): 1 respondent reported none held; "
        "1 had no such role and is excluded."
    ) in t["notes"]
    assert t["bases"]["Team member"] == 0 and t["base"] is None  # "Base = 0, 5 and 0": no one base


def test_figure_8_single_choice(tables):
    t = tables["reflective_supervision"]
    # individually A B F = 3/6 = 50; peer group C, no D, don't know E = 1/6 = 16.7 each.
    assert rows(t, "label", "count", "printed") == [
        ("Yes, individually", 3, 50),
        ("Yes, in a peer group", 1, 17),
        ("No", 1, 17),
        ("Don't know", 1, 17),
    ]
    assert t["base"] == 6 and t["kind"] == "single" and t["question_ids"] == ["reflective_supervision"]
    assert "Per cents may not add to 100 because of rounding." in t["notes"]


def test_table_10_routing_base_is_those_asked_who_answered(tables):
    t = tables["welfare_access"]
    # Asked of the 5 with a welfare system (not C); E left it blank: base 4.
    assert rows(t, "label", "count", "printed") == [("Yes", 2, 50), ("No", 1, 25), ("Don't know", 1, 25)]
    assert t["base"] == 4
    assert (
        "Asked only where the answer to “Is there an employee welfare system in place?” was “Yes” (5 respondents)."
        in t["notes"]
    )
    assert tables["welfare_system"]["base"] == 6


def test_table_6_multiple_response_counts_coded_others_as_categories(tables):
    t = tables["profession_opportunities"]
    # A: student + other coded as mentoring; B student; C mentoring, research; D other; F student, research.
    # Base 5 (E gave none). Questionnaire order, as the report prints Table 6.
    assert rows(t, "label", "count", "printed") == [
        ("Supervision of students on placement", 3, 60),
        ("Mentoring programmes", 2, 40),
        ("Opportunities to undertake research", 2, 40),
        ("Other", 1, 20),
    ]
    assert t["base"] == 5
    assert any("more than one answer" in n for n in t["notes"])


def test_nothing_is_suppressed_at_threshold_0_and_small_groups_are_at_2(tables):
    assert not any(r.get("suppressed") for t in tables.values() for r in t["rows"])
    strict = {t["id"]: t for t in compute(dataset(), threshold=2)}
    hours = {r["group"]: r for r in strict["hours"]["rows"]}
    assert hours["NHS Trust"]["printed"] == "*" and hours["NHS Trust"]["value"] is None
    assert hours["Shire County"]["printed"] == 36 and hours["All"]["printed"] == 38  # All is never a group of 1
    assert any(n.startswith("* Not shown: fewer than 2 respondents of this type") for n in strict["hours"]["notes"])


def test_year_on_year_figures_come_from_the_previous_cycle():
    previous = Dataset(
        year=2016,
        questionnaire=Q,
        tables=tablespec.load(Q),
        populations=POPULATIONS,
        returns=[
            Return("A", "Shire County", {"welfare_system": "yes", "hours_per_week": 36}),
            Return("B", "Shire County", {"welfare_system": "no", "hours_per_week": 38}),
        ],
    )
    t = {t["id"]: t for t in compute(dataset(previous=previous))}
    yes = t["welfare_system"]["rows"][0]
    # 2017: 5 of 6 = 83.3; 2016: 1 of 2 = 50.
    assert yes["previous"] == 50.0 and yes["change"] == pytest.approx(100 * 5 / 6 - 50)
    all_hours = next(r for r in t["hours"]["rows"] if r["group"] == "All")
    assert all_hours["previous"] == 37.0 and all_hours["change"] == 0.5 and t["hours"]["previous_year"] == 2016


def test_json_csv_and_xlsx_outputs(tables, tmp_path):
    computed = compute(dataset())
    written = outputs.write(2017, computed, tmp_path)
    payload = json.loads((tmp_path / "tables.json").read_text())
    assert payload["cycle"] == 2017 and len(payload["tables"]) == len(tablespec.load(Q)) == 29
    first = payload["tables"][0]
    assert set(first) >= {"id", "number", "title", "question_ids", "kind", "base", "rows", "notes"}
    csv_text = (tmp_path / "table-2-posts.csv").read_text()
    assert "Table 2: Unfilled posts" in csv_text and "Base = 5" in csv_text
    assert (tmp_path / "tables.xlsx") in written and len(written) == 31


def test_the_pdf_report_has_every_table_title_base_and_figures(tmp_path):
    pdf = national_report(
        dataset(comments=[{"question_id": "final_comments", "text": "Thanks to <name>."}]), threshold=0
    )
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    for table in tablespec.load(Q):
        assert f"{table['number']}: {table['title']}" in flat, table["number"]
    for expected in (
        "Base = 151",
        "Base = 5",
        "Base = 4",
        "Contents",
        "Key findings",
        "Background and methodology",
        "Annex A: open answers",
        "Thanks to <name>.",
        "Annex B",
        "Annex C: the form",
        "Proportion of unfilled posts: 11 per cent on average across 5 respondents",
        "Whether an employee welfare system is in place: yes for 83 per cent of 6 respondents",
    ):
        assert expected in flat, expected
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-f", "1", "-l", "5", "-png", str(path), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == 5 and all(p.stat().st_size > 2000 for p in pngs)


@pytest.fixture
def extra_forms(tmp_path):
    forms.register_directory(tmp_path)
    yield tmp_path
    forms.unregister_directory(tmp_path)


def test_trends_follow_renamed_question_ids_across_cycles(app, extra_forms):
    """A 2018 questionnaire renames hours_per_week to weekly_hours; the 2018 tables still show
    2017's hours as last year's figures, through the mapping in the questionnaire file."""

    source = (forms.QUESTIONNAIRE_DIR / "health-check-2017.yaml").read_text()
    renamed = source.replace(
        'version: "2017.1"', 'version: "2018.1"\nprevious: {version: "2017.1", renamed: {hours_per_week: weekly_hours}}'
    ).replace("id: hours_per_week", "id: weekly_hours")
    tmp_path = extra_forms
    (tmp_path / "tables").mkdir()
    (tmp_path / "health-check-2018.yaml").write_text(renamed)
    spec = (forms.tablespec.TABLES_DIR / "health-check-2017.1.yaml").read_text()
    (tmp_path / "tables" / "health-check-2018.1.yaml").write_text(
        spec.replace("health-check@2017.1", "health-check@2018.1").replace(
            "question: hours_per_week", "question: weekly_hours"
        )
    )
    forms.unregister_directory(tmp_path)
    forms.register_directory(tmp_path)  # look again, now the files are there
    q2017, q2018 = forms.load("health-check", "2017.1"), forms.load("health-check", "2018.1")
    assert q2018.previous_id("weekly_hours") == "hours_per_week"

    actor = Actor("Test")
    c2017 = collection.create_cycle(2017, q2017, now() - timedelta(days=400), now() - timedelta(days=300), actor)
    c2018 = collection.create_cycle(
        2018, q2018, now() - timedelta(days=1), now() + timedelta(days=30), actor, previous=c2017
    )
    for name, hours_2017, hours_2018 in (("A Council", 35, 37), ("B Council", 37, 39)):
        org = Organisation(name=name, authority_type="Unitary Authority")
        db.session.add(org)
        db.session.flush()
        returns.submit(returns.return_for(c2017, org), actor, q2017, replace_with={"hours_per_week": hours_2017})
        returns.submit(returns.return_for(c2018, org), actor, q2018, replace_with={"weekly_hours": hours_2018})
    db.session.commit()
    hours = next(t for t in compute(publication.dataset(c2018)) if t["id"] == "hours")
    everyone = next(r for r in hours["rows"] if r["group"] == "All")
    assert (everyone["value"], everyone["previous"], everyone["change"]) == (38.0, 36.0, 2.0)
    assert hours["previous_year"] == 2017 and hours["question_ids"] == ["weekly_hours"]


def test_the_files_publish_each_figure_as_printed_never_the_float_behind_it(tmp_path):
    """Issue 19's first finding: an unrounded mean beside its n and the "All" row gives a withheld
    group's figure back exactly. The files now carry what the report prints."""

    previous = Dataset(
        year=2016,
        questionnaire=Q,
        tables=tablespec.load(Q),
        populations=POPULATIONS,
        returns=[
            Return("A", "Shire County", {"welfare_system": "yes", "hours_per_week": 36}),
            Return("B", "Shire County", {"welfare_system": "no", "hours_per_week": 38}),
        ],
    )
    computed = compute(dataset(previous=previous))
    assert any(isinstance(r.get("value"), float) and r["value"] % 1 for t in computed for r in t["rows"])
    outputs.write(2017, computed, tmp_path)
    measures = ("value", "percent", "previous", "change")
    for table in json.loads((tmp_path / "tables.json").read_text())["tables"]:
        for row in table["rows"]:
            assert all(not isinstance(row.get(k), float) for k in measures), (table["id"], row)
    for path in tmp_path.glob("*.csv"):
        for row in csv.reader(path.open()):
            assert not any(re.fullmatch(r"-?\d+\.\d+", cell) for cell in row), (path.name, row)
    for sheet in load_workbook(tmp_path / "tables.xlsx").worksheets:
        assert not any(isinstance(c, float) and c % 1 for row in sheet.iter_rows(values_only=True) for c in row)
    yes = next(t for t in json.loads((tmp_path / "tables.json").read_text())["tables"] if t["id"] == "welfare_system")[
        "rows"
    ][0]
    assert (yes["percent"], yes["previous"], yes["change"]) == (83, 50, 33)  # 83.3 and 50: printed 83 - 50


def test_a_base_is_the_respondents_behind_the_figures_under_it():
    """Issue 19: Table 2 printed "Base = 15" while both its columns stood on 14. Here A gives only
    unfilled posts and B only agency cover: each measure has 1, and 2 answered either."""
    returns = [
        Return("A", "Shire County", {"posts": 10, "posts_unfilled": 1}),
        Return("B", "Shire County", {"posts": 10, "posts_agency": 2}),
    ]
    table = next(
        t
        for t in compute(
            Dataset(year=2017, questionnaire=Q, tables=tablespec.load(Q), returns=returns, populations=POPULATIONS),
            threshold=0,
        )
        if t["id"] == "posts"
    )
    assert table["base"] == 1 and list(table["bases"].values()) == [1, 1]  # the base printed, not the 2 in all
    assert outputs.base_text(table) == "Base = 1"
    returns[1].answers["posts_unfilled"] = 0
    table = next(
        t
        for t in compute(
            Dataset(year=2017, questionnaire=Q, tables=tablespec.load(Q), returns=returns, populations=POPULATIONS),
            threshold=0,
        )
        if t["id"] == "posts"
    )
    assert table["base"] is None and outputs.base_text(table) == "Base = 2 and 1"  # no one base: none claimed


def test_the_workbook_lays_each_table_out_as_printed(tmp_path):
    """One sheet per table, named by its number: groups as rows, each measure's figure (with its
    unit) and respondents as columns, the header frozen, the base and notes below."""

    outputs.write(2017, compute(dataset(), threshold=2), tmp_path)
    book = load_workbook(tmp_path / "tables.xlsx")
    assert "Table 5" in book.sheetnames and "Figure 1" in book.sheetnames
    hours = book["Table 5"]
    assert hours["A1"].value == "Table 5: Average hours worked a week" and hours.freeze_panes == "B3"
    assert [c.value for c in hours[2]] == ["Type", "Hours a week (hours)", "Hours a week: respondents"]
    rows = {r[0]: r[1:] for r in hours.iter_rows(min_row=3, max_row=7, values_only=True)}
    # Shire counties A and B: 37 and 35 -> 36 of 2; the one trust withheld at a threshold of 2.
    assert rows["Shire County"] == (36, 2) and rows["NHS Trust"] == ("*", 1) and rows["All"] == (38, 6)
    assert any(str(c.value).startswith("Base = 6") for c in hours["A"])


def test_other_comes_below_every_real_option():
    """Issue 30: Table 13 listed "Other" above "Policy/scheme being developed/revised". In every table
    of several answers, "Other (please specify)" comes after each real option; only a "none" or
    "don't know" answer may follow it."""
    for table in compute(dataset(), threshold=0):
        if table["kind"] != "multi":
            continue
        question = Q.question(table["question_ids"][0])
        order = [r["option"] for r in table["rows"]]
        other = question.specify_option
        real = [o.value for o in question.options if not (o.specify or o.exclusive or o.value == "dont_know")]
        assert other is not None and all(order.index(v) < order.index(other.value) for v in real), table["number"]
