"""Time the national tables and the report against DuckDB computing the same aggregates.

    .venv/bin/python bench/tables.py [--sizes 160 100000] [--repeat 3]

For each size: our ``aggregation.tables.compute`` (from the returns, building its frame), the
same without the frame build, and one DuckDB SQL query per table over the same frame giving
the same by-type averages and option frequencies; the report PDF for the smallest size.
Writes the figures to docs/performance.md (section "National tables") and prints them.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402

from aggregation.report import national_report  # noqa: E402
from aggregation.tables import compute, frame  # noqa: E402
from bench.docs import today, write_section  # noqa: E402
from bench.synthetic import dataset  # noqa: E402


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def duckdb_tables(con, ds, df: pd.DataFrame) -> list:
    """The same aggregates in SQL: by-type means (of per-organisation percentages where the table
    says so), single-choice frequencies, multiple-choice frequencies over unnested lists."""
    out = []
    for spec in ds.tables:
        if spec["kind"] == "responses":
            out.append(con.execute("SELECT type, count(*) FROM df GROUP BY type").fetchall())
        elif spec["kind"] == "by_type":
            for m in spec["measures"]:
                value = f'TRY_CAST("{m["question"]}" AS DOUBLE)'
                if "percent_of" in m:
                    denominator = f'TRY_CAST("{m["percent_of"]}" AS DOUBLE)'
                    value = f"CASE WHEN {denominator} > 0 THEN 100 * {value} / {denominator} END"
                out.append(
                    con.execute(
                        f"SELECT type, avg(v), count(v) FROM (SELECT type, {value} AS v FROM df) GROUP BY ROLLUP (type)"
                    ).fetchall()
                )
        elif spec["kind"] == "single":
            out.append(
                con.execute(
                    f'SELECT "{spec["question"]}", count(*) FROM df WHERE "{spec["question"]}" IS NOT NULL GROUP BY 1'
                ).fetchall()
            )
        else:
            out.append(
                con.execute(
                    f'SELECT c, count(*) FROM (SELECT unnest("{spec["question"]}") AS c FROM df '
                    f'WHERE "{spec["question"]}" IS NOT NULL) GROUP BY c'
                ).fetchall()
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[160, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        print(f"generating {n:,} synthetic returns ...", flush=True)
        ds = dataset(n)
        df = frame(ds)
        # DuckDB reads the frame: typed columns for numbers, lists for multiple choice.
        typed = df.copy()
        for column in typed.columns:
            if typed[column].map(lambda v: isinstance(v, list)).any():
                typed[column] = typed[column].map(lambda v: v if isinstance(v, list) else None)
            elif column not in ("organisation", "type"):
                typed[column] = typed[column].map(lambda v: None if v is None else str(v))
        con = duckdb.connect()
        con.register("df", typed)
        print(f"timing {n:,} returns (best of {args.repeat}) ...", flush=True)
        ours = best(lambda ds=ds: compute(ds), args.repeat)
        build = best(lambda ds=ds: frame(ds), args.repeat)
        duck = best(lambda ds=ds, con=con, typed=typed: duckdb_tables(con, ds, typed), args.repeat)
        print(
            f"  tables: {ours:.3f} s (of which building the frame {build:.3f} s); duckdb {duck:.3f} s; "
            f"ratio {ours / duck:.2f}x",
            flush=True,
        )
        report_s = best(lambda ds=ds: national_report(ds), 1 if n > 10_000 else args.repeat)
        print(f"  report: {report_s:.2f} s", flush=True)
        rows.append({"returns": n, "ours": ours, "frame": build, "duckdb": duck, "report": report_s})
    write_doc(rows, args.repeat)


def write_doc(rows, repeat) -> None:
    lines = [
        "## National tables and report",
        "",
        f"Measured {today():%d %B %Y} by `bench/tables.py` on this machine "
        f"({platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
        f"pandas {pd.__version__}, DuckDB {duckdb.__version__}); best of {repeat} runs each, same process, "
        "same synthetic returns (`bench/synthetic.py`).",
        "",
        "| returns | `compute` (ours) | of which building the frame | DuckDB, same aggregates "
        "| ratio ours / DuckDB (target within 2x) | report PDF (target 5 s at 160) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['returns']:,} | {r['ours']:.3f} s | {r['frame']:.3f} s | {r['duckdb']:.3f} s | "
            f"{r['ours'] / r['duckdb']:.2f}x | {r['report']:.2f} s |"
        )
    lines += [
        "",
        "The report has 29 tables and figures, with a chart drawn for each figure.",
        "",
        "DuckDB is given the frame ready-made (registered pandas DataFrame), so its figure excludes "
        "the frame build that ours includes; our rounding, bases, routing, coding and notes are "
        "extra work DuckDB's queries do not do.",
    ]
    write_section("tables", lines)


if __name__ == "__main__":
    main()
