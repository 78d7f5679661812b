"""Employers' saves while a coordinator imports a register of 20,000 organisations.

    .venv/bin/python bench/import_during_saves.py [--rows 20000] [--savers 20] [--seconds 10]

gunicorn as the README runs it (4 workers) on its own SQLite file; ``--savers`` employers each save
a page, think for 0.2-0.5 s, and save again. First for ``--seconds`` with nothing else running,
then while ``healthcheck orgs import`` adds the organisations, then while it imports the same file
again (every row an update). Every save's status and time is kept: a refused save is any answer
but 302 (saved) or 409 (a conflict, which these employers never cause). Figures go to
docs/reliability.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.docs import write_section  # noqa: E402
from tests.helpers import seed_cycle  # noqa: E402
from tests.server import Contributor, Server  # noqa: E402

BIN = Path(sys.executable).parent


def register(path: Path, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "authority_type", "ons_code", "region", "contact_email"])
        for i in range(rows):
            writer.writerow(
                [
                    f"Organisation {i:06d} Council",
                    "Unitary Authority",
                    f"E06{i:06d}",
                    "South West",
                    f"psw{i}@org{i}.example.org",
                ]
            )
    return path


class Savers:
    """Employers saving pages until told to stop; each save's (started at, seconds, status)."""

    def __init__(self, base: str, tokens: list[str]) -> None:
        self.people = [Contributor(base, token, f"Saver {i}") for i, token in enumerate(tokens)]
        self.saves: list[tuple[float, float, int]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def run(self, person: Contributor, seed: int) -> None:
        rng = random.Random(seed)
        while not self.stop.is_set():
            token, version = person.open("registration")
            started = time.perf_counter()
            response = person.save(
                "registration", token, version, {"regulator_process": rng.choice(["very", "fairly", "not_very"])}
            )
            with self.lock:
                self.saves.append((started, time.perf_counter() - started, response.status_code))
            time.sleep(rng.uniform(0.2, 0.5))

    def during(self, start: float, end: float) -> list[tuple[float, int]]:
        return [(seconds, status) for at, seconds, status in self.saves if start <= at <= end]


def summary(name: str, saves: list[tuple[float, int]], span: float) -> str:
    times = sorted(s for s, _ in saves)
    refused = sum(1 for _, status in saves if status not in (302, 409))
    p = (lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000) if times else (lambda q: 0.0)
    return (
        f"| {name} | {span:.1f} s | {len(saves)} | {refused} | {p(0.5):.0f} ms | {p(0.99):.0f} ms | "
        f"{(times[-1] * 1000 if times else 0):.0f} ms |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--savers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="import-bench-"))
    url = f"sqlite:///{folder / 'site.sqlite'}"
    env = dict(os.environ, DATABASE_URL=url, HEALTHCHECK_CONFIG="development")
    subprocess.run([str(BIN / "healthcheck"), "db", "upgrade"], env=env, check=True, capture_output=True)
    tokens = seed_cycle(url, [f"Saver Council {i:02d}" for i in range(args.savers)])
    path = register(folder / "register.csv", args.rows)
    server = Server(url, workers=4, threads=1).start()
    rows = ["| while | lasted | saves | refused | median | p99 | slowest |", "|---|---:|---:|---:|---:|---:|---:|"]
    try:
        savers = Savers(server.base, tokens)
        threads = [threading.Thread(target=savers.run, args=(p, i), daemon=True) for i, p in enumerate(savers.people)]
        for thread in threads:
            thread.start()
        start = time.perf_counter()
        time.sleep(args.seconds)
        rows.append(summary("nothing else runs", savers.during(start, time.perf_counter()), args.seconds))
        for what in ("adding", "updating"):
            start = time.perf_counter()
            result = subprocess.run(
                [str(BIN / "healthcheck"), "orgs", "import", str(path)], env=env, capture_output=True, text=True
            )
            end = time.perf_counter()
            assert result.returncode == 0, result.stderr
            print(result.stdout.strip().splitlines()[-1], f"in {end - start:.1f} s")
            rows.append(
                summary(f"`orgs import` of {args.rows:,} rows, {what} them", savers.during(start, end), end - start)
            )
        savers.stop.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        server.stop()
    print("\n".join(rows))
    write_section(
        "import-during-saves",
        [
            f"`bench/import_during_saves.py --rows {args.rows} --savers {args.savers}` "
            f"(gunicorn, 4 workers, SQLite; {time.strftime('%Y-%m-%d')}):",
            "",
            *rows,
        ],
        doc=ROOT / "docs" / "reliability.md",
    )


if __name__ == "__main__":
    main()
