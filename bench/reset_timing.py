"""How long "forgot password" takes for an account's email and for any other (issue 32).

    .venv/bin/python bench/reset_timing.py [--requests 200] [--postgres URL --redis URL] [--write]

gunicorn (one worker, one thread: nothing but the request itself in each time) and a real
``healthcheck worker`` beside it, on a fresh SQLite file (its queue a SQLite file) or, with
``--postgres``, a PostgreSQL database emptied first (its queue in Redis). The mail server is a
real SMTP server (aiosmtpd) in this process that takes 200 ms over each message. ``--requests``
resets for the emails of 20 accounts and as many for unknown emails are sent in a shuffled order,
each from a client address of its own (so that the sign-in rate limit holds none back), and
each POST is timed. Then the bench waits until the worker has sent every email: one for each
account's request, none for the others. ``--write`` puts the figures in docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.docs import write_section  # noqa: E402
from tests.server import Server, free_port  # noqa: E402

BIN = Path(sys.executable).parent
MESSAGE_TAKES = 0.2  # seconds the mail server takes over each message
ACCOUNTS = 20


class SlowInbox:
    """aiosmtpd handler: keeps each message after taking MESSAGE_TAKES over it."""

    def __init__(self) -> None:
        self.received: list[float] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001 (aiosmtpd's signature)
        await asyncio.sleep(MESSAGE_TAKES)
        self.received.append(time.monotonic())
        return "250 Message accepted for delivery"


def prepare(env: dict[str, str]) -> None:
    """The schema, and ACCOUNTS accounts (known@N.example.org) made in one process."""
    subprocess.run([str(BIN / "healthcheck"), "db", "upgrade"], env=env, check=True, capture_output=True)
    script = (
        "from healthcheck import create_app\nfrom healthcheck.auth import create_user\n"
        "from healthcheck.extensions import db\napp = create_app()\nwith app.app_context():\n"
        f"    for i in range({ACCOUNTS}):\n"
        "        create_user(f'known{i}@example.org', f'Known {i}', 'viewer', 'a long enough password')\n"
        "    db.session.commit()\n"
    )
    subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True)


def empty_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def count_sent(env: dict[str, str]) -> tuple[int, int]:
    """(emails marked sent, email jobs finished), read from the database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        sent = conn.execute(text("SELECT count(*) FROM email_send WHERE outcome = 'sent'")).scalar_one()
        done = conn.execute(
            text("SELECT count(*) FROM job WHERE kind = 'email' AND status IN ('done', 'failed')")
        ).scalar_one()
    engine.dispose()
    return int(sent), int(done)


