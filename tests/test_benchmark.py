"""Each employer's benchmark: figures, disclosure control, and the batch across processes."""

import csv
import io
import json
import random

import pytest
from pypdf import PdfReader

import forms
from aggregation import benchmark
from aggregation.batch import build_all, filename
from aggregation.benchmark_pdf import benchmark_pdf
from aggregation.dataset import Dataset, Return
from aggregation.tables import compute as national
from forms import tablespec
from forms.synthetic import answers
from tests.helpers import dataset as hand_dataset

Q = forms.load("health-check", "2017.1")


def synthetic(n=60, seed=5):
    rng = random.Random(seed)
    types = ["Shire County", "London Borough", "Metropolitan District", "Unitary Authority", "NHS Trust"]
    returns = [Return(f"Org {i}", types[i % 5] if i < 58 else "NHS Trust", answers(Q, rng)) for i in range(n)]
    return Dataset(2017, Q, tablespec.load(Q), returns, {})


def test_hand_computed_position_of_one_employer():
    result = benchmark.compute(hand_dataset(), "A", threshold=2)
    hours = next(m for m in result["measures"] if m["question_id"] == "hours_per_week")
    # All six: 37 35 39 38 36 40 -> mean 37.5, median 37.5, q1 36.25, q3 38.75; A (37) is in the second quarter.
    assert hours["own"] == 37 and hours["all"]["mean"] == 37.5 and hours["all"]["median"] == 37.5
    assert (hours["all"]["q1"], hours["all"]["q3"], hours["quartile"]) == (36.25, 38.75, 2)
    # Shire counties: A and B, so one other employer like A: never shown (it would be B's answer), and
    # A is left out of their number.
    assert hours["type"] == {"n": 1, "suppressed": True, "mean": None, "median": None}
    offered = next(m for m in result["multi"] if m["question_id"] == "profession_opportunities")
    # 5 answered: student 3/5, mentoring 2/5 (A's coded other counts), research 2/5, other 1/5.
    assert offered["own"] == ["Supervision of students on placement", "Mentoring programmes"]
    assert offered["shared"] == ["Supervision of students on placement"]
    assert offered["unusual"] == ["Mentoring programmes"] and offered["missing"] == []


def test_every_figure_matches_the_national_tables():
    ds = synthetic()
    tables = {t["id"]: t for t in national(ds, threshold=0)}
    for organisation in ("Org 0", "Org 7", "Org 59"):
        result = benchmark.compute(ds, organisation, threshold=5)
        kind = next(r.authority_type for r in ds.returns if r.organisation == organisation)
        for m in result["measures"]:
            table = next(
                t
                for t in tables.values()
                if t["kind"] == "by_type"
                and m["question_id"] in t["question_ids"]
                and any(r["measure"] == m["measure"] for r in t["rows"])
            )
            rows = {r["group"]: r for r in table["rows"] if r["measure"] == m["measure"]}
            assert m["all"]["mean"] == pytest.approx(rows["All"]["value"]) and m["all"]["n"] == rows["All"]["n"]
            if not m["type"]["suppressed"]:  # other employers like it: itself left out of the mean and of n
                mine = 0 if m["own"] is None else 1
                others = rows[kind]["value"] * rows[kind]["n"] - (m["own"] or 0)
                assert m["type"]["n"] == rows[kind]["n"] - mine
                assert m["type"]["mean"] == pytest.approx(others / m["type"]["n"])
        for item in result["single"]:
            table = tables[item["question_id"]]
            national_percent = {r["option"]: r["percent"] for r in table["rows"]}
            assert item["all"]["n"] == table["base"]
            for option in item["options"]:
                assert option["all_percent"] == pytest.approx(national_percent[option["value"]])


