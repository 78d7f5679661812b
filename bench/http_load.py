"""HTTP load: gunicorn as in production, Locust from a second process, both on loopback.

    .venv/bin/python bench/http_load.py [--before REV] [--databases sqlite postgresql]
                                        [--users 100] [--seconds 30] [--capacity-seconds 10]
    (or: make bench-http)

For each database, and for this checkout and (with ``--before``) the code at another commit,
checked out beside it and served the same way, in the same run, round by round:

- capacity: no think time, one endpoint at a time (the bare route, a questionnaire page, a
  save, check answers), requests/s and their ratio to the bare route measured just before;
- latency: 100 users with 1-2 s think time, all four mixed, response times pooled over rounds.

On SQLite (this checkout), each latency round is repeated while a worker publishes the results
again and again beside the server. gunicorn as the README runs it: 4 single-threaded gthread
workers. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.docs import today, write_section  # noqa: E402

BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/healthcheck_bench")
WORKERS = int(os.environ.get("BENCH_WORKERS", 4))
ENDPOINTS = (
    ("bare", "bare route"),
    ("page", "questionnaire page GET"),
    ("save", "save POST"),
    ("check", "check answers GET"),
)
WARM_UP = ("/_bare", "/return", "/return/section/workforce_planning", "/return/section/registration", "/return/check")
ROUNDS = 3


def prepare(url: str, employers: int = 160, users: int = 100) -> list[str]:
    """A migrated database with a cycle, organisations, a link for each user, the others'
    returns submitted, and the results published (in this process); the users' link tokens."""
    from flask_migrate import upgrade

    import forms
    from forms.synthetic import answers
    from healthcheck import create_app, jobs
    from healthcheck.extensions import db, writing
    from healthcheck.models import Organisation
    from healthcheck.store import Actor, collection, returns
    from healthcheck.store import jobs as job_rows

    with tempfile.TemporaryDirectory() as editions:
        app = create_app(
            "development",
            SQLALCHEMY_DATABASE_URI=url,
            SECRET_KEY="bench" * 8,
            JOBS_IMMEDIATE=True,
            EDITIONS_FOLDER=editions,
        )
        with app.app_context():
            upgrade()
            q = forms.load("health-check", "2017.1")
            now = datetime.now(UTC)
            tokens = []
            with writing():
                cycle = collection.create_cycle(
                    2017, q, now - timedelta(days=1), now + timedelta(days=30), Actor("bench")
                )
                rng = random.Random(1)
                for i in range(employers):
                    org = Organisation(
                        name=f"Bench Council {i:03d}",
                        authority_type=("Shire County", "London Borough", "Metropolitan District", "Unitary Authority")[
                            i % 4
                        ],
                    )
                    db.session.add(org)
                    db.session.flush()
                    token = returns.issue_link(cycle, org)
                    if i < users:
                        tokens.append(token)
                    else:
                        returns.submit(returns.return_for(cycle, org), Actor("bench"), q, replace_with=answers(q, rng))
            with writing():
                job = job_rows.new_job("publish", Actor("bench"), cycle)
            jobs.run(job.id)
            db.engine.dispose()
    return tokens


class Code:
    """Code to serve: this checkout, or a commit checked out beside it (its own prepare, server)."""

    def __init__(self, name: str, tree: Path):
        self.name, self.tree = name, tree

    def env(self, url: str, **extra: str) -> dict:
        return dict(
            os.environ,
            DATABASE_URL=url,
            HEALTHCHECK_CONFIG="development",
            SECRET_KEY="bench" * 8,
            PYTHONPATH=str(self.tree),
            **extra,
        )

    def prepare(self, url: str, users: int) -> list[str]:
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                "import json, sys; from bench.http_load import prepare; "
                "print(json.dumps(prepare(sys.argv[1], users=int(sys.argv[2]))))",
                url,
                str(users),
            ],
            cwd=self.tree,
            env=self.env(url),
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    def serve(self, url: str, port: int, **extra: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--worker-class",
                "gthread",
                "--workers",
                str(WORKERS),
                "--threads",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "bench.wsgi:app",
            ],
            cwd=self.tree,
            env=self.env(url, **extra),
            start_new_session=True,
        )
        import requests

        for _ in range(150):
            try:
                if requests.get(f"http://127.0.0.1:{port}/_bare", timeout=1).ok:
                    return process
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn ({self.name}) did not start")


def sign_in_all(port: int, tokens: list[str]) -> list[list[dict]]:
    """Each user's signed-in session cookies; each also opens every page once, so the server is warm."""
    import re

    import requests

    sessions = []
    for token in tokens:
        with requests.Session() as http:
            page = http.get(f"http://127.0.0.1:{port}/start/{token}", timeout=30)
            csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
            done = http.post(
                f"http://127.0.0.1:{port}/start/{token}",
                data={"csrf_token": csrf, "name": "Load Test"},
                allow_redirects=False,
                timeout=30,
            )
            if done.status_code != 302:
                raise RuntimeError(f"sign-in failed: {done.status_code}")
            for path in WARM_UP:
                http.get(f"http://127.0.0.1:{port}{path}", timeout=30).raise_for_status()
            sessions.append(
                [{"name": c.name, "value": c.value, "domain": c.domain, "path": c.path} for c in http.cookies]
            )
    return sessions


