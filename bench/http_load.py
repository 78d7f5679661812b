"""HTTP load: gunicorn as in production, Locust from a second process, both on loopback.

    .venv/bin/python bench/http_load.py [--databases sqlite postgresql] [--users 100] [--seconds 40]
    (or: make bench-http)

For each database: capacity runs (no think time, one endpoint at a time: the bare route,
a questionnaire page, a save, check answers) give requests/s and their ratio to the bare
route; latency runs (100 users, 1-2 s think time, all four mixed, in rounds whose response
times are pooled) give p50/p95/p99. On SQLite each latency round is followed by the same
run while 'healthcheck benchmarks' builds every employer's PDF. gunicorn as the README runs it:
4 single-threaded gthread workers, two per core (BENCH_WORKERS, BENCH_THREADS to try others).
Every run is bounded in users and time and stops by itself. Figures go to docs/performance.md.
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
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.docs import write_section  # noqa: E402

BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/healthcheck_bench")
WORKERS, THREADS = int(os.environ.get("BENCH_WORKERS", 4)), int(os.environ.get("BENCH_THREADS", 1))


def prepare(url: str, employers: int = 160, users: int = 100) -> list[str]:
    """A migrated database with a cycle, organisations, a link for each user and submitted returns."""
    from flask_migrate import upgrade

    import forms
    from forms.synthetic import answers
    from healthcheck import create_app, data
    from healthcheck.extensions import db
    from healthcheck.models import Organisation

    app = create_app("development", SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="bench" * 8)
    with app.app_context():
        upgrade()
        q = forms.load("health-check", "2017.1")
        now = datetime.now(UTC)
        cycle = data.create_cycle(2017, q, now - timedelta(days=1), now + timedelta(days=30), data.Actor("bench"))
        rng = random.Random(1)
        tokens = []
        for i in range(employers):
            org = Organisation(name=f"Bench Council {i:03d}", authority_type=("Shire County", "London Borough",
                               "Metropolitan District", "Unitary Authority")[i % 4])
            db.session.add(org)
            db.session.flush()
            if i < users:
                tokens.append(data.issue_link(cycle, org))
            else:
                data.store_submitted(data.response_for(cycle.id, org.id), answers(q, rng), data.Actor("bench"), q,
                                     "bench")
        data.publish_results(cycle, data.Actor("bench"))
        db.session.commit()
        db.engine.dispose()
    return tokens


def reset_postgres() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS healthcheck_bench WITH (FORCE)")
        conn.execute("CREATE DATABASE healthcheck_bench")


def serve(url: str, port: int, access_log: str = "") -> subprocess.Popen:
    """gunicorn as in production; with ``access_log``, each request's method, path and time in
    the worker (microseconds) is logged there (a cost per request: not for capacity runs)."""
    env = dict(os.environ, DATABASE_URL=url, HEALTHCHECK_CONFIG="development", SECRET_KEY="bench" * 8)
    logging = ["--access-logfile", access_log, "--access-logformat", "%(m)s %(U)s %(D)s"] if access_log else []
    process = subprocess.Popen([str(BIN / "gunicorn"), "--worker-class", "gthread",  # keep-alive even at 1 thread
                                "--workers", str(WORKERS), "--threads", str(THREADS), *logging,
                                "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "bench.wsgi:app"],
                               cwd=ROOT, env=env, start_new_session=True)
    import requests
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/_bare", timeout=1).ok:
                return process
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


WARM_UP = ("/_bare", "/return", "/return/section/workforce_planning", "/return/section/registration", "/return/check")


def sign_in_all(port: int, tokens: list[str]) -> list[dict]:
    """Each user's signed-in session cookies. Users arrive signed in, as in the week before the
    deadline, so the measured runs are pages and saves rather than everyone's first sign-in;
    each also opens every page once, so the server is warm."""
    import re

    import requests

    sessions = []
    for token in tokens:
        with requests.Session() as http:
            page = http.get(f"http://127.0.0.1:{port}/start/{token}", timeout=30)
            csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
            done = http.post(f"http://127.0.0.1:{port}/start/{token}", data={"csrf_token": csrf, "name": "Load Test"},
                             allow_redirects=False, timeout=30)
            if done.status_code != 302:
                raise RuntimeError(f"sign-in failed: {done.status_code}")
            for path in WARM_UP:  # each worker compiles its templates on first use: not what is measured
                http.get(f"http://127.0.0.1:{port}{path}", timeout=30).raise_for_status()
            sessions.append([{"name": c.name, "value": c.value, "domain": c.domain, "path": c.path}
                             for c in http.cookies])
    return sessions


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU time used so far by the server's workers, by PostgreSQL's processes, and by this
    script's finished children (Locust runs), read from /proc: where each request's CPU goes."""
    import resource

    tick = os.sysconf("SC_CLK_TCK")
    used = {"server": 0.0, "postgresql": 0.0}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue  # gone meanwhile
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        cpu = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        if int(fields[1]) == server_pid or int(pid) == server_pid:  # gunicorn's workers and master
            used["server"] += cpu
        elif name == "postgres":
            used["postgresql"] += cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    used["locust"] = children.ru_utime + children.ru_stime
    return used


