"""Many machines (issue 35): web servers and workers as separate processes sharing PostgreSQL,
Redis and one editions folder. A worker killed mid-publication is replaced with no one asking;
production will not start on a queue another machine cannot see; a limiter store that is down
costs the limit, not sign-in or the API; and a process whose clock is minutes out (libfaketime)
neither keeps a signed-out session alive nor makes a healthy job look stopped."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import requests
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from aggregation.edition import STEPS
from forms import load
from forms.synthetic import answers
from healthcheck import create_app
from healthcheck.auth import create_user
from healthcheck.extensions import db
from healthcheck.models import AuditEvent, Job, Organisation
from healthcheck.store import Actor, collection, publication, returns
from tests.environment import PASSWORD, PG_URL, REDIS_URL, CheckingClient, empty_postgres
from tests.helpers import queue_publication, seed_cycle, sha256, wait_for
from tests.server import GUNICORN, Server, free_port

SHARED = bool(PG_URL and REDIS_URL)  # the shared stack the issue names; SQLite and its queue file otherwise
HEALTHCHECK = str(Path(sys.executable).with_name("healthcheck"))
# JOB_STALLED_AFTER: small, so that a stop is noticed within the test, but four heartbeats long (a
# heartbeat each 2 s) on a machine whose two cores the suite keeps busy.
STALLED_AFTER = 8.0
ORGANISATIONS = 10  # each with a submitted return: a publication of some 15 seconds here
FAKETIME = next(
    (str(p) for p in Path("/usr/lib").glob("*/faketime/libfaketime.so.1")), None
)  # bin/test-deps installs it


def slow_clock(minutes: int, *, true_monotonic: bool) -> dict[str, str]:
    """The environment that runs a process with its clock ``minutes`` behind (libfaketime). Under
    libfaketime Python's ``time.sleep`` fails (EINVAL) unless the monotonic clock moves too, and
    then its timed waits (``threading.Event.wait``) never end: gunicorn sleeps, so it runs with
    both moved; the worker waits, so its monotonic clock is left true."""
    assert FAKETIME, "libfaketime is installed by bin/test-deps (apt-get install libfaketime)"
    return {
        "LD_PRELOAD": FAKETIME,
        "FAKETIME": f"-{minutes}m",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1" * true_monotonic,
        "NO_FAKE_STAT": "1",
    }  # files' times left alone: libfaketime slows every stat() otherwise


@pytest.fixture
def site(request, sqlite_template, tmp_path):
    """Ten submitted returns in the database every machine shares (PostgreSQL, jobs queued in
    Redis, when the tests have them; else a SQLite file and queue), this process's app on it
    (JOB_STALLED_AFTER small, a coordinator's account), and ``start_worker(name, **env)``, a
    ``healthcheck worker`` of its own, as on a machine of its own."""
    if SHARED:
        url = request.getfixturevalue("pg_migrated")
        empty_postgres(url)
        redis.Redis.from_url(REDIS_URL).flushdb()
        queue = {"REDIS_URL": REDIS_URL}
    else:
        url = f"sqlite:///{tmp_path / 'site.sqlite'}"
        shutil.copy(sqlite_template, tmp_path / "site.sqlite")
        queue = {"QUEUE_FILE": str(tmp_path / "queue.sqlite")}
    seed_cycle(url, [f"Council {i:02d}" for i in range(ORGANISATIONS)])
    editions = str(tmp_path / "editions")
    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=url,
        JOBS_IMMEDIATE=False,
        EDITIONS_FOLDER=editions,
        QUEUE_FILE=queue.get("QUEUE_FILE"),
        REDIS_URL=queue.get("REDIS_URL"),
        JOB_STALLED_AFTER=timedelta(seconds=STALLED_AFTER),
    )
    app.test_client_class = CheckingClient
    started: list[subprocess.Popen] = []
    with app.app_context():
        q = load("health-check", "2017.1")
        cycle = collection.cycle_by_year(2017)
        for i, org in enumerate(db.session.scalars(select(Organisation).order_by(Organisation.name))):
            returns.submit(
                returns.return_for(cycle, org), Actor("Test"), q, replace_with=answers(q, random.Random(i), org.name)
            )
        create_user("coord@example.org", "Cora Ordinator", "coordinator", PASSWORD)
        db.session.commit()

        def start_worker(name: str, **env: str) -> subprocess.Popen:
            settings = dict(
                os.environ,
                HEALTHCHECK_CONFIG="development",
                SECRET_KEY="w" * 40,
                DATABASE_URL=url,
                EDITIONS_FOLDER=editions,
                JOB_STALLED_AFTER=str(STALLED_AFTER),
                **queue,
            )
            settings.update(env)
            with (tmp_path / f"worker-{name}.log").open("wb") as log:  # read by the test; a pipe unread would fill up
                process = subprocess.Popen(
                    [HEALTHCHECK, "worker", "--workers", "1"],
                    env=settings,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            started.append(process)
            return process

        yield app, cycle, start_worker
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                with suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=15)
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # and whatever of its group is left
            process.wait(timeout=15)
        db.session.remove()
        db.engine.dispose()


def holder_of(job: Job) -> int:
    """The process running a job, as its row names it ("host (process 1234)")."""
    found = re.search(r"\(process (\d+)\)", job.worker or "")
    assert found, job.worker
    return int(found.group(1))


def test_a_worker_killed_mid_publication_is_replaced_and_the_edition_published_unattended(site, tmp_path):
    app, cycle, start_worker = site
    workers = [start_worker("a"), start_worker("b")]
    job_id = queue_publication(cycle)
    running = wait_for(job_id, lambda j: j.step == STEPS["charts"] and j.done >= 1)
    assert running.attempt == 1
    victim = next(w for w in workers if w.pid == os.getpgid(holder_of(running)))  # its worker's process group
    survivor = next(w for w in workers if w is not victim)
    half_built = Path(app.config["EDITIONS_FOLDER"]) / "2017" / f".building-{job_id}-1"
    assert half_built.is_dir()
    os.killpg(victim.pid, signal.SIGKILL)  # the worker and its job's process, mid-build, as a machine is lost
    killed_at = time.monotonic()
    victim.wait(timeout=30)

    job = wait_for(job_id, lambda j: j.finished, seconds=120)  # no request made: nothing but reading the row
    unattended = time.monotonic() - killed_at
    assert job.status == "done" and job.error is None
    assert job.attempt == 2 and os.getpgid(holder_of(job)) == survivor.pid  # taken up again by the other worker
    one_job = (job.finished_at - job.started_at).total_seconds()  # the second attempt's own run, by the database
    # Noticed within JOB_STALLED_AFTER of the last heartbeat (a quarter of it before the death at most), looked
    # for a quarter of it apart by the scheduler, which wakes each second, and claimed from the queue within a
    # second: then one job's time.
    assert unattended <= STALLED_AFTER * 1.5 + 2 + one_job + 1, (unattended, one_job)
    print(
        f"\nworker killed -> edition published, unattended: {unattended:.1f} s "
        f"(JOB_STALLED_AFTER {STALLED_AFTER:.0f} s; the second attempt's run {one_job:.1f} s)"
    )

    edition = publication.latest_edition(cycle)
    assert edition.number == 1 and edition.job_id == job_id and edition.folder == f"2017/job-{job_id}-2"
    folder = Path(app.config["EDITIONS_FOLDER"]) / edition.folder
    assert all(sha256(folder / f.path) == f.sha256 for f in edition.files)
    assert sum(f.kind == "benchmark" for f in edition.files) == ORGANISATIONS * 3
    # The killed attempt's half-built folder was never published, and is gone.
    assert not half_built.exists() and not list(folder.parent.glob(".building-*"))
    assert sorted(p.name for p in folder.parent.iterdir()) == [f"job-{job_id}-2"]
    assert (
        db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "publish_results"))
        == 1
    )
    assert (
        f"job {job_id}: no heartbeat for {STALLED_AFTER} s from the worker running it"
        in (tmp_path / f"worker-{'ab'[workers.index(survivor)]}.log").read_text()
    )
    assert job.detail == {"edition": 1}  # and no machine's path to it


# ---------------------------------------------------------------- production's settings


def test_production_without_a_shared_queue_refuses_to_start_with_one_line(tmp_path):
    """A web server queued jobs in its own machine's file, which the worker elsewhere never read."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "ONE_MACHINE")}
    env.update(
        HEALTHCHECK_CONFIG="production",
        SECRET_KEY="0123456789abcdef" * 4,
        DATABASE_URL=f"sqlite:///{tmp_path / 'site.sqlite'}",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/1",
    )
    worker = subprocess.run([HEALTHCHECK, "worker"], env=env, capture_output=True, text=True, timeout=60)
    web = subprocess.run(
        [GUNICORN, "--bind", f"127.0.0.1:{free_port()}", "healthcheck.wsgi:app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    why = (
        "healthcheck will not start: REDIS_URL is not set: production will not queue jobs in a file on this "
        "machine, which a worker on another machine never reads. Set REDIS_URL to the Redis every web server and "
        "worker share, or ONE_MACHINE=1 if they all run on this one machine."
    )
    assert worker.returncode != 0 and worker.stderr.splitlines() == [why] and not worker.stdout
    assert web.returncode != 0 and why in web.stderr.splitlines() and "Traceback" not in web.stderr
    assert "App failed to load" in web.stderr  # gunicorn stops, rather than starting worker after worker
    # ONE_MACHINE=1, and a limiter store in each process's memory: test_cli_and_config.py


# ---------------------------------------------------------------- the limiter's store down


def test_sign_in_and_the_api_answer_as_normal_with_the_limiter_store_unreachable(sqlite_template, tmp_path):
    """Redis down for 20 s answered 500 to coordinator sign-in and every /api/v1 request. Now each
    process counts in memory for the outage, and says so once in its log."""
    path = tmp_path / "site.sqlite"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    seed_cycle(url, ["Council 00"])
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        create_user("coord@example.org", "Cora Ordinator", "coordinator", PASSWORD)
        db.session.commit()
        db.engine.dispose()
    nothing_there = f"redis://127.0.0.1:{free_port()}/0"  # a real connection refused
    server = Server(url, workers=1, threads=2, RATELIMIT_STORAGE_URI=nothing_there).start()
    try:
        http = requests.Session()
        page = http.get(f"{server.base}/admin/sign-in", timeout=10)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
        signed_in = http.post(
            f"{server.base}/admin/sign-in",
            allow_redirects=False,
            timeout=10,
            data={"csrf_token": token, "email": "coord@example.org", "password": PASSWORD},
        )
        assert page.status_code == 200 and signed_in.status_code == 302
        assert http.get(f"{server.base}/admin/account", timeout=10).status_code == 200
        for path in ("/api/v1/editions", "/api/v1/openapi.json"):
            answer = requests.get(server.base + path, timeout=10)
            assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json", path
        # The limit still holds, in this process's memory: 10 sign-ins a minute from one address.
        codes = [
            requests.post(
                f"{server.base}/admin/sign-in",
                timeout=10,
                cookies=page.cookies,
                data={"csrf_token": token, "email": "nobody@example.org", "password": "wrong"},
            ).status_code
            for _ in range(12)
        ]
        assert codes.count(429) == 3 and max(c for c in codes if c != 429) < 500, codes
    finally:
        server.stop()
    log = server.process.stderr.read().decode()
    assert log.count("Rate limit storage unreachable") == 1, log
    assert "Traceback" not in log and " 500 " not in log


# ---------------------------------------------------------------- one clock


def signed_in_session(base: str, http: requests.Session | None = None) -> requests.Session:
    http = http or requests.Session()
    page = http.get(f"{base}/admin/sign-in", timeout=10)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    answer = http.post(
        f"{base}/admin/sign-in",
        allow_redirects=False,
        timeout=10,
        data={"csrf_token": token, "email": "coord@example.org", "password": PASSWORD},
    )
    assert answer.status_code == 302, answer.text[:300]
    return http


def sign_out(base: str, http: requests.Session) -> None:
    page = http.get(f"{base}/admin/account", timeout=10)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    assert (
        http.post(f"{base}/admin/sign-out", data={"csrf_token": token}, allow_redirects=False, timeout=10).status_code
        == 302
    )


def still_signed_in(base: str, http: requests.Session) -> bool:
    answer = http.get(f"{base}/admin/account", allow_redirects=False, timeout=10)
    assert answer.status_code in (200, 302)
    return answer.status_code == 200


def test_signing_out_on_a_server_whose_clock_is_slow_ends_the_session_on_every_server(pg_migrated):
    """A web server 10 minutes slow recorded a sign-out 10 minutes in the past, so a session that
    began on another server just before it stayed valid there; and a session begun on the slow
    server after a sign-out elsewhere looked older than the sign-out."""
    empty_postgres(pg_migrated)
    app = create_app("test", SQLALCHEMY_DATABASE_URI=pg_migrated)
    with app.app_context():
        create_user("coord@example.org", "Cora Ordinator", "coordinator", PASSWORD)
        db.session.commit()
        db.engine.dispose()
    slow = Server(pg_migrated, workers=1, threads=2, **slow_clock(10, true_monotonic=False)).start()
    true = Server(pg_migrated, workers=1, threads=2).start()
    try:
        # Each session a browser of its own, reaching either server as through a load balancer (its
        # cookie for 127.0.0.1 goes to either port).
        elsewhere = signed_in_session(true.base)
        assert still_signed_in(true.base, elsewhere)
        leaving = signed_in_session(slow.base)
        sign_out(slow.base, leaving)
        assert not still_signed_in(true.base, elsewhere)

        time.sleep(0.05)
        gone = signed_in_session(true.base)
        sign_out(true.base, gone)
        time.sleep(0.05)
        after = signed_in_session(slow.base)  # begun after that sign-out, on the slow server
        assert still_signed_in(slow.base, after) and still_signed_in(true.base, after)
    finally:
        slow.stop()
        true.stop()


def test_a_worker_whose_clock_is_slow_runs_a_healthy_job_that_is_never_called_stalled(site, tmp_path):
    """A worker 5 minutes slow made a healthy publication show "stopped reporting" 1.3 s after it
    started, and trying it again threw its work away. Its heartbeats are the database's time now.
    (JOB_STALLED_AFTER 20 s here, far from 5 minutes: a process under libfaketime runs slower.)"""
    app, cycle, start_worker = site
    app.config["JOB_STALLED_AFTER"] = timedelta(seconds=20)
    skewed = start_worker("slow", JOB_STALLED_AFTER="20", **slow_clock(5, true_monotonic=True))
    job_id = queue_publication(cycle)
    running = wait_for(job_id, lambda j: j.status == "running")
    assert os.getpgid(holder_of(running)) == skewed.pid
    start_worker("true", JOB_STALLED_AFTER="20")  # a worker with a true clock, looking for stalled jobs
    viewer = app.test_client()
    viewer.post_form("/admin/sign-in", {"email": "coord@example.org", "password": PASSWORD})
    looked = 0
    while True:
        page = viewer.get(f"/admin/jobs/{job_id}").get_data(as_text=True)
        job = db.session.get(Job, job_id)
        assert "stopped reporting" not in page and "No worker has started" not in page, page
        assert job.attempt == 1, "a healthy job was taken up again"
        looked += 1
        if job.finished:
            break
        db.session.rollback()
        time.sleep(0.5)
    assert job.status == "done" and job.attempt == 1 and looked > 5
    assert "no heartbeat" not in (tmp_path / "worker-true.log").read_text() + (tmp_path / "worker-slow.log").read_text()


if not PG_URL:  # a clock apart from the database's needs a database server (SQLite's clock is its process's)
    del test_signing_out_on_a_server_whose_clock_is_slow_ends_the_session_on_every_server
if not SHARED:
    del test_a_worker_whose_clock_is_slow_runs_a_healthy_job_that_is_never_called_stalled


def test_no_job_keeps_a_machine_s_path_after_the_upgrade(tmp_path):
    """Migration 0013: a publication's detail named the worker's absolute path to its edition
    (``…/editions/2017/job-N``), which another machine may mount elsewhere; it goes, and what the
    job was asked and made stays. Every unfinished job gets a heartbeat to be judged by."""

    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.sqlite'}")
    with app.app_context():
        upgrade(revision="0012")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO job (id, kind, status, done, total, detail, created_by, created_at, heartbeat_at) VALUES "
                    "(1, 'publish', 'done', 0, 0, :published, 'Cora', '2017-02-01', '2017-02-01'), "
                    "(2, 'emails', 'queued', 0, 0, :asked, 'Cora', '2017-02-02', NULL)"
                ),
                {
                    "published": json.dumps({"edition": 1, "folder": "/srv/instance/editions/2017/job-1"}),
                    "asked": json.dumps({"kind": "reminder"}),
                },
            )
        upgrade()
        with db.engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(text("SELECT * FROM job"))}
        assert json.loads(rows[1].detail) == {"edition": 1} and rows[1].attempt == 1
        assert json.loads(rows[2].detail) == {"kind": "reminder"} and rows[2].attempt == 0
        assert rows[2].heartbeat_at is not None and rows[2].heartbeat_at.startswith("2017-02-02")
        downgrade(revision="0012")
        db.engine.dispose()
