"""What slows pages while the benchmarks build: the build itself, or any busy neighbour?

    .venv/bin/python bench/build_interference.py [--rounds 3] [--seconds 20]

The same mixed load as bench/http_load.py (100 users, 1-2 s think time, SQLite, gunicorn as in
production) is measured in rounds, each round running these side by side in turn:

- nothing (idle);
- ``healthcheck benchmarks`` as shipped (nice 19, SCHED_IDLE, one process, pausing whenever
  another task is waiting for a CPU), over and over;
- a busy loop at the same priority (nice 19, SCHED_IDLE) that touches almost no memory;
- a loop at the same priority that writes fresh memory all the time (32 MB at a time);
- the busy loop again, pausing as the build does whenever a task is waiting for a CPU
  (``healthcheck.priority.GiveWay``).

The two busy loops tell apart what the kernel's priorities do alone (SCHED_IDLE) and what
pausing adds. Percentiles are over the response times of every round pooled.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.docs import write_section  # noqa: E402
from bench.http_load import (_while_building, free_port, locust, pooled, prepare, serve,  # noqa: E402
                             sign_in_all)

NEIGHBOURS = {
    "busy loop": "while True:\n    pass\n",
    "memory churn": ("while True:\n    block = bytearray(32 * 1024 * 1024)\n"
                     "    for i in range(0, len(block), 4096):\n        block[i] = 1\n    del block\n"),
    "busy loop giving way": (f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
                             "from healthcheck.priority import GiveWay\nwith GiveWay():\n    while True:\n        pass\n"),
}
KINDS = ("nothing", "the build", *NEIGHBOURS)
ENDPOINTS = ("bare route", "questionnaire page GET", "save POST", "check answers GET")
# The requests of bench/locustfile.py by method and path, to read the server's own timings.
BY_PATH = {("GET", "/_bare"): "bare route", ("GET", "/return/section/workforce_planning"): "questionnaire page GET",
           ("POST", "/return/section/registration"): "save POST", ("GET", "/return/check"): "check answers GET"}


def _server_times(access_log: str, offset: int, raw: str) -> int:
    """Append to ``raw`` the worker's time for each measured request logged since ``offset``
    (in the format of Locust's raw file); returns the log's new end."""
    with open(access_log) as log, open(raw, "a") as out:
        log.seek(offset)
        for line in log:
            method, path, micros = line.split()
            name = BY_PATH.get((method, path))
            if name:
                out.write(f"{name}\t{int(micros) / 1000}\n")
        return log.tell()


def _cpu_wait(server_pid: int) -> float:
    """Seconds the server's worker threads have spent runnable but waiting for a CPU, so far
    (the second field of each thread's /proc schedstat)."""
    total = 0
    with open(f"/proc/{server_pid}/task/{server_pid}/children") as fh:
        workers = fh.read().split()
    for pid in workers:
        for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
            try:
                total += int(stat.read_text().split()[1])
            except (OSError, IndexError):
                pass  # a thread that ended meanwhile
    return total / 1e9


def _neighbour(code: str) -> subprocess.Popen:
    """A process at the build's priority (``healthcheck benchmarks``' default) running ``code``."""
    from healthcheck.priority import BUILD_NICE, lower_priority

    return subprocess.Popen([sys.executable, "-c", code], preexec_fn=lambda: lower_priority(BUILD_NICE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite:///{work}/bench.sqlite"
        print("preparing the database ...", flush=True)
        tokens = prepare(url)
        port = free_port()
        access_log = f"{work}/access.log"
        server = serve(url, port, access_log=access_log)
        sessions = f"{work}/sessions.json"
        try:
            print(f"signing {len(tokens)} users in ...", flush=True)
            Path(sessions).write_text(json.dumps(sign_in_all(port, tokens)))
            runs: dict[str, list[dict]] = {}
            builds: list[float] = []
            waits: dict[str, list[float]] = {}  # per kind: seconds waited for a CPU, requests
            logged = os.path.getsize(access_log)  # the sign-ins and warm-up are not measured
            for number in range(1, args.rounds + 1):
                for kind in KINDS:
                    print(f"round {number}/{args.rounds}: 100 users, {args.seconds} s, beside {kind} ...", flush=True)
                    raw = f"{work}/{KINDS.index(kind)}.raw"

                    def measure():
                        return locust(port, sessions, 100, args.seconds, raw=raw)

                    waited = _cpu_wait(server.pid)
                    if kind == "nothing":
                        result = measure()
                    elif kind == "the build":
                        result, times = _while_building(url, work, measure)
                        builds += times
                    else:
                        neighbour = _neighbour(NEIGHBOURS[kind])
                        try:
                            result = measure()
                        finally:
                            neighbour.kill()
                            neighbour.wait()
                    runs.setdefault(kind, []).append(result)
                    wait = waits.setdefault(kind, [0.0, 0])
                    wait[0] += _cpu_wait(server.pid) - waited
                    wait[1] += sum(r["count"] for r in result.values())
                    logged = _server_times(access_log, logged, f"{work}/{KINDS.index(kind)}.server.raw")
            results = {kind: pooled(f"{work}/{KINDS.index(kind)}.raw", runs[kind]) for kind in KINDS}
            server_side = {kind: pooled(f"{work}/{KINDS.index(kind)}.server.raw", []) for kind in KINDS}
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    print(json.dumps({"client": results, "server": server_side}, indent=2))
    write_doc(results, server_side, builds, waits, args)


def write_doc(results: dict, server_side: dict, builds: list[float], waits: dict, args) -> None:
    lines = ["## What slows pages while the benchmarks build", "",
             f"Measured {date.today():%d %B %Y} by `bench/build_interference.py`: the mixed load of the HTTP "
             f"benchmark (100 users, 1-2 s think time, SQLite, gunicorn as in production, here with its access "
             f"log on), {args.rounds} rounds of {args.seconds} s beside each neighbour in turn; p99 over every "
             "round pooled, and its ratio to the p99 beside nothing. Every neighbour runs at the build's priority "
             "(nice 19, SCHED_IDLE). First as Locust saw each request (what the target is about), then as the "
             "worker timed it, from reading the request to writing the response (gunicorn's access log): the "
             "difference is time spent waiting for a worker, on the network and in the load generator. "
             f"Beside the load, one build of every employer's benchmark took {min(builds):.1f}-{max(builds):.1f} s "
             f"({len(builds)} builds).", ""]
    for title, figures in (("Seen by Locust:", results), ("Timed in the worker:", server_side)):
        idle = figures["nothing"]
        lines += [title, "", "| beside | " + " | ".join(f"{name} p99" for name in ENDPOINTS) + " |",
                  "|---|" + "---:|" * len(ENDPOINTS)]
        for kind in KINDS:
            cells = []
            for name in ENDPOINTS:
                p99 = figures[kind][name]["p99"]
                cells.append(f"{p99:.1f} ms" if kind == "nothing"
                             else f"{p99:.1f} ms ({p99 / idle[name]['p99']:.2f}x)")
            lines.append(f"| {kind} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["Time the workers' threads spent ready to run but waiting for a CPU (the kernel's own count, "
              "from each thread's `/proc/.../schedstat`), per request served:", "",
              "| beside | waiting for a CPU, per request |", "|---|---:|"]
    lines += [f"| {kind} | {1000 * waits[kind][0] / max(waits[kind][1], 1):.2f} ms |" for kind in KINDS]
    lines.append("")
    write_section("build-interference", lines)


if __name__ == "__main__":
    main()
