"""The staff survey's results from stored responses: `healthcheck staff results` and its files."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import forms
from aggregation import scores
from healthcheck.cli import staff_results
from healthcheck.extensions import db, writing
from healthcheck.models import Action, Organisation
from healthcheck.store import collection, publication, staff
from tests.environment import now
from tests.helpers import fill_everything, publish, respond, sign_in, text_of

Q = forms.load("staff-survey", "2020.1")


def test_results_from_the_command_line_withhold_an_organisation_below_10_and_only_it(app, employers, survey, tmp_path):

    a, b = employers["a"][0], employers["b"][0]
    respond(survey, a, 12, s1_vision="strongly_agree", s1_leaders="strongly_agree")
    respond(survey, b, 9, seed=1)
    respond(survey, b, 1, seed=2, **{q.id: forms.DONT_KNOW for q in Q.questions() if q.standard})  # not counted
    out = CliRunner().invoke(
        staff_results, ["--cycle", "2017", "--out", str(tmp_path / "scores")], catch_exceptions=False
    )
    assert out.exit_code == 0, out.output
    assert "21 counted responses from 2 organisations; a preview: the survey is open until" in out.output
    result = json.loads((tmp_path / "scores" / "scores.json").read_text())
    assert result["cycle"] == 2017 and [s["number"] for s in result["standards"]] == list(range(1, 9))
    by_name = {o["organisation"]: o for o in result["organisations"]}
    assert by_name[a.name]["respondents"] == 12 and by_name[b.name]["respondents"] == 9
    assert by_name[b.name]["scores"]["standard_1"]["score"] is None
    assert by_name[b.name]["scores"]["standard_1"]["n"] == 9
    # A's 12 are A's own: its score stands, ranked first of the one organisation with 10 counted.
    # England is the two of them, which A, knowing its own, would take B's from: England is withheld.

    frame = scores.frame(staff.respondents(survey), Q)
    truth = scores.respondent_scores(frame, Q)["standard_1"][frame["organisation"] == a.name].mean()
    mine = by_name[a.name]["scores"]["standard_1"]
    assert mine["score"] == pytest.approx(truth) and mine["n"] == 12 and (mine["rank"], mine["of"]) == (1, 1)
    assert mine["band"] == scores.band(mine["printed"]) is not None
    national = next(g for g in result["groups"] if g["group"] == "national")
    assert national["respondents"] is None and national["respondents_withheld"] == "organisations"
    assert national["scores"]["standard_1"] == {
        "n": None,
        "score": None,
        "printed": None,
        "band": None,
        "withheld": "organisations",
        "because": None,
    }
    assert "not for publication" in result["notice"] and "not for publication" in out.output
    with (tmp_path / "scores" / "organisations.csv").open() as fh:
        rows = {r["organisation"]: r for r in csv.DictReader(fh)}
    assert list(rows) == sorted([a.name, b.name])
    assert rows[a.name]["standard_1.printed"] == str(mine["printed"]) and rows[b.name]["standard_1.score"] == ""
    assert (rows[a.name]["standard_1.rank"], rows[a.name]["standard_1.of"]) == ("1", "1")
    with (tmp_path / "scores" / "national.csv").open() as fh:
        england = next(csv.DictReader(fh))
    assert england["respondents"] == "" and england["standard_1.withheld"] == "organisations"

    book = load_workbook(tmp_path / "scores" / "scores.xlsx")
    assert book.sheetnames == ["Organisations", "Authority types", "Regions", "England", "About these tables"]
    assert book["Organisations"].freeze_panes == "B2"
    assert book["England"]["C1"].value.startswith("Respondents: why")
    assert book["England"]["D1"].value.startswith("Standard 1: ")
    assert "not for publication" in book["About these tables"]["A1"].value


def test_no_responses_yet_gives_empty_tables_not_an_error(app, employers, survey, tmp_path):

    out = CliRunner().invoke(staff_results, ["--cycle", "2017", "--out", str(tmp_path)], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    result = json.loads((tmp_path / "scores.json").read_text())
    assert result["organisations"] == []
    assert result["groups"][0]["respondents"] is None and result["groups"][0]["respondents_withheld"] == "fewer"
    assert result["groups"][0]["scores"]["standard_1"] == {
        "n": None,
        "score": None,
        "printed": None,
        "band": None,
        "withheld": "fewer",
        "because": None,
    }


def test_a_closed_survey_is_published_with_the_results_and_each_psw_sees_their_own(app, accounts, employers, survey):

    a, b = employers["a"][0], employers["b"][0]
    respond(survey, a, 14, s1_vision="strongly_agree", s1_leaders="strongly_agree", s1_psw="agree")
    respond(survey, b, 11, seed=3, s1_vision="disagree", s1_leaders="disagree", s1_psw="disagree")
    psw = app.test_client()
    sign_in(psw, employers["a"][1])
    publish(app)  # open: no staff results in the edition
    assert "no staff survey results for your organisation" in psw.get("/return/staff-results").get_data(as_text=True)
    survey.closes_at = now() - timedelta(minutes=1)
    db.session.commit()
    assert "Your staff survey results" in psw.get("/return/staff-survey").get_data(as_text=True)
    publish(app)
    edition = publication.latest_edition(collection.cycle_by_year(2017))
    assert edition.summary["staff_respondents"] == 25
    kinds = {(f.kind, f.organisation_id) for f in edition.files if f.kind.startswith("staff")}
    assert {("staff_report", a.id), ("staff_report", b.id), ("staff_scores", None), ("staff_dataset", None)} <= kinds
    page = psw.get("/return/staff-results").get_data(as_text=True)
    assert "25 people answered" not in page and "14 people answered" in page
    assert "1st of 2" in page  # a's standard 1 (100, 100, 75) is above b's
    assert b.name not in page  # no other organisation is named
    stored = next(f for f in edition.files if f.kind == "staff_dataset")
    frozen = json.loads((Path(app.config["EDITIONS_FOLDER"]) / edition.folder / stored.path).read_text())
    assert len(frozen["respondents"]) == 25 and all("comment" not in r["answers"] for r in frozen["respondents"])


def test_the_coordinator_reads_englands_report_each_regions_and_every_organisation_sorted(
    app, accounts, employers, survey
):

    a, b = employers["a"][0], employers["b"][0]
    with writing():
        a.region, b.region = "London", "London"
    employer = app.test_client()  # b submits its return, agreeing to be named; a never submits
    sign_in(employer, employers["b"][1])
    fill_everything(employer)
    assert employer.post_form("/return/check", {"confirm": "y", "consent": "y"}).status_code == 302
    respond(survey, a, 14, s1_vision="strongly_agree", s1_leaders="strongly_agree", s1_psw="agree")
    respond(survey, b, 11, seed=3, s1_vision="disagree", s1_leaders="disagree", s1_psw="disagree")
    survey.closes_at = now() - timedelta(minutes=1)
    db.session.commit()
    coordinator = publish(app)
    page = coordinator.get("/admin/cycles/2017/staff/results").get_data(as_text=True)
    # Two organisations: England's figures and count would give either the other's, so they are withheld.
    assert "Results: England" in page and "Practitioners from 2 organisations answered" in page
    assert "25 practitioners" not in page
    assert "England: not shown for any standard, because fewer than three organisations make it" in page
    assert f"These agreed to be named: {b.name}." in page and a.name not in page  # a did not consent
    region = coordinator.get("/admin/cycles/2017/staff/results?region=London").get_data(as_text=True)
    assert "Results: London" in region and 'id="by-region"' not in region
    assert coordinator.get("/admin/cycles/2017/staff/results?region=Atlantis").status_code == 404
    files = dict(re.findall(r'href="(/admin/cycles/2017/editions/\d+/staff/[^"]+\.(pdf|xlsx))"', page))
    frozen = next(
        f for f in publication.latest_edition(collection.cycle_by_year(2017)).files if f.kind == "staff_dataset"
    )
    assert coordinator.get(f"/admin/cycles/2017/editions/1/{frozen.path}").status_code == 404  # answers stay in
    pdf = coordinator.get(next(path for path in files if "england" in path))
    assert pdf.status_code == 200 and "Staff survey 2017: England" in text_of(pdf.data)
    assert a.name not in text_of(pdf.data)
    table = coordinator.get("/admin/cycles/2017/staff/organisations?sort=standard_1&order=descending")
    text = table.get_data(as_text=True)
    assert text.index(a.name) < text.index(b.name) and 'aria-sort="descending"' in text
    text = coordinator.get("/admin/cycles/2017/staff/organisations?sort=standard_1&order=ascending").get_data(
        as_text=True
    )
    assert text.index(b.name) < text.index(a.name)
    assert coordinator.get("/admin/cycles/2017/staff/organisations?sort=nonsense").status_code == 200
    assert db.session.get(Organisation, a.id).name in text


def test_the_psw_reads_who_answered_against_their_workforce_downloads_the_pdf_and_plans_from_the_lowest(
    app, accounts, employers, survey, tmp_path
):

    a, b = employers["a"][0], employers["b"][0]
    respond(survey, a, 20, s3_manageable="strongly_disagree", s3_review="disagree", sex="female")
    respond(survey, a, 12, seed=5, s3_manageable="disagree", sex="male")
    respond(survey, b, 15, seed=6)
    psw = app.test_client()
    sign_in(psw, employers["a"][1])
    assert psw.post_form("/return/staff-survey/workforce", {"sex__female": "50", "sex__male": "50"}).status_code == 302
    survey.closes_at = now() - timedelta(minutes=1)
    db.session.commit()
    publish(app)
    page = psw.get("/return/staff-results").get_data(as_text=True)
    # 20 of 32 female (62.5%) against half the workforce: over-represented by 12.5 points.
    assert "Who answered" in page and "62.5%" in page and "+12.5" in page and "over-represented" in page
    assert "What keeps people" in page and "it needs at least 100 people" in page  # 47 people
    pdf = psw.get("/return/staff-results.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = text_of(pdf.data)
    assert "Who answered" in text and "Sex: Female is over-represented among respondents" in text
    assert b.name not in text
    (tmp_path / "report.pdf").write_bytes(pdf.data)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(tmp_path / "report.pdf"), str(tmp_path / "page")], check=True, timeout=60
    )
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) >= 3 and all(p.stat().st_size > 2000 for p in pngs)
    # The plan starts with the lowest-scoring standard: safe workloads, where everyone disagreed.
    plan = psw.get("/return/plan").get_data(as_text=True)
    lowest = plan.split('id="lowest-scoring"', 1)[1]
    assert lowest.index("Safe workloads") < min(lowest.index(t) for t in ("Wellbeing", "Supervision"))
    form = psw.get("/return/plan/new?standard=standard_3").get_data(as_text=True)
    assert 'value="standard_3" selected' in form and 'value="safe_workloads" selected' in form
    saved = psw.post_form(
        "/return/plan/new?standard=standard_3",
        {"section_id": "safe_workloads", "staff_standard": "standard_3", "description": "Weekly caseload review"},
        token_from="/return/plan/new",
    )
    assert saved.status_code == 302
    assert db.session.query(Action).one().staff_standard == "standard_3"
    assert "Answers 2020 Standard 3: Safe workloads" in psw.get("/return/plan").get_data(as_text=True)
    assert (
        psw.post_form(
            "/return/plan/new", {"section_id": "safe_workloads", "staff_standard": "standard_99", "description": "x"}
        ).status_code
        == 400
    )


def test_an_organisation_of_100_or_more_gets_its_own_drivers_each_marked_clear_or_not(app, accounts, employers, survey):

    a = employers["a"][0]
    respond(survey, a, 150, seed=11)
    survey.closes_at = now() - timedelta(minutes=1)
    db.session.commit()
    publish(app)
    psw = app.test_client()
    sign_in(psw, employers["a"][1])
    page = psw.get("/return/staff-results").get_data(as_text=True)
    assert "from the answers of your organisation’s practitioners" in page
    table = page.split('id="drivers"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"(\d\.\d\d) to (\d\.\d\d)</td><td class=\"govuk-table__cell\">(Yes|No)<", table)
    assert len(rows) == 8
    for low, high, clear in rows:  # "clear" exactly where the interval leaves out 1 (printed to 2 places)
        if clear == "Yes":
            assert float(low) >= 1 or float(high) <= 1, (low, high)
        else:
            assert float(low) <= 1 <= float(high), (low, high)