def test_a_suppressed_group_never_shows_a_figure():
    ds = synthetic()
    trusts = [r for r in ds.returns if r.authority_type == "NHS Trust"][:2]  # a group of two
    ds.returns = [r for r in ds.returns if r.authority_type != "NHS Trust"] + trusts
    me, other = trusts
    result = benchmark.compute(ds, me.organisation, threshold=5)
    assert all(m["type"]["suppressed"] and m["type"]["mean"] is None for m in result["measures"])
    assert all(
        s["type"]["suppressed"] and all(o["peers_percent"] is None for o in s["options"]) for s in result["single"]
    )
    measure_rows = [row for row in csv.reader(io.StringIO(benchmark.to_csv(result))) if row and row[0] == "measure"]
    assert {row[5] for row in measure_rows} == {"Other NHS trusts"}  # trusts have no region to fall back to
    assert {row[6] for row in measure_rows} == {"not shown"} and {row[7] for row in measure_rows} == {""}
    pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(benchmark_pdf(result))).pages)
    assert "Not shown" in pdf_text and other.organisation not in pdf_text
    # All respondents (50 others) are still a safe comparison.
    assert not any(m["all"]["suppressed"] for m in result["measures"])


def test_the_pdf_carries_the_employers_own_values():
    """Issue 30: 37.5 hours printed as 38, and "There are no team managers in this role" as "No answer"."""
    ds = synthetic()
    own = next(r for r in ds.returns if r.organisation == "Org 3").answers
    own.update(hours_per_week=37.5, caseload_team_manager="n/a")
    result = benchmark.compute(ds, "Org 3", threshold=5)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(benchmark_pdf(result))).pages).split())
    assert "Org 3: health check benchmark 2017" in text
    assert "Average hours worked a week (hours; Table 5) 37.5 " in text
    assert "Average caseload of a team manager (cases; Table 7) There are no team managers in this role" in text
    csv_rows = {row[2]: row for row in csv.reader(io.StringIO(benchmark.to_csv(result))) if row and row[0] == "measure"}
    assert csv_rows["Average hours worked a week"][4] == "37.5"
    assert csv_rows["Average caseload of a team manager"][4] == "There are no team managers in this role"
    assert "Org 7" not in text  # no other employer is named


def test_batch_builds_every_employer_in_two_processes(tmp_path):
    ds = synthetic(20)
    seen = {}
    assert build_all(ds, tmp_path, threshold=5, processes=2, progress=seen.__setitem__) == 20
    assert sorted(seen) == sorted(r.organisation for r in ds.returns)
    for r in ds.returns:
        stem = tmp_path / filename(r.organisation, 2017)
        assert seen[r.organisation] == [stem.with_suffix(s) for s in (".json", ".csv", ".pdf")]
        assert stem.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
        assert stem.with_suffix(".csv").read_text().startswith("section,")
        assert json.loads(stem.with_suffix(".json").read_text())["organisation"] == r.organisation


def test_benchmarks_built_together_equal_each_built_alone():
    """The batch shares what employers' comparisons have in common (``Benchmarks``); whatever
    it remembered for earlier employers, each result is the one a fresh computation gives,
    across authority types, suppressed groups, coded answers and a previous year."""
    previous = synthetic(n=40, seed=3)
    previous.year = 2016
    ds = synthetic(n=60, seed=5)
    ds.previous = previous
    multi = Q.question(next(t["question"] for t in ds.tables if t["kind"] == "multi"))
    for r in ds.returns[::7]:
        r.coded[multi.other_id] = ["extra"]
    ds.categories[multi.id] = [("extra", "An extra category")]
    trusts = [r for r in ds.returns if r.authority_type == "NHS Trust"][:2]  # a suppressed group
    ds.returns = [r for r in ds.returns if r.authority_type != "NHS Trust"] + trusts
    together = benchmark.Benchmarks(ds, threshold=5)
    for r in ds.returns:
        shared = together.of(r.organisation)
        assert shared == benchmark.Benchmarks(ds, threshold=5).of(r.organisation), r.organisation
        shared["measures"][0]["all"]["mean"] = -1  # a caller changing its result changes no other
    mine = together.of(trusts[0].organisation)
    assert mine["measures"][0]["all"]["mean"] != -1
    assert any(m["type"]["suppressed"] for m in mine["measures"]) and mine["trend"]
    assert any("An extra category" in m["own"] for m in together.of(ds.returns[0].organisation)["multi"])
