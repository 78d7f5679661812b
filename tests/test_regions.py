"""Regions and statistical neighbours as comparison groups: the national tables by region and a
short report per region, in each edition and from the command line; the coordinator's list of
statistical neighbours, uploaded on the web or the command line; and the region's and the
neighbours' columns in every benchmark, under the disclosure rules."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import statistics

from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

import forms
from aggregation import benchmark, edition, regional_report
from aggregation.dataset import Dataset, Return
from aggregation.tables import SUPPRESSED, regional
from forms import tablespec
from forms.synthetic import answers
from healthcheck.cli import neighbours, regional_reports, tables
from healthcheck.extensions import db
from healthcheck.models import AuditEvent, Organisation, StatisticalNeighbour
from healthcheck.store import Actor, publication, returns
from tests.helpers import awkward_dataset, publish, signed_in, submit_return, text_of

Q = forms.load("health-check", "2017.1")


# ---------------------------------------------------------------- tables and reports by region


def test_regional_tables_use_the_one_pattern_and_name_every_region():
    data = awkward_dataset()
    by_region = regional(data, threshold=3)
    assert [t["number"] for t in by_region] == [
        "Table 2 by region",
        "Table 3 by region",
        "Table 4 by region",
        "Table 5 by region",
        "Table 7 by region",
    ]
    hours = {r["group"]: r for r in by_region[3]["rows"]}
    assert set(hours) == {"London", "Eastern", "South East", "North West", "North East", "South West", "All"}
    assert hours["North East"]["printed"] == SUPPRESSED  # two councils: below the threshold of 3
    assert hours["Eastern"]["n"] == 7 and isinstance(hours["Eastern"]["printed"], int)
    # A region of three beside the North East's two is withheld too, or All less the rest would give it.
    shown = [g for g, r in hours.items() if g != "All" and r["printed"] != SUPPRESSED]
    assert len(shown) < 6
    assert any("no region" in note for note in by_region[3]["notes"])  # the NHS trust is in All only


def test_an_edition_holds_the_regional_tables_and_a_titled_report_per_region(tmp_path):
    data = awkward_dataset()
    made = edition.build(data, tmp_path / "ed", publication_min=3, benchmark_min=5, service="Test")
    paths = {m.path: m.kind for m in made}
    assert paths["tables/regional-tables.json"] == "tables" and paths["tables/regional-tables.xlsx"] == "tables"
    assert paths["tables/table-5-by-region-hours.csv"] == "tables"
    book = load_workbook(tmp_path / "ed" / "tables" / "regional-tables.xlsx")
    assert "Table 5 by region" in book.sheetnames and book["Table 5 by region"]["A2"].value == "Region"
    reports = sorted(p for p, kind in paths.items() if kind == "regional_report")
    assert len(reports) == len(regional_report.regions_of(data)) == 6
    for path in reports:
        reader = PdfReader(tmp_path / "ed" / path)
        region = next(
            r for r in regional_report.regions_of(data) if path.startswith("regions/" + r.lower().replace(" ", "-"))
        )
        assert reader.metadata.title == f"{Q.title}: {region} region"  # "Social Work Health Check 2017: …"
        assert reader.trailer["/Root"]["/Lang"] == "en-GB" and reader.outline
    text = " ".join(
        " ".join(p.extract_text().split())
        for p in PdfReader(tmp_path / "ed" / "regions" / "north-east-regional-report-2017.pdf").pages
    )
    assert "The figure for average hours worked a week in North East is not shown" in text
    eastern = " ".join(
        " ".join(p.extract_text().split())
        for p in PdfReader(tmp_path / "ed" / "regions" / "eastern-regional-report-2017.pdf").pages
    )
    assert "7 organisations in the Eastern region sent a return" in eastern
    hours = {
        r["group"]: r
        for r in json.loads((tmp_path / "ed" / "tables" / "regional-tables.json").read_text())["tables"][3]["rows"]
    }
    assert (
        f"Average hours worked a week: {hours['Eastern']['printed']} hours on average in Eastern (7 respondents)"
    ) in eastern


def test_the_cli_writes_regional_tables_and_reports(app, employers, cycle, tmp_path):
    regions = ["Eastern", "London"]
    for i, org in enumerate(_peers(cycle, 10)):
        org.region = regions[i % 2]
    db.session.commit()
    result = CliRunner().invoke(tables, ["--cycle", "2017", "--out", str(tmp_path / "t")], catch_exceptions=False)
    assert result.exit_code == 0 and (tmp_path / "t" / "regional-tables.xlsx").exists()
    result = CliRunner().invoke(
        regional_reports, ["--cycle", "2017", "--out", str(tmp_path / "r")], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "eastern-regional-report-2017.pdf",
        "london-regional-report-2017.pdf",
    ]
    assert "Wrote" in result.output


# ---------------------------------------------------------------- the benchmark's region and neighbours


def _dataset(count: int = 20) -> Dataset:
    rng = random.Random(4)
    rets = [
        Return(
            f"Org {i:02d}",
            ("Shire County", "Unitary Authority")[i % 2],
            answers(Q, rng),
            region=("Eastern", "London")[i % 2],
        )
        for i in range(count)
    ]
    return Dataset(2017, Q, tablespec.load(Q), rets, {})


def test_a_benchmark_shows_its_neighbours_median_only_with_enough_of_them():
    data = _dataset()
    data.neighbours = {"Org 00": [f"Org {i:02d}" for i in range(1, 9)], "Org 01": ["Org 02", "Org 03", "Org 04"]}
    many = benchmark.Benchmarks(data, threshold=5, publication_min=3)
    mine = many.of("Org 00")
    hours = next(m for m in mine["measures"] if m["question_id"] == "hours_per_week")
    values = [v for v in (r.answers.get("hours_per_week") for r in data.returns[1:9]) if isinstance(v, int | float)]
    assert len(values) >= 5
    assert hours["neighbours"] == {
        "n": len(values),
        "listed": 8,
        "suppressed": False,
        "median": float(statistics.median(values)),
    }
    eastern = [r for r in data.returns if r.region == "Eastern" and isinstance(r.answers.get("hours_per_week"), int)]
    # The other employers in its region: Org 00 (in Eastern, and answering) left out of their number.
    assert hours["region"]["n"] == len(eastern) - 1 and not hours["region"]["suppressed"]
    few = many.of("Org 01")
    assert all(m["neighbours"]["suppressed"] and m["neighbours"]["median"] is None for m in few["measures"])
    assert all("neighbours" not in m for m in many.of("Org 02")["measures"])  # on no list: no column
    text = benchmark.to_csv(mine)
    header = next(csv.reader(io.StringIO(text)))
    assert header[-5:] == [
        "others in Eastern: average",
        "others in Eastern: median",
        "others in Eastern: respondents",
        "your statistical neighbours: median",
        "your statistical neighbours: respondents",
    ]
    row = next(r for r in csv.reader(io.StringIO(text)) if r[2:3] == ["Average hours worked a week"])
    assert row[-2:] == [benchmark.figure(hours["neighbours"]["median"]), str(len(values))]


def test_the_neighbours_are_withheld_beside_a_withheld_group():
    data = _dataset(16)
    data.returns.append(Return("Lone Trust", "NHS Trust", answers(Q, random.Random(9)), region="Eastern"))
    data.neighbours = {"Lone Trust": [f"Org {i:02d}" for i in range(10)]}
    mine = benchmark.Benchmarks(data, threshold=5, publication_min=3).of("Lone Trust")
    for m in mine["measures"]:
        if m["own"] is not None:
            assert m["type"]["suppressed"]  # the NHS trusts: one
            assert m["neighbours"]["suppressed"] and m["neighbours"]["n"] >= 5


# ---------------------------------------------------------------- uploading the list: web and CLI


def _peers(cycle, count=12):
    rng = random.Random(1)
    made = []
    for i in range(count):
        org = Organisation(
            name=f"Peer Council {i}",
            authority_type=("Shire County", "London Borough")[i % 2],
            ons_code=f"E{10000000 + i}",
            region="Eastern",
        )
        db.session.add(org)
        db.session.flush()
        returns.submit(returns.return_for(cycle, org), Actor("Test"), Q, replace_with=answers(Q, rng))
        made.append(org)
    db.session.commit()
    return made


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


GOOD = [
    ["organisation", "neighbour_1", "neighbour_2", "neighbour_3", "neighbour_4", "neighbour_5", "neighbour_6"],
    [
        "Northmoor County Council",
        "Peer Council 0",
        "E10000001",
        "peer council 2",
        "Peer Council 3",
        "Peer Council 4",
        "Peer Council 5",
    ],
    ["E10000007", "Peer Council 8", "", "", "", "", ""],
]
BAD = [
    ["organisation", "neighbour_1", "neighbour_2", "colour"],
    ["Nowhere Council", "Peer Council 0", "", "blue"],
    ["Peer Council 1", "Peer Council 1", "Peer Council 2", ""],
    ["Peer Council 3", "Peer Council 4", "Peer Council 4", ""],
    ["Peer Council 3", "Atlantis", "", ""],
]
BAD_LINES = [
    "row 1, column colour: unknown column",
    "row 2, column organisation: no organisation named or coded “Nowhere Council” is in the register",
    "row 3, column neighbour_1: Peer Council 1 cannot be its own neighbour",
    "row 4, column neighbour_2: Peer Council 4 is also under neighbour_1",
    "row 5, column organisation: Peer Council 3 is also on row 4",
    "row 5, column neighbour_1: no organisation named or coded “Atlantis” is in the register",
]


def _upload(client, content: bytes, name: str = "neighbours.csv"):
    token = client.csrf_token("/admin/neighbours")
    return client.post(
        "/admin/neighbours",
        data={"csrf_token": token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_the_coordinator_uploads_checks_sees_and_downloads_the_list(app, accounts, employers, cycle):
    _peers(cycle)
    coordinator = signed_in(app, "coordinator")
    page = coordinator.get("/admin/neighbours").get_data(as_text=True)
    assert "No list has been uploaded" in page and "Download the template" in page
    template = coordinator.get("/admin/neighbours.csv?template=1")
    assert template.get_data(as_text=True).splitlines()[0].startswith("organisation,neighbour_1,neighbour_2,")

    refused = _upload(coordinator, _csv(BAD))
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "6 problems in the file: nothing was imported" in body
    for line in BAD_LINES:
        row, column, reason = re.match(r"row (\d+), column (\w+): (.*)", line).groups()
        assert re.search(rf"<td[^>]*>{row}</td><td[^>]*>{column}</td><td[^>]*>{re.escape(reason)}", body), line
    assert db.session.scalars(select(StatisticalNeighbour)).all() == []
    assert _upload(coordinator, b"PK\x03\x04 broken", "list.xlsx").status_code == 400

    done = _upload(coordinator, _csv(GOOD))
    assert done.status_code == 302
    page = coordinator.get("/admin/neighbours").get_data(as_text=True)
    assert "The list holds 2 organisations and 7 neighbours, from neighbours.csv" in page
    assert "Cora Ordinator" in page and "Peer Council 0; Peer Council 1; Peer Council 2" in page
    listed = coordinator.get("/admin/neighbours.csv").get_data(as_text=True).splitlines()
    assert listed[1].startswith("Northmoor County Council,Peer Council 0,Peer Council 1,Peer Council 2,")
    assert listed[2].startswith("Peer Council 7,Peer Council 8,")
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "neighbours_import")).detail["neighbours"] == 7
    )

    # A new list replaces the old one whole.
    assert (
        _upload(coordinator, _csv([["organisation", "neighbour_1"], ["Peer Council 9", "Peer Council 8"]])).status_code
        == 302
    )
    db.session.expire_all()
    assert [(n.organisation.name, n.neighbour.name) for n in db.session.scalars(select(StatisticalNeighbour))] == [
        ("Peer Council 9", "Peer Council 8")
    ]

    viewer = signed_in(app, "viewer")
    assert "Upload a list" not in viewer.get("/admin/neighbours").get_data(as_text=True)
    assert _upload(viewer, _csv(GOOD)).status_code == 403


def test_the_cli_imports_the_list_all_or_nothing(app, employers, cycle, tmp_path):
    _peers(cycle)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv(BAD))
    result = CliRunner().invoke(neighbours, ["import", str(bad)])
    assert result.exit_code == 1 and "6 problems found: nothing was imported" in result.output
    for line in BAD_LINES:
        assert line in result.output, line
    good = tmp_path / "good.csv"
    good.write_bytes(_csv(GOOD))
    dry = CliRunner().invoke(neighbours, ["import", str(good), "--dry-run"], catch_exceptions=False)
    assert "File is valid (2 organisations); nothing written (--dry-run)" in dry.output
    assert db.session.scalars(select(StatisticalNeighbour)).all() == []
    done = CliRunner().invoke(neighbours, ["import", str(good)], catch_exceptions=False)
    assert "Statistical neighbours replaced: 2 organisations, 7 neighbours" in done.output
    out = tmp_path / "list.xlsx"
    CliRunner().invoke(neighbours, ["export", "--out", str(out)], catch_exceptions=False)
    assert [c.value for c in load_workbook(out).active[2]][:3] == [
        "Northmoor County Council",
        "Peer Council 0",
        "Peer Council 1",
    ]


# ---------------------------------------------------------------- published: the pages


def test_published_results_show_regions_and_the_benchmark_its_region_and_neighbours(app, accounts, employers, cycle):
    employer = submit_return(app, employers["a"][1])
    peers = _peers(cycle)
    employers["a"][0].region = "Eastern"
    db.session.commit()
    coordinator = signed_in(app, "coordinator")
    _upload(coordinator, _csv(GOOD))
    publish(app)
    latest = publication.latest_edition(cycle)
    assert {f.path for f in latest.files if f.kind == "regional_report"} == {"regions/eastern-regional-report-2017.pdf"}
    page = coordinator.get("/admin/cycles/2017/results").get_data(as_text=True)
    assert "Table 5 by region: Average hours worked a week<" in page and "regional-tables.xlsx" in page
    assert ", by region" not in page  # once in a heading, never "Table 5 by region: …, by region"
    report = coordinator.get("/admin/cycles/2017/editions/1/regions/eastern-regional-report-2017.pdf")
    assert report.status_code == 200 and "Social Work Health Check 2017: Eastern region" in text_of(report.data)

    mine = employer.get("/return/results").get_data(as_text=True)
    assert "Others in Eastern: average (median)" in mine and "Your statistical neighbours: median" in mine
    assert "Your statistical neighbours are the 6 organisations" in mine
    assert "your statistical neighbours: median" in employer.get("/return/results.csv").get_data(as_text=True)
    pdf = text_of(employer.get("/return/results.pdf").data)
    assert "Your figures beside your region and your statistical neighbours" in pdf
    assert len(peers) == 12
