"""Every PDF the product makes says what it is and how it is laid out to whoever opens it: its
title and language in its properties, and its headings as a bookmark outline."""

import io
from datetime import date

import pytest
from pypdf import PdfReader

import forms
from aggregation import benchmark
from aggregation.benchmark_pdf import benchmark_pdf
from aggregation.plan_export import plan_pdf
from aggregation.report import national_report
from aggregation.return_pdf import return_pdf
from tests.helpers import dataset

Q = forms.load("health-check", "2017.1")
ACTION = {
    "section_id": Q.sections[1].id,
    "description": "Recruit to the unfilled posts",
    "lead": "Head of HR",
    "starts_on": date(2018, 4, 1),
    "due_on": date(2018, 3, 31),
    "outcome": "",
    "evidence": "",
    "status": "Amber",
    "updates": [],
    "finding": "",
}


def _pdfs():
    yield "national report", national_report(dataset(), threshold=2), "Social Work Health Check 2017: national findings"
    yield "benchmark", benchmark_pdf(benchmark.compute(dataset(), "A", threshold=2)), "A: health check benchmark 2017"
    yield "action plan", plan_pdf("A", 2017, Q.sections, [ACTION], date(2018, 5, 1)), "A: health check action plan 2017"
    yield "return", return_pdf(Q, dataset().returns[0].answers, {"organisation": "A", "version": 1}), None


@pytest.mark.parametrize("name, pdf, title", list(_pdfs()), ids=[p[0] for p in _pdfs()])
def test_every_pdf_has_a_title_a_language_and_an_outline(name, pdf, title):
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title and (title is None or reader.metadata.title == title)
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    outline = [item for item in reader.outline if not isinstance(item, list)]
    assert outline, f"the {name} has no bookmarks"
    assert all(reader.get_destination_page_number(item) < len(reader.pages) for item in outline)
