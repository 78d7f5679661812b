"""Time every employer's benchmark (PDF, CSV and JSON) for 160 employers, with 1 and 2 processes.

    .venv/bin/python bench/benchmarks.py [--employers 160] [--repeat 2]

Targets: at most 60 s on 2 cores, and at least 1.7x faster with 2 processes than with 1.
Writes the figures to docs/performance.md (section "Employer benchmarks").
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aggregation.batch import build_all  # noqa: E402
from bench.docs import today, write_section  # noqa: E402
from bench.synthetic import dataset  # noqa: E402


def timed(ds, processes: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        count = build_all(ds, Path(out), threshold=5, processes=processes)
        elapsed = time.perf_counter() - start
        assert count == len(ds.returns) and len(list(Path(out).iterdir())) == 3 * count
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employers", type=int, default=160)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    ds = dataset(args.employers)
    results = {}
    for processes in (1, 2):
        runs = []
        for i in range(args.repeat):
            print(f"{args.employers} benchmarks with {processes} process(es), run {i + 1} ...", flush=True)
            runs.append(timed(ds, processes))
            print(f"  {runs[-1]:.1f} s", flush=True)
        results[processes] = min(runs)
    speedup = results[1] / results[2]
    print(f"best: 1 process {results[1]:.1f} s, 2 processes {results[2]:.1f} s, speed-up {speedup:.2f}x")
    lines = [
        "## Employer benchmarks",
        "",
        f"Measured {today():%d %B %Y} by `bench/benchmarks.py` on this machine ({os.cpu_count()} cores, "
        f"{platform.machine()}, CPython {platform.python_version()}): every employer's benchmark PDF, CSV and "
        f"JSON for {args.employers} synthetic employers, best of {args.repeat} runs.",
        "",
        "| processes | time | per employer | target |",
        "|---:|---:|---:|---|",
        f"| 1 | {results[1]:.1f} s | {1000 * results[1] / args.employers:.0f} ms | |",
        f"| 2 | {results[2]:.1f} s | {1000 * results[2] / args.employers:.0f} ms | at most 60 s |",
        "",
        f"Speed-up with 2 processes: **{speedup:.2f}x** (target at least 1.7x).",
    ]
    write_section("benchmarks", lines)


if __name__ == "__main__":
    main()
