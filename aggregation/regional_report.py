"""A short report for each region: its figures from the regional tables beside England's, table by
table, with sentences written from the figures. Every figure is one the regional tables publish
(withheld by the national pattern), so a regional report gives away nothing they do not."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph

from . import batch
from .dataset import Dataset
from .findings import no_figure, regional_figure, regional_sentence
from .report import _cell, _grid, _styles, _t, pdf_document, running_header
from .tables import ByTypeTable, regional

ENGLAND = "England"


def regions_of(dataset: Dataset) -> list[str]:
    return sorted({r.region for r in dataset.returns if r.region})


def report_title(title: str, region: str, year: int) -> str:
    """The report's title: the questionnaire's title (which names the year already, as "Social Work
    Health Check 2017" does, or else is given it) and the region."""
    named = title if str(year) in title else f"{title} {year}"
    return f"{named}: {region} region"


def regional_report(
    region: str,
    year: int,
    title: str,
    tables: list[ByTypeTable],
    returns: int,
    threshold: int,
    service: str = "Social Work Health Check",
) -> bytes:
    """The region's report as PDF bytes, from the regional ``tables`` (``tables.regional``)."""
    s = _styles()
    heading = report_title(title, region, year)
    buffer = io.BytesIO()
    doc = pdf_document(buffer, heading, service)
    story: list[Any] = [
        Paragraph(_t(heading), s["h1"]),
        Paragraph(
            _t(
                f"{returns} organisation{'s' if returns != 1 else ''} in the {region} region sent a return "
                f"for {year}. This report sets the region's figures beside England's (every respondent, "
                f"those in no region too), table by table, numbered as in the national report. A figure "
                f"is shown only where at least {threshold} respondents gave it, and never where it would let "
                f"a figure withheld in the national or regional tables be worked out."
            ),
            s["body"],
        ),
    ]
    for table in tables:
        measures = table.get("measures") or []
        lookup = {(r["measure"], r["group"]): r for r in table["rows"]}
        story.append(Paragraph(_t(f"{table['number']}: {table['title']}"), s["h2"]))
        rows: list[list[Any]] = [["Measure", region, "Respondents", ENGLAND, "Respondents"]]
        for m in measures:
            own = lookup.get((m["label"], region)) or no_figure(region, m)
            england = lookup[(m["label"], "All")]
            rows.append(
                [
                    Paragraph(_t(m["label"]), s["cell"]),
                    _cell(regional_figure(own["printed"], m) if own["printed"] is not None else None),
                    own["n"],
                    _cell(regional_figure(england["printed"], m) if england["printed"] is not None else None),
                    england["n"],
                ]
            )
            story.append(Paragraph(_t(regional_sentence(region, m, own, england)), s["body"]))
        story.append(_grid(rows, [w * mm for w in (70, 28, 24, 28, 24)]))
    story.append(
        Paragraph(
            _t(
                "* or –: not shown (too few respondents, or withheld so that a withheld figure "
                "cannot be worked out), or no figure."
            ),
            s["small"],
        )
    )
    page = running_header(heading)
    doc.build(story, onFirstPage=page, onLaterPages=page)
    return buffer.getvalue()


def build(
    dataset: Dataset,
    out: Path,
    threshold: int,
    service: str = "Social Work Health Check",
    tables: list[ByTypeTable] | None = None,
) -> list[Path]:
    """Every region's report into ``out`` (one PDF a region); the regional tables, if computed."""
    tables = tables if tables is not None else regional(dataset, threshold)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for region in regions_of(dataset):
        count = sum(r.region == region for r in dataset.returns)
        path = out / f"{batch.filename(region, dataset.year, 'regional-report')}.pdf"
        path.write_bytes(
            regional_report(region, dataset.year, dataset.questionnaire.title, tables, count, threshold, service)
        )
        written.append(path)
    return written
