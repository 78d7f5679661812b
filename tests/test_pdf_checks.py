"""The checks a test can make on every PDF the national outputs are made of, read back from the
PDFs themselves: no word broken across lines (the benchmark's "second-hi / ghest"), one number
format in each table (37.5 beside 38), and no year twice in a title ("…2017: North West region,
2017"). Each check is first shown to catch what it looks for."""

from __future__ import annotations

import calendar
import io
import json
import random
import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

import forms
from aggregation import edition, staff_reports
from aggregation.dataset import StaffData
from aggregation.plan_export import plan_pdf
from aggregation.report import _styles
from tests.disclosure import Q as STAFF_Q
from tests.disclosure import synthetic
from tests.helpers import awkward_dataset

Q = forms.load("health-check", "2017.1")
ROOT = Path(__file__).resolve().parent.parent
WORD = re.compile(r"[A-Za-z]{2,}")
YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def vocabulary(*sources: object) -> set[str]:
    """Every word the outputs could print: the code's own words, the questionnaire's and the tables',
    and those of the data (JSON) the PDF was made from."""
    texts = [p.read_text(encoding="utf-8") for p in (ROOT / "aggregation").glob("*.py")]
    texts += [p.read_text(encoding="utf-8") for p in (ROOT / "forms").glob("*.py")]  # answer types' wording
    texts += [p.read_text(encoding="utf-8") for p in (ROOT / "forms").rglob("*.yaml")]
    texts += [s if isinstance(s, str) else json.dumps(s, ensure_ascii=False, default=str) for s in sources]
    texts += [" ".join(calendar.month_name), " ".join(calendar.day_name)]  # the dates printed
    return {w.lower() for text in texts for w in WORD.findall(text)}


def broken_words(pdf: bytes, words: set[str]) -> set[str]:
    """Pieces of words the PDF prints that are no word it was given: a word broken across lines."""
    return {w for text in pages_text(pdf) for w in WORD.findall(text) if w.lower() not in words}


def number_formats(block: str) -> set[int]:
    """The numbers of decimal places a table's figures are printed with (table numbers, counts
    such as n=7 and years left out)."""
    block = re.sub(r"\b(?:Table|Figure) \d+|\bn=\d+(?: of \d+)?", " ", block)
    block = YEAR.sub(" ", block)
    return {len(m[1] or "") for m in re.finditer(r"(?<![\w.])\d+(?:\.(\d+))?(?![\w.])", block)}


def repeated_years(title: str) -> list[str]:
    found = YEAR.findall(title)
    return [y for y in dict.fromkeys(found) if found.count(y) > 1]


# ---------------------------------------------------------------- the checks catch what they look for


def test_each_check_catches_what_it_looks_for():
    buffer = io.BytesIO()
    cell = _styles()["cell"]
    SimpleDocTemplate(buffer).build([Table([[Paragraph("second-highest quarter", cell)]], colWidths=[14 * mm])])
    assert broken_words(buffer.getvalue(), vocabulary())  # "second-highe | st": no word it was given
    assert number_formats("Hours a week 37.5 38 n=6") == {0, 1}
    assert number_formats("Table 5 by region 2016 37 38 n=6 of 8") == {0}
    assert repeated_years("Social Work Health Check 2017: North West region, 2017") == ["2017"]


# ---------------------------------------------------------------- every PDF of an edition


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    data = awkward_dataset()
    data.returns[0].answers.update(hours_per_week=37.5, caseload_team_manager="n/a")
    data.returns[1].answers.update(caseload_senior_practitioner="n/a")  # "There are no senior practitioners"
    data.comments = [{"question_id": "stress_activities_other", "text": "Healthy walks at lunchtime", "categories": []}]
    out = tmp_path_factory.mktemp("edition") / "ed"
    edition.build(data, out, publication_min=3, benchmark_min=5, service="Social Work Health Check")
    return data, out


def edition_pdfs(out: Path) -> list[Path]:
    return [out / "report.pdf", *sorted((out / "regions").glob("*.pdf")), *sorted((out / "benchmarks").glob("*.pdf"))]


def test_no_word_is_broken_across_lines_in_any_pdf(built):
    data, out = built
    results = [json.loads(p.read_text()) for p in (out / "benchmarks").glob("*.json")]
    words = vocabulary(
        json.loads((out / "dataset.json").read_text()),
        results,
        json.loads((out / "tables" / "tables.json").read_text()),
    )
    action = {
        "section_id": "risks_resources",
        "staff_standard": "standard_4",
        "description": "Quiet rooms in every office, with second-highest priority given to the busiest teams",
        "finding": "Staff want quiet space",
        "lead": "Head of Adult Social Care",
        "starts_on": date(2018, 4, 1),
        "due_on": date(2019, 3, 31),
        "outcome": "",
        "evidence": "Monthly estates report",
        "status": "Amber",
        "updates": [],
    }
    plan = plan_pdf(
        "Org 01", 2017, Q.sections, [action], date(2018, 6, 1), Q.version, {"standard_4": "2020 Standard 4: Wellbeing"}
    )
    for name, pdf in [(p.name, p.read_bytes()) for p in edition_pdfs(out)] + [("plan", plan)]:
        assert not broken_words(pdf, words | vocabulary(action)), name