def locust(port: int, sessions: str, users: int, seconds: int, task: str = "", raw: str = "") -> dict:
    """One bounded Locust run, counted from when every user has started."""
    with tempfile.TemporaryDirectory() as out:
        env = dict(os.environ, BENCH_SESSIONS=sessions, BENCH_TASK=task, BENCH_RAW=raw)
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "-u",
                str(users),
                "-r",
                str(max(users // 2, 1)),
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
            env=env,
            cwd=ROOT,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=seconds + 120,
        )
        with Path(out, "run_stats.csv").open() as fh:
            rows = {r["Name"]: r for r in csv.DictReader(fh)}
    return {
        name: {"rps": float(r["Requests/s"]), "p99": float(r["99%"]), "failures": int(r["Failure Count"])}
        for name, r in rows.items()
        if name != "Aggregated"
    }


def pooled(path: str) -> dict:
    """p50/p95/p99 over every response time of every round."""
    times: dict[str, list[float]] = {}
    if Path(path).exists():
        for line in Path(path).read_text().splitlines():
            name, ms = line.split("\t")
            times.setdefault(name, []).append(float(ms))
    out = {}
    for name, values in times.items():
        values.sort()
        out[name] = {
            q: values[min(len(values) - 1, int(len(values) * f))]
            for q, f in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        } | {"count": len(values)}
    return out


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Site:
    """One code's server on one database, its users signed in."""

    def __init__(self, code: Code, kind: str, users: int, work: str):
        self.code, self.kind, self.work = code, kind, Path(work) / code.name
        self.work.mkdir()
        if kind == "sqlite":
            self.url = f"sqlite:///{self.work}/bench.sqlite"
        else:
            import psycopg

            # BENCH_PG_URL names another, to run beside someone else's: its name_before, name_after
            self.database = f"{PG_URL.rsplit('/', 1)[1]}_{code.name}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{self.database}"')
            self.url = PG_URL.rsplit("/", 1)[0] + f"/{self.database}"
        print(f"[{kind}, {code.name}] preparing the database ...", flush=True)
        tokens = code.prepare(self.url, users)
        self.settings = {"QUEUE_FILE": f"{self.work}/queue.sqlite", "EDITIONS_FOLDER": f"{self.work}/editions"}
        self.port = free_port()
        self.server = code.serve(self.url, self.port, **self.settings)
        print(f"[{kind}, {code.name}] signing {len(tokens)} users in ...", flush=True)
        self.sessions = str(self.work / "sessions.json")
        Path(self.sessions).write_text(json.dumps(sign_in_all(self.port, tokens)))

    def stop(self) -> None:
        os.killpg(self.server.pid, signal.SIGTERM)
        self.server.wait(timeout=30)


def publishing_beside(site: Site, measure) -> tuple[dict, list[float]]:
    """Run ``measure`` while a worker publishes the results again and again beside the server."""
    env = site.code.env(site.url, **site.settings)
    worker = subprocess.Popen(
        [str(BIN / "healthcheck"), "worker", "--workers", "2"],
        cwd=site.code.tree,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stop, times = threading.Event(), []

    def keep_publishing() -> None:
        while not stop.is_set():
            start = time.perf_counter()
            subprocess.run(
                [str(BIN / "healthcheck"), "publish", "--cycle", "2017", "--wait"],
                cwd=site.code.tree,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=True,
                timeout=600,
            )
            times.append(time.perf_counter() - start)

    publisher = threading.Thread(target=keep_publishing)
    publisher.start()
    try:
        result = measure()
    finally:
        stop.set()
        publisher.join()
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    return result, times


def run_database(kind: str, codes: list[Code], args) -> dict:
    with tempfile.TemporaryDirectory() as work:
        sites = [Site(code, kind, args.users, work) for code in codes]
        capacity: dict[str, dict[str, list]] = {c.name: {} for c in codes}
        latency: dict[str, dict] = {}
        publishing: list[float] = []
        try:
            for number in range(1, ROUNDS + 1):  # the codes take turns, so both see the same machine
                for site in sites:
                    for task, name in ENDPOINTS:
                        print(f"[{kind}, {site.code.name}] capacity round {number}/{ROUNDS}: {name} ...", flush=True)
                        run = locust(site.port, site.sessions, 20, args.capacity_seconds, task)
                        capacity[site.code.name].setdefault(name, []).append(run[name])
            for number in range(1, ROUNDS + 1):
                for site in sites:
                    print(f"[{kind}, {site.code.name}] latency round {number}/{ROUNDS} ...", flush=True)
                    locust(site.port, site.sessions, args.users, args.seconds, raw=str(site.work / "idle.raw"))
                    if kind == "sqlite" and site.code.name == "after":
                        print(
                            f"[{kind}, {site.code.name}] latency round {number}/{ROUNDS} while the worker "
                            "publishes ...",
                            flush=True,
                        )
                        _, took = publishing_beside(
                            site,
                            lambda site=site: locust(
                                site.port, site.sessions, args.users, args.seconds, raw=str(site.work / "busy.raw")
                            ),
                        )
                        publishing += took
            for site in sites:
                latency[site.code.name] = {
                    "idle": pooled(str(site.work / "idle.raw")),
                    "publishing": pooled(str(site.work / "busy.raw")),
                }
        finally:
            for site in sites:
                site.stop()
    return {"capacity": capacity, "latency": latency, "publishing": publishing}


def summary(runs: list[dict], bare: list[dict]) -> dict:
    return {
        "rps": median(r["rps"] for r in runs),
        "ratio": median(r["rps"] / b["rps"] for r, b in zip(runs, bare)),
        "ratios": [r["rps"] / b["rps"] for r, b in zip(runs, bare)],
        "failures": sum(r["failures"] for r in runs),
    }


def write_doc(results: dict, args, codes: list[Code]) -> None:
    targets = {"questionnaire page GET": " (target ≥ 40 %)", "save POST": " (target ≥ 20 %)"}
    lines = [
        "## HTTP: pages and saves under load",
        "",
        f"Measured {today():%d %B %Y} by `bench/http_load.py"
        + (f" --before {args.before}`" if args.before else "`")
        + f": gunicorn (gthread) with {WORKERS} single-threaded workers, Locust in a second process, both on "
        "loopback on this 2-core machine (the load generator takes CPU from the server). "
        + (
            "`before` is the code at " + f"`{args.before}`, checked out beside this one and served the same way "
            "in the same run, the two taking turns round by round; `after` is this checkout. "
            if args.before
            else ""
        )
        + f"Capacity: 20 users, no think time, one endpoint at a time for {args.capacity_seconds} s, "
        f"{ROUNDS} rounds; the ratio is the median of each round's ratio to the bare route measured just "
        f"before it. Latency: {args.users} users with 1-2 s think time, all four mixed, {ROUNDS} rounds of "
        f"{args.seconds} s, percentiles over every response of every round.",
        "",
    ]
    for kind, r in results.items():
        lines += [
            f"### {'SQLite' if kind == 'sqlite' else 'PostgreSQL'}",
            "",
            "| endpoint | code | req/s (median) | ratio to the bare route | each round | p50 | p95 | "
            "p99 (target ≤ 50 ms) | failures |",
            "|---|---|---:|---:|---|---:|---:|---:|---:|",
        ]
        for _, name in ENDPOINTS:
            for code in codes:
                runs = r["capacity"][code.name]
                s = summary(runs[name], runs["bare route"])
                lat = r["latency"][code.name]["idle"].get(name, {})
                lines.append(
                    f"| {name} | {code.name} | {s['rps']:.0f} | {100 * s['ratio']:.0f} %"
                    f"{targets.get(name, '')} | {', '.join(f'{100 * x:.0f}' for x in s['ratios'])} | "
                    f"{lat.get('p50', 0):.0f} ms | {lat.get('p95', 0):.0f} ms | {lat.get('p99', 0):.0f} ms | "
                    f"{s['failures']} |"
                )
        busy = r["latency"].get("after", {}).get("publishing")
        if busy:
            took = r["publishing"]
            lines += [
                "",
                f"While a worker on the same machine published the results again and again ({len(took)} "
                f"publications of 160 returns, {min(took):.1f}-{max(took):.1f} s each beside the load; no "
                "target: production runs the worker where the deployment puts it):",
                "",
                "| endpoint | p50 | p95 | p99 | p99 without the worker |",
                "|---|---:|---:|---:|---:|",
            ]
            for _, name in ENDPOINTS:
                b, idle = busy.get(name, {}), r["latency"]["after"]["idle"].get(name, {})
                lines.append(
                    f"| {name} | {b.get('p50', 0):.0f} ms | {b.get('p95', 0):.0f} ms | "
                    f"{b.get('p99', 0):.0f} ms | {idle.get('p99', 0):.0f} ms |"
                )
        lines.append("")
    write_section("http", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="a commit to measure beside this checkout, e.g. 9ef706b")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=30, help="each latency round")
    parser.add_argument("--capacity-seconds", type=int, default=10)
    args = parser.parse_args()
    codes = [Code("after", ROOT)]
    with tempfile.TemporaryDirectory() as checkout:
        if args.before:
            tree = Path(checkout) / "before"
            subprocess.run(
                ["git", "worktree", "add", "--detach", str(tree), args.before],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            codes.insert(0, Code("before", tree))
        try:
            results = {kind: run_database(kind, codes, args) for kind in args.databases}
        finally:
            if args.before:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    print(json.dumps(results, indent=1)[:3000])
    write_doc(results, args, codes)


if __name__ == "__main__":
    main()