def locust(port: int, tokens_file: str, users: int, seconds: int, task: str = "", raw: str = "") -> dict:
    """One bounded Locust run; figures count from when every user has started and signed in.
    With ``raw``, every response time is also appended to that file, for pooling runs."""
    with tempfile.TemporaryDirectory() as out:
        env = dict(os.environ, BENCH_SESSIONS=tokens_file, BENCH_TASK=task, BENCH_RAW=raw)
        subprocess.run([str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                        "-u", str(users), "-r", str(max(users // 2, 1)), "-t", f"{seconds}s", "--stop-timeout", "5",
                        "--reset-stats",
                        "--host", f"http://127.0.0.1:{port}", "--csv", f"{out}/run", "--only-summary"],
                       env=env, cwd=ROOT, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=seconds + 120)
        with open(f"{out}/run_stats.csv") as fh:
            rows = {r["Name"]: r for r in csv.DictReader(fh)}
    return {name: {"rps": float(r["Requests/s"]), "p50": float(r["50%"]), "p95": float(r["95%"]),
                   "p99": float(r["99%"]), "count": int(r["Request Count"]), "failures": int(r["Failure Count"])}
            for name, r in rows.items() if name != "Aggregated"}


ENDPOINTS = (("bare", "bare route"), ("page", "questionnaire page GET"), ("save", "save POST"),
             ("check", "check answers GET"))
ROUNDS = 3


def _median_run(runs: list[dict], bare: list[dict]) -> dict:
    """Median requests/s over rounds, and the median of each round's ratio to the bare route."""
    from statistics import median

    return {"rps": median(r["rps"] for r in runs), "rps_all": [r["rps"] for r in runs],
            "cpu_ms": {k: median(r["cpu_ms"][k] for r in runs) for k in runs[0]["cpu_ms"]},
            "ratio": median(r["rps"] / b["rps"] for r, b in zip(runs, bare)),
            "failures": sum(r["failures"] for r in runs)}


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_database(kind: str, users: int, seconds: int, capacity_seconds: int) -> dict:
    with tempfile.TemporaryDirectory() as work:
        if kind == "sqlite":
            url = f"sqlite:///{work}/bench.sqlite"
        else:
            reset_postgres()
            url = PG_URL
        print(f"[{kind}] preparing the database ...", flush=True)
        tokens = prepare(url, users=users)
        tokens_file = f"{work}/sessions.json"
        port = free_port()
        server = serve(url, port)
        try:
            print(f"[{kind}] signing {len(tokens)} users in through their links ...", flush=True)
            Path(tokens_file).write_text(json.dumps(sign_in_all(port, tokens)))
            # The machine is noisy, so capacity is measured in rounds, each endpoint straight after
            # the bare route; the figures are medians over rounds, ratios taken within a round.
            rounds: dict[str, list[dict]] = {}
            for number in range(1, ROUNDS + 1):
                for task, name in ENDPOINTS:
                    print(f"[{kind}] capacity round {number}/{ROUNDS}: {name}, 20 users, {capacity_seconds} s ...",
                          flush=True)
                    before = cpu_seconds(server.pid)
                    run = locust(port, tokens_file, 20, capacity_seconds, task)
                    after = cpu_seconds(server.pid)
                    # CPU per request of the endpoint measured (a capacity save's rare re-reads included).
                    requests = sum(r["count"] for r in run.values())
                    run[name]["cpu_ms"] = {k: 1000 * (after[k] - before[k]) / max(requests, 1) for k in after}
                    rounds.setdefault(name, []).append(run[name])
            capacity = {name: _median_run(runs, rounds["bare route"]) for name, runs in rounds.items()}
            # One run's p99 rests on its slowest dozen requests, so latency is measured in rounds
            # and the response times of every round are pooled; on SQLite each idle round is
            # followed by one with the build running, so both see the same machine.
            idle_raw, busy_raw, runs, builds = f"{work}/idle.raw", f"{work}/busy.raw", [], []
            for number in range(1, ROUNDS + 1):
                print(f"[{kind}] latency round {number}/{ROUNDS}: {users} users, 1-2 s think time, {seconds} s ...",
                      flush=True)
                runs.append(("idle", locust(port, tokens_file, users, seconds, raw=idle_raw)))
                if kind == "sqlite":
                    print(f"[{kind}] latency round {number}/{ROUNDS} while 'healthcheck benchmarks' builds every "
                          "PDF, over and over ...", flush=True)
                    busy, built = _while_building(url, work, lambda: locust(port, tokens_file, users, seconds,
                                                                             raw=busy_raw))
                    runs.append(("busy", busy))
                    builds += built
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        return {"capacity": capacity, "latency": pooled(idle_raw, [r for c, r in runs if c == "idle"]),
                "during_benchmarks": pooled(busy_raw, [r for c, r in runs if c == "busy"]) if builds else None,
                "builds": builds}


def pooled(path: str, runs: list[dict]) -> dict:
    """Percentiles over every response time of every round, with each round's p99 and failures."""
    times: dict[str, list[float]] = {}
    with open(path) as fh:
        for line in fh:
            name, ms = line.rstrip("\n").split("\t")
            times.setdefault(name, []).append(float(ms))

    def at(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(len(values) * q))]

    out = {}
    for name, values in times.items():
        values.sort()
        out[name] = {"p50": at(values, 0.50), "p95": at(values, 0.95), "p99": at(values, 0.99),
                     "count": len(values), "rounds_p99": [r[name]["p99"] for r in runs if name in r],
                     "failures": sum(r.get(name, {}).get("failures", 0) for r in runs)}
    return out


def _while_building(url: str, work: str, measure) -> tuple[dict, list[float]]:
    """Run ``measure`` while every employer's benchmark is built again and again, so the whole
    measured window has the build running beside it. Returns its result and the build times."""
    import threading

    env = dict(os.environ, DATABASE_URL=url, HEALTHCHECK_CONFIG="development", SECRET_KEY="bench" * 8)
    stop, builds = threading.Event(), []

    def keep_building():
        while not stop.is_set():
            start = time.perf_counter()
            subprocess.run([str(BIN / "healthcheck"), "benchmarks", "--cycle", "2017", "--out", f"{work}/benchmarks"],
                           env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                           timeout=600)
            builds.append(time.perf_counter() - start)

    builder = threading.Thread(target=keep_building)
    builder.start()
    try:
        result = measure()
    finally:
        stop.set()
        builder.join()
    return result, builds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=40, help="each latency round")
    parser.add_argument("--capacity-seconds", type=int, default=10)
    args = parser.parse_args()
    results = {kind: run_database(kind, args.users, args.seconds, args.capacity_seconds) for kind in args.databases}
    print(json.dumps(results, indent=2))
    write_doc(results, args)


