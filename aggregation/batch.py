"""Every employer's benchmark as files, optionally in several processes (reportlab is not
thread-safe, so the work is split between processes, each with its own copy of the data)."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from . import benchmark
from .benchmark_pdf import benchmark_pdf
from .dataset import Dataset

_state: dict[str, Any] = {}


def filename(organisation: str, year: int, what: str = "benchmark") -> str:
    return re.sub(r"[^a-z0-9]+", "-", organisation.lower()).strip("-") + f"-{what}-{year}"


def _init(dataset: Dataset, threshold: int, publication_min: int | None, out: str, service: str) -> None:
    # What every employer's comparisons share is worked out once in each process.
    _state.update(benchmarks=benchmark.Benchmarks(dataset, threshold, publication_min), out=Path(out), service=service)


def build_one(organisation: str) -> list[Path]:
    """One employer's benchmark: its figures (JSON, for its web page), CSV and PDF."""
    benchmarks = _state["benchmarks"]
    result = benchmarks.of(organisation)
    stem = _state["out"] / filename(organisation, benchmarks.dataset.year)
    paths = [stem.with_suffix(".json"), stem.with_suffix(".csv"), stem.with_suffix(".pdf")]
    paths[0].write_text(benchmark.to_json(result), encoding="utf-8")
    paths[1].write_text(benchmark.to_csv(result), encoding="utf-8")
    paths[2].write_bytes(benchmark_pdf(result, _state["service"]))
    return paths


def build_all(
    dataset: Dataset,
    out: Path,
    threshold: int,
    processes: int = 1,
    service: str = "Social Work Health Check",
    progress: Callable[[str, list[Path]], None] = lambda name, paths: None,
    publication_min: int | None = None,
) -> int:
    """Build every employer's benchmark into ``out``; ``progress(organisation, paths)`` after each.
    ``publication_min`` is the national tables' threshold, whose pattern of withheld groups the
    benchmarks share (the benchmarks' own ``threshold`` if not given)."""
    out.mkdir(parents=True, exist_ok=True)
    names = [r.organisation for r in dataset.returns]
    if processes <= 1:
        _init(dataset, threshold, publication_min, str(out), service)
        for name in names:
            progress(name, build_one(name))
        return len(names)
    with ProcessPoolExecutor(
        max_workers=processes, initializer=_init, initargs=(dataset, threshold, publication_min, str(out), service)
    ) as pool:
        futures = {pool.submit(build_one, name): name for name in names}
        for future in as_completed(futures):
            progress(futures[future], future.result())
    return len(names)
