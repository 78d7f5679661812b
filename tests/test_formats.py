"""One edition, every format: each figure, base and withheld mark of every national and regional
table is the same in the results web page, the report's PDF text, the CSV, the XLSX, the JSON and
the open data API (JSON and CSV); every sentence written from the figures is the same in the page,
the PDF and the API; a benchmark's figures are the same in its page, PDF and CSV; and a region is
shown in a benchmark exactly where the regional tables and report show it."""

from __future__ import annotations

import csv
import html
import io
import json
import random
import re
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader

import forms
from aggregation import benchmark, staff_england, staff_national
from aggregation.findings import regional_figure
from aggregation.outputs import base_text, columns_of, grid, printed_bases, slug
from aggregation.report import _signed
from aggregation.scores import people
from aggregation.staff_pdf import printed
from aggregation.tables import SUPPRESSED, printed_change
from forms.synthetic import answers
from healthcheck.extensions import db
from healthcheck.models import Organisation
from healthcheck.store import Actor, collection, publication, returns
from tests.helpers import lone_trust, publish, signed_in, submit_return

Q = forms.load("health-check", "2017.1")
FIGURE = re.compile(r"^(?:[+−-]?\d+|\*|–|n/a)$")


def text_lines(pdf: bytes) -> list[str]:
    """The PDF's lines of text, without each page's running head and page number."""
    lines = [line.strip() for page in PdfReader(io.BytesIO(pdf)).pages for line in page.extract_text().splitlines()]
    furniture = {Q.title + ": national findings", "Social Work Health Check"}
    return [line for line in lines if line and line not in furniture and not re.fullmatch(r"Page \d+", line)]


def flat(text: str) -> str:
    return " ".join(html.unescape(text).split())


def pdf_figures(lines: list[str], table: dict, labels: list[str]) -> list[str]:
    """A table's figures as the PDF prints them, in order: from its caption to its base, the header
    and the row labels left out."""

    def loose(words: str) -> str:  # a line may wrap anywhere between words
        return r"\s+".join(map(re.escape, words.split()))

    text = "\n".join(lines)
    start = re.search(loose(f"{table['number']}: {table['title']}"), text).end()
    block = text[start : text.index("Base = ", start)]
    for label in sorted(set(labels), key=len, reverse=True):
        block = re.sub(loose(label), "\n", block)
    block = re.sub(r"\d{4}, per cent", "", block)  # the header's "2016, per cent"
    return [token for token in block.split() if FIGURE.match(token)]


def expected_pdf_figures(table: dict) -> list[str]:
    """What the report prints for a table's rows, from its published JSON."""

    def cell(value: object) -> str:
        return "–" if value is None or value == "" else str(value)

    out: list[str] = []
    if table["kind"] == "responses":
        for r in table["rows"]:
            out += [str(r["responses"]), cell(r["printed"]), cell(r["population"] or "n/a")]
    elif table["kind"] == "by_type":
        measures = list(dict.fromkeys(r["measure"] for r in table["rows"]))
        lookup = {(r["measure"], r["group"]): r for r in table["rows"]}
        for group in dict.fromkeys(r["group"] for r in table["rows"]):
            for m in measures:
                out += [cell(lookup[(m, group)]["printed"]), str(lookup[(m, group)]["n"])]
    else:
        for r in table["rows"]:
            out += [SUPPRESSED if r.get("suppressed") else cell(r["count"]), cell(r["printed"])]
            if table.get("previous_year"):
                out += [cell(r.get("previous_printed")), _signed(printed_change(r))]
    return out


def in_order(cell: str, text: str) -> bool:
    """A table cell in a PDF's text: whole, or (where it wraps, its lines read between its
    neighbours') its words in order."""
    if cell in text:
        return True
    words, rest = cell.split(), iter(text.split())
    return all(any(word == seen for seen in rest) for word in words)


