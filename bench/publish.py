"""Time a full publication of 160 synthetic returns in a real worker, and count the queries
that read a cycle's dataset as the number of returns grows.

    .venv/bin/python bench/publish.py [--returns 160] [--repeat 3] [--databases sqlite postgresql]

For each database: a cycle with ``--returns`` organisations, each with a synthetic submitted
return; ``healthcheck worker --workers 2`` on the SQLite queue; each publication is queued as
the web does and timed from the queue to its edition (dataset, tables, charts, report, every
employer's benchmark). Target: at most 20 s. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/healthcheck_bench")
TYPES = ["Shire County", "London Borough", "Metropolitan District", "Unitary Authority", "NHS Trust"]


def seed(count: int, start: int = 0) -> None:
    """``count`` more organisations, each with a synthetic submitted return, in the 2017 cycle."""
    import forms
    from forms.synthetic import answers
    from healthcheck.extensions import db, writing
    from healthcheck.models import Organisation
    from healthcheck.store import Actor, collection, returns

    q = forms.load("health-check", "2017.1")
    with writing():
        cycle = collection.cycle_by_year(2017)
        if cycle is None:
            now = datetime.now(UTC)
            cycle = collection.create_cycle(2017, q, now - timedelta(days=1), now + timedelta(days=30), Actor("bench"))
        for i in range(start, start + count):
            org = Organisation(name=f"Bench Council {i:04d}", authority_type=TYPES[i % 5])
            db.session.add(org)
            db.session.flush()
            returns.submit(
                returns.return_for(cycle, org), Actor("bench"), q, replace_with=answers(q, random.Random(i), org.name)
            )


def dataset_queries() -> int:
    """SELECT statements that reading the cycle's dataset takes."""
    from sqlalchemy import event

    from healthcheck.extensions import db
    from healthcheck.store import collection, publication

    cycle = collection.cycle_by_year(2017)
    seen: list[str] = []

    def count(conn, cursor, statement, *rest) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    publication.dataset(cycle)
    event.remove(db.engine, "before_cursor_execute", count)
    db.session.rollback()
    return len(seen)


def run_database(kind: str, count: int, repeat: int) -> dict:
    from healthcheck import create_app

    with tempfile.TemporaryDirectory() as work:
        if kind == "sqlite":
            url = f"sqlite:///{work}/bench.sqlite"
        else:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS healthcheck_bench WITH (FORCE)")
                conn.execute("CREATE DATABASE healthcheck_bench")
            url = PG_URL
        settings = {"DATABASE_URL": url, "QUEUE_FILE": f"{work}/queue.sqlite", "EDITIONS_FOLDER": f"{work}/editions"}
        app = create_app(
            "development",
            SQLALCHEMY_DATABASE_URI=url,
            SECRET_KEY="bench" * 8,
            QUEUE_FILE=settings["QUEUE_FILE"],
            EDITIONS_FOLDER=settings["EDITIONS_FOLDER"],
        )
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            queries = {}
            done = 0
            for size in (40, count, 4 * count):  # the same queries whatever the number of returns
                print(f"[{kind}] {size} returns ...", flush=True)
                seed(size - done, done)
                done = size
                queries[size] = dataset_queries()
                if size == count:
                    timings = publish_in_worker(kind, settings, repeat)
        return {"queries": queries, "publications": timings}


def publish_in_worker(kind: str, settings: dict, repeat: int) -> list[dict]:
    from healthcheck import jobs
    from healthcheck.extensions import db, writing
    from healthcheck.models import Job
    from healthcheck.store import Actor, collection
    from healthcheck.store import jobs as job_rows

    env = dict(os.environ, HEALTHCHECK_CONFIG="development", SECRET_KEY="bench" * 8, **settings)
    worker = subprocess.Popen(
        [str(BIN / "healthcheck"), "worker", "--workers", "2"],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    timings = []
    try:
        cycle = collection.cycle_by_year(2017)
        for number in range(1, repeat + 1):
            with writing():
                job = job_rows.new_job("publish", Actor("bench"), cycle)
            start = time.perf_counter()
            jobs.enqueue(job)
            while True:
                db.session.expire_all()
                found = db.session.get(Job, job.id)
                db.session.rollback()
                if found.finished:
                    break
                time.sleep(0.05)
            wall = time.perf_counter() - start
            if found.error:
                raise RuntimeError(found.error)
            worked = (found.finished_at - found.started_at).total_seconds()
            print(
                f"[{kind}] publication {number}: {wall:.1f} s from the queue to edition "
                f"{found.detail['edition']} ({worked:.1f} s in the worker)",
                flush=True,
            )
            timings.append({"wall": wall, "worker": worked})
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    return timings


def main() -> None:
    from bench.docs import today, write_section

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=160)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    results = {kind: run_database(kind, args.returns, args.repeat) for kind in args.databases}
    lines = [
        "## Publication in the worker",
        "",
        f"Measured {today():%d %B %Y} by `bench/publish.py`: {args.returns} organisations with synthetic "
        "submitted returns; `healthcheck worker --workers 2` (the SQLite queue) builds the edition: the frozen "
        "dataset, the national tables as files, 15 charts, the national report, and every employer's "
        "benchmark (JSON, CSV and PDF). Timed from queueing the job, as the web does, to the edition being "
        f"recorded; {args.repeat} publications in a row. Target: at most 20 s.",
        "",
        "| database | each publication, queue to edition | of which in the worker | target |",
        "|---|---|---|---|",
    ]
    for kind, r in results.items():
        walls = ", ".join(f"{t['wall']:.1f} s" for t in r["publications"])
        worked = ", ".join(f"{t['worker']:.1f} s" for t in r["publications"])
        lines.append(f"| {'SQLite' if kind == 'sqlite' else 'PostgreSQL'} | {walls} | {worked} | ≤ 20 s |")
    lines += [
        "",
        "Queries that read a cycle's dataset (the latest submitted version of each return, codings, "
        "approved comments, added categories, populations), by number of returns:",
        "",
        "| database | " + " | ".join(f"{n} returns" for n in next(iter(results.values()))["queries"]) + " |",
        "|---|" + "---:|" * len(next(iter(results.values()))["queries"]),
    ]
    for kind, r in results.items():
        lines.append(
            f"| {'SQLite' if kind == 'sqlite' else 'PostgreSQL'} | "
            + " | ".join(str(q) for q in r["queries"].values())
            + " |"
        )
    write_section("publication", lines + [""])


if __name__ == "__main__":
    main()
