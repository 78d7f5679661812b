"""Every employer's benchmark as files, built in several processes (reportlab is not
thread-safe, so the work is split between processes, each with its own copy of the data)."""
from __future__ import annotations

import os
import re
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Callable

from . import benchmark
from .benchmark_pdf import benchmark_pdf
from .dataset import Dataset

_state: dict = {}


def filename(organisation: str, year: int) -> str:
    return re.sub(r"[^a-z0-9]+", "-", organisation.lower()).strip("-") + f"-benchmark-{year}"


def _init(dataset: Dataset, threshold: int, out: str, service: str,
          pace: Callable[[], AbstractContextManager] | None = None) -> None:
    # What every employer's comparisons share is worked out once in each process.
    _state.update(benchmarks=benchmark.Benchmarks(dataset, threshold), out=Path(out), service=service)
    if pace:  # a worker process: paced until it ends with the pool
        _state["pace"] = pace()
        _state["pace"].__enter__()


def build_one(organisation: str) -> str:
    benchmarks = _state["benchmarks"]
    result = benchmarks.of(organisation)
    stem = _state["out"] / filename(organisation, benchmarks.dataset.year)
    stem.with_suffix(".pdf").write_bytes(benchmark_pdf(result, _state["service"]))
    stem.with_suffix(".csv").write_text(benchmark.to_csv(result), encoding="utf-8")
    return organisation


def build_all(dataset: Dataset, out: Path, threshold: int, processes: int | None = None,
              service: str = "Social Work Health Check", progress: Callable[[str], None] = lambda name: None,
              pace: Callable[[], AbstractContextManager] | None = None) -> int:
    """Build them all; ``pace``, if given, makes a context that each building process stays
    in while it builds (the CLI passes one that gives way to a web server)."""
    out.mkdir(parents=True, exist_ok=True)
    names = [r.organisation for r in dataset.returns]
    processes = processes or os.cpu_count() or 1
    if processes == 1:
        with (pace or nullcontext)():
            _init(dataset, threshold, str(out), service)
            for name in names:
                progress(build_one(name))
        return len(names)
    with ProcessPoolExecutor(max_workers=processes, initializer=_init,
                             initargs=(dataset, threshold, str(out), service, pace)) as pool:
        for future in as_completed([pool.submit(build_one, name) for name in names]):
            progress(future.result())
    return len(names)
