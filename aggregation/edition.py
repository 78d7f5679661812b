"""Everything one publication of a cycle's results is made of, built from its dataset into one
folder: the frozen dataset, the national tables as files, every figure's chart, the national
report, and every employer's benchmark."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import batch, charts, findings, outputs, regional_report, report, scores, staff_reports
from .dataset import Dataset, StaffData, to_dict
from .tables import compute, regional

# What a publication does, in order; "benchmarks" and "staff_reports" count organisations as they go.
STEPS = {
    "dataset": "Freezing the dataset",
    "tables": "National tables",
    "charts": "Charts of the figures",
    "report": "National report",
    "regions": "Each region's tables and report",
    "benchmarks": "Each employer's benchmark",
    "staff": "The staff survey's scores",
    "staff_england": "England's and each region's staff survey report",
    "staff_reports": "Each organisation's staff survey results",
}


@dataclass(frozen=True)
class Made:
    """One file of the edition: its path within the folder, what it is, and for a benchmark whose."""

    path: str
    kind: str
    organisation: str | None = None


Progress = Callable[[str, int, int], None]


def build(
    dataset: Dataset,
    out: Path,
    *,
    publication_min: int,
    benchmark_min: int,
    service: str,
    staff: StaffData | None = None,
    staff_min: int = scores.MIN_GROUP,
    progress: Progress = lambda step, done, total: None,
    publisher: str | None = None,
    number: int | None = None,
) -> list[Made]:
    """Write every file of an edition of ``dataset`` (and of a closed staff survey's ``staff``) into
    the empty folder ``out``; ``progress(step, done, total)`` is told as each step starts and, for
    the organisations' files, after each one. The report's cover names the ``publisher`` and the
    edition's ``number``."""
    out.mkdir(parents=True)
    made: list[Made] = []

    def add(paths: list[Path], kind: str, organisation: str | None = None) -> None:
        made.extend(Made(p.relative_to(out).as_posix(), kind, organisation) for p in paths)

    progress("dataset", 0, 0)
    (out / "dataset.json").write_text(json.dumps(to_dict(dataset), ensure_ascii=False), encoding="utf-8")
    add([out / "dataset.json"], "dataset")

    progress("tables", 0, 0)
    tables = compute(dataset, threshold=publication_min)
    said = findings.key_findings(tables, findings.sections_of(dataset.questionnaire))
    add(outputs.write(dataset.year, tables, out / "tables", key_findings=said), "tables")

    figures = charts.figures(tables)
    drawn: dict[str, Path] = {}  # each chart's PNG, drawn once for the edition's files and its report
    for done, table in enumerate(figures):
        progress("charts", done, len(figures))
        png, *rest = charts.write(table, out / "tables")
        drawn[table["number"]] = png
        add([png, *rest], "chart")

    progress("report", 0, 0)
    (out / "report.pdf").write_bytes(
        report.national_report(
            dataset,
            publication_min,
            service,
            tables=tables,
            publisher=publisher,
            edition=number,
            chart_png=lambda table: drawn[table["number"]].read_bytes(),
        )
    )
    add([out / "report.pdf"], "report")

    progress("regions", 0, 0)
    by_region = regional(dataset, threshold=publication_min)
    add(outputs.write(dataset.year, by_region, out / "tables", name="regional-tables"), "tables")
    add(regional_report.build(dataset, out / "regions", publication_min, service, tables=by_region), "regional_report")

    total, built = len(dataset.returns), 0
    progress("benchmarks", 0, total)

    def one_more(organisation: str, paths: list[Path]) -> None:
        nonlocal built
        built += 1
        add(paths, "benchmark", organisation)
        progress("benchmarks", built, total)

    batch.build_all(
        dataset, out / "benchmarks", benchmark_min, service=service, progress=one_more, publication_min=publication_min
    )
    if staff is not None:
        made += [
            Made(path, kind, organisation)
            for path, kind, organisation in staff_reports.build(staff, out / "staff", staff_min, out, service, progress)
        ]
    return made
