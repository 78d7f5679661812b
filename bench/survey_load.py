"""The staff survey under the Monday-morning peak: practitioners answering through their
organisation's link with 5-15 s think time, under gunicorn, on SQLite and PostgreSQL.

    .venv/bin/python bench/survey_load.py [--users 300] [--seconds 180] [--databases sqlite postgresql]

For each database: capacity runs (no think time, 20 users: the bare route, then a part of the
survey, three rounds) give the survey page's requests/s against the bare route, beside the
return's questionnaire page measured the same way; then ``--users`` practitioners answer from
start to send, a page every 5-15 s, and every response time is kept. Target: p99 ≤ 50 ms and no
error at 300 concurrent respondents. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.docs import today, write_section  # noqa: E402
from bench.http_load import PG_ADMIN, PG_URL, Code, free_port, locust, pooled, sign_in_all  # noqa: E402

BIN = Path(sys.executable).parent


def prepare(url: str, users: int) -> tuple[list[str], list[str]]:
    """The return's bench database (bench/http_load.py), with the cycle's staff survey open: the
    return users' link tokens and every organisation's survey code."""
    from bench.http_load import prepare as prepare_returns

    tokens = prepare_returns(url, users=min(users, 100))
    import forms
    from healthcheck import create_app
    from healthcheck.extensions import db, writing
    from healthcheck.store import Actor, collection, staff

    app = create_app("development", SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="bench" * 8)
    with app.app_context():
        now = datetime.now(UTC)
        with writing():
            survey = staff.open_survey(
                collection.cycle_by_year(2017),
                forms.load("staff-survey", "2020.1"),
                now - timedelta(days=1),
                now + timedelta(days=30),
                Actor("bench"),
            )
            codes = [c.code for c in staff.codes(survey).values()]
        db.engine.dispose()
    return tokens, codes


def start_drafts(port: int, codes: list[str], count: int) -> list[dict]:
    """``count`` practitioners who have started the survey: their cookies, for capacity runs."""
    import requests

    started = []
    for i in range(count):
        code = codes[i % len(codes)]
        with requests.Session() as http:
            page = http.get(f"http://127.0.0.1:{port}/survey/{code}", timeout=30)
            csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
            http.post(
                f"http://127.0.0.1:{port}/survey/{code}", data={"csrf_token": csrf}, allow_redirects=False, timeout=30
            ).raise_for_status()
            http.get(f"http://127.0.0.1:{port}/survey/{code}/workforce", timeout=30).raise_for_status()
            started.append(
                {
                    "code": code,
                    "cookies": [
                        {"name": c.name, "value": c.value, "domain": c.domain, "path": c.path} for c in http.cookies
                    ],
                }
            )
    return started


def run_database(kind: str, args) -> dict:
    import forms

    q = forms.load("staff-survey", "2020.1")
    sections = [[s.id, [x.id for x in s.questions if x.answer_type.on_scale]] for s in q.sections]
    code = Code("after", ROOT)
    with tempfile.TemporaryDirectory() as work:
        if kind == "sqlite":
            url = f"sqlite:///{work}/bench.sqlite"
        else:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                database = PG_URL.rsplit("/", 1)[1]  # BENCH_PG_URL names another, to run beside someone else's
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{database}"')
            url = PG_URL
        print(f"[{kind}] preparing ...", flush=True)
        tokens, codes = prepare(url, args.users)
        port = free_port()
        server = code.serve(
            url,
            port,
            STAFF_SUBMIT_RATE_LIMIT="1000000 per minute",
            QUEUE_FILE=f"{work}/queue.sqlite",
            EDITIONS_FOLDER=f"{work}/editions",
        )
        env = {"BENCH_CODES": f"{work}/codes.json", "BENCH_SECTIONS": json.dumps(sections)}
        Path(env["BENCH_CODES"]).write_text(json.dumps(codes))
        try:
            Path(f"{work}/started.json").write_text(json.dumps(start_drafts(port, codes, 20)))
            Path(f"{work}/sessions.json").write_text(json.dumps(sign_in_all(port, tokens[:20])))
            capacity: dict[str, list[float]] = {"bare": [], "survey": [], "return": []}
            for number in range(1, 4):
                print(f"[{kind}] capacity round {number}/3 ...", flush=True)
                bare = locust(port, f"{work}/sessions.json", 20, args.capacity_seconds, "bare")["bare route"]["rps"]
                survey = survey_locust(port, env, f"{work}/started.json", 20, args.capacity_seconds, "page")
                page = locust(port, f"{work}/sessions.json", 20, args.capacity_seconds, "page")[
                    "questionnaire page GET"
                ]["rps"]
                capacity["bare"].append(bare)
                capacity["survey"].append(survey["survey page GET"]["rps"] / bare)
                capacity["return"].append(page / bare)
            print(f"[{kind}] {args.users} practitioners answering, 5-15 s a page, {args.seconds} s ...", flush=True)
            raw = f"{work}/respondents.raw"
            run = survey_locust(port, env, "", args.users, args.seconds, "", raw=raw)
        finally:
            import signal

            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        latency = pooled(raw)
        everything = f"{work}/all.raw"  # every request of the run, whatever its kind
        Path(everything).write_text(
            "".join(f"all requests\t{line.split(chr(9))[1]}\n" for line in Path(raw).read_text().splitlines())
        )
        latency |= pooled(everything)
        return {
            "capacity": capacity,
            "latency": latency,
            "failures": sum(r["failures"] for r in run.values()),
            "runs": run,
        }


def survey_locust(port: int, env: dict, started: str, users: int, seconds: int, task: str, raw: str = "") -> dict:
    import csv

    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "survey_locustfile.py"),
                "--headless",
                "-u",
                str(users),
                "-r",
                str(max(users // 10, 1)),
                "-t",
                f"{seconds}s",
                "--stop-timeout",
                "5",
                "--reset-stats",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                f"{out}/run",
                "--only-summary",
            ],
            env=dict(os.environ, **env, BENCH_SESSIONS=started, BENCH_TASK=task, BENCH_RAW=raw),
            cwd=ROOT,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=seconds + 180,
        )
        with Path(out, "run_stats.csv").open() as fh:
            rows = {r["Name"]: r for r in csv.DictReader(fh)}
    return {
        name: {"rps": float(r["Requests/s"]), "count": int(r["Request Count"]), "failures": int(r["Failure Count"])}
        for name, r in rows.items()
        if name != "Aggregated"
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--capacity-seconds", type=int, default=10)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    results = {kind: run_database(kind, args) for kind in args.databases}
    lines = [
        "## The staff survey under the Monday-morning peak",
        "",
        f"Measured {today():%d %B %Y} by `bench/survey_load.py`: gunicorn as in production (4 workers), "
        f"Locust in a second process on the same 2 cores. {args.users} practitioners answer through their "
        "organisation's link, each from the start page to sending their answers (13 pages), 5-15 s to read and "
        f"answer each page, for {args.seconds} s counted once every one has arrived; then the next "
        "practitioner. Capacity: 20 users with no think time, a part of the survey (and the return's "
        "questionnaire page, the same way) against the bare route measured just before, three rounds of "
        f"{args.capacity_seconds} s. Target: p99 ≤ 50 ms and no error at 300 respondents.",
        "",
        "| database | survey page, share of the bare route | the return's page, same rounds | request | "
        "requests | p50 | p95 | p99 | failures |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for kind, r in results.items():
        first = True
        for name, lat in sorted(r["latency"].items()):
            database = "SQLite" if kind == "sqlite" else "PostgreSQL"
            head = (
                (
                    f"| {database} | {100 * median(r['capacity']['survey']):.0f} % "
                    f"({', '.join(f'{100 * x:.0f}' for x in r['capacity']['survey'])}) | "
                    f"{100 * median(r['capacity']['return']):.0f} % | "
                )
                if first
                else "| | | | "
            )
            failures = r["runs"].get(name, {}).get("failures", r["failures"] if name == "all requests" else 0)
            lines.append(
                f"{head}{name} | {lat['count']} | {lat['p50']:.0f} ms | {lat['p95']:.0f} ms | "
                f"{lat['p99']:.0f} ms | {failures} |"
            )
            first = False
    write_section("survey", lines + [""])
    print("\n".join(lines))


if __name__ == "__main__":
    main()
