"""Time the staff survey's scores against DuckDB computing the same figures from the same table.

    .venv/bin/python bench/staff_scores.py [--sizes 20000 100000 1000000] [--organisations 200] [--repeat 3]

For each size, a table of synthetic respondents (200 organisations; every statement an agreement
category, some blank or "don't know"; a service and a role), then, best of ``--repeat``:

- ours: ``aggregation.scores.score`` and ``published`` (sums and counts of the 8 standards' scores
  and the 40 statements' shares agreeing for the nation, each type, region and organisation and each
  service and role within one; what is withheld; ranks; the scores.json structure);
- DuckDB: one SQL query over the same table giving the same sums and counts for the same six
  groupings (GROUPING SETS), without withholding or ranking.

Targets: 20,000 respondents in at most 2 s, and within 2x DuckDB at every size; linear in the
respondents. Writes docs/performance.md (section "staff-scores").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import forms  # noqa: E402
from aggregation import scores  # noqa: E402
from bench.docs import today, write_section  # noqa: E402
from bench.tables import best  # noqa: E402

Q = forms.load("staff-survey", "2020.1")
TYPES = ["Shire County", "London Borough", "Metropolitan District", "Unitary Authority", "NHS Trust"]
REGIONS = [
    "North East",
    "North West",
    "Yorkshire and the Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
]


def table(respondents: int, organisations: int, seed: int = 1) -> pd.DataFrame:
    """Synthetic respondents as ``scores.frame`` makes them, built column by column."""
    rng = np.random.default_rng(seed)
    org = rng.integers(0, organisations, respondents)
    names = np.array([f"Organisation {i:03d}" for i in range(organisations)], dtype=object)
    df = pd.DataFrame(
        {
            "organisation": names[org],
            "authority_type": np.array(TYPES, dtype=object)[org % len(TYPES)],
            "region": np.array(REGIONS, dtype=object)[org % len(REGIONS)],
        }
    )
    weights = np.array([4, 10, 18, 36, 20, 7, 5], dtype=float)  # the scale, "don't know", blank
    for q in Q.questions():
        if q.answer_type.on_scale:
            codes = rng.choice(7, respondents, p=weights / weights.sum())
            df[q.id] = pd.Categorical.from_codes(np.where(codes == 6, -1, codes), dtype=scores.AGREEMENT_DTYPE)
    for question in ("service", "role"):
        values = np.array([o.value for o in Q.question(question).options], dtype=object)
        df[question] = values[rng.integers(0, len(values), respondents)]
    return df


def duckdb_query() -> str:
    value = (
        "CASE \"{q}\" WHEN 'strongly_disagree' THEN 0 WHEN 'disagree' THEN 25 WHEN 'neither' THEN 50 "
        "WHEN 'agree' THEN 75 WHEN 'strongly_agree' THEN 100 END"
    )
    measures = []
    for standard in scores.standards(Q):
        parts = [value.format(q=q) for q in standard.statements]
        total = " + ".join(f"coalesce({p}, 0)" for p in parts)
        counted = " + ".join(f"({p} IS NOT NULL)::INT" for p in parts)
        measures.append(f"({total}) / nullif({counted}, 0) AS {standard.id}")
        measures += [
            f"CASE WHEN {value.format(q=q)} IS NULL THEN NULL WHEN {value.format(q=q)} >= 75 THEN 100 ELSE 0 END AS {q}"
            for q in standard.statements
        ]
    names = [m.rsplit(" AS ", 1)[1] for m in measures]
    aggregates = ", ".join(f"sum({n}), count({n})" for n in names)
    return (
        f"SELECT authority_type, region, organisation, service, role, {aggregates} FROM "
        f"(SELECT authority_type, region, organisation, service, role, {', '.join(measures)} FROM df) "
        "GROUP BY GROUPING SETS ((), (authority_type), (region), (organisation), (organisation, service), "
        "(organisation, role))"
    )


def time_both(df: pd.DataFrame, sql: str, repeat: int) -> tuple[float, float]:
    """Best of ``repeat``: our scores, then DuckDB's query, over the same table."""
    con = duckdb.connect()
    con.register("df", df)
    try:
        return (
            best(lambda: scores.published(scores.score(df, Q), df, Q, 2024), repeat),
            best(lambda: con.execute(sql).fetchall(), repeat),
        )
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 1_000_000])
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sql = duckdb_query()
    rows = []
    for size in args.sizes:
        print(f"{size:,} respondents ...", flush=True)
        rows.append((size, *time_both(table(size, args.organisations), sql, args.repeat)))
    first = rows[0]
    lines = [
        "## The staff survey's scores",
        "",
        f"Measured {today():%d %B %Y} by `bench/staff_scores.py` (best of {args.repeat}), "
        f"{args.organisations} organisations: our scores (48 measures — 8 standards, 40 statements — for the "
        "nation, each type, region and organisation, and each service and role within one; then what is "
        "withheld, ranks and scores.json's structure) against one DuckDB query giving the same sums and "
        "counts for the same groupings from the same table (without withholding or ranking). Targets: "
        "20,000 respondents in at most 2 s; within 2x DuckDB at every size; linear in the respondents.",
        "",
        "| respondents | ours | DuckDB | ours / DuckDB | ours per 10,000 respondents |",
        "|---:|---:|---:|---:|---:|",
    ]
    for size, ours, theirs in rows:
        lines.append(
            f"| {size:,} | {ours:.2f} s | {theirs:.2f} s | {ours / theirs:.2f}x | {10_000 * ours / size:.3f} s |"
        )
    lines += [
        "",
        f"From {first[0]:,} to {rows[-1][0]:,} respondents ({rows[-1][0] / first[0]:.0f}x), our time grew "
        f"{rows[-1][1] / first[1]:.1f}x.",
        "",
    ]
    write_section("staff-scores", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
