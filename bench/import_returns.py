"""Time 'healthcheck import' of 10,000 synthetic returns with full validation.

    .venv/bin/python bench/import_returns.py [--returns 10000]

Writes a register and a CSV of synthetic returns (bench/synthetic.py, in the codebook's
columns), imports the register (not timed), then times the import of the returns through
the same command people run, against SQLite. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def main() -> None:
    import forms
    from bench.docs import today, write_section
    from bench.synthetic import returns
    from healthcheck.transfer import cell_text, columns

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=10_000)
    args = parser.parse_args()
    q = forms.load("health-check", "2017.1")
    with tempfile.TemporaryDirectory() as work:
        env = dict(
            os.environ,
            DATABASE_URL=f"sqlite:///{work}/import.sqlite",
            HEALTHCHECK_CONFIG="development",
            SECRET_KEY="bench" * 8,
        )

        def run(*argv):
            return subprocess.run(
                [str(BIN / "healthcheck"), *argv], env=env, cwd=ROOT, check=True, capture_output=True, text=True
            )

        print(f"generating {args.returns:,} synthetic returns ...", flush=True)
        synthetic = returns(args.returns)
        with Path(work, "orgs.csv").open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["name", "authority_type", "ons_code", "region", "contact_email"])
            for r in synthetic:
                writer.writerow([r.organisation, r.authority_type, "", "", ""])
        with Path(work, "returns.csv").open("w", newline="") as fh:
            writer = csv.writer(fh)
            header = columns(q)
            writer.writerow(header)
            for r in synthetic:
                row = {
                    "organisation": r.organisation,
                    "authority_type": r.authority_type,
                    **{k: cell_text(q, k, r.answers.get(k)) for k in q.answer_keys()},
                }
                writer.writerow([row.get(c, "") for c in header])
        run("db", "upgrade")
        run(
            "cycle",
            "create",
            "--year",
            "2017",
            "--questionnaire",
            "health-check@2017.1",
            "--opens",
            "2017-10-01",
            "--closes",
            "2099-12-15",
        )
        run("orgs", "import", f"{work}/orgs.csv")
        print("importing (timed) ...", flush=True)
        start = time.perf_counter()
        out = run("import", "--cycle", "2017", f"{work}/returns.csv")
        elapsed = time.perf_counter() - start
        size = Path(work, "returns.csv").stat().st_size
    print(out.stdout.strip().splitlines()[-1], f"in {elapsed:.1f} s")
    lines = [
        "## Import of returns",
        "",
        f"Measured {today():%d %B %Y} by `bench/import_returns.py`: `healthcheck import` of "
        f"{args.returns:,} synthetic returns ({size / 1e6:.1f} MB of CSV, every cell validated, all written in "
        f"one transaction) into SQLite, timed around the whole command including start-up: **{elapsed:.1f} s** "
        "(no target now; before the importer went through the web's submit, the target was 10 s).",
    ]
    write_section("import", lines)


if __name__ == "__main__":
    main()