def run(requests_each: int, postgres: str | None, redis: str | None) -> dict:
    from aiosmtpd.controller import Controller

    folder = Path(tempfile.mkdtemp(prefix="reset-timing-"))
    smtp_port = free_port()
    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = dict(
        os.environ,
        HEALTHCHECK_CONFIG="development",
        SECRET_KEY="reset-timing-secret-key-0123456789abcdef",
        MAIL_HOST="127.0.0.1",
        MAIL_PORT=str(smtp_port),
        PROXY_FIX="1",
        BASE_URL="http://127.0.0.1",
    )
    if postgres:
        empty_postgres(postgres)
        env.update(DATABASE_URL=postgres, REDIS_URL=redis or "redis://127.0.0.1:6379/3")
        env.pop("QUEUE_FILE", None)
        import redis as redis_client

        redis_client.Redis.from_url(env["REDIS_URL"]).flushdb()
    else:
        env.update(DATABASE_URL=f"sqlite:///{folder / 'bench.db'}", QUEUE_FILE=str(folder / "queue.db"))
        env.pop("REDIS_URL", None)
    env["RATELIMIT_STORAGE_URI"] = "memory://"
    prepare(env)
    server = Server(env["DATABASE_URL"], workers=1, threads=1)
    server.env.update(env)
    server.start()
    worker = subprocess.Popen(
        [str(BIN / "healthcheck"), "worker", "--workers", "2"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        session = requests.Session()
        page = session.get(server.base + "/admin/forgot-password", timeout=10).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        # In pairs, one of each in a random order, so that both kinds meet the same load on the
        # machine (shared, and busy) and the worker's: each pair's difference is kept too.
        rng, asks = random.Random(32), []
        for i in range(requests_each):
            pair = [("known", f"known{i % ACCOUNTS}@example.org"), ("unknown", f"nobody{i}@example.org")]
            rng.shuffle(pair)
            asks += pair
        for n in range(10):  # warm up: the server's first requests are slower whatever they ask
            session.post(
                server.base + "/admin/forgot-password",
                data={"csrf_token": token, "email": f"warm{n}@x.org"},
                headers={"X-Forwarded-For": f"127.1.0.{n + 1}"},
                timeout=30,
            )
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        started = time.monotonic()
        for n, (kind, email) in enumerate(asks):
            began = time.perf_counter()
            answer = session.post(
                server.base + "/admin/forgot-password",
                data={"csrf_token": token, "email": email},
                headers={"X-Forwarded-For": f"127.2.{n // 250}.{n % 250 + 1}"},
                timeout=30,
            )
            took = time.perf_counter() - began
            assert answer.status_code == 200 and "If that address belongs to an account" in answer.text, answer.text
            times[kind].append(took * 1000)
        asked_for = time.monotonic() - started
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            sent, done = count_sent(env)
            if done >= len(asks) + 10:
                break
            time.sleep(0.5)
        drained = time.monotonic() - started
        sent, done = count_sent(env)
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(timeout=30)
        server.kill()
        controller.stop()
    return {
        "times": times,
        "load": os.getloadavg()[0],
        "sent": sent,
        "jobs": done,
        "received": len(inbox.received),
        "asked_for": asked_for,
        "drained": drained,
        "database": "PostgreSQL (queue in Redis)" if postgres else "SQLite (queue in a file)",
    }


def summary(result: dict) -> list[str]:
    known, unknown = result["times"]["known"], result["times"]["unknown"]

    def q(values: list[float], p: float) -> float:
        return statistics.quantiles(values, n=100)[int(p) - 1]

    gap = statistics.median(known) - statistics.median(unknown)
    paired = statistics.median(k - u for k, u in zip(known, unknown, strict=True))
    return [
        f"| {result['database']} | {len(known)} + {len(unknown)} | {statistics.median(known):.1f} | "
        f"{statistics.median(unknown):.1f} | {gap:+.1f} ({paired:+.1f}) | "
        f"{q(known, 90):.1f} / {q(unknown, 90):.1f} | "
        f"{max(known):.1f} / {max(unknown):.1f} | {result['asked_for']:.1f} s | {result['sent']} "
        f"({result['received']} received) in {result['drained']:.1f} s | {result['load']:.1f} |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres", help="a PostgreSQL URL (its database is emptied)")
    parser.add_argument("--redis", help="the Redis for the queue with --postgres (default database 3)")
    parser.add_argument("--also-sqlite", action="store_true", help="with --postgres, SQLite first")
    parser.add_argument("--write", action="store_true", help="write the figures to docs/performance.md")
    args = parser.parse_args()
    results = []
    if not args.postgres or args.also_sqlite:
        results.append(run(args.requests, None, None))
        print("\n".join(summary(results[-1])), flush=True)
    if args.postgres:
        results.append(run(args.requests, args.postgres, args.redis))
        print("\n".join(summary(results[-1])), flush=True)
    lines = [
        "| database | requests (account's + unknown) | median, account's (ms) | median, unknown (ms) | "
        "difference of medians (median of pairs' differences), ms | p90 (ms) | slowest (ms) | all asked in | "
        "emails sent by the worker | machine's load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        lines += summary(result)
    print("\n".join(lines))
    if args.write:
        write_section("reset-timing", lines)


if __name__ == "__main__":
    main()