def web_tables(page: str, table_id: str) -> list[list[str]]:
    section = re.search(rf'<section class="app-result" id="{re.escape(table_id)}">(.*?)</section>', page, re.S)[1]
    body = re.search(r"<tbody[^>]*>(.*?)</tbody>", section, re.S)[1]
    return [
        [flat(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def web_sentences(page: str, table_id: str) -> list[str]:
    section = re.search(rf'<section class="app-result" id="{re.escape(table_id)}">(.*?)</section>', page, re.S)[1]
    return [flat(p) for p in re.findall(r'<p class="govuk-body">(.*?)</p>', section, re.S)]


def test_every_figure_base_and_withheld_mark_agree_across_every_format(app, accounts, employers, cycle):
    own = employers["a"][0]
    own.region = "Eastern"
    db.session.commit()
    employer = submit_return(app, employers["a"][1])
    rng = random.Random(3)
    for i in range(12):  # councils in two regions, and a lone NHS trust whose figures are all withheld
        org = Organisation(
            name=f"Peer Council {i}",
            authority_type=("Shire County", "London Borough")[i % 2],
            region=("Eastern", "London")[i % 3 == 0],
        )
        db.session.add(org)
        db.session.flush()
        returns.submit(returns.return_for(cycle, org), Actor("Test"), Q, replace_with=answers(Q, rng))
    db.session.commit()
    lone_trust(cycle)
    publish(app)
    edition = publication.latest_edition(cycle)
    folder = Path(app.config["EDITIONS_FOLDER"]) / edition.folder / "tables"
    published = json.loads((folder / "tables.json").read_text())
    national, regional = published["tables"], json.loads((folder / "regional-tables.json").read_text())["tables"]
    books = {"type": load_workbook(folder / "tables.xlsx"), "region": load_workbook(folder / "regional-tables.xlsx")}
    viewer = signed_in(app, "viewer")
    page = viewer.get("/admin/cycles/2017/results").get_data(as_text=True)
    lines = text_lines(viewer.get("/admin/cycles/2017/editions/1/report.pdf").data)
    report = flat(" ".join(lines))
    api = app.test_client()
    withheld_seen = 0

    about = api.get("/api/v1/editions/2017").get_json()
    assert about["key_findings"] == published["key_findings"] and published["key_findings"]
    for sentence in published["key_findings"]:
        assert flat(sentence) in report and f"<li>{sentence}</li>" in html.unescape(page)
    for grouping, tables in (("type", national), ("region", regional)):
        for table in tables:
            where = f"{grouping}: {table['number']}"
            header, rows = grid(table)
            # XLSX: the printed grid, cell for cell, and the base beneath it
            sheet = books[grouping][table["number"]]
            assert [list(r) for r in sheet.iter_rows(min_row=3, max_row=2 + len(rows), values_only=True)] == rows
            assert base_text(table) in [c.value for c in sheet["A"]], where
            # CSV: the JSON's rows in the JSON's columns, then the base
            lines_csv = list(csv.reader((folder / f"{slug(table)}.csv").open(encoding="utf-8")))
            columns = columns_of(table)
            assert lines_csv[1] == columns
            assert lines_csv[2 : 2 + len(table["rows"])] == [
                ["" if r.get(c) is None else str(r.get(c)) for c in columns] for r in table["rows"]
            ], where
            assert lines_csv[2 + len(table["rows"])] == [base_text(table)]
            # the API, JSON and CSV: the same rows, a withheld figure null and marked, the printed base
            served = api.get(f"/api/v1/editions/2017/tables/{grouping}/{table['id']}").get_json()
            bases = printed_bases(table)
            assert served["base"] == (bases[0] if len(bases) == 1 else None), where
            assert served["bases"] == table.get("bases", {}) and served["findings"] == table["findings"]
            for row, got in zip(table["rows"], served["rows"], strict=True):
                hidden = row.get("printed") == SUPPRESSED
                withheld_seen += hidden
                assert got["withheld"] == hidden, where
                assert all(
                    got[c] == (None if hidden and c in ("value", "percent", "count", "printed") else row.get(c))
                    for c in served["columns"]
                ), (where, row, got)
            served_csv = list(
                csv.reader(
                    io.StringIO(
                        api.get(f"/api/v1/editions/2017/tables/{grouping}/{table['id']}?format=csv").get_data(
                            as_text=True
                        )
                    )
                )
            )
            assert served_csv[1:] == [
                ["" if got[c] is None else str(got[c]) for c in served["columns"]] + [str(got["withheld"])]
                for got in served["rows"]
            ], where
            if grouping == "region":
                continue  # the regional tables' web page and PDF are checked below, by region
            # the web page: the printed grid, "–" where there is no figure, the base and the sentences
            shown = [["–" if c is None else str(c) for c in row] for row in rows]
            assert web_tables(page, table["id"]) == shown, where
            assert base_text(table) in page and web_sentences(page, table["id"]) == table["findings"], where
            # the report: the same figures in the same order, the same base and sentences
            labels = [r.get("label") or r.get("group") for r in table["rows"]] + [
                r["measure"] for r in table["rows"] if "measure" in r
            ]
            assert pdf_figures(lines, table, labels) == expected_pdf_figures(table), where
            assert flat(base_text(table)) in report and all(flat(s) in report for s in table["findings"]), where
    assert withheld_seen, "nothing withheld: the test would not see a withheld mark disagree"

    # Each region's report prints its regional tables' figures, and its sentences are the API's.
    for path in sorted((Path(app.config["EDITIONS_FOLDER"]) / edition.folder / "regions").glob("*.pdf")):
        region = next(r for r in ("Eastern", "London") if path.name.startswith(r.lower()))
        text = flat(" ".join(p.extract_text() for p in PdfReader(path).pages))
        for table in regional:
            measures = {m["label"]: m for m in table["measures"]}
            for r in table["rows"]:
                if r["group"] in (region, "All") and isinstance(r["printed"], int):
                    assert regional_figure(r["printed"], measures[r["measure"]]) in text
            assert all(flat(s) in text for s in table["findings"] if f" in {region} " in s), path.name

    # The benchmark: the same cells in the page, the PDF and the CSV; its region shown wherever the
    # regional tables show the region (one threshold for the group), with the employer left out.
    bench = next(
        f for f in edition.files if f.kind == "benchmark" and f.organisation_id == own.id and f.path.endswith(".json")
    )
    result = json.loads((Path(app.config["EDITIONS_FOLDER"]) / edition.folder / bench.path).read_text())
    mine = employer.get("/return/results").get_data(as_text=True)
    measures_html = re.search(r'<table[^>]*id="measures"[^>]*>.*?<tbody[^>]*>(.*?)</tbody>', mine, re.S)[1]
    web_rows = [
        [flat(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", measures_html, re.S)
    ]
    pdf = flat(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(employer.get("/return/results.pdf").data)).pages)
    )
    by_name = {
        row[2]: row
        for row in csv.reader(io.StringIO(employer.get("/return/results.csv").get_data(as_text=True)))
        if row and row[0] == "measure"
    }
    regions = {(r["measure"], r["group"]): r for t in regional for r in t["rows"]}
    for m, cells in zip(result["measures"], web_rows, strict=True):
        expected = benchmark.measure_cells(m)
        assert cells == [expected[k] for k in ("own", "peers", "all", "region", "quarter")], m["measure"]
        for key in ("own", "peers", "all", "region"):
            assert in_order(expected[key], pdf), (m["measure"], key)
        row = by_name[m["name"]]
        assert row[4] == expected["own"] and row[6] == (
            benchmark.figure(m["peers"]["mean"], m["percent"]) if not m["peers"]["suppressed"] else "not shown"
        )
        table_row = regions[(m["measure"], "Eastern")]
        assert (not m["region"]["suppressed"]) == (table_row["printed"] != SUPPRESSED and m["region"]["n"] >= 2), m[
            "measure"
        ]
        if m["own"] is not None:
            assert m["region"]["n"] == table_row["n"] - 1  # the employer left out of "others in Eastern"


def test_englands_staff_report_prints_the_same_figures_in_its_json_page_and_pdf(app, accounts, two_years):
    """England's staff survey report: each response rate, count of who answered, change and band
    count is the same in the edition's JSON, the results page and the PDF."""

    coordinator = publish(app)

    edition = publication.latest_edition(collection.cycle_by_year(2017))
    folder = Path(app.config["EDITIONS_FOLDER"]) / edition.folder / "staff"
    report = json.loads((folder / "england-staff-survey-2017.json").read_text())
    page = html.unescape(coordinator.get("/admin/cycles/2017/staff/results").get_data(as_text=True))
    pdf = flat(" ".join(p.extract_text() for p in PdfReader(folder / "england-staff-survey-2017.pdf").pages))

    def web_rows(table_id: str) -> list[list[str]]:
        body = re.search(rf'id="{table_id}">.*?<tbody[^>]*>(.*?)</tbody>', page, re.S)[1]
        return [
            [flat(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
        ]

    threshold = 10
    expected = [[r["name"], *staff_national.rate_cells(r, threshold)] for r in report["responses"]]
    assert [row for i in (1, 2, 3) for row in web_rows(f"responses-{i}")] == expected
    for row in expected:
        assert in_order(" ".join(row), pdf), row
    total = report["respondents"]["n"]
    for family in staff_england.FAMILIES:
        rows = [
            [
                r["label"],
                people({"n": r["n"], "withheld": r["withheld"]}, threshold),
                f"{round(100 * r['n'] / total)}%" if r["n"] is not None else "–",
            ]
            for r in report["who"][family]
        ]
        assert web_rows(f"who-{family}") == rows, family
        for row in rows:
            assert in_order(" ".join(row), pdf), row
    change = [
        [
            f"{r['number']}. {r['title']}",
            printed(r["previous"]),
            printed(r["now"]),
            "–" if r["change"] is None else f"{r['change']:+d}" if r["change"] else "0",
        ]
        for r in report["change"]
    ]
    assert web_rows("since-last-year") == change
    for row in change:
        assert in_order(" ".join(row), pdf), row
    for s, row in zip(report["standards"], web_rows("spread"), strict=True):
        found = report["spread"][s["id"]]
        if found["withheld"]:
            assert row[1].startswith("Not shown")
        else:
            cells = [str(found[b]) for b in staff_england.BANDS] + [str(found["scored"])]
            assert row[1:5] == cells and in_order(" ".join([f"{s['number']}. {s['title']}", *cells]), pdf), s["id"]