def write_doc(results: dict, args) -> None:
    names = ["bare route", "questionnaire page GET", "save POST", "check answers GET"]
    targets = {"questionnaire page GET": "≥ 50 %", "save POST": "≥ 25 %", "check answers GET": "", "bare route": ""}
    lines = ["## HTTP: pages and saves under load", "",
             f"Measured {date.today():%d %B %Y} by `bench/http_load.py`: gunicorn (gthread) with {WORKERS} workers x "
             f"{THREADS} thread{'s' if THREADS > 1 else ''}, Locust in a second process, both on loopback on this "
             "2-core machine, so the load generator "
             "takes CPU from the server: absolute figures are lower than on a server of its own. "
             f"Capacity: 20 users, no think time, one endpoint at a time for {args.capacity_seconds} s, in {ROUNDS} "
             "rounds; the ratio is the median of each round's ratio to the bare route measured just before it. "
             "A capacity save is a POST alone (the user keeps the page version it was given); in the mixed run "
             "each save follows a read of the page, as people do. "
             f"Latency: {args.users} users with 1-2 s think time, all four mixed, {ROUNDS} rounds of {args.seconds} s, "
             "each counted from when every user has started (Locust `--reset-stats`), percentiles over the response "
             "times of all rounds pooled (one run's p99 rests on its slowest dozen requests); users arrive signed "
             "in (the bench signs each one in through its link first, and each opens every page once so the server "
             "is warm). "
             "The build alongside is `healthcheck benchmarks` as shipped: its default `--nice 19` (on Linux also "
             "SCHED_IDLE, and a pause whenever another task is waiting for a CPU) and, with that, one process "
             "fewer than the cores, so one here; on SQLite each idle "
             "round is followed by a round with the build running.", ""]
    for kind, r in results.items():
        lines += [f"### {'SQLite' if kind == 'sqlite' else 'PostgreSQL'}", "",
                  f"| endpoint | capacity req/s (median of {ROUNDS}) | each round | ratio to bare route (target) | "
                  "p50 | p95 | p99 (target ≤ 100 ms) | failures |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for name in names:
            c, l = r["capacity"][name], r["latency"].get(name, {})
            lines.append(f"| {name} | {c['rps']:.0f} | {', '.join(f'{x:.0f}' for x in c['rps_all'])} | "
                         f"{100 * c['ratio']:.0f} % {targets[name]} | "
                         f"{l.get('p50', 0):.0f} ms | {l.get('p95', 0):.0f} ms | {l.get('p99', 0):.0f} ms | "
                         f"{c['failures'] + l.get('failures', 0)} |")
        lines += ["", "CPU time per request in the capacity runs (median of rounds), by process: the server's "
                  "workers, PostgreSQL's, and Locust's (the load generator on the same cores):", "",
                  "| endpoint | server workers | PostgreSQL | Locust | all |", "|---|---:|---:|---:|---:|"]
        for name in names:
            cpu = r["capacity"][name]["cpu_ms"]
            lines.append(f"| {name} | {cpu['server']:.2f} ms | {cpu['postgresql']:.2f} ms | {cpu['locust']:.2f} ms | "
                         f"{sum(cpu.values()):.2f} ms |")
        if r["during_benchmarks"]:
            lines += ["", f"While `healthcheck benchmarks` built every employer's PDF, {len(r['builds'])} times over "
                      f"(one build of 160 took {min(r['builds']):.1f}-{max(r['builds']):.1f} s beside the load) "
                      "(target: p99 within 1.5x of idle):", "",
                      "| endpoint | requests idle / during | p99 idle | p99 during the build | ratio | each round: "
                      "idle → during |", "|---|---:|---:|---:|---:|---|"]
            for name in names:
                idle, busy = r["latency"][name], r["during_benchmarks"][name]
                each = ", ".join(f"{a:.0f} → {b:.0f}" for a, b in zip(idle["rounds_p99"], busy["rounds_p99"]))
                lines.append(f"| {name} | {idle['count']} / {busy['count']} | {idle['p99']:.1f} ms | "
                             f"{busy['p99']:.1f} ms | {busy['p99'] / idle['p99']:.2f}x | {each} ms |")
        lines.append("")
    write_section("http", lines)


if __name__ == "__main__":
    main()