def test_each_table_prints_one_number_format(built):
    data, out = built
    tables = json.loads((out / "tables" / "tables.json").read_text())["tables"]
    text = " ".join(" ".join(t.split()) for t in pages_text((out / "report.pdf").read_bytes()))
    body = text[text.rindex("Background and methodology") : text.rindex("Annex A: open answers")]
    checked = 0
    for table in tables:  # each table's caption to its base: its header and rows
        start = body.index(f"{table['number']}: {table['title']}") + len(f"{table['number']}: {table['title']}")
        block = body[start : body.index("Base = ", start)]
        assert len(number_formats(block)) <= 1, (table["number"], block)
        checked += bool(number_formats(block))
    assert checked > 20
    for path in sorted((out / "benchmarks").glob("*.pdf")):
        text = " ".join(" ".join(t.split()) for t in pages_text(path.read_bytes()))
        figures = text[text.index("Your figures beside other employers like you") : text.index("Where you sit:")]
        for m in json.loads(path.with_suffix(".json").read_text())["measures"]:
            figures = figures.replace(m["name"], " ")  # "Maternity leave of more than 2 weeks" is no figure
        assert number_formats(figures) == {1}, path.name  # every figure to one decimal place: 37.5, 21.0
        for block in re.findall(r"Your answers beside.*?(?=What you offer)", text):
            assert number_formats(block) <= {0}, path.name  # shares of answers: whole per cents
    for path in sorted((out / "regions").glob("*.pdf")):
        text = " ".join(" ".join(t.split()) for t in pages_text(path.read_bytes()))
        for block in re.findall(r"Measure .*? Respondents (.*?)(?=Table \d|\* or –)", text):
            assert number_formats(block) <= {0}, path.name


def test_no_title_repeats_its_year(built):
    data, out = built
    plan = plan_pdf("Org 01", 2017, Q.sections, [], date(2018, 6, 1), Q.version)
    for name, pdf in [(p.name, p.read_bytes()) for p in edition_pdfs(out)] + [("plan", plan)]:
        reader = PdfReader(io.BytesIO(pdf))
        first_line = next(line for line in pages_text(pdf)[0].splitlines() if line.strip())
        for title in (reader.metadata.title, first_line):
            assert not repeated_years(title), (name, title)


# ---------------------------------------------------------------- England's and each region's staff survey report


@pytest.fixture(scope="module")
def staff_built(tmp_path_factory):
    """The staff survey's part of an edition, with last year's survey and most headcounts entered."""

    rows = synthetic(5)
    rng = random.Random(5)
    headcounts = {o: rng.randint(20, 90) for o in sorted({r["organisation"] for r in rows}) if rng.random() < 0.7}
    data = StaffData(2020, STAFF_Q, rows, headcounts=headcounts, previous=StaffData(2019, STAFF_Q, synthetic(6)))
    out = tmp_path_factory.mktemp("staff")
    staff_reports.build(data, out / "staff", 10, out, "Social Work Health Check")
    return out / "staff"


def staff_area_pdfs(folder: Path) -> list[Path]:
    return [folder / "england-staff-survey-2020.pdf", *sorted((folder / "regions").glob("*.pdf"))]


def test_no_word_is_broken_and_no_title_repeats_its_year_in_englands_and_the_regions_staff_reports(staff_built):
    for path in staff_area_pdfs(staff_built):
        report = json.loads(path.with_suffix(".json").read_text())
        assert not broken_words(path.read_bytes(), vocabulary(report)), path.name
        reader = PdfReader(path)
        first_line = next(line for line in pages_text(path.read_bytes())[0].splitlines() if line.strip())
        for title in (reader.metadata.title, first_line):
            assert not repeated_years(title), (path.name, title)
        assert "None" not in " ".join(pages_text(path.read_bytes()))


def test_the_staff_reports_new_tables_each_print_one_number_format(staff_built):
    checked = 0
    for path in staff_area_pdfs(staff_built):
        text = " ".join(" ".join(t.split()) for t in pages_text(path.read_bytes()))
        for start, end in (
            ("Responses against the workforce", "A response rate divides"),
            ("Who answered", "“Fewer than 10”"),
            ("Since 2019", "score each year"),
            ("How organisations' scores spread", "Organisations with fewer than"),
        ):
            if start not in text:
                continue
            block = text[text.index(start) + len(start) : text.index(end, text.index(start))]
            block = re.sub(r"\d+\. [A-Z][^0-9]*", " ", block)  # standards' numbers in their titles
            block = block.replace("fewer than 10", " ").replace("at least 10", " ")
            assert number_formats(block) <= {0}, (path.name, start, block[:200])  # whole numbers and per cents
            checked += 1
    assert checked >= 8
