"""Publishing the results: one deliberate act, a job, and a frozen edition that later changes
never touch; the job run by a real worker process on each queue, and a worker killed mid-way."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from openpyxl import load_workbook
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from aggregation.edition import STEPS
from forms import load
from forms.synthetic import answers
from healthcheck import create_app, jobs
from healthcheck.auth import create_user
from healthcheck.extensions import db, writing
from healthcheck.models import Edition, Job, JobStatus, Organisation, Response
from healthcheck.store import Actor, collection, publication, returns
from healthcheck.store import jobs as job_rows
from tests.answers import FULL_RETURN
from tests.environment import REDIS_URL, CheckingClient, now
from tests.helpers import (
    GOOD,
    publish,
    queue_publication,
    save,
    seed_cycle,
    sha256,
    signed_in,
    submit_return,
    wait_for,
    with_peers,
)

QUEUES = ["sqlite"] + (["redis"] if REDIS_URL else [])
WORKER_RETURNS = 10  # a publication in a real worker; its size is not what these tests are about


def test_an_edition_is_frozen_and_publishing_again_makes_the_next(app, accounts, employers, cycle):
    employer = submit_return(app, employers["a"][1])
    with_peers(cycle)
    coordinator = publish(app)
    first = publication.latest_edition(cycle)
    assert first.number == 1 and first.summary["returns"] == 13 and first.summary["changes"] is None
    folder = Path(app.config["EDITIONS_FOLDER"]) / first.folder
    kinds = {f.kind for f in first.files}
    assert kinds == {"dataset", "tables", "chart", "report", "benchmark"}
    assert all(sha256(folder / f.path) == f.sha256 for f in first.files)
    assert sum(f.kind == "benchmark" for f in first.files) == 13 * 3  # JSON, CSV and PDF each
    frozen = {f.path: f.sha256 for f in first.files}
    hours = employer.get("/return/results.csv").get_data(as_text=True)
    assert "measure,Table 5,Average hours worked a week,hours,37.0," in hours

    # The employer amends its return after publication: nothing published changes.
    employer.post_form("/return/amend", {}, token_from="/return")
    save(employer, "workforce_planning", {**FULL_RETURN["workforce_planning"], "hours_per_week": "39"})
    employer.post_form("/return/check", {"confirm": "y"})
    assert employer.get("/return/results.csv").get_data(as_text=True) == hours
    assert {f.path: sha256(folder / f.path) for f in first.files} == frozen
    confirm = coordinator.get("/admin/cycles/2017/publish").get_data(as_text=True)
    assert "Publish the results as edition 2" in confirm and "Returns changed: Northmoor County Council" in confirm

    publish(app)
    second = publication.latest_edition(cycle)
    assert second.number == 2 and second.summary["changes"] == {
        "added": [],
        "removed": [],
        "changed": ["Northmoor County Council"],
        "staff": {"before": None, "after": None},
        "comments": {"approved": 0, "withdrawn": 0},
    }
    assert "measure,Table 5,Average hours worked a week,hours,39.0," in employer.get("/return/results.csv").get_data(
        as_text=True
    )
    assert "From edition 2" in employer.get("/return/results").get_data(as_text=True)
    viewer = signed_in(app, "viewer")
    page = viewer.get("/admin/cycles/2017/results").get_data(as_text=True)
    assert "Edition 2</a>" in page and "Superseded" in page and "Returns changed: Northmoor County Council" in page
    assert "Edition 1 (superseded)" in viewer.get("/admin/cycles/2017/results?edition=1").get_data(as_text=True)
    old = viewer.get("/admin/cycles/2017/editions/1/report.pdf")
    assert old.status_code == 200 and hashlib.sha256(old.data).hexdigest() == frozen["report.pdf"]
    tables = zipfile.ZipFile(io.BytesIO(viewer.get("/admin/cycles/2017/editions/2.zip").data)).namelist()
    assert "health-check-2017-edition-2/tables/tables.xlsx" in tables and len(tables) > 40
    assert not any("benchmarks/" in name for name in tables)  # the employers' own files stay theirs
    # An employer reads only its own benchmark file, even by its path.
    other_file = next(f for f in second.files if f.kind == "benchmark" and f.path.startswith("benchmarks/peer"))
    assert employer.get(f"/admin/cycles/2017/editions/2/{other_file.path}").status_code == 302


def test_the_dataset_is_read_in_a_constant_number_of_queries(app, cycle):
    def queries() -> int:
        """SELECT statements that reading the dataset takes (the cycle itself already loaded)."""
        db.session.rollback()
        assert cycle.year == 2017
        seen = []

        def listener(conn, cursor, statement, *rest):
            seen.append(statement) if statement.startswith("SELECT") else None

        event.listen(db.engine, "before_cursor_execute", listener)
        publication.dataset(cycle)
        event.remove(db.engine, "before_cursor_execute", listener)
        db.session.rollback()
        return len(seen)

    with_peers(cycle, count=4)
    few = queries()
    for i in range(26):
        db.session.add(Organisation(name=f"More Council {i}", authority_type="Unitary Authority"))
    db.session.commit()
    q = load("health-check", "2017.1")
    for i, org in enumerate(db.session.scalars(select(Organisation).where(Organisation.name.startswith("More")))):
        returns.submit(returns.return_for(cycle, org), Actor("Test"), q, replace_with=answers(q, random.Random(i)))
    db.session.commit()
    assert len(publication.dataset(cycle).returns) == 30
    assert queries() == few <= 8


def test_two_publications_at_once_make_one_edition(app, accounts, employers, cycle):
    submit_return(app, employers["a"][1])
    first, second = signed_in(app, "coordinator"), signed_in(app, "coordinator")
    # Both read the confirmation page with no edition yet; both press Publish.
    with writing():  # the first press's job, not yet run
        running = job_rows.new_job("publish", Actor("First"), cycle)
    with pytest.raises(IntegrityError), writing():
        job_rows.new_job("publish", Actor("Second"), cycle)
    pressed = second.post_form("/admin/cycles/2017/publish", {"after": "0"}, token_from="/admin/cycles/2017")
    assert pressed.headers["Location"].endswith(f"/admin/jobs/{running.id}")  # the one already under way
    jobs.run(running.id)
    late = first.post_form("/admin/cycles/2017/publish", {"after": "0"}, token_from="/admin/cycles/2017")
    assert late.headers["Location"].endswith("/admin/cycles/2017/results")  # edition 1 appeared meanwhile
    assert "Edition 1 was published while you were deciding" in first.get(late.headers["Location"]).get_data(
        as_text=True
    )
    assert [e.number for e in publication.editions(cycle)] == [1]


def test_a_failed_publication_serves_nothing_and_can_be_tried_again(app, accounts, employers, cycle, tmp_path):
    submit_return(app, employers["a"][1])
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the editions should go")
    app.config["EDITIONS_FOLDER"] = str(blocked)
    coordinator = signed_in(app, "coordinator")
    done = coordinator.post_form("/admin/cycles/2017/publish", {"after": "0"})
    page = coordinator.get(done.headers["Location"]).get_data(as_text=True)
    assert "This job failed" in page and "Could not write the files" in page and "Traceback" not in page
    assert "Try again" in page
    job = db.session.scalar(select(Job).where(Job.kind == "publish"))  # the submission queued an email job too
    assert job.status == "failed" and job.lock is None and publication.latest_edition(cycle) is None
    assert "Nothing has been published yet" in coordinator.get("/admin/cycles/2017/results").get_data(as_text=True)
    app.config["EDITIONS_FOLDER"] = str(tmp_path / "editions")  # the disk is put right
    again = coordinator.post_form(f"/admin/jobs/{job.id}/again", {}, token_from=done.headers["Location"])
    assert "See edition 1 of the results" in coordinator.get(again.headers["Location"]).get_data(as_text=True)
    assert publication.latest_edition(cycle).number == 1


def test_a_returns_file_is_checked_in_a_job_then_imported_by_a_second_click(app, accounts, employers, cycle):

    def csv_file(row: dict) -> io.BytesIO:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
        return io.BytesIO(out.getvalue().encode())

    coordinator = signed_in(app, "coordinator")
    refused = coordinator.post_form("/admin/cycles/2017/import", {"file": (io.BytesIO(b"x"), "returns.pdf")})
    assert refused.status_code == 400 and "must be a CSV or an XLSX" in refused.get_data(as_text=True)
    checked = coordinator.post_form(
        "/admin/cycles/2017/import", {"file": (csv_file({**GOOD, "posts": "ten"}), "returns.csv")}
    )
    page = coordinator.get(checked.headers["Location"]).get_data(as_text=True)
    assert "1 problem in returns.csv: nothing was imported" in page
    assert "row 2, column posts: Enter the number of posts as a whole number" in page and "Import 1 return" not in page
    checked = coordinator.post_form("/admin/cycles/2017/import", {"file": (csv_file(GOOD), "returns.csv")})
    page = coordinator.get(checked.headers["Location"]).get_data(as_text=True)
    assert "Every cell of the 1 rows of returns.csv is valid. Nothing has been written yet." in page
    assert db.session.scalar(select(Response.status).order_by(Response.id)) == "not_started"
    imported = coordinator.post_form(
        f"{checked.headers['Location']}/import", {}, token_from=checked.headers["Location"]
    )
    assert "1 returns imported from returns.csv" in coordinator.get(imported.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(Response.status).order_by(Response.id)) == "submitted"


def test_the_raw_export_downloads_with_its_codebook(app, accounts, employers, cycle):
    submit_return(app, employers["a"][1])
    viewer = signed_in(app, "viewer")
    book = load_workbook(io.BytesIO(viewer.get("/admin/cycles/2017/export.xlsx").data))
    assert book.sheetnames == ["returns", "codebook"] and book["returns"]["A2"].value == "Northmoor County Council"
    archive = zipfile.ZipFile(io.BytesIO(viewer.get("/admin/cycles/2017/export.csv").data))
    assert sorted(archive.namelist()) == ["returns-2017-codebook.csv", "returns-2017.csv"]
    assert viewer.get("/admin/cycles/2017/export.json").get_json()["returns"][0]["hours_per_week"] == 37


# ---------------------------------------------------------------- a real worker process


@pytest.fixture(params=QUEUES)
def queue(request, tmp_path):
    """Where jobs wait: a SQLite file, or Redis (a database of its own, emptied)."""
    if request.param == "sqlite":
        return {"QUEUE_FILE": str(tmp_path / "queue.sqlite")}

    redis.Redis.from_url(REDIS_URL).flushdb()
    return {"REDIS_URL": REDIS_URL}


@pytest.fixture
def worker_site(sqlite_template, tmp_path, queue):
    """A database with 10 submitted returns, this process's app queueing to ``queue``, and a way
    to start ``healthcheck worker`` processes on the same queue."""
    path = tmp_path / "site.sqlite"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    names = [f"Council {i:02d}" for i in range(WORKER_RETURNS)]
    seed_cycle(url, names)
    settings = {"DATABASE_URL": url, "EDITIONS_FOLDER": str(tmp_path / "editions"), "JOB_STALLED_AFTER": "1", **queue}
    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=url,
        JOBS_IMMEDIATE=False,
        EDITIONS_FOLDER=settings["EDITIONS_FOLDER"],
        QUEUE_FILE=queue.get("QUEUE_FILE"),
        REDIS_URL=queue.get("REDIS_URL"),
        JOB_STALLED_AFTER=timedelta(seconds=1),
    )
    app.test_client_class = CheckingClient
    with app.app_context():
        q = load("health-check", "2017.1")
        cycle = collection.cycle_by_year(2017)
        for i, org in enumerate(db.session.scalars(select(Organisation).order_by(Organisation.name))):
            returns.submit(
                returns.return_for(cycle, org), Actor("Test"), q, replace_with=answers(q, random.Random(i), org.name)
            )
        db.session.commit()
        started: list[subprocess.Popen] = []

        def start_worker() -> subprocess.Popen:
            env = dict(os.environ, HEALTHCHECK_CONFIG="development", SECRET_KEY="w" * 40, **settings)
            process = subprocess.Popen(
                [str(Path(sys.executable).with_name("healthcheck")), "worker", "--workers", "2"],
                env=env,
                start_new_session=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            started.append(process)
            return process

        yield app, cycle, start_worker
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
        db.engine.dispose()


def test_a_publication_runs_in_a_real_worker_process(worker_site):
    app, cycle, start_worker = worker_site
    job_id = queue_publication(cycle)
    assert db.session.get(Job, job_id).status == "queued"  # nothing ran in this process
    start_worker()
    job = wait_for(job_id, lambda j: j.finished)
    assert job.status == "done" and job.detail["edition"] == 1, job.error
    edition = publication.latest_edition(cycle)
    folder = Path(app.config["EDITIONS_FOLDER"]) / edition.folder
    assert sum(f.kind == "benchmark" for f in edition.files) == WORKER_RETURNS * 3  # JSON, CSV and PDF
    assert all(sha256(folder / f.path) == f.sha256 for f in edition.files)
    assert not list(folder.parent.glob(".building-*"))


def test_a_worker_killed_mid_publication_leaves_the_last_edition_served_and_the_job_retryable(worker_site):
    app, cycle, start_worker = worker_site
    worker = start_worker()
    first = wait_for(queue_publication(cycle), lambda j: j.finished)
    assert first.status == "done"
    job_id = queue_publication(cycle)
    # Killed while it draws the charts: 15 of them, each a tenth of a second or more, so this
    # poll (each 0.1 s) sees the step long before it ends, whatever the number of returns.
    seen = wait_for(job_id, lambda j: j.finished or (j.step == STEPS["charts"] and j.done >= 1))
    assert not seen.finished
    assert (Path(app.config["EDITIONS_FOLDER"]) / "2017" / f".building-{job_id}-1").is_dir()
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and its processes, mid-build
    worker.wait(timeout=30)
    time.sleep(1.2)  # longer than JOB_STALLED_AFTER: the job no longer reports
    assert [e.number for e in publication.editions(cycle)] == [1]  # edition 1 is still what is served
    client = app.test_client()
    create_user("coord@example.org", "Cora Ordinator", "coordinator", "correct horse battery staple")
    db.session.commit()
    assert (
        client.post_form(
            "/admin/sign-in", {"email": "coord@example.org", "password": "correct horse battery staple"}
        ).status_code
        == 302
    )
    page = client.get(f"/admin/jobs/{job_id}").get_data(as_text=True)
    assert "the worker running it was stopped" in page and "Try again" in page
    assert client.get("/admin/cycles/2017/editions/1/report.pdf").status_code == 200
    again = client.post_form(f"/admin/jobs/{job_id}/again", {}, token_from=f"/admin/jobs/{job_id}")
    retry_id = int(again.headers["Location"].rsplit("/", 1)[1])
    assert retry_id != job_id and db.session.get(Job, job_id).status == "failed"
    start_worker()
    retried = wait_for(retry_id, lambda j: j.finished)
    assert retried.status == "done" and retried.detail["edition"] == 2
    assert [e.number for e in publication.editions(cycle)] == [2, 1]
    assert not list((Path(app.config["EDITIONS_FOLDER"]) / "2017").glob(".building-*"))
    assert db.session.scalar(select(Edition).where(Edition.number == 2)).job_id == retry_id


def test_a_publication_given_up_while_its_worker_still_runs_records_nothing(app, accounts, employers, cycle):
    """The coordinator tries a stalled publication again; the first job's worker was only slow,
    and reaches the end after the second one published: it records nothing and removes its files."""

    submit_return(app, employers["a"][1])
    with writing():
        slow = job_rows.new_job("publish", Actor("First"), cycle)
    with writing():
        attempt = job_rows.start(slow.id, "a slow worker")
        assert attempt == 1
        db.session.get(Job, slow.id).heartbeat_at = now() - timedelta(hours=1)
    coordinator = signed_in(app, "coordinator")
    page = coordinator.get(f"/admin/jobs/{slow.id}").get_data(as_text=True)
    assert "the worker running it was stopped" in page
    again = coordinator.post_form(f"/admin/jobs/{slow.id}/again", {}, token_from=f"/admin/jobs/{slow.id}")
    assert "See edition 1 of the results" in coordinator.get(again.headers["Location"]).get_data(as_text=True)
    first = publication.latest_edition(cycle)
    recorded = {f.path: f.sha256 for f in first.files}
    db.session.expire_all()
    assert db.session.get(Job, slow.id).status == JobStatus.FAILED.value
    with pytest.raises(jobs.GivenUp):  # the slow worker carries on to the end
        slow_job = db.session.get(Job, slow.id)
        jobs.RUNNERS["publish"](slow_job, jobs.Claim(slow_job, attempt))
    db.session.rollback()
    assert [e.number for e in publication.editions(cycle)] == [1]
    folder = Path(app.config["EDITIONS_FOLDER"]) / first.folder
    assert {f.path: sha256(folder / f.path) for f in first.files} == recorded
    assert not list(folder.parent.glob(f"job-{slow.id}-*")) and not list(folder.parent.glob(".building-*"))


def test_a_second_press_shows_the_job_under_way_and_a_checked_file_is_imported_once(app, accounts, employers, cycle):

    coordinator = signed_in(app, "coordinator")
    with writing():  # invitations already queued, not yet sent
        waiting = job_rows.new_job("emails", Actor("First"), cycle, detail={"kind": "invitation"})
    pressed = coordinator.post_form("/admin/cycles/2017/send/invitation", {}, token_from="/admin/cycles/2017")
    assert pressed.headers["Location"].endswith(f"/admin/jobs/{waiting.id}")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(GOOD))
    writer.writeheader()
    writer.writerow(GOOD)
    checked = coordinator.post_form(
        "/admin/cycles/2017/import", {"file": (io.BytesIO(out.getvalue().encode()), "returns.csv")}
    )
    page = checked.headers["Location"]
    first = coordinator.post_form(f"{page}/import", {}, token_from=page)
    second = coordinator.post_form(f"{page}/import", {}, token_from=page)
    assert second.headers["Location"] == first.headers["Location"]
    assert db.session.scalar(select(db.func.count()).select_from(Job).where(Job.kind == "import")) == 1
    db.session.expire_all()
    assert all(job.upload is None for job in db.session.scalars(select(Job).where(Job.kind.in_(["check", "import"]))))


def test_a_job_the_queue_does_not_take_fails_and_frees_its_lock(app, accounts, employers, cycle):
    submit_return(app, employers["a"][1])
    app.config.update(JOBS_IMMEDIATE=False, REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there
    jobs.init_app(app)
    try:
        coordinator = signed_in(app, "coordinator")
        done = coordinator.post_form("/admin/cycles/2017/publish", {"after": "0"})
        page = coordinator.get(done.headers["Location"]).get_data(as_text=True)
        assert "This job failed" in page and "The job could not be queued" in page and "Try again" in page
        assert job_rows.locked_by(job_rows.lock_of("publish", cycle.id, {}) or "") is None
    finally:
        app.config.update(JOBS_IMMEDIATE=True, REDIS_URL=None)
        jobs.init_app(app)


def test_every_csv_names_its_charset_once(app, accounts, employers, cycle):
    """Issue 35: /return/results.csv was served as 'text/csv; charset=utf-8; charset=utf-8'."""
    employer = submit_return(app, employers["a"][1])
    with_peers(cycle)
    viewer = publish(app)
    table = next(f for f in publication.latest_edition(cycle).files if f.kind == "tables" and f.path.endswith(".csv"))
    answers = {
        path: viewer.get(path)
        for path in (
            f"/admin/cycles/2017/editions/1/{table.path}",
            "/admin/cycles/2017?format=csv",
            "/admin/neighbours.csv",
            "/api/v1/editions?format=csv",
            "/api/v1/editions/2017?format=csv",
        )
    }
    answers["/return/results.csv"] = employer.get("/return/results.csv")
    for path, answer in answers.items():
        assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/csv; charset=utf-8", path
    assert viewer.get("/admin/cycles/2017/editions/1/report.pdf").headers["Content-Type"] == "application/pdf"


def test_a_stalled_job_is_taken_up_again_from_its_row_and_its_old_attempt_records_nothing(
    app, accounts, employers, cycle
):
    """What a worker's scheduler does (here at once, in this process): a running job with no
    heartbeat for JOB_STALLED_AFTER is queued again and run from the start as attempt 2; the
    stopped attempt can no longer report or record; a job stopped three times fails."""
    submit_return(app, employers["a"][1])
    with writing():
        job = job_rows.new_job("publish", Actor("First"), cycle)
    with writing():
        first = job_rows.start(job.id, "a worker that will stop")
    assert jobs.take_up_stalled() == []  # its heartbeat is fresh: nothing to take up
    coordinator = signed_in(app, "coordinator")
    page = coordinator.get(f"/admin/jobs/{job.id}").get_data(as_text=True)
    assert "Run by the worker on a worker that will stop" in page and "stopped reporting" not in page
    with writing():
        db.session.get(Job, job.id).heartbeat_at = now() - timedelta(hours=1)
    assert "stopped reporting" in coordinator.get(f"/admin/jobs/{job.id}").get_data(as_text=True)

    assert jobs.take_up_stalled() == [job.id]  # queued again, which in tests runs it at once
    db.session.expire_all()
    done = db.session.get(Job, job.id)
    assert done.status == "done" and done.attempt == 2 and done.detail == {"edition": 1} and done.lock is None
    assert publication.latest_edition(cycle).folder == f"2017/job-{job.id}-2"
    stopped = jobs.Claim(done, first)
    with pytest.raises(jobs.GivenUp):
        stopped("Each employer's benchmark", 3, 13)
    with pytest.raises(jobs.GivenUp), writing():
        stopped.hold()
    assert jobs.take_up_stalled() == []

    # A job whose worker stopped on each of its three attempts fails, and can be tried again by a person.
    with writing():
        again = job_rows.new_job("publish", Actor("Second"), cycle)
    for attempt in (1, 2, 3):
        with writing():
            assert job_rows.start(again.id, "a worker that stops") == attempt
            db.session.get(Job, again.id).heartbeat_at = now() - timedelta(hours=1)
        with writing():  # what take_up_stalled does, short of handing the job to the queue
            queued = [j.id for j in job_rows.queue_again(app.config["JOB_STALLED_AFTER"])]
        assert queued == ([again.id] if attempt < 3 else [])
        page = coordinator.get(f"/admin/jobs/{again.id}").get_data(as_text=True)
        if attempt < 3:
            assert "The worker running it stopped: it is queued again for another worker" in page
    db.session.expire_all()
    failed = db.session.get(Job, again.id)
    assert failed.status == "failed" and failed.lock is None and failed.error == job_rows.STOPPED_TOO_OFTEN
    assert "stopped 3 times" in page and "Try again" in page
